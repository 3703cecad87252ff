package aggregator_test

import (
	"context"
	"encoding/json"
	"log/slog"
	"net/http"
	"net/http/httptest"
	"testing"
	"time"

	"github.com/nats-io/nats.go"
	"github.com/nats-io/nats.go/jetstream"
	"github.com/prometheus/client_golang/prometheus"
	"github.com/redis/go-redis/v9"

	"github.com/rankstream/rankstream/aggregator"
	"github.com/rankstream/rankstream/contest"
	"github.com/rankstream/rankstream/ingest"
	"github.com/rankstream/rankstream/internal/oracle"
	"github.com/rankstream/rankstream/internal/testkit"
	"github.com/rankstream/rankstream/readmodel"
	"github.com/rankstream/rankstream/streams"
)

// pipeline is the real pipeline in-process: embedded nats-server, HTTP ingest,
// scorers, ranker, and the Redis read model (DB 13, own prefix).
type pipeline struct {
	t        *testing.T
	st       *streams.Streams
	rules    *contest.Registry
	scorer   *aggregator.Scorer
	ranker   *aggregator.Ranker
	rdb      *redis.Client
	reader   *readmodel.Reader
	prefix   string
	httpSrv  *httptest.Server
	secrets  map[string]string
	cancel   context.CancelFunc
	done     chan struct{}
	contests []*contest.Contest
	reg      *prometheus.Registry
}

func testLogger() *slog.Logger { return testkit.Logger() }

func mustParse(t *testing.T, name, yml string) *contest.Contest {
	t.Helper()
	c, err := contest.Parse(name, []byte(yml))
	if err != nil {
		t.Fatalf("contest %s: %v", name, err)
	}
	return c
}

// startPipeline starts the pipeline; finished, when given, is
// retention.finished_windows of the scorer and the ranker (it also makes the
// scorer checkpoint every 200ms).
func startPipeline(t *testing.T, cs []*contest.Contest, sopts streams.Options, finished ...time.Duration) *pipeline {
	t.Helper()
	return startPipelineMode(t, scorerModes[0], cs, sopts, finished...)
}

// startPipelineMode is startPipeline with the scorer in mode m.
func startPipelineMode(t *testing.T, m scorerMode, cs []*contest.Contest, sopts streams.Options, finished ...time.Duration) *pipeline {
	t.Helper()
	var retention, ckpt time.Duration
	if len(finished) > 0 {
		retention, ckpt = finished[0], 200*time.Millisecond
	}
	ctx, cancel := context.WithCancel(context.Background())
	if sopts.Port == 0 {
		sopts.Port = -1
	}
	if sopts.StoreDir == "" {
		sopts.StoreDir = t.TempDir()
	}
	log := testLogger()
	st, err := streams.Open(ctx, sopts, log)
	if err != nil {
		t.Fatal(err)
	}
	p := &pipeline{t: t, st: st, cancel: cancel, done: make(chan struct{}), contests: cs,
		secrets: map[string]string{"acme": "acme-secret", "beta": "beta-secret"}}
	p.rules = contest.NewRegistry(cs)
	p.rdb, p.prefix = testkit.Redis(t, "agg")
	p.reader = readmodel.NewReader(p.rdb, p.prefix)
	reg := prometheus.NewRegistry()
	metrics := aggregator.NewMetrics(reg)
	p.scorer, err = aggregator.NewScorer(m.options(aggregator.ScorerOptions{JS: st.JS, Rules: p.rules, Partitions: st.Opts.Partitions,
		Metrics: metrics, FoldMargin: testFoldMargin, FinishedWindows: retention, CheckpointInterval: ckpt}), log)
	if err != nil {
		t.Fatal(err)
	}
	w := readmodel.NewWriter(p.rdb, p.prefix, log, reg)
	p.ranker, err = aggregator.NewRanker(aggregator.RankerOptions{JS: st.JS, Rules: p.rules, Sinks: []aggregator.Sink{readmodel.NewRankerSink(w)}, Tick: 50 * time.Millisecond, Metrics: metrics,
		FinishedWindows: retention}, log)
	if err != nil {
		t.Fatal(err)
	}
	h, err := ingest.NewHTTP(ingest.HTTPOptions{JS: st.JS, Providers: p.secrets}, log, reg)
	if err != nil {
		t.Fatal(err)
	}
	p.httpSrv = httptest.NewServer(h)
	errc := make(chan error, 2)
	go func() { errc <- p.scorer.Run(ctx) }()
	go func() { errc <- p.ranker.Run(ctx) }()
	go func() {
		defer close(p.done)
		for i := 0; i < 2; i++ {
			if err := <-errc; err != nil && ctx.Err() == nil {
				t.Errorf("stage: %v", err)
			}
		}
	}()
	p.reg = reg
	t.Cleanup(p.stop)
	return p
}

func (p *pipeline) stop() {
	p.cancel()
	<-p.done
	p.httpSrv.Close()
	p.st.Close() // the Redis keys go with the test (testkit.Redis)
}

// publishNATS publishes through the NATS door as a provider would.
func (p *pipeline) publishNATS(ctx context.Context, provider, user, eventID string, body []byte) {
	p.t.Helper()
	m := nats.NewMsg("events." + provider + "." + user)
	m.Data = body
	if eventID != "" {
		m.Header.Set("Nats-Msg-Id", eventID)
	}
	if _, err := p.st.JS.PublishMsg(ctx, m); err != nil {
		p.t.Fatalf("publish: %v", err)
	}
}

// postHTTP sends a signed batch through the HTTP door.
func (p *pipeline) postHTTP(provider string, body []byte) (int, map[string]any) {
	p.t.Helper()
	req := testkit.SignedRequest(p.t, p.httpSrv.URL+"/v1/events", provider, p.secrets[provider], body)
	resp, err := http.DefaultClient.Do(req)
	if err != nil {
		p.t.Fatalf("post: %v", err)
	}
	defer resp.Body.Close()
	var out map[string]any
	_ = json.NewDecoder(resp.Body).Decode(&out)
	return resp.StatusCode, out
}

// waitSettled waits until the scorer has processed every event in the stream
// and the ranker every standing, and the read model has been written.
func (p *pipeline) waitSettled(ctx context.Context) {
	p.t.Helper()
	deadline := time.Now().Add(60 * time.Second)
	for time.Now().Before(deadline) {
		ev, err1 := p.st.JS.Stream(ctx, streams.Events)
		sc, err2 := p.st.JS.Stream(ctx, streams.Scores)
		if err1 == nil && err2 == nil {
			ei, _ := ev.Info(ctx)
			si, _ := sc.Info(ctx)
			if ei != nil && si != nil && p.scorer.CaughtUp() && p.ranker.Ready() &&
				scorerUpToDate(ctx, p.scorer) && p.ranker.Processed() >= si.State.LastSeq {
				// Scorers may still be flushing: confirm SCORES did not move.
				time.Sleep(150 * time.Millisecond)
				si2, _ := sc.Info(ctx)
				if si2 != nil && si2.State.LastSeq == si.State.LastSeq && p.ranker.Processed() >= si2.State.LastSeq {
					return
				}
			}
		}
		time.Sleep(20 * time.Millisecond)
	}
	p.t.Fatal("pipeline did not settle within 60s")
}

// arrivals reads the EVENTS stream back with JetStream timestamps: the input
// of the batch oracle is exactly what the stream holds.
func (p *pipeline) arrivals(ctx context.Context) []oracle.Arrival {
	p.t.Helper()
	s, err := p.st.JS.Stream(ctx, streams.Events)
	if err != nil {
		p.t.Fatal(err)
	}
	info, _ := s.Info(ctx)
	last := info.State.LastSeq
	cons, err := p.st.JS.OrderedConsumer(ctx, streams.Events, jetstream.OrderedConsumerConfig{})
	if err != nil {
		p.t.Fatal(err)
	}
	var out []oracle.Arrival
	// An empty fetch is not the end: on a cluster that just lost a node the
	// ordered consumer may be recreating itself. Read up to the last sequence.
	deadline := time.Now().Add(60 * time.Second)
	for time.Now().Before(deadline) {
		batch, err := cons.Fetch(1000, jetstream.FetchMaxWait(2*time.Second))
		if err != nil {
			time.Sleep(100 * time.Millisecond)
			continue
		}
		for m := range batch.Messages() {
			meta, _ := m.Metadata()
			_, prov, user, ok := streams.ParseEventSubject(m.Subject())
			subj := m.Subject()
			if ok {
				subj = "events." + prov + "." + user
			}
			out = append(out, oracle.Arrival{Raw: append([]byte(nil), m.Data()...), Subject: subj, Arrived: meta.Timestamp, Seq: meta.Sequence.Stream})
			if meta.Sequence.Stream >= last {
				return out
			}
		}
		if uint64(len(out)) >= info.State.Msgs {
			return out
		}
	}
	p.t.Fatalf("EVENTS read %d of %d messages (last seq %d) within 60s", len(out), info.State.Msgs, last)
	return out
}

// testFoldMargin lets the scorers of the tests fold p_fold's state within
// the test's run time.
const testFoldMargin = 100 * time.Millisecond
