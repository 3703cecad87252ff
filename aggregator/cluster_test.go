package aggregator_test

import (
	"context"
	"fmt"
	"math/rand"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/nats-io/nats.go"

	"github.com/rankstream/rankstream/aggregator"
	"github.com/rankstream/rankstream/contest"
	"github.com/rankstream/rankstream/internal/natstest"
	"github.com/rankstream/rankstream/internal/oracle"
	"github.com/rankstream/rankstream/streams"
)

// TestClusterR3NodeLoss: three clustered nodes, R3 streams, the scorer and a
// load running; one node stops mid-load. Every acknowledged event is in
// EVENTS once and the standings equal the batch recomputation.
func TestClusterR3NodeLoss(t *testing.T) {
	if testing.Short() {
		t.Skip("starts a three-node cluster")
	}
	forModes(t, func(t *testing.T, m scorerMode) {
		clusterR3NodeLoss(t, m)
	})
}

func clusterR3NodeLoss(t *testing.T, mode scorerMode) {
	ctx, cancel := context.WithTimeout(context.Background(), 4*time.Minute)
	defer cancel()
	nodes := natstest.StartCluster(t, 3)
	var urls []string
	for _, ns := range nodes {
		urls = append(urls, ns.ClientURL())
	}
	url := strings.Join(urls, ",")
	t0 := time.Now().UTC()
	cs := propertyContests(t, t0)[:4] // p_late's closing is not what this test is about
	log := testLogger()
	sopts := streams.Options{URL: url, Partitions: killPartitions, Replicas: 3}
	st, err := streams.Open(ctx, sopts, log)
	if err != nil {
		t.Fatal(err)
	}
	defer st.Close()
	rules := contest.NewRegistry(cs)
	p := &pipeline{t: t, st: st, contests: cs, rules: rules}
	p.scorer, err = aggregator.NewScorer(mode.options(aggregator.ScorerOptions{JS: st.JS, Rules: rules, Partitions: killPartitions,
		Replicas: 3, CheckpointInterval: 300 * time.Millisecond}), log)
	if err != nil {
		t.Fatal(err)
	}
	p.ranker, err = aggregator.NewRanker(aggregator.RankerOptions{JS: st.JS, Rules: rules, Tick: 50 * time.Millisecond}, log)
	if err != nil {
		t.Fatal(err)
	}
	sctx, scancel := context.WithCancel(ctx)
	var wg sync.WaitGroup
	for _, run := range []func(context.Context) error{p.scorer.Run, p.ranker.Run} {
		wg.Add(1)
		go func() {
			defer wg.Done()
			if err := run(sctx); err != nil && sctx.Err() == nil {
				t.Errorf("stage: %v", err)
			}
		}()
	}
	defer func() { scancel(); wg.Wait() }()

	// The load: its own connection, each event retried with the same
	// Nats-Msg-Id until acknowledged (what a provider does).
	pub, err := nats.Connect(url, nats.MaxReconnects(-1), nats.ReconnectWait(100*time.Millisecond))
	if err != nil {
		t.Fatal(err)
	}
	defer pub.Close()
	pjs, err := pub.JetStream()
	if err != nil {
		t.Fatal(err)
	}
	g := &gen{r: rand.New(rand.NewSource(5)), t0: t0}
	for i := 0; i < 80; i++ {
		g.users = append(g.users, fmt.Sprintf("u_%d", i))
	}
	acked := map[string]bool{}
	retries := 0
	const total, batch = 4000, 100
	for i := 0; i < total; i += batch {
		if i == total/2 {
			// Stop the node the scorer is connected to (or, failing that, node 3).
			victim := nodes[2]
			for _, ns := range nodes {
				if ns.ClientURL() == st.NC.ConnectedUrl() {
					victim = ns
				}
			}
			t.Logf("stopping %s mid-load", victim.Name())
			victim.Shutdown()
		}
		var msgs []*nats.Msg
		for k := 0; k < batch; k++ {
			e := g.event()
			m := nats.NewMsg("events." + e.provider + "." + e.user)
			m.Data = e.body
			m.Header.Set(nats.MsgIdHdr, e.id)
			msgs = append(msgs, m)
		}
		for attempt := 0; len(msgs) > 0; attempt++ {
			if attempt > 100 {
				t.Fatalf("%d events not acknowledged after %d attempts", len(msgs), attempt)
			}
			futs := make([]nats.PubAckFuture, len(msgs))
			for k, m := range msgs {
				futs[k], _ = pjs.PublishMsgAsync(m)
			}
			var failed []*nats.Msg
			for k, f := range futs {
				if f == nil {
					failed = append(failed, msgs[k])
					continue
				}
				select {
				case <-f.Ok():
					acked[msgs[k].Header.Get(nats.MsgIdHdr)] = true
				case <-f.Err():
					failed = append(failed, msgs[k])
				case <-time.After(5 * time.Second):
					failed = append(failed, msgs[k])
				}
			}
			if len(failed) > 0 {
				retries += len(failed)
				time.Sleep(100 * time.Millisecond)
			}
			msgs = failed
		}
	}
	settle(ctx, t, p)
	arr := p.arrivals(ctx)
	inStream := map[string]int{}
	for _, a := range arr {
		if id := eventID(a.Raw); id != "" {
			inStream[id]++
		}
	}
	for id := range acked {
		if inStream[id] != 1 {
			t.Errorf("acknowledged event %s is %d times in EVENTS", id, inStream[id])
		}
	}
	want := oracle.Compute(cs, arr, 30*time.Second)
	// A standing whose SCORES ack was lost with the node is republished
	// when its checkpoint round gives up waiting: poll until equal.
	for deadline := time.Now().Add(30 * time.Second); time.Now().Before(deadline) && !boardsEqual(p, want); {
		time.Sleep(100 * time.Millisecond)
	}
	t.Logf("%d events acknowledged (%d publish retries), %d in EVENTS", len(acked), retries, len(arr))
	if sc, err := st.JS.Stream(ctx, streams.Scores); err == nil {
		if si, err := sc.Info(ctx); err == nil {
			t.Logf("SCORES last seq %d msgs %d; ranker processed %d; scorer processed %d", si.State.LastSeq, si.State.Msgs, p.ranker.Processed(), p.scorer.Processed())
		}
	}
	compareBoards(t, p, want)
	if t.Failed() {
		diagnoseMissing(ctx, t, p, want)
	}
	counted := 0
	for _, rows := range want.Boards {
		for _, r := range rows {
			counted += int(r.Rounds)
		}
	}
	if counted == 0 {
		t.Fatal("nothing counted")
	}
}

func eventID(raw []byte) string {
	const key = `"event_id":"`
	s := string(raw)
	i := strings.Index(s, key)
	if i < 0 {
		return ""
	}
	s = s[i+len(key):]
	return s[:strings.IndexByte(s, '"')]
}

// settle is waitSettled with a report of what did not settle.
func settle(ctx context.Context, t *testing.T, p *pipeline) {
	t.Helper()
	var evLast, scLast uint64
	deadline := time.Now().Add(60 * time.Second)
	for time.Now().Before(deadline) {
		ev, err1 := p.st.JS.Stream(ctx, streams.Events)
		sc, err2 := p.st.JS.Stream(ctx, streams.Scores)
		if err1 == nil && err2 == nil {
			ei, _ := ev.Info(ctx)
			si, _ := sc.Info(ctx)
			if ei != nil && si != nil {
				evLast, scLast = ei.State.LastSeq, si.State.LastSeq
				if p.scorer.CaughtUp() && scorerUpToDate(ctx, p.scorer) && p.ranker.Ready() && p.ranker.Processed() >= scLast {
					time.Sleep(300 * time.Millisecond)
					si2, _ := sc.Info(ctx)
					if si2 != nil && si2.State.LastSeq == scLast && p.ranker.Processed() >= scLast {
						return
					}
				}
			}
		}
		time.Sleep(50 * time.Millisecond)
	}
	t.Fatalf("not settled within 60s: scorer caught up %v processed %d of EVENTS %d; ranker ready %v processed %d of SCORES %d",
		p.scorer.CaughtUp(), p.scorer.Processed(), evLast, p.ranker.Ready(), p.ranker.Processed(), scLast)
}

// diagnoseMissing tells, for users the oracle has on a board and the ranker
// has not, whether SCORES holds a standing for them.
func diagnoseMissing(ctx context.Context, t *testing.T, p *pipeline, want oracle.Result) {
	sc, err := p.st.JS.Stream(ctx, streams.Scores)
	if err != nil {
		return
	}
	n := 0
	for id, rows := range want.Boards {
		have := map[string]bool{}
		for _, r := range p.ranker.Board(contest.BoardID{Contest: id.Contest, Window: id.Window, Division: id.Division}) {
			have[r.User] = true
		}
		for _, r := range rows {
			if have[r.User] || n >= 8 {
				continue
			}
			n++
			subj := streams.ScoreSubject(1, 0, id.Contest, id.Window, id.Division, r.User)
			m, err := sc.GetLastMsgForSubject(ctx, subj)
			if err != nil {
				t.Logf("missing %s: SCORES has nothing (%v)", subj, err)
				continue
			}
			t.Logf("missing %s: SCORES seq %d at %s, %d bytes, flags %x", subj, m.Sequence, m.Time.Format(time.RFC3339Nano), len(m.Data), m.Data[0])
		}
	}
}
