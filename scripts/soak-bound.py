#!/usr/bin/env python3
"""Expected best_n candidates pinned by the soak's long window (issue 10).

A folded best_n window keeps, per user and board, the n best folded
candidates (contest/fold.go): min(counted events, n). With loadgen's user
law (rand.Zipf s=1.1, v=20 over USERS ids) and RATE ev/s, user k gets
Poisson(lam_k * t) events, so the pinned total is
sum_k E[min(Poisson(lam_k * (t - lag)), n)]: bounded by USERS * n and
flattening once the rarest users have n events. lag is max_event_delay +
the fold margin (events younger than that are not folded yet).

usage: scripts/soak-bound.py [USERS=20000] [RATE=1000] [N=20] [LAG_S=125]
"""
import math
import sys


def pinned(p, rate, minutes, n, lag_s, dup=0.01):
    t = max(0.0, minutes * 60 - lag_s)
    total = 0.0
    for pk in p:
        m = min(rate * (1 - dup) * pk, 2.0) * t  # rate limit: 2 counted/s
        pj = math.exp(-m)
        cdf, e = pj, 0.0
        for j in range(n):  # E[min(N, n)] = sum_{j<n} P(N > j)
            e += 1 - cdf
            pj *= m / (j + 1)
            cdf += pj
        total += e
    return total


def main():
    a = [float(x) for x in sys.argv[1:]]
    users, rate, n, lag = (list(map(int, a)) + [20000, 1000, 20, 125][len(a):])[:4]
    w = [(20 + k) ** -1.1 for k in range(users)]
    h = sum(w)
    p = [x / h for x in w]
    print(f"{users} users at {rate} ev/s, best_n n={n}: bound {users * n} pinned")
    for t in (3, 4, 8, 12, 16, 20, 24, 28, 32, 45, 60, 90, 120, 180):
        v = pinned(p, rate, t, n, lag)
        print(f"  minute {t:4d}: {v:9.0f} pinned ({100 * v / (users * n):5.1f} % of the bound)")


if __name__ == "__main__":
    main()
