package aggregator

import (
	"fmt"
	"testing"
	"time"

	"github.com/rankstream/rankstream/internal/testkit"
)

// With WatchedEvery, a watched user overtaken by others is not reported
// again before WatchedEvery has passed since their last report; then, on a
// board that went quiet, a ranks-only delta reports the rank they have
// now. Their own change is reported at once whatever the spacing.
func TestRankerSpacesOvertakenWatchedReports(t *testing.T) {
	const every = 3 * time.Second
	sink, pub := watchedRanker(t, every)
	// first waits for the first delta after the first n that reports user
	// and returns it.
	first := func(n int, user string) map[string]Rank {
		t.Helper()
		var got map[string]Rank
		testkit.Eventually(t, 10*time.Second, func() error {
			for _, d := range sink.since(n) {
				if _, in := d[user]; in {
					got = d
					return nil
				}
			}
			return fmt.Errorf("no delta with %s yet", user)
		})
		return got
	}
	// told is taken before w's first standing is published: the ranker
	// reports it at or after told, so every spacing measured from told is
	// at most the ranker's own (a time taken once the report arrived would
	// be late by the delivery and let a correct 3 s spacing look 2.995 s).
	told := time.Now()
	pub("w", 50)
	if w := first(0, "w")["w"]; w.Pos != 1 {
		t.Fatalf("first report of w: %+v", w)
	}
	n := sink.setFail(false)
	pub("a", 100)
	d := first(n, "a")
	if w, in := d["w"]; in && time.Since(told) < every {
		t.Fatalf("w overtaken %v after its last report was reported at once: %+v", time.Since(told), w)
	}
	// The board is quiet now: w's new place comes on its own, after the spacing.
	w := first(n, "w")["w"]
	if w.Pos != 2 || w.GapToNext == nil || *w.GapToNext != 50 {
		t.Fatalf("w after the spacing: %+v", w)
	}
	if since := time.Since(told); since < every {
		t.Fatalf("w reported again %v after its last report, spacing %v", since, every)
	}
	// w's own change is reported in the tick that applies it.
	n = sink.setFail(false)
	pub("a", 300)
	first(n, "a")
	n = sink.setFail(false)
	pub("w", 200)
	if w := first(n, "w")["w"]; w.Pos != 2 || w.Score != 200 {
		t.Fatalf("w's own change: %+v", w)
	}
}
