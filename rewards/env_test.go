package rewards

import (
	"context"
	"encoding/json"
	"fmt"
	"testing"
	"time"

	"github.com/jackc/pgx/v5/pgxpool"
	"github.com/nats-io/nats.go/jetstream"

	"github.com/rankstream/rankstream/aggregator"
	"github.com/rankstream/rankstream/contest"
	"github.com/rankstream/rankstream/internal/db"
	"github.com/rankstream/rankstream/internal/testkit"
	"github.com/rankstream/rankstream/snapshotter"
	"github.com/rankstream/rankstream/streams"
)

// env is a real Postgres database (migrated, app role) and an embedded
// NATS server with rankstream's streams.
type env struct {
	dsn  string
	pool *pgxpool.Pool
	st   *streams.Streams
}

func newEnv(t *testing.T) *env {
	t.Helper()
	ctx, cancel := context.WithTimeout(context.Background(), time.Minute)
	defer cancel()
	dsn := testkit.Postgres(t)
	pool, err := db.Open(ctx, dsn, nil)
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(pool.Close)
	st, err := streams.Open(ctx, streams.Options{Port: -1, StoreDir: t.TempDir(), Partitions: 2}, nil)
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(st.Close)
	return &env{dsn: dsn, pool: pool, st: st}
}

// pool opens another application pool on the same database (another
// process's view).
func (e *env) newPool(t *testing.T) *pgxpool.Pool {
	t.Helper()
	p, err := db.OpenApp(context.Background(), e.dsn)
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(p.Close)
	return p
}

func (e *env) stage(t *testing.T, pool *pgxpool.Pool) *Stage {
	t.Helper()
	s, err := New(Options{Pool: pool, NC: e.st.NC, JS: e.st.JS, MissionsStream: "-", Poll: 50 * time.Millisecond}, nil, nil)
	if err != nil {
		t.Fatal(err)
	}
	return s
}

// putContest stores a contest version (as the admin store does) and
// returns it parsed.
func (e *env) putContest(t *testing.T, id, rewards string) *contest.Contest {
	t.Helper()
	body := fmt.Sprintf(`id: %s
title: T
window: {start: 2025-10-25T18:00:00Z, end: 2025-10-25T19:00:00Z}
scoring: {model: wager}
%s`, id, rewards)
	c, err := contest.Parse(id, []byte(body))
	if err != nil {
		t.Fatal(err)
	}
	if _, err := e.pool.Exec(context.Background(), `INSERT INTO contest_versions (contest_id, version, source, body, sha256)
		VALUES ($1, 1, 'file', $2, '\x00')`, id, []byte(body)); err != nil {
		t.Fatal(err)
	}
	return c
}

// finalSnapshot writes a final snapshot of board (contest, testWindow,
// division) with the given scores in position order.
func (e *env) finalSnapshot(t *testing.T, contestID, division string, scores []int64) snapshotter.Header {
	t.Helper()
	rows := make([]aggregator.Row, len(scores))
	for i, s := range scores {
		rows[i] = aggregator.Row{Pos: i + 1, User: fmt.Sprintf("u_%d", i+1), Standing: contest.Standing{Score: s, Finish: -1}}
	}
	snap := &snapshotter.Snapshot{Header: snapshotter.Header{Board: contest.BoardID{Contest: contestID, Window: testWindow.Unix(),
		Division: division}, WindowEnd: testWindow.Add(time.Hour), Kind: snapshotter.KindFinal, RuleVersion: 1}, Rows: rows}
	h, err := snapshotter.NewStore(e.pool).Write(context.Background(), snap)
	if err != nil {
		t.Fatal(err)
	}
	return h
}

// walletMsgs reads every message of the WALLET stream: count per
// Nats-Msg-Id, and the bodies.
func (e *env) walletMsgs(t *testing.T) (map[string]int, []Posting) {
	t.Helper()
	ctx, cancel := context.WithTimeout(context.Background(), 30*time.Second)
	defer cancel()
	str, err := e.st.JS.Stream(ctx, streams.Wallet)
	if err != nil {
		t.Fatal(err)
	}
	info, err := str.Info(ctx)
	if err != nil {
		t.Fatal(err)
	}
	ids := map[string]int{}
	var bodies []Posting
	for seq := info.State.FirstSeq; info.State.Msgs > 0 && seq <= info.State.LastSeq; seq++ {
		m, err := str.GetMsg(ctx, seq)
		if err != nil {
			t.Fatalf("get %d: %v", seq, err)
		}
		ids[m.Header.Get(jetstream.MsgIDHeader)]++
		var p Posting
		if err := jsonUnmarshal(m.Data, &p); err != nil {
			t.Fatal(err)
		}
		bodies = append(bodies, p)
	}
	return ids, bodies
}

// ledgerCheck asserts the ledger balances per transaction and overall and
// returns the number of grants.
func (e *env) ledgerCheck(t *testing.T) int {
	t.Helper()
	ctx := context.Background()
	var unbalanced, grants, postings int
	var total int64
	if err := e.pool.QueryRow(ctx, `SELECT count(*) FROM (SELECT reward_id FROM ledger_postings
		GROUP BY reward_id, currency HAVING sum(amount_minor) <> 0 OR count(*) <> 2) x`).Scan(&unbalanced); err != nil {
		t.Fatal(err)
	}
	if err := e.pool.QueryRow(ctx, `SELECT count(*), coalesce(sum(amount_minor), 0) FROM ledger_postings`).Scan(&postings, &total); err != nil {
		t.Fatal(err)
	}
	if err := e.pool.QueryRow(ctx, `SELECT count(*) FROM grants`).Scan(&grants); err != nil {
		t.Fatal(err)
	}
	if unbalanced != 0 || total != 0 || postings != 2*grants {
		t.Fatalf("ledger: %d unbalanced transactions, sum %d, %d postings for %d grants", unbalanced, total, postings, grants)
	}
	return grants
}

// eventually polls cond until it holds or the deadline passes
// (testkit.Eventually).
func eventually(t *testing.T, d time.Duration, what string, cond func() bool) {
	t.Helper()
	testkit.Eventually(t, d, func() error {
		if cond() {
			return nil
		}
		return fmt.Errorf("waiting for %s", what)
	})
}

func jsonUnmarshal(b []byte, v any) error { return json.Unmarshal(b, v) }

func fmtSlice(s []string) string { return fmt.Sprint(s) }
