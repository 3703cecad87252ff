package aggregator

import (
	"fmt"
	"testing"
	"time"

	"github.com/rankstream/rankstream/contest"
	"github.com/rankstream/rankstream/internal/testkit"
)

// TestRankerDropsStaleStandings: NATS buffers publishes across a reconnect,
// so a scorer cut off from the cluster can deliver standings after the new
// lease holder's. The ranker keeps, per board and user, the standing of the
// latest event (ScoreMsg.SrcSeq): an older one is dropped, also after a
// removal; one of the same event (a re-score) and one without a sequence (a
// republished standing) are applied.
func TestRankerDropsStaleStandings(t *testing.T) {
	js := scoresOnly(t)
	ctx := t.Context()
	c, board, _ := upgradeContest(t)
	r, _ := runUpgradeRanker(t, js, contest.NewRegistry([]*contest.Contest{c}), nil)
	pub := func(user string, score int64, removed bool, src uint64) {
		t.Helper()
		sm := ScoreMsg{Standing: contest.Standing{Score: score, Rounds: 1}, Removed: removed, SrcSeq: src, EventTime: time.Now()}
		ack, err := js.Publish(ctx, scoreSubject(1, board, user), sm.encode(nil))
		if err != nil {
			t.Fatal(err)
		}
		// SCORES keeps one message per subject: the ranker reads each
		// before the next of the same user replaces it, as a live ranker
		// does (a ranker loading the stream later sees only the last).
		testkit.Eventually(t, 10*time.Second, func() error {
			if p := r.Processed(); p < ack.Sequence {
				return fmt.Errorf("ranker at %d, published %d", p, ack.Sequence)
			}
			return nil
		})
	}
	pub("u1", 10, false, 100) // the new lease holder's
	pub("u2", 20, false, 50)
	pub("u1", 50, false, 90) // the cut-off scorer's, older: dropped
	if err := wantRows(r, board, "u2=20", "u1=10"); err != nil {
		t.Fatal(err)
	}
	pub("u2", 0, true, 60)   // removed
	pub("u2", 99, false, 55) // older than the removal: dropped
	pub("u3", 7, false, 0)   // republished without a sequence: applied
	pub("u1", 12, false, 100)
	pub("u4", 1, false, 200) // the last one: all before it are applied
	testkit.Eventually(t, 10*time.Second, func() error { return wantRows(r, board, "u1=12", "u3=7", "u4=1") })
	if n := r.StaleScores(); n != 2 {
		t.Fatalf("stale standings counted %v, want 2", n)
	}
	pub("u2", 30, false, 201) // a later event brings the removed user back
	pub("u3", 8, false, 1)    // the first sequenced standing of u3
	testkit.Eventually(t, 10*time.Second, func() error { return wantRows(r, board, "u2=30", "u1=12", "u3=8", "u4=1") })
}
