package aggregator

import (
	"math/rand"
	"strconv"
	"strings"
	"testing"

	"github.com/rankstream/rankstream/event"
)

// The user table holds what a map holds through random sets, replaced
// heads and deletions (backward shifts across the wrap-around, growing and
// shrinking), and every id it hands out reads back as the id given.
func TestUserTableMatchesMap(t *testing.T) {
	for seed := int64(0); seed < 20; seed++ {
		r := rand.New(rand.NewSource(seed))
		tab, ref := newUserTable(), map[string]*userWin{}
		var ids userIDs
		space := 8 + r.Intn(3000)
		for op := 0; op < 20000; op++ {
			user := "u" + strconv.Itoa(r.Intn(space))
			switch r.Intn(3) {
			case 0, 1:
				n := &userWin{user: ids.intern(user), window: int64(op)}
				tab.set(n)
				ref[user] = n
			default:
				tab.del(user)
				delete(ref, user)
			}
			if op%97 == 0 || op > 19900 {
				checkUserTable(t, seed, op, &tab, ref)
			}
		}
		for user := range ref { // empty it: the table shrinks back
			tab.del(user)
			delete(ref, user)
		}
		checkUserTable(t, seed, -1, &tab, ref)
		if len(tab.slots) > userTableMin {
			t.Fatalf("seed %d: %d slots left for no user", seed, len(tab.slots))
		}
	}
}

func checkUserTable(t *testing.T, seed int64, op int, tab *userTable, ref map[string]*userWin) {
	t.Helper()
	if tab.n != len(ref) {
		t.Fatalf("seed %d op %d: %d users, want %d", seed, op, tab.n, len(ref))
	}
	for user, n := range ref {
		if got := tab.get(user); got != n || got.user != user {
			t.Fatalf("seed %d op %d: %q is %p, want %p", seed, op, user, got, n)
		}
	}
	seen := 0
	tab.each(func(n *userWin) {
		seen++
		if ref[n.user] != n {
			t.Fatalf("seed %d op %d: each gave %q (%p), not held", seed, op, n.user, n)
		}
	})
	if seen != len(ref) || tab.get("absent") != nil {
		t.Fatalf("seed %d op %d: each gave %d users, want %d", seed, op, seen, len(ref))
	}
	if len(tab.slots) > 0 && (tab.n*4 > len(tab.slots)*3) {
		t.Fatalf("seed %d op %d: %d users in %d slots", seed, op, tab.n, len(tab.slots))
	}
}

// dedupKey gives event.DedupKey's string, and every key handed out reads
// back the same after many more (no chunk is written twice), short, long
// (past keyOwnAt: a copy of its own) and across chunk ends.
func TestDedupKeyPacked(t *testing.T) {
	r := rand.New(rand.NewSource(1))
	var keys userIDs
	type held struct{ got, want string }
	var all []held
	for i := 0; i < 20000; i++ {
		id := strconv.Itoa(i) + strings.Repeat("e", r.Intn(40))
		if i%500 == 0 {
			id = strings.Repeat("x", keyOwnAt) // the key is past keyOwnAt
		}
		prov, user := "p"+strconv.Itoa(r.Intn(5)), "u_"+strconv.Itoa(r.Intn(3000))
		got := keys.dedupKey(prov, user, id)
		want := event.DedupKey(prov, user, id)
		if got != want {
			t.Fatalf("dedupKey(%q, %q, %q) = %q, want %q", prov, user, id, got, want)
		}
		all = append(all, held{got, want})
	}
	for i, h := range all {
		if h.got != h.want {
			t.Fatalf("key %d reads %q, want %q", i, h.got, h.want)
		}
	}
}
