package aggregator_test

import (
	"bufio"
	"encoding/hex"
	"math/rand"
	"os"
	"reflect"
	"strings"
	"testing"
	"time"

	"github.com/rankstream/rankstream/aggregator"
	"github.com/rankstream/rankstream/contest"
)

// goldenCheckpoints is written by the engine before windows were keyed by
// user and held compact when idle (main at 233f5e4, RSCK3), for the traffic
// of compatTraffic:
//
//	RANKSTREAM_WRITE_GOLDEN=1 go test ./aggregator -run TestCheckpointCompat
const goldenCheckpoints = "testdata/checkpoint_rsck3.hex"

// compatTraffic runs the engine over 40 users for 40s of stream time, then
// over 8 of them for 50s more (delay 30s): the other 32 users' long
// windows are idle (every candidate folded), the rest hold candidates.
func compatTraffic(t testing.TB, eng *aggregator.Engine, g *pruneTraffic) {
	t.Helper()
	for i := 0; i < 900; i++ {
		if i == 400 {
			g.users = 8
		}
		eng.Apply(g.next())
	}
}

func compatEngine(t testing.TB) (*aggregator.Engine, *contest.Registry, *pruneTraffic) {
	t0 := time.Date(2026, 1, 1, 0, 0, 0, 0, time.UTC)
	rules := contest.NewRegistry(pruneContests(t, t0, 30*time.Second))
	eng := aggregator.NewEngine(rules, 0)
	eng.SetPruning(aggregator.PruneOptions{FoldMargin: time.Second, FinishedWindows: 2 * time.Minute})
	g := &pruneTraffic{r: rand.New(rand.NewSource(11)), t0: t0, step: 100 * time.Millisecond, users: 40, delay: 30 * time.Second}
	return eng, rules, g
}

// Checkpoints written before this layout (RSCK3, same magic: the format is
// unchanged) restore to exactly the state the engine builds itself, same
// size, and the restored engine goes on alike; so does a round trip of the
// engine's own checkpoints.
func TestCheckpointCompat(t *testing.T) {
	live, rules, g := compatEngine(t)
	compatTraffic(t, live, g)
	seq := g.seq
	if os.Getenv("RANKSTREAM_WRITE_GOLDEN") != "" {
		var sb strings.Builder
		for p := 0; p < 4; p++ {
			sb.WriteString(hex.EncodeToString(live.MarshalPartition(nil, p, seq)) + "\n")
		}
		if err := os.WriteFile(goldenCheckpoints, []byte(sb.String()), 0o644); err != nil {
			t.Fatal(err)
		}
		return
	}
	golden := readGolden(t)
	old, own := aggregator.NewEngine(rules, 0), aggregator.NewEngine(rules, 0)
	for _, e := range []*aggregator.Engine{old, own} {
		e.SetPruning(aggregator.PruneOptions{FoldMargin: time.Second, FinishedWindows: 2 * time.Minute})
	}
	for p := 0; p < 4; p++ {
		mine := live.MarshalPartition(nil, p, seq)
		// Same layout; a fold of a contest without a daily cap no longer
		// writes a day pair (the old checkpoint's still loads), so it is
		// the old one's bytes or fewer.
		if len(mine) > len(golden[p]) || len(mine) < len(golden[p])*9/10 {
			t.Errorf("partition %d: checkpoint of %d bytes, the old layout wrote %d", p, len(mine), len(golden[p]))
		}
		if cov, err := old.RestorePartition(p, golden[p]); err != nil || cov != seq {
			t.Fatalf("partition %d: restore of the old checkpoint: covered %d, %v", p, cov, err)
		}
		if _, err := own.RestorePartition(p, mine); err != nil {
			t.Fatalf("partition %d: restore: %v", p, err)
		}
	}
	want := engineBoards(live)
	if len(want) == 0 {
		t.Fatal("no boards")
	}
	ws, ww, wc := live.StateSize()
	for name, e := range map[string]*aggregator.Engine{"old checkpoint": old, "own checkpoint": own} {
		if got := engineBoards(e); !reflect.DeepEqual(got, want) {
			t.Errorf("%s: restored boards differ from the engine's", name)
		}
		if s, w, c := e.StateSize(); s != ws || w != ww || c != wc {
			t.Errorf("%s: restored %d seen, %d windows, %d candidates; engine %d %d %d", name, s, w, c, ws, ww, wc)
		}
	}
	g.users = 40 // the idle users come back
	for i := 0; i < 600; i++ {
		se := g.next()
		live.Apply(se)
		old.Apply(se)
		own.Apply(se)
	}
	want = engineBoards(live)
	for name, e := range map[string]*aggregator.Engine{"old checkpoint": old, "own checkpoint": own} {
		if got := engineBoards(e); !reflect.DeepEqual(got, want) {
			t.Errorf("%s: after more traffic the boards differ from the engine's", name)
		}
	}
	t.Logf("%d boards, %d seen ids, %d windows, %d candidates at the checkpoint", len(want), ws, ww, wc)
}

func readGolden(t *testing.T) [][]byte {
	f, err := os.Open(goldenCheckpoints)
	if err != nil {
		t.Fatal(err)
	}
	defer f.Close()
	var out [][]byte
	sc := bufio.NewScanner(f)
	sc.Buffer(nil, 1<<24)
	for sc.Scan() {
		b, err := hex.DecodeString(sc.Text())
		if err != nil {
			t.Fatal(err)
		}
		out = append(out, b)
	}
	if len(out) != 4 {
		t.Fatalf("%s: %d checkpoints, want 4", goldenCheckpoints, len(out))
	}
	return out
}
