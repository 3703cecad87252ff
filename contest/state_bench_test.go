package contest

import (
	"fmt"
	"math/rand"
	"syscall"
	"testing"
)

// benchUser is one busy user's traffic: rate events per second of arrival
// time, each with ts = arrival − a jitter drawn by lag, and the window
// folded every 12 s at arrival − 125 s (the soak's max_event_delay 2m plus
// the fold margin), so about 125 s of candidates are held, as in the
// scorer.
type benchUser struct {
	cands []Candidate
	now   []int64 // arrival time of each candidate
}

func makeBenchUser(n, rate int, lag func(r *rand.Rand) int64) benchUser {
	r := rand.New(rand.NewSource(1))
	divs := []string{"a", "b", "c"}
	u := benchUser{cands: make([]Candidate, n), now: make([]int64, n)}
	for i := range u.cands {
		now := int64(1e12) + int64(i)*1e9/int64(rate)
		ts := now - lag(r)
		u.now[i] = now
		u.cands[i] = Candidate{
			TS: ts, EventID: fmt.Sprintf("e%09d", i), Base: int64(r.Intn(200)) - 10,
			Multiplier: float64(r.Intn(100)) / 4, Division: divs[r.Intn(len(divs))], Day: floorDiv(ts, 86400e9),
		}
	}
	return u
}

var benchLags = []struct {
	name string
	lag  func(r *rand.Rand) int64
}{
	{"inorder", func(*rand.Rand) int64 { return 0 }},
	{"jitter2s", func(r *rand.Rand) int64 { return r.Int63n(2e9) }},          // loadgen's
	{"farlate", func(r *rand.Rand) int64 { return r.Int63n(120e9) }},         // anywhere in max_event_delay
	{"mostly2s", func(r *rand.Rand) int64 { return r.Int63n(2e9) + mix(r) }}, // 1 % far late
}

func mix(r *rand.Rand) int64 {
	if r.Intn(100) == 0 {
		return r.Int63n(118e9)
	}
	return 0
}

func benchContests() []struct {
	name string
	c    *Contest
} {
	long := stateContest(TypeBestN, 20, 2) // the soak's long window
	long.Scoring.CapPerUserPerDay = i64(100000)
	minute := stateContest(TypeSum, 0, 0) // the soak's minute window: divisions, no limit
	minute.Scoring.CapPerUserPerDay = nil
	mx := stateContest(TypeMax, 0, 5)
	return []struct {
		name string
		c    *Contest
	}{{"best_n", long}, {"sum", minute}, {"max", mx}}
}

// BenchmarkUserWindowAdd is the cost of one UserWindow.Add (and the folds
// it shares) for a user with 50 events a second (loadgen's busiest user at
// 5k ev/s), by arrival pattern and leaderboard type.
func BenchmarkUserWindowAdd(b *testing.B) {
	const rate, n = 50, 50 * 600
	for _, lg := range benchLags {
		b.Run(lg.name, func(b *testing.B) {
			tr := makeBenchUser(n, rate, lg.lag)
			for _, bc := range benchContests() {
				b.Run(bc.name, func(b *testing.B) { benchAdd(b, tr, bc.c) })
			}
		})
	}
}

// BenchmarkUserWindowAddTo is BenchmarkUserWindowAdd through AddTo with one
// changes buffer, as the engine calls it.
func BenchmarkUserWindowAddTo(b *testing.B) {
	for _, lg := range benchLags[:2] {
		b.Run(lg.name, func(b *testing.B) {
			tr := makeBenchUser(50*600, 50, lg.lag)
			for _, bc := range benchContests() {
				b.Run(bc.name, func(b *testing.B) {
					var buf []Change
					benchAddFunc(b, tr, bc.c, func(u *UserWindow, cd Candidate) { buf = u.AddTo(buf[:0], cd) })
				})
			}
		})
	}
}

// benchAdd adds the user's candidates in arrival order, again from an empty
// window after the last, and reports the process CPU time per Add besides
// the wall time (the machine is shared: CPU time is the steadier figure).
func benchAdd(b *testing.B, tr benchUser, c *Contest) {
	benchAddFunc(b, tr, c, func(u *UserWindow, cd Candidate) { u.Add(cd) })
}

func benchAddFunc(b *testing.B, tr benchUser, c *Contest, add func(*UserWindow, Candidate)) {
	n := len(tr.cands)
	b.ReportAllocs()
	cpu0 := cpuNanos()
	u := NewUserWindow(c)
	nextFold := int64(0)
	for i := 0; i < b.N; i++ {
		k := i % n
		if k == 0 {
			u, nextFold = NewUserWindow(c), tr.now[0]+12e9
		}
		if now := tr.now[k]; now >= nextFold {
			u.Fold(now - 125e9)
			nextFold = now + 12e9
		}
		if cd := tr.cands[k]; cd.TS >= u.FoldedBefore() {
			add(u, cd)
		}
	}
	b.ReportMetric(float64(cpuNanos()-cpu0)/float64(b.N), "cpu-ns/op")
}

// cpuNanos is the user and system CPU time of the process.
func cpuNanos() int64 {
	var ru syscall.Rusage
	if err := syscall.Getrusage(syscall.RUSAGE_SELF, &ru); err != nil {
		return 0
	}
	return ru.Utime.Nano() + ru.Stime.Nano()
}
