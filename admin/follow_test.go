package admin_test

import (
	"context"
	"fmt"
	"testing"
	"time"

	"github.com/rankstream/rankstream/admin"
	"github.com/rankstream/rankstream/contest"
	"github.com/rankstream/rankstream/internal/db"
	"github.com/rankstream/rankstream/internal/testkit"
)

// TestFollowPutsOtherProcessesVersionsInForce: a version stored by another
// process (here: straight into the store) is put in force, and so is a
// contest created through the API; an older stored version never replaces
// a newer one in force.
func TestFollowPutsOtherProcessesVersionsInForce(t *testing.T) {
	ctx, cancel := context.WithTimeout(context.Background(), time.Minute)
	defer cancel()
	pool, err := db.Open(ctx, testkit.Postgres(t), testkit.Logger())
	if err != nil {
		t.Fatal(err)
	}
	defer pool.Close()
	store := admin.NewStore(pool)
	now := time.Now().UTC()
	start, end := now.Add(-time.Hour).Truncate(time.Second), now.Add(time.Hour).Truncate(time.Second)
	v1, _, err := store.Put(ctx, "adm", admin.SourceFile, []byte(contestYAML("One", start, end)))
	if err != nil {
		t.Fatal(err)
	}
	c1, err := v1.Parse()
	if err != nil {
		t.Fatal(err)
	}
	rules := contest.NewRegistry([]*contest.Contest{c1})
	go store.Follow(ctx, rules, 20*time.Millisecond, testkit.Logger())

	if _, _, err := store.Put(ctx, "adm", admin.SourceAPI, []byte(contestYAML("Two", start, end))); err != nil {
		t.Fatal(err)
	}
	other := []byte("id: adm_new\ntitle: New\nwindow: {start: " + start.Format(time.RFC3339) + ", end: " + end.Format(time.RFC3339) +
		"}\nscoring: {model: wager}\nleaderboard: {type: sum}\n")
	if _, _, err := store.Put(ctx, "adm_new", admin.SourceAPI, other); err != nil {
		t.Fatal(err)
	}
	testkit.Eventually(t, 10*time.Second, func() error {
		c, n := rules.Get("adm"), rules.Get("adm_new")
		if c != nil && c.Version == 2 && c.Title == "Two" && n != nil && n.Version == 1 {
			return nil
		}
		return fmt.Errorf("versions not followed: adm %+v, adm_new %v", c, n)
	})
	// A version put in force here first (newer than the store's) stays.
	c3, err := contest.Parse("adm.yml", []byte(contestYAML("Three", start, end)))
	if err != nil {
		t.Fatal(err)
	}
	c3.Version = 3
	rules.Set([]*contest.Contest{c3, rules.Get("adm_new")})
	time.Sleep(200 * time.Millisecond) // several follow rounds
	if c := rules.Get("adm"); c.Version != 3 {
		t.Fatalf("a newer version in force was replaced by stored version %d", c.Version)
	}
}
