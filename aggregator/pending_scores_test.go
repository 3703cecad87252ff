package aggregator

import (
	"fmt"
	"math/rand"
	"strconv"
	"strings"
	"testing"

	"github.com/rankstream/rankstream/contest"
)

// TestPendingScoresLatestPerPair: against a map of (board, user) → latest
// standing, over random puts with flushes (take) in between, small and
// catch-up sized, and more boards than a take keeps: a take hands over
// exactly the latest standing of every pair put since the last take, each
// once, and leaves nothing pending.
func TestPendingScoresLatestPerPair(t *testing.T) {
	r := rand.New(rand.NewSource(7))
	p := newPendingScores()
	for round, n := range []int{1, 50, 3000, regrowAt + 10, 200, 40_000, 5, 0, 700} {
		nBoards := 1 + r.Intn(300)
		want := map[scoreKey]ScoreMsg{}
		for i := 0; i < n; i++ {
			k := scoreKey{contest.BoardID{Contest: fmt.Sprintf("c%d", r.Intn(3)), Window: int64(r.Intn(nBoards)),
				Division: []string{"", "DE", "a.b"}[r.Intn(3)]}, fmt.Sprintf("u_%d", r.Intn(1+n/3))}
			m := ScoreMsg{Standing: contest.Standing{Score: int64(i)}, Removed: r.Intn(9) == 0, SrcSeq: uint64(round*1e6 + i)}
			want[k] = m
			// The user string a put gets is never the one stored (as from the engine).
			p.put(k.board, strings.Clone(k.user), m)
		}
		if p.len() != len(want) {
			t.Fatalf("round %d: %d pending, want %d", round, p.len(), len(want))
		}
		got := flatten(p.take())
		if p.len() != 0 {
			t.Fatalf("round %d: %d pending after take", round, p.len())
		}
		if len(got) != len(want) {
			t.Fatalf("round %d: took %d, want %d", round, len(got), len(want))
		}
		seen := map[scoreKey]bool{}
		for _, e := range got {
			if seen[e.k] || e.m != want[e.k] {
				t.Fatalf("round %d: took %v %+v (again: %v), want %+v", round, e.k, e.m, seen[e.k], want[e.k])
			}
			seen[e.k] = true
		}
		// What a flush could not publish goes back, and is what the next take has.
		if len(got) > 0 {
			e := got[len(got)-1]
			p.put(e.k.board, e.k.user, e.m)
			if again := flatten(p.take()); len(again) != 1 || again[0] != e {
				t.Fatalf("round %d: put back %+v, took %+v", round, e, again)
			}
		}
	}
}

type pendingKV struct {
	k scoreKey
	m ScoreMsg
}

func flatten(users []*pendingUser) []pendingKV {
	var out []pendingKV
	for _, u := range users {
		for i := range u.boards {
			out = append(out, pendingKV{scoreKey{u.boards[i], u.user}, u.msgs[i]})
		}
	}
	return out
}

// BenchmarkPendingPut: the catch-up's pending set, per standing changed,
// in the benchmark's pattern (bench_recovery_test.go: 20k users, four
// contests): 1M events, each of a random user, changing that user's
// standing on the current window of 1-4 contests, the windows moving on
// over the run (windows per contest: 5, or 60 as for 1-minute windows over
// an hour); the user string a new one each event (as the engine hands it).
// "map" is the map keyed by (board, user) flushNow used before pendingScores.
// windows=property is the CrashRecovery benchmark's own pattern
// (propertyContests[:4]): three contests with one long window (one of them
// with a market division per user), one with six-hour windows over the
// events' 96 hours (a random one per event), each changed by about half of
// the events: ≈ 19 boards per user, 2.1 changes per event.
// go test ./aggregator -run '^$' -bench PendingPut -cpu 1 -count 5
func BenchmarkPendingPut(b *testing.B) {
	const events, users = 1_000_000, 20_000
	for _, windows := range []int{5, 60, 0} {
		r := rand.New(rand.NewSource(1))
		type change struct {
			board contest.BoardID
			user  string
		}
		contests := []string{"t_sprint", "t_best", "t_max", "t_wager"}
		var seq []change
		for i := 0; i < events; i++ {
			u := r.Intn(users)
			user := fmt.Sprintf("u_%d", u)
			if windows == 0 {
				const long = 1_700_000_000
				for c, div := range []string{"", "", []string{"DE", "UA", "PL"}[u%3]} {
					if r.Intn(2) == 0 {
						seq = append(seq, change{contest.BoardID{Contest: contests[c], Window: long, Division: div}, user})
					}
				}
				if r.Intn(8) < 5 {
					seq = append(seq, change{contest.BoardID{Contest: contests[3], Window: long + 6*3600*int64(r.Intn(16))}, user})
				}
				continue
			}
			w := int64(1_700_000_000 + 60*(i*windows/events))
			for c := 0; c < 1+r.Intn(4); c++ {
				seq = append(seq, change{contest.BoardID{Contest: contests[c], Window: w}, user})
			}
		}
		name := strconv.Itoa(windows)
		if windows == 0 {
			name = "property"
		}
		msg := ScoreMsg{Standing: contest.Standing{Score: 1}, SrcSeq: 1}
		b.Run("map/windows="+name, func(b *testing.B) {
			for b.Loop() {
				m := map[scoreKey]ScoreMsg{}
				for _, c := range seq {
					m[scoreKey{c.board, c.user}] = msg
				}
			}
			b.ReportMetric(float64(b.Elapsed().Nanoseconds())/float64(b.N*len(seq)), "ns/change")
		})
		b.Run("pendingScores/windows="+name, func(b *testing.B) {
			for b.Loop() {
				p := newPendingScores()
				for _, c := range seq {
					p.put(c.board, c.user, msg)
				}
			}
			b.ReportMetric(float64(b.Elapsed().Nanoseconds())/float64(b.N*len(seq)), "ns/change")
		})
	}
}
