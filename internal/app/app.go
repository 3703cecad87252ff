// Package app wires rankstream's stages into one process: streams, ingest,
// aggregator (scorers + ranker), the read API and the operational endpoints.
// cmd/rankstream turns the config file into Options; tests use it in-process.
package app

import (
	"context"
	"crypto/rand"
	"errors"
	"fmt"
	"log/slog"
	"net"
	"net/http"
	"os"
	"sort"
	"strings"
	"sync"
	"time"

	"github.com/jackc/pgx/v5/pgxpool"
	"github.com/prometheus/client_golang/prometheus"
	"github.com/prometheus/client_golang/prometheus/collectors"
	"github.com/prometheus/client_golang/prometheus/promhttp"
	"github.com/redis/go-redis/v9"

	"github.com/rankstream/rankstream/admin"
	"github.com/rankstream/rankstream/aggregator"
	"github.com/rankstream/rankstream/api"
	"github.com/rankstream/rankstream/contest"
	"github.com/rankstream/rankstream/etl"
	"github.com/rankstream/rankstream/ingest"
	"github.com/rankstream/rankstream/internal/httpjson"
	"github.com/rankstream/rankstream/internal/pseudonym"
	"github.com/rankstream/rankstream/notifier"
	"github.com/rankstream/rankstream/query"
	"github.com/rankstream/rankstream/readmodel"
	"github.com/rankstream/rankstream/rewards"
	"github.com/rankstream/rankstream/snapshotter"
	"github.com/rankstream/rankstream/streams"
)

// Stages that --only can select.
const (
	StageIngest     = "ingest"
	StageAggregator = "aggregator"
	StageAPI        = "api"
	// StageSnapshotter writes snapshots to Postgres; it needs the aggregator.
	StageSnapshotter = "snapshotter"
)

// AllStages is every stage this build runs.
var AllStages = []string{StageIngest, StageAggregator, StageAPI, StageSnapshotter, StageNotifier, StageRewards, StageETL}

// Options of one rankstream process.
type Options struct {
	HTTPAddr      string
	Streams       streams.Options
	RedisURL      string
	RedisPrefix   string
	ContestsDir   string
	Contests      []*contest.Contest // used instead of ContestsDir when set
	MissionsDir   string             // mission files (missions.go)
	Missions      []*contest.Mission // used instead of MissionsDir when set
	Providers     map[string]string
	MaxFutureSkew time.Duration
	Only          []string // stages; empty = all
	Registry      *prometheus.Registry
	RankerTick    time.Duration
	// PostgresURL of the database of record (snapshots, contest versions);
	// empty: none of them.
	PostgresURL string
	// AdminToken authorises the admin API.
	AdminToken string
	// SnapshotInterval between snapshots of live boards (default 1h).
	SnapshotInterval time.Duration
	// Live configures accounts, tokens and the live push (live.go).
	Live LiveOptions
	// Instance, when set, makes the aggregator share its work with the other
	// processes on the same NATS (config aggregator.instance; "auto" makes
	// one up): partitions by lease, the read model, pushes and snapshots by
	// the "ranker" lease.
	Instance string
	// LeaseTTL of those leases (default 5s).
	LeaseTTL time.Duration
	// Limits of the HTTP doors (limits.go); zero: none. Security: perimeter.go.
	Limits Limits
	// TLS of the HTTP server (cert and key files); empty: plain HTTP.
	TLSCert, TLSKey string
	// MissionsStream the rewards stage consumes mission steps from
	// (default "MISSIONS"; "-": none).
	MissionsStream string
	// ClickHouseURL is the analytics database the etl stage loads; empty: no etl.
	ClickHouseURL string
	// FinishedWindows is retention.finished_windows: the state of a window
	// is released this long after its end + lateness (0: kept for ever).
	FinishedWindows time.Duration
	// PseudonymKey, when set, shows pseudonyms for user ids on public tops.
	PseudonymKey string
}

// App is a running process.
type App struct {
	opts    Options
	log     *slog.Logger
	Streams *streams.Streams
	Rules   *contest.Registry
	Scorer  *aggregator.Scorer
	Ranker  *aggregator.Ranker
	// Leader is the ranker lease (nil unless Options.Instance is set).
	Leader *aggregator.Leader
	Redis  *redis.Client
	// DB is the application's Postgres pool (role rankstream_app); nil
	// without a Postgres URL.
	DB          *pgxpool.Pool
	Versions    *admin.Store
	Snapshotter *snapshotter.Snapshotter
	Rewards     *rewards.Stage
	Live        *Live
	ETL         *etl.ETL
	etlLease    *aggregator.Leader
	listener    net.Listener
	srv         *http.Server
	stages      map[string]bool

	cancel   context.CancelFunc
	wg       sync.WaitGroup
	errc     chan error
	stopOnce sync.Once
}

// New validates opts, connects to everything and prepares the stages.
func New(ctx context.Context, opts Options, logger *slog.Logger) (*App, error) {
	if logger == nil {
		logger = slog.Default()
	}
	if opts.HTTPAddr == "" {
		opts.HTTPAddr = "127.0.0.1:8080"
	}
	if opts.Registry == nil {
		opts.Registry = prometheus.NewRegistry()
		opts.Registry.MustRegister(collectors.NewGoCollector(), collectors.NewProcessCollector(collectors.ProcessCollectorOpts{}))
	}
	stages, err := parseStages(opts.Only, opts)
	if err != nil {
		return nil, err
	}
	if len(opts.Only) == 0 {
		opts.Only = AllStages
	}
	a := &App{opts: opts, log: logger.With("component", "app"), stages: stages, errc: make(chan error, 8)}

	cs := opts.Contests
	if cs == nil && opts.ContestsDir != "" {
		cs, err = contest.LoadDir(opts.ContestsDir)
		if err != nil {
			return nil, fmt.Errorf("app: contests: %w", err)
		}
	}
	if cs, err = a.openPostgres(ctx, cs); err != nil {
		a.Stop()
		return nil, err
	}
	a.Rules = contest.NewRegistry(cs)
	if err := a.loadMissions(opts); err != nil {
		a.Stop()
		return nil, err
	}
	if err := a.loadActions(ctx); err != nil {
		a.Stop()
		return nil, err
	}

	if err := a.prepareLive(&opts); err != nil {
		a.Stop()
		return nil, err
	}
	st, err := streams.Open(ctx, opts.Streams, logger)
	if err != nil {
		return nil, err
	}
	a.Streams = st
	if err := a.newNotifier(ctx); err != nil {
		a.Stop()
		return nil, err
	}

	ropts, err := redis.ParseURL(opts.RedisURL)
	if err != nil {
		a.Stop()
		return nil, fmt.Errorf("app: redis url: %w", err)
	}
	a.Redis = redis.NewClient(ropts)
	if err := a.Redis.Ping(ctx).Err(); err != nil {
		a.Stop()
		return nil, fmt.Errorf("app: redis %s: %w", opts.RedisURL, err)
	}

	mux := http.NewServeMux()
	mux.Handle("GET /metrics", promhttp.HandlerFor(opts.Registry, promhttp.HandlerOpts{Registry: opts.Registry}))
	mux.HandleFunc("GET /healthz", func(w http.ResponseWriter, r *http.Request) {
		httpjson.Write(w, http.StatusOK, map[string]any{"status": "ok"})
	})
	mux.HandleFunc("GET /readyz", a.readyz)
	mux.Handle("GET /openapi.yaml", api.Handler())
	lims, err := a.newLimiters()
	if err != nil {
		a.Stop()
		return nil, err
	}

	if a.stages[StageIngest] {
		h, err := ingest.NewHTTP(ingest.HTTPOptions{JS: st.JS, Providers: opts.Providers, MaxFutureSkew: opts.MaxFutureSkew,
			Limit: lims.ingestLimit()}, logger, opts.Registry)
		if err != nil {
			a.Stop()
			return nil, fmt.Errorf("app: ingest: %w", err)
		}
		mux.Handle("POST /v1/events", h)
	}
	if a.stages[StageAggregator] {
		m := aggregator.NewMetrics(opts.Registry)
		instance := opts.Instance
		if instance == "auto" {
			instance = autoInstance()
		}
		a.Scorer, err = aggregator.NewScorer(aggregator.ScorerOptions{JS: st.JS, Rules: a.Rules,
			Partitions: st.Opts.Partitions, MaxFutureSkew: opts.MaxFutureSkew, Metrics: m, Replicas: st.Opts.Replicas,
			Instance: instance, LeaseTTL: opts.LeaseTTL, FinishedWindows: opts.FinishedWindows}, logger)
		if err != nil {
			a.Stop()
			return nil, err
		}
		if instance != "" {
			a.Leader, err = aggregator.NewLeader(aggregator.LeaderOptions{JS: st.JS, Name: "ranker", Instance: instance,
				TTL: opts.LeaseTTL, Replicas: st.Opts.Replicas, Metrics: m}, logger)
			if err != nil {
				a.Stop()
				return nil, err
			}
		}
		w := readmodel.NewWriter(a.Redis, opts.RedisPrefix, logger, opts.Registry)
		onTick, watched := a.rankerHooks()
		a.Ranker, err = aggregator.NewRanker(aggregator.RankerOptions{JS: st.JS, Rules: a.Rules, Writer: w,
			Tick: opts.RankerTick, Metrics: m, OnTick: onTick, Watched: watched, TopK: notifier.DeltaTopK, Leader: a.Leader,
			FinishedWindows: opts.FinishedWindows}, logger)
		if err != nil {
			a.Stop()
			return nil, err
		}
	}
	if err := a.newSnapshotter(); err != nil {
		a.Stop()
		return nil, err
	}
	if err := a.newETL(); err != nil {
		a.Stop()
		return nil, err
	}
	if a.stages[StageAPI] {
		if err := a.registerAdmin(mux); err != nil {
			a.Stop()
			return nil, err
		}
		q, err := query.New(query.Options{Reader: readmodel.NewReader(a.Redis, opts.RedisPrefix),
			Contests: a.Rules.All, Frozen: a.Rules.Frozen, ClosedAt: a.Rules.ClosedAt, Pseudonym: pseudonym.New(opts.PseudonymKey)}, logger, opts.Registry)
		if err != nil {
			a.Stop()
			return nil, fmt.Errorf("app: query: %w", err)
		}
		q.Register(mux)
		q.RegisterMissions(mux, a.missionOptions())
		if err := a.mountLive(ctx, mux); err != nil {
			a.Stop()
			return nil, err
		}
	}

	if err := a.newRewards(mux); err != nil {
		a.Stop()
		return nil, err
	}

	a.listener, err = net.Listen("tcp", opts.HTTPAddr)
	if err != nil {
		a.Stop()
		return nil, fmt.Errorf("app: listen %s: %w", opts.HTTPAddr, err)
	}
	a.srv = &http.Server{Handler: lims.handler(mux), ReadHeaderTimeout: 10 * time.Second}
	if err := a.setupTLS(); err != nil {
		a.Stop()
		return nil, err
	}
	return a, nil
}

// Addr is the HTTP address actually listened on.
func (a *App) Addr() string { return a.listener.Addr().String() }

// Start runs every stage in the background.
func (a *App) Start(ctx context.Context) {
	ctx, a.cancel = context.WithCancel(ctx)
	a.goRun(func() error {
		if err := a.serveHTTP(); err != nil && !errors.Is(err, http.ErrServerClosed) {
			return fmt.Errorf("app: http: %w", err)
		}
		return nil
	})
	if a.Scorer != nil {
		a.goRun(func() error { return a.Scorer.Run(ctx) })
		a.goRun(func() error { return a.Ranker.Run(ctx) })
		if a.Leader != nil {
			a.goRun(func() error { return a.Leader.Run(ctx) })
		}
	}
	if a.Snapshotter != nil {
		a.goRun(func() error { return a.Snapshotter.Run(ctx) })
	}
	if a.Versions != nil { // versions put through another process's admin API
		a.goRun(func() error { a.Versions.Follow(ctx, a.Rules, 0, a.log); return nil })
	}
	a.startLive(ctx)
	a.startRewards(ctx)
	a.startETL(ctx)
	a.log.Info("rankstream running", "http", a.Addr(), "nats", a.Streams.SafeURL(), "stages", a.stageList(), "contests", len(a.Rules.All()))
}

func (a *App) goRun(fn func() error) {
	a.wg.Add(1)
	go func() {
		defer a.wg.Done()
		if err := fn(); err != nil {
			a.log.Error("stage stopped", "err", err)
			select {
			case a.errc <- err:
			default:
			}
		}
	}()
}

// Err delivers the first error of a stage that stopped unexpectedly.
func (a *App) Err() <-chan error { return a.errc }

func (a *App) stageList() string {
	var s []string
	for k := range a.stages {
		s = append(s, k)
	}
	sort.Strings(s)
	return strings.Join(s, ",")
}

// Ready reports /readyz: streams exist and, when the aggregator runs here,
// boards are loaded and the scorer has caught up.
func (a *App) Ready() (bool, string) {
	if a.Streams == nil || a.Streams.NC == nil || !a.Streams.NC.IsConnected() {
		return false, "nats not connected"
	}
	if a.Scorer != nil && !a.Scorer.CaughtUp() {
		return false, "scorer catching up"
	}
	if a.Ranker != nil && !a.Ranker.Ready() {
		return false, "boards loading"
	}
	return true, "ready"
}

func (a *App) readyz(w http.ResponseWriter, r *http.Request) {
	ok, why := a.Ready()
	code := http.StatusOK
	if ok {
		ctx, cancel := context.WithTimeout(r.Context(), 2*time.Second)
		defer cancel()
		if _, err := a.Streams.JS.Stream(ctx, streams.Events); err != nil {
			ok, why, code = false, "events stream: "+err.Error(), http.StatusServiceUnavailable
		}
	} else {
		code = http.StatusServiceUnavailable
	}
	httpjson.Write(w, code, map[string]any{"ready": ok, "status": why})
}

// Stop stops every stage and closes connections. Safe to call twice.
func (a *App) Stop() {
	a.stopOnce.Do(func() {
		if a.cancel != nil {
			a.cancel()
		}
		if a.srv != nil {
			ctx, cancel := context.WithTimeout(context.Background(), 5*time.Second)
			_ = a.srv.Shutdown(ctx)
			cancel()
		} else if a.listener != nil {
			_ = a.listener.Close()
		}
		a.wg.Wait()
		a.closeLive()
		if a.Redis != nil {
			_ = a.Redis.Close()
		}
		if a.DB != nil {
			a.DB.Close()
		}
		if a.Streams != nil {
			a.Streams.Close()
		}
	})
}

// autoInstance names this process: host, pid and a random suffix (a
// restarted process is a new member; its old leases expire).
func autoInstance() string {
	host, _ := os.Hostname()
	host = strings.Map(func(r rune) rune {
		if r >= 'a' && r <= 'z' || r >= 'A' && r <= 'Z' || r >= '0' && r <= '9' || r == '-' || r == '_' {
			return r
		}
		return '-'
	}, host)
	if len(host) > 32 {
		host = host[:32]
	}
	var b [3]byte
	_, _ = rand.Read(b[:])
	return fmt.Sprintf("%s-%d-%x", host, os.Getpid(), b)
}

func contains(list []string, s string) bool {
	for _, x := range list {
		if x == s {
			return true
		}
	}
	return false
}
