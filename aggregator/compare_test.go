package aggregator_test

import (
	"context"
	"fmt"
	"sort"
	"strings"
	"testing"
	"time"

	"github.com/rankstream/rankstream/contest"
	"github.com/rankstream/rankstream/internal/oracle"
	"github.com/rankstream/rankstream/streams"
)

// Comparisons of the pipeline with the batch oracle (property, kill,
// cluster and failover tests).

func boardKey(id oracle.BoardID) string {
	return fmt.Sprintf("%s/%d/%s", id.Contest, id.Window, id.Division)
}

func compareBoards(t *testing.T, p *pipeline, want oracle.Result) {
	t.Helper()
	compareBoardsAtLeast(t, p, want, 100)
}

// compareBoardsAtLeast compares every board position by position and fails
// when fewer than minPositions positions were compared.
func compareBoardsAtLeast(t *testing.T, p *pipeline, want oracle.Result, minPositions int) {
	t.Helper()
	got := map[string]bool{}
	for _, id := range p.ranker.BoardIDs() {
		got[boardKey(oracle.BoardID{Contest: id.Contest, Window: id.Window, Division: id.Division})] = true
	}
	var ids []oracle.BoardID
	for id := range want.Boards {
		ids = append(ids, id)
		if !got[boardKey(id)] {
			t.Errorf("board %s missing from the pipeline", boardKey(id))
		}
		delete(got, boardKey(id))
	}
	for k := range got {
		t.Errorf("pipeline has board %s the oracle has not", k)
	}
	sort.Slice(ids, func(i, j int) bool { return boardKey(ids[i]) < boardKey(ids[j]) })
	checked := 0
	for _, id := range ids {
		exp := want.Boards[id]
		rows := p.ranker.Board(contest.BoardID{Contest: id.Contest, Window: id.Window, Division: id.Division})
		if len(rows) != len(exp) {
			t.Errorf("board %s: %d users, want %d", boardKey(id), len(rows), len(exp))
			continue
		}
		for i := range exp {
			g, w := rows[i], exp[i]
			if g.Pos != w.Pos || g.User != w.User || g.Standing.Score != w.Score || g.Standing.Rounds != w.Rounds ||
				g.Standing.MaxMult != w.MaxMultiplier || g.Standing.Finish != w.Finish {
				t.Errorf("board %s pos %d: got %s score=%d rounds=%d mult=%v fin=%d, want %s score=%d rounds=%d mult=%v fin=%d",
					boardKey(id), w.Pos, g.User, g.Standing.Score, g.Standing.Rounds, g.Standing.MaxMult, g.Standing.Finish,
					w.User, w.Score, w.Rounds, w.MaxMultiplier, w.Finish)
				break
			}
			checked++
		}
	}
	if checked < minPositions {
		t.Errorf("only %d positions compared; traffic too thin", checked)
	}
	t.Logf("%d boards, %d positions equal to the batch recomputation (late=%d invalid=%d)", len(ids), checked, want.Late, want.Invalid)
}

// compareReadModel checks what the query API would serve: the Redis boards.
func compareReadModel(ctx context.Context, t *testing.T, p *pipeline, want oracle.Result) {
	t.Helper()
	for id, exp := range want.Boards {
		rid := contest.BoardID{Contest: id.Contest, Window: id.Window, Division: id.Division}
		deadline := time.Now().Add(5 * time.Second)
		for {
			rows, total, _, err := p.reader.Top(ctx, rid, 0, 1000)
			if err != nil {
				t.Fatalf("read model %s: %v", boardKey(id), err)
			}
			ok := int(total) == len(exp) && len(rows) == len(exp)
			for i := 0; ok && i < len(exp); i++ {
				ok = rows[i].User == exp[i].User && rows[i].Score == exp[i].Score && rows[i].Pos == exp[i].Pos
			}
			if ok {
				break
			}
			if time.Now().After(deadline) {
				t.Errorf("read model board %s differs from the oracle (total %d, want %d)", boardKey(id), total, len(exp))
				break
			}
			time.Sleep(20 * time.Millisecond)
		}
	}
}

func checkDeadLetters(ctx context.Context, t *testing.T, p *pipeline, want oracle.Result) {
	t.Helper()
	for _, x := range []struct {
		stream string
		want   int
	}{{streams.DLQInvalid, want.Invalid}, {streams.DLQLate, want.Late}} {
		s, err := p.st.JS.Stream(ctx, x.stream)
		if err != nil {
			t.Fatal(err)
		}
		info, _ := s.Info(ctx)
		// The oracle does not see the two garbage messages' subjects differently;
		// every invalid arrival is one dead letter.
		if int(info.State.Msgs) != x.want {
			t.Errorf("%s holds %d messages, oracle counts %d", x.stream, info.State.Msgs, x.want)
		}
		if x.stream == streams.DLQInvalid && info.State.Msgs > 0 {
			m, err := s.GetMsg(ctx, info.State.FirstSeq)
			if err != nil {
				t.Fatal(err)
			}
			if m.Header.Get(streams.HeaderReason) == "" || !strings.Contains(m.Header.Get(streams.HeaderError), ":") {
				t.Errorf("dead letter without reason: %v", m.Header)
			}
		}
	}
}
