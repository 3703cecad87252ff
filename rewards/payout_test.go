package rewards

import (
	"crypto/sha256"
	"encoding/binary"
	"encoding/hex"
	"encoding/json"
	"fmt"
	"math/big"
	"math/rand/v2"
	"sort"
	"testing"
	"time"
)

var testWindow = time.Date(2025, 10, 25, 18, 0, 0, 0, time.UTC)

func board(div string) Board {
	return Board{Contest: "t_x", Window: testWindow, Division: div, StandingsHash: sha256.Sum256([]byte("standings" + div))}
}

func entries(scores ...int64) []Entry {
	out := make([]Entry, len(scores))
	for i, s := range scores {
		out[i] = Entry{Pos: i + 1, User: fmt.Sprintf("u_%d", i+1), Score: s}
	}
	return out
}

func amounts(res Result) map[int]int64 {
	m := map[int]int64{}
	for _, p := range res.Payouts {
		m[p.Pos] = p.AmountMinor
	}
	return m
}

func rat(s string) *big.Rat { r, _ := new(big.Rat).SetString(s); return r }

func TestComputeTable(t *testing.T) {
	one := int64(1)
	cases := []struct {
		name string
		r    Rules
		e    []Entry
		want map[int]int64
	}{
		{"ladder", Rules{TotalMinor: 1000, Distribution: Ladder, Desc: true, Ladder: []LadderRule{
			{1, 1, rat("0.30")}, {2, 2, rat("0.2")}, {3, 10, rat("0.05")}}},
			entries(90, 80, 70, 60), map[int]int64{1: 300, 2: 200, 3: 50, 4: 50}},
		{"ladder floors", Rules{TotalMinor: 999, Distribution: Ladder, Desc: true, Ladder: []LadderRule{{1, 2, rat("0.333")}}},
			entries(5, 4, 3), map[int]int64{1: 332, 2: 332}},
		{"ladder min_score keeps positions", Rules{TotalMinor: 100, Distribution: Ladder, Desc: true, MinScore: &one,
			Ladder: []LadderRule{{1, 3, rat("0.1")}}}, entries(5, 0, 3), map[int]int64{1: 10, 3: 10}},
		{"proportional", Rules{TotalMinor: 1000, Distribution: Proportional, Desc: true},
			entries(50, 30, 20, 0, -5), map[int]int64{1: 500, 2: 300, 3: 200}},
		{"proportional cap and places", Rules{TotalMinor: 1000, Distribution: Proportional, Desc: true,
			Proportional: ProportionalRule{Places: 2, CapPerPlace: 400}}, entries(70, 30, 20), map[int]int64{1: 400, 2: 300}},
		{"proportional floors", Rules{TotalMinor: 10, Distribution: Proportional, Desc: true}, entries(1, 1, 1), map[int]int64{1: 3, 2: 3, 3: 3}},
	}
	for _, tc := range cases {
		t.Run(tc.name, func(t *testing.T) {
			res, err := Compute(&tc.r, board(""), tc.e)
			if err != nil {
				t.Fatal(err)
			}
			if got := amounts(res); fmt.Sprint(got) != fmt.Sprint(tc.want) {
				t.Fatalf("got %v, want %v", got, tc.want)
			}
		})
	}
}

func TestTicketsDrawByHand(t *testing.T) {
	r := Rules{TotalMinor: 1000, Distribution: Tickets, Desc: true,
		Tickets: TicketsRule{PointsPerTicket: 10, Prizes: []Prize{{1, 500}, {5, 100}}}}
	e := entries(100, 55, 9, 20) // 10, 5, 0, 2 tickets
	res, err := Compute(&r, board("DE"), e)
	if err != nil {
		t.Fatal(err)
	}
	d := res.Draw
	if d.Tickets != 17 || len(d.Draws) != 3 || res.Total() > 1000 {
		t.Fatalf("draw = %+v", d)
	}
	h := board("DE").StandingsHash
	seed := sha256.Sum256([]byte("t_x|2025-10-25T18:00:00Z|DE|" + hex.EncodeToString(h[:])))
	if d.Seed != hex.EncodeToString(seed[:]) {
		t.Fatalf("seed %s", d.Seed)
	}
	sum := sha256.Sum256([]byte(d.Seed + ":0"))
	if x := binary.BigEndian.Uint64(sum[:8]) % 17; d.Draws[0].X != x {
		t.Fatalf("x0 = %d, want %d", d.Draws[0].X, x)
	}
	seen := map[int]bool{}
	for _, w := range d.Draws {
		if seen[w.Pos] || w.Pos == 3 {
			t.Fatalf("position %d drawn twice or without tickets: %+v", w.Pos, d.Draws)
		}
		seen[w.Pos] = true
	}
}

func TestRewardIDs(t *testing.T) {
	sum := sha256.Sum256([]byte("contest|t_x|2025-10-25T18:00:00Z|DE|u_1"))
	if got := ContestRewardID("t_x", testWindow, "DE", "u_1"); got != "rw_"+hex.EncodeToString(sum[:])[:32] {
		t.Fatalf("contest id %s", got)
	}
	sum = sha256.Sum256([]byte("mission|m_h|2025-10-25T18:00:00Z|u_1|completion"))
	if got := MissionRewardID("m_h", testWindow, "u_1", StepCompletion); got != "rw_"+hex.EncodeToString(sum[:])[:32] {
		t.Fatalf("mission id %s", got)
	}
}

// --- property tests against a recomputation written from CONTRACT.md §7 ---

func randomBoard(rng *rand.Rand) []Entry {
	n := rng.IntN(60)
	scores := make([]int64, n)
	for i := range scores {
		scores[i] = rng.Int64N(2000) - 100
	}
	sort.Slice(scores, func(i, j int) bool { return scores[i] > scores[j] })
	return entries(scores...)
}

func randomRules(rng *rand.Rand) Rules {
	r := Rules{TotalMinor: rng.Int64N(1_000_000) + 1, Desc: true}
	if rng.IntN(3) == 0 {
		m := rng.Int64N(500)
		r.MinScore = &m
	}
	switch rng.IntN(3) {
	case 0:
		r.Distribution = Ladder
		pos, left := 1, big.NewRat(1, 1)
		for pos < 40 && rng.IntN(5) > 0 {
			w := 1 + rng.IntN(5)
			sh := big.NewRat(rng.Int64N(1000), 1000*int64(w)*int64(1+rng.IntN(3)))
			if new(big.Rat).Mul(sh, big.NewRat(int64(w), 1)).Cmp(left) > 0 {
				break
			}
			left.Sub(left, new(big.Rat).Mul(sh, big.NewRat(int64(w), 1)))
			r.Ladder = append(r.Ladder, LadderRule{pos, pos + w - 1, sh})
			pos += w + rng.IntN(2)
		}
	case 1:
		r.Distribution = Proportional
		r.Proportional = ProportionalRule{Places: rng.IntN(30), CapPerPlace: rng.Int64N(r.TotalMinor/2 + 1)}
	default:
		r.Distribution = Tickets
		r.Tickets.PointsPerTicket = 1 + rng.Int64N(300)
		left := r.TotalMinor
		for i := 0; i < 4 && left > 0; i++ {
			c := 1 + rng.IntN(4)
			a := left / int64(c) / 2
			if a == 0 {
				break
			}
			r.Tickets.Prizes = append(r.Tickets.Prizes, Prize{c, a})
			left -= a * int64(c)
		}
	}
	return r
}

// oracle pays a board as §7 reads, one position at a time.
func oracle(r Rules, seed string, e []Entry) map[int]int64 {
	out := map[int]int64{}
	switch r.Distribution {
	case Ladder:
		for _, en := range e {
			for _, lr := range r.Ladder {
				if en.Pos >= lr.From && en.Pos <= lr.To {
					v := new(big.Rat).Mul(big.NewRat(r.TotalMinor, 1), lr.Share)
					out[en.Pos] = new(big.Int).Quo(v.Num(), v.Denom()).Int64()
				}
			}
		}
	case Proportional:
		places := r.Proportional.Places
		if places == 0 {
			places = len(e)
		}
		var those []Entry
		for i, en := range e {
			if i < places && en.Score > 0 {
				those = append(those, en)
			}
		}
		sum := new(big.Int)
		for _, en := range those {
			sum.Add(sum, big.NewInt(en.Score))
		}
		for _, en := range those {
			v := new(big.Int).Mul(big.NewInt(r.TotalMinor), big.NewInt(en.Score))
			a := v.Quo(v, sum).Int64()
			if r.Proportional.CapPerPlace > 0 && a > r.Proportional.CapPerPlace {
				a = r.Proportional.CapPerPlace
			}
			out[en.Pos] = a
		}
	case Tickets:
		for _, w := range oracleDraw(r, seed, e) {
			out[w[0]] = int64(w[1])
		}
	}
	for _, en := range e {
		if out[en.Pos] == 0 || (r.MinScore != nil && en.Score < *r.MinScore) {
			delete(out, en.Pos)
		}
	}
	return out
}

// oracleDraw draws from the published seed alone: [pos, amount] per prize.
func oracleDraw(r Rules, seed string, e []Entry) [][2]int {
	type holder struct{ pos, tickets int }
	var rest []holder
	left := 0
	for _, en := range e {
		t := 0
		if en.Score > 0 {
			t = int(en.Score / r.Tickets.PointsPerTicket)
		}
		rest = append(rest, holder{en.Pos, t})
		left += t
	}
	var wins [][2]int
	k := 0
	for _, p := range r.Tickets.Prizes {
		for c := 0; c < p.Count && left > 0; c++ {
			h := sha256.Sum256([]byte(fmt.Sprintf("%s:%d", seed, k)))
			x := binary.BigEndian.Uint64(h[:8]) % uint64(left)
			run := uint64(0)
			for i, hd := range rest {
				run += uint64(hd.tickets)
				if run > x {
					wins = append(wins, [2]int{hd.pos, int(p.AmountMinor)})
					left -= hd.tickets
					rest = append(rest[:i], rest[i+1:]...)
					break
				}
			}
			k++
		}
	}
	return wins
}

func TestComputeProperties(t *testing.T) {
	for seed := uint64(1); seed <= 400; seed++ {
		rng := rand.New(rand.NewPCG(seed, 7))
		r, e := randomRules(rng), randomBoard(rng)
		b := board(fmt.Sprint(seed % 3))
		res, err := Compute(&r, b, e)
		if err != nil {
			t.Fatal(err)
		}
		if res.Total() > r.TotalMinor {
			t.Fatalf("seed %d: granted %d > pool %d", seed, res.Total(), r.TotalMinor)
		}
		published := ""
		if res.Draw != nil {
			published = res.Draw.Seed // the draw is recomputed from the published seed alone
		}
		if got, want := amounts(res), oracle(r, published, e); fmt.Sprint(got) != fmt.Sprint(want) {
			t.Fatalf("seed %d %s: got %v, oracle %v", seed, r.Distribution, got, want)
		}
		again, _ := Compute(&r, b, e)
		j1, _ := json.Marshal(res)
		j2, _ := json.Marshal(again)
		if string(j1) != string(j2) {
			t.Fatalf("seed %d: two runs differ", seed)
		}
		for _, p := range res.Payouts {
			if p.RewardID != ContestRewardID(b.Contest, b.Window, b.Division, p.User) || p.AmountMinor <= 0 {
				t.Fatalf("seed %d: payout %+v", seed, p)
			}
		}
	}
}
