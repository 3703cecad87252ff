package aggregator_test

import (
	"bufio"
	"context"
	"fmt"
	"math/rand"
	"os"
	"os/exec"
	"strconv"
	"strings"
	"sync"
	"sync/atomic"
	"testing"
	"time"

	"github.com/prometheus/client_golang/prometheus"
	"github.com/redis/go-redis/v9"

	"github.com/rankstream/rankstream/aggregator"
	"github.com/rankstream/rankstream/contest"
	"github.com/rankstream/rankstream/internal/oracle"
	"github.com/rankstream/rankstream/readmodel"
	"github.com/rankstream/rankstream/streams"
)

// Environment of the scorer child process of the kill test.
const (
	envKillURL      = "RANKSTREAM_KILL_URL"
	envKillT0       = "RANKSTREAM_KILL_T0"
	envKillInstance = "RANKSTREAM_KILL_INSTANCE" // shared mode: the child's instance
)

const (
	killPartitions = 8
	killDedup      = 400 * time.Millisecond
)

// killParams are the kill test's load and kill counts; RANKSTREAM_SOAK_KILL
// (make soak-kill) makes them longer.
type killParams struct {
	kills     int
	rate      int // events per second
	usersN    int
	lifeMin   time.Duration
	lifeRange time.Duration
}

func killTestParams() killParams {
	// 8 kills (each kind twice) at 200 events/s: under -race on a loaded
	// machine a scorer replaying late letters does not keep up with more,
	// and every restart would start further behind.
	p := killParams{kills: 8, rate: 200, usersN: 150, lifeMin: 400 * time.Millisecond, lifeRange: 1500 * time.Millisecond}
	if n, err := strconv.Atoi(os.Getenv("RANKSTREAM_SOAK_KILL")); err == nil && n > 0 {
		p.kills, p.rate, p.usersN = n, 3000, 1000
	}
	return p
}

// TestKillHelperScorer is the scorer process the kill test SIGKILLs: not a
// test on its own (skipped without the environment).
func TestKillHelperScorer(t *testing.T) {
	url := os.Getenv(envKillURL)
	if url == "" {
		t.Skip("helper process of TestScorerSurvivesSIGKILL")
	}
	t0, err := time.Parse(time.RFC3339Nano, os.Getenv(envKillT0))
	if err != nil {
		t.Fatal(err)
	}
	ctx := context.Background()
	st, err := streams.Open(ctx, streams.Options{URL: url, Partitions: killPartitions, DedupWindow: killDedup}, testLogger())
	if err != nil {
		t.Fatal(err)
	}
	out := bufio.NewWriter(os.Stdout)
	var mu sync.Mutex
	mode := scorerMode{instance: os.Getenv(envKillInstance)}
	sc, err := aggregator.NewScorer(mode.options(aggregator.ScorerOptions{JS: st.JS, Rules: contest.NewRegistry(propertyContests(t, t0)),
		Partitions: killPartitions, CheckpointInterval: 250 * time.Millisecond, CheckpointEvery: 3000, FoldMargin: testFoldMargin,
		CheckpointHook: func(p int, covered uint64, stage string) {
			mu.Lock()
			fmt.Fprintf(out, "ckpt %s %d %d\n", stage, p, covered)
			out.Flush()
			mu.Unlock()
		},
		FoldHook: func(p, folded int) {
			mu.Lock()
			fmt.Fprintf(out, "fold %d %d\n", p, folded)
			out.Flush()
			mu.Unlock()
		}}), testLogger())
	if err != nil {
		t.Fatal(err)
	}
	go func() {
		// Shared mode: live once it scores every partition (the killed
		// process's leases expire first) and has caught up on them.
		for !sc.CaughtUp() || len(sc.Owned()) < killPartitions {
			time.Sleep(10 * time.Millisecond)
		}
		mu.Lock()
		fmt.Fprintln(out, "live")
		out.Flush()
		mu.Unlock()
	}()
	t.Fatal(sc.Run(ctx)) // runs until killed
}

// TestScorerSurvivesSIGKILL runs the scorer in a child process under a
// sustained load, SIGKILLs it at random moments (a third of the kills right
// after it starts writing a checkpoint), restarts it, and at the end checks
// the standings, the read model and the dead letters against the batch oracle.
func TestScorerSurvivesSIGKILL(t *testing.T) {
	if os.Getenv(envKillURL) != "" {
		t.Skip("inside the helper")
	}
	forModes(t, func(t *testing.T, m scorerMode) {
		scorerSurvivesSIGKILL(t, m)
	})
}

func scorerSurvivesSIGKILL(t *testing.T, mode scorerMode) {
	prm := killTestParams()
	ctx, cancel := context.WithTimeout(context.Background(), 10*time.Minute)
	defer cancel()
	t0 := time.Now().UTC()
	cs := propertyContests(t, t0)
	log := testLogger()
	st, err := streams.Open(ctx, streams.Options{Port: -1, StoreDir: t.TempDir(), Partitions: killPartitions, DedupWindow: killDedup}, log)
	if err != nil {
		t.Fatal(err)
	}
	p := &pipeline{t: t, st: st, contests: cs, rules: contest.NewRegistry(cs)}
	p.rdb = redis.NewClient(&redis.Options{Addr: "127.0.0.1:6379", DB: 13})
	p.prefix = fmt.Sprintf("rskill:%d:%d:", os.Getpid(), time.Now().UnixNano())
	p.reader = readmodel.NewReader(p.rdb, p.prefix)
	reg := prometheus.NewRegistry()
	m := aggregator.NewMetrics(reg)
	p.ranker, err = aggregator.NewRanker(aggregator.RankerOptions{JS: st.JS, Rules: p.rules,
		Sinks: []aggregator.Sink{readmodel.NewRankerSink(readmodel.NewWriter(p.rdb, p.prefix, log, reg))}, Tick: 50 * time.Millisecond, Metrics: m}, log)
	if err != nil {
		t.Fatal(err)
	}
	rctx, rcancel := context.WithCancel(ctx)
	var stages sync.WaitGroup
	stages.Add(1)
	go func() {
		defer stages.Done()
		if err := p.ranker.Run(rctx); err != nil && rctx.Err() == nil {
			t.Errorf("ranker: %v", err)
		}
	}()
	t.Cleanup(func() {
		rcancel()
		stages.Wait()
		if keys, err := p.rdb.Keys(context.Background(), p.prefix+"*").Result(); err == nil && len(keys) > 0 {
			p.rdb.Del(context.Background(), keys...)
		}
		p.rdb.Close()
		st.Close()
	})

	// Sustained load through the NATS door: valid, invalid, old events re-sent
	// after the duplicate window; p_late's window closes during the run.
	g := &gen{r: rand.New(rand.NewSource(7)), t0: t0}
	for i := 0; i < prm.usersN; i++ {
		g.users = append(g.users, fmt.Sprintf("u_%d", i))
	}
	var loadStop atomic.Bool
	loadDone := make(chan int)
	go func() {
		var sent []genEvent
		n := 0
		tick := time.NewTicker(10 * time.Millisecond)
		defer tick.Stop()
		for !loadStop.Load() {
			<-tick.C
			for i := 0; i < prm.rate/100; i++ {
				var e genEvent
				switch k := g.r.Intn(40); {
				case k == 0:
					e = g.invalid()
				case k < 3 && len(sent) > 100:
					e = sent[g.r.Intn(len(sent)-100)] // older than the dedup window
				default:
					e = g.event()
				}
				sent = append(sent, e)
				p.publishNATS(ctx, e.provider, e.user, e.id, e.body)
				n++
			}
		}
		loadDone <- n
	}()

	r := rand.New(rand.NewSource(time.Now().UnixNano()))
	duringWrite, afterFold := 0, 0
	var written atomic.Int64
	cover := newCkptCover(killPartitions)
	for k := 0; k < prm.kills; k++ {
		cmd := exec.CommandContext(ctx, os.Args[0], "-test.run=^TestKillHelperScorer$")
		cmd.Env = append(os.Environ(), envKillURL+"="+st.URL(), envKillT0+"="+t0.Format(time.RFC3339Nano))
		if mode.instance != "" { // a new process, a new instance: the killed one's leases expire
			cmd.Env = append(cmd.Env, envKillInstance+"="+mode.instance+"-"+strconv.Itoa(k))
		}
		cmd.Stderr = os.Stderr
		stdout, err := cmd.StdoutPipe()
		if err != nil {
			t.Fatal(err)
		}
		if err := cmd.Start(); err != nil {
			t.Fatal(err)
		}
		writes := make(chan struct{}, 1)
		folds := make(chan struct{}, 1)
		live := make(chan struct{})
		scanned := make(chan struct{})
		go func() {
			defer close(scanned)
			sc := bufio.NewScanner(stdout)
			for sc.Scan() {
				if sc.Text() == "live" {
					close(live)
				}
				if strings.HasPrefix(sc.Text(), "ckpt written") {
					written.Add(1)
					cover.add(sc.Text())
				}
				if strings.HasPrefix(sc.Text(), "fold ") {
					select {
					case folds <- struct{}{}:
					default:
					}
				}
				if strings.HasPrefix(sc.Text(), "ckpt write ") {
					select {
					case writes <- struct{}{}:
					default:
					}
				}
			}
		}()
		life := prm.lifeMin + time.Duration(r.Int63n(int64(prm.lifeRange)))
		waitLive := func() {
			select {
			case <-live:
			case <-time.After(90 * time.Second):
				t.Errorf("kill %d: the scorer did not catch up within 90s", k)
			}
		}
		switch k % 4 {
		case 0: // any moment, catch-up included
			<-time.After(life)
		case 1: // while a checkpoint is being written
			waitLive()
			select {
			case <-writes: // maybe stale
			default:
			}
			select {
			case <-writes:
				duringWrite++
			case <-time.After(10 * time.Second):
				t.Errorf("kill %d: no checkpoint write within 10s of going live", k)
			}
		case 2: // right after a fold
			waitLive()
			select {
			case <-folds: // maybe stale
			default:
			}
			select {
			case <-folds:
				afterFold++
			case <-time.After(10 * time.Second):
				t.Errorf("kill %d: no fold within 10s of going live", k)
			}
		default: // some time after catch-up
			waitLive()
			<-time.After(life / 2)
		}
		if k == prm.kills-1 && !cover.wait(90*time.Second) { // the final run restores every partition
			t.Errorf("partitions never checkpointed by a life: %v", cover.missing())
		}
		if err := cmd.Process.Kill(); err != nil { // SIGKILL
			t.Fatal(err)
		}
		<-scanned
		_ = cmd.Wait()
	}
	loadStop.Store(true)
	sentN := <-loadDone

	// The last run is in-process and not killed: it restores the checkpoints
	// the killed processes left and must end exactly at the oracle's result.
	p.scorer, err = aggregator.NewScorer(mode.options(aggregator.ScorerOptions{JS: st.JS, Rules: p.rules, Partitions: killPartitions,
		CheckpointInterval: 250 * time.Millisecond, Metrics: m, FoldMargin: testFoldMargin}), log)
	if err != nil {
		t.Fatal(err)
	}
	stages.Add(1)
	go func() {
		defer stages.Done()
		if err := p.scorer.Run(rctx); err != nil && rctx.Err() == nil {
			t.Errorf("scorer: %v", err)
		}
	}()
	p.waitSettled(ctx)
	if got := gaugeValue(t, reg, "rankstream_scorer_restored_partitions"); got != killPartitions {
		t.Errorf("the final run restored %v partitions from checkpoints, want all %d", got, killPartitions)
	}
	arr := p.arrivals(ctx)
	want := oracle.Compute(cs, arr, 30*time.Second)
	t.Logf("%d kills (%d right after a checkpoint write began, %d right after a fold), %d partition checkpoints written, %d events sent, %d in EVENTS, restored partitions %v",
		prm.kills, duringWrite, afterFold, written.Load(), sentN, len(arr), gaugeValue(t, reg, "rankstream_scorer_restored_partitions"))
	if written.Load() < int64(prm.kills) {
		t.Errorf("only %d partition checkpoints written by the killed processes", written.Load())
	}
	if want.Invalid == 0 || want.Late == 0 {
		t.Errorf("load produced invalid=%d late=%d; both must be > 0", want.Invalid, want.Late)
	}
	compareBoards(t, p, want)
	compareReadModel(ctx, t, p, want)
	checkDeadLetters(ctx, t, p, want)
}

func gaugeValue(t *testing.T, reg *prometheus.Registry, name string) float64 {
	t.Helper()
	mfs, err := reg.Gather()
	if err != nil {
		t.Fatal(err)
	}
	for _, mf := range mfs {
		if mf.GetName() == name && len(mf.GetMetric()) > 0 {
			return mf.GetMetric()[0].GetGauge().GetValue()
		}
	}
	return 0
}
