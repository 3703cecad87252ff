package aggregator_test

import (
	"context"
	"fmt"
	"math/rand"
	"sort"
	"sync"
	"sync/atomic"
	"testing"
	"time"

	"github.com/prometheus/client_golang/prometheus"

	"github.com/rankstream/rankstream/aggregator"
	"github.com/rankstream/rankstream/contest"
	"github.com/rankstream/rankstream/internal/oracle"
	"github.com/rankstream/rankstream/streams"
)

// scorerProc is one rankstream "process": its own NATS connection and
// scorer state, sharing the partitions through leases.
type scorerProc struct {
	name   string
	st     *streams.Streams
	sc     *aggregator.Scorer
	cancel context.CancelFunc
	done   chan struct{}
}

func startScorerProc(t *testing.T, url, name string, rules *contest.Registry) *scorerProc {
	t.Helper()
	ctx, cancel := context.WithCancel(context.Background())
	st, err := streams.Open(ctx, streams.Options{URL: url, Partitions: killPartitions, DedupWindow: killDedup, Name: name}, testLogger())
	if err != nil {
		t.Fatal(err)
	}
	sc, err := aggregator.NewScorer(aggregator.ScorerOptions{JS: st.JS, Rules: rules, Partitions: killPartitions,
		Instance: name, CheckpointInterval: 300 * time.Millisecond, Metrics: aggregator.NewMetrics(prometheus.NewRegistry())}, testLogger())
	if err != nil {
		t.Fatal(err)
	}
	sp := &scorerProc{name: name, st: st, sc: sc, cancel: cancel, done: make(chan struct{})}
	go func() {
		defer close(sp.done)
		if err := sc.Run(ctx); err != nil && ctx.Err() == nil {
			t.Errorf("%s: %v", name, err)
		}
	}()
	return sp
}

// crash drops the process's connection first (no lease is given back, no
// pending standing is flushed), then stops its goroutines.
func (sp *scorerProc) crash() {
	sp.st.NC.Close()
	sp.cancel()
	<-sp.done
	sp.st.Close()
}

func (sp *scorerProc) stop() {
	sp.cancel()
	<-sp.done
	sp.st.Close()
}

// waitOwned polls until the live processes own every partition exactly once
// and have caught up; it returns how long that took.
func waitOwned(t *testing.T, procs []*scorerProc, within time.Duration, cond func(owned map[string][]int) bool) time.Duration {
	t.Helper()
	start := time.Now()
	for time.Since(start) < within {
		owned := map[string][]int{}
		count := map[int]int{}
		caught := true
		for _, sp := range procs {
			o := sp.sc.Owned()
			owned[sp.name] = o
			for _, p := range o {
				count[p]++
			}
			caught = caught && sp.sc.CaughtUp()
		}
		ok := len(count) == killPartitions && caught
		for _, n := range count {
			ok = ok && n == 1
		}
		if ok && (cond == nil || cond(owned)) {
			return time.Since(start)
		}
		time.Sleep(50 * time.Millisecond)
	}
	t.Fatalf("partitions not shared among %d processes within %s", len(procs), within)
	return 0
}

// TestFailoverThreeProcesses: two processes share the partitions, a third
// joins and takes a share, one is killed mid-load and its partitions run
// elsewhere within 10 s; the standings equal the batch recomputation.
func TestFailoverThreeProcesses(t *testing.T) {
	ctx, cancel := context.WithTimeout(context.Background(), 5*time.Minute)
	defer cancel()
	t0 := time.Now().UTC()
	cs := propertyContests(t, t0)
	log := testLogger()
	st, err := streams.Open(ctx, streams.Options{Port: -1, StoreDir: t.TempDir(), Partitions: killPartitions, DedupWindow: killDedup}, log)
	if err != nil {
		t.Fatal(err)
	}
	defer st.Close()
	rules := contest.NewRegistry(cs)
	p := &pipeline{t: t, st: st, contests: cs, rules: rules}
	p.ranker, err = aggregator.NewRanker(aggregator.RankerOptions{JS: st.JS, Rules: rules, Tick: 50 * time.Millisecond}, log)
	if err != nil {
		t.Fatal(err)
	}
	rctx, rcancel := context.WithCancel(ctx)
	rdone := make(chan struct{})
	go func() {
		defer close(rdone)
		if err := p.ranker.Run(rctx); err != nil && rctx.Err() == nil {
			t.Errorf("ranker: %v", err)
		}
	}()
	defer func() { rcancel(); <-rdone }()

	var loadStop atomic.Bool
	var loadWG sync.WaitGroup
	loadWG.Add(1)
	go func() {
		defer loadWG.Done()
		g := &gen{r: rand.New(rand.NewSource(11)), t0: t0}
		for i := 0; i < 120; i++ {
			g.users = append(g.users, fmt.Sprintf("u_%d", i))
		}
		var sent []genEvent
		for !loadStop.Load() {
			for i := 0; i < 6; i++ {
				e := g.event()
				switch k := g.r.Intn(40); {
				case k == 0:
					e = g.invalid()
				case k < 3 && len(sent) > 100:
					e = sent[g.r.Intn(len(sent)-100)]
				}
				sent = append(sent, e)
				p.publishNATS(ctx, e.provider, e.user, e.id, e.body)
			}
			time.Sleep(10 * time.Millisecond)
		}
	}()

	a := startScorerProc(t, st.URL(), "proc-a", rules)
	b := startScorerProc(t, st.URL(), "proc-b", rules)
	defer a.stop()
	waitOwned(t, []*scorerProc{a, b}, 20*time.Second, func(o map[string][]int) bool {
		return len(o["proc-a"]) > 0 && len(o["proc-b"]) > 0
	})
	c := startScorerProc(t, st.URL(), "proc-c", rules)
	defer c.stop()
	joined := waitOwned(t, []*scorerProc{a, b, c}, 20*time.Second, func(o map[string][]int) bool {
		return len(o["proc-c"]) > 0 && len(o["proc-a"]) > 0 && len(o["proc-b"]) > 0
	})
	victim := b.sc.Owned()
	t.Logf("joined: proc-c took a share in %s (a=%v b=%v c=%v)", joined, a.sc.Owned(), victim, c.sc.Owned())
	time.Sleep(time.Second)
	b.crash()
	took := waitOwned(t, []*scorerProc{a, c}, 30*time.Second, nil)
	t.Logf("proc-b killed: its partitions %v run elsewhere (and caught up) after %s; a=%v c=%v", victim, took, a.sc.Owned(), c.sc.Owned())
	if took > 10*time.Second {
		t.Errorf("takeover took %s, want ≤ 10s", took)
	}
	time.Sleep(time.Second)
	loadStop.Store(true)
	loadWG.Wait()

	// Settle: the oracle's result is fixed now; poll until the ranker's
	// boards equal it (or the deadline), then assert position by position.
	arr := p.arrivals(ctx)
	want := oracle.Compute(cs, arr, 30*time.Second)
	deadline := time.Now().Add(60 * time.Second)
	for time.Now().Before(deadline) && !boardsEqual(p, want) {
		time.Sleep(100 * time.Millisecond)
	}
	compareBoards(t, p, want)
	checkDeadLetters(ctx, t, p, want)
}

func boardsEqual(p *pipeline, want oracle.Result) bool {
	ids := p.ranker.BoardIDs()
	if len(ids) != len(want.Boards) {
		return false
	}
	sort.Slice(ids, func(i, j int) bool { return ids[i].Contest < ids[j].Contest })
	for id, exp := range want.Boards {
		rows := p.ranker.Board(contest.BoardID{Contest: id.Contest, Window: id.Window, Division: id.Division})
		if len(rows) != len(exp) {
			return false
		}
		for i := range exp {
			g, w := rows[i], exp[i]
			if g.User != w.User || g.Standing.Score != w.Score || g.Standing.Rounds != w.Rounds ||
				g.Standing.MaxMult != w.MaxMultiplier || g.Standing.Finish != w.Finish {
				return false
			}
		}
	}
	return true
}
