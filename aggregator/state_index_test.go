package aggregator

import (
	"math/rand"
	"strconv"
	"testing"

	"github.com/rankstream/rankstream/contest"
)

// A partition's windows by user (lists, moved to the front when found deep,
// indexed once a user has more than manyAt) find exactly what a map by
// (contest, window, user) finds, through adds, lookups and sweeps.
func TestPartitionWindowsByUser(t *testing.T) {
	cs := []*contest.Contest{{ID: "a"}, {ID: "b"}}
	r := rand.New(rand.NewSource(5))
	ps := newPartState(0)
	ref := map[uwKey]*contest.WindowState{}
	long := 0
	for step := 0; step < 20000; step++ {
		c := cs[r.Intn(len(cs))]
		k := uwKey{contest: c.ID, window: int64(r.Intn(3 * manyAt)), user: "u" + strconv.Itoa(r.Intn(4))}
		switch op := r.Intn(10); {
		case op < 6:
			got, want := ps.window(k), ref[k]
			if got != want {
				t.Fatalf("step %d: window %v: %p, want %p", step, k, got, want)
			}
			if got == nil {
				ref[k] = ps.addWindow(k, contest.MakeWindowState(c))
			}
		case op < 9:
			if got, want := ps.window(k), ref[k]; got != want {
				t.Fatalf("step %d: window %v: %p, want %p", step, k, got, want)
			}
		default: // drop a random fifth of the windows
			ps.sweep(func(k uwKey, st *contest.WindowState) bool {
				if ref[k] != st {
					t.Fatalf("step %d: sweep saw %v at %p, want %p", step, k, st, ref[k])
				}
				if r.Intn(5) == 0 {
					delete(ref, k)
					return false
				}
				return true
			})
		}
		if ps.windows != len(ref) {
			t.Fatalf("step %d: %d windows held, want %d", step, ps.windows, len(ref))
		}
		if len(ps.many) > 0 {
			long++
		}
	}
	n := 0
	ps.eachWindow(func(k uwKey, st *contest.WindowState) {
		n++
		if ref[k] != st {
			t.Fatalf("eachWindow: %v at %p, want %p", k, st, ref[k])
		}
	})
	if n != len(ref) || long == 0 {
		t.Fatalf("eachWindow saw %d windows, want %d; steps with an index: %d", n, len(ref), long)
	}
}
