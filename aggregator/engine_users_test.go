package aggregator

import (
	"math/rand"
	"strconv"
	"testing"
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
