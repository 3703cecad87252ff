package aggregator

import (
	"math/rand"
	"strconv"
	"testing"

	"github.com/rankstream/rankstream/contest"
)

// The remembered head is the table's through every way a user's first node
// changes: windows added, found deep in the list (moved to the front),
// dropped (the first, a later one, the last), swept, and users gone and
// back; lookups of the remembered user and of others interleave with them.
func TestHeadHintNeverStale(t *testing.T) {
	var cs []*contest.Contest
	for _, id := range []string{"a", "b"} {
		c, err := contest.Parse(id+".yml", []byte("id: "+id+"\ntitle: t\nwindow: {start: 2025-10-25T18:00:00Z, end: 2025-10-25T19:00:00Z}\nscoring: {model: wager}\nleaderboard: {type: sum}\n"))
		if err != nil {
			t.Fatal(err)
		}
		cs = append(cs, c)
	}
	for seed := int64(0); seed < 30; seed++ {
		r := rand.New(rand.NewSource(seed))
		ps := newPartState(0)
		users := 2 + r.Intn(6)
		for op := 0; op < 3000; op++ {
			c := cs[r.Intn(len(cs))]
			k := uwKey{contest: c.ID, window: int64(r.Intn(12)), user: "u" + strconv.Itoa(r.Intn(users))}
			switch r.Intn(6) {
			case 0, 1:
				if ps.window(k) == nil {
					ps.addWindow(k, contest.MakeWindowState(c))
				}
			case 2, 3:
				ps.window(k)
			case 4:
				ps.dropWindow(k)
			default:
				if r.Intn(20) == 0 {
					drop := r.Int63n(12)
					ps.sweep(func(k uwKey, _ *contest.WindowState) bool { return k.window != drop })
				}
			}
			if ps.hint.ok && ps.hint.head != ps.users.get(ps.hint.user) {
				t.Fatalf("seed %d op %d: remembered head of %q is %p, the table's %p", seed, op, ps.hint.user, ps.hint.head, ps.users.get(ps.hint.user))
			}
			for u := 0; u < users; u++ {
				user := "u" + strconv.Itoa(u)
				if got, want := ps.head(user), ps.users.get(user); got != want {
					t.Fatalf("seed %d op %d: head(%q) = %p, want %p", seed, op, user, got, want)
				}
			}
		}
	}
}
