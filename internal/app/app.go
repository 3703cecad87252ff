// Package app wires rankstream's stages into one process: streams, ingest,
// aggregator (scorers + ranker), the read API and the operational endpoints.
// cmd/rankstream turns the config file into Options; tests use it in-process.
package app

import (
	"context"
	"crypto/rand"
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
	"github.com/nats-io/nats.go/jetstream"
	"github.com/prometheus/client_golang/prometheus"
	"github.com/prometheus/client_golang/prometheus/collectors"
	"github.com/redis/go-redis/v9"

	"github.com/rankstream/rankstream/admin"
	"github.com/rankstream/rankstream/aggregator"
	"github.com/rankstream/rankstream/contest"
	"github.com/rankstream/rankstream/etl"
	"github.com/rankstream/rankstream/internal/httpjson"
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
	// CatchupGCPercent and CatchupMemoryLimit: the GC target while a scorer
	// catches up and the soft memory limit bounding it (config
	// aggregator.catchup_gc_percent, aggregator.catchup_memory_limit_mb;
	// aggregator.ScorerOptions: 0 its defaults, a negative percent off).
	CatchupGCPercent   int
	CatchupMemoryLimit int64
	// BoardGroups shards the ranker's output over the processes (config
	// aggregator.board_groups, default 1: the "ranker" lease): a board
	// belongs to group hash(board) mod BoardGroups, each group is a lease
	// (aggregator/ranker_groups.go).
	BoardGroups int
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
	opts Options
	// base is the caller's logger, handed to the stages (each adds its
	// own component); log is the app's own (component app).
	base    *slog.Logger
	log     *slog.Logger
	Streams *streams.Streams
	Rules   *contest.Registry
	Scorer  *aggregator.Scorer
	Ranker  *aggregator.Ranker
	// Groups are the board-group leases of the ranker (nil unless
	// Options.Instance is set).
	Groups *aggregator.BoardGroups
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
	mux         *http.ServeMux
	lims        *limiters
	stages      map[string]bool
	instance    string
	leases      jetstream.JetStream // role leases' connection (leases.go)
	aggMetrics  *aggregator.Metrics // registered once (roleMetrics, leases.go)
	actionsSeen int64               // highest operator action ID applied (actions.go)
	// cleanup closes, last opened first, what the builders opened (build.go).
	cleanup cleanupStack
	// runs are the stages' Run functions, started by Start (build.go).
	runs []stageRun

	cancel   context.CancelFunc
	wg       sync.WaitGroup
	errc     chan error
	stopOnce sync.Once
}

// New validates opts, connects to everything and prepares the stages
// (build.go). On any error everything opened so far is closed again.
func New(ctx context.Context, opts Options, logger *slog.Logger) (*App, error) {
	a, err := newApp(opts, logger)
	if err != nil {
		return nil, err
	}
	if err := a.build(ctx, a.builders()); err != nil {
		return nil, err
	}
	return a, nil
}

// newApp fills the defaults of opts and checks the stage set.
func newApp(opts Options, logger *slog.Logger) (*App, error) {
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
	return &App{opts: opts, base: logger, log: logger.With("component", "app"), stages: stages, errc: make(chan error, 8)}, nil
}

// Addr is the HTTP address actually listened on.
func (a *App) Addr() string { return a.listener.Addr().String() }

// Start runs every stage in the background.
func (a *App) Start(ctx context.Context) {
	ctx, a.cancel = context.WithCancel(ctx)
	for _, r := range a.runs {
		a.goRun(r.name, func() error { return r.run(ctx) })
	}
	a.log.Info("rankstream running", "http", a.Addr(), "nats", a.Streams.SafeURL(), "stages", a.stageList(), "contests", len(a.Rules.All()))
}

// Run runs every stage until ctx ends or one stops with an error, then stops
// them all and closes what New opened. It returns that error (nil when ctx
// ended).
func (a *App) Run(ctx context.Context) error {
	a.Start(ctx)
	var err error
	select {
	case <-ctx.Done():
	case err = <-a.errc:
	}
	a.Stop()
	return err
}

func (a *App) goRun(name string, fn func() error) {
	a.wg.Add(1)
	go func() {
		defer a.wg.Done()
		if err := fn(); err != nil {
			a.log.Error("stage stopped", "stage", name, "err", err)
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

// Stop stops every stage and closes what New opened, last opened first.
// Safe to call twice.
func (a *App) Stop() {
	a.stopOnce.Do(func() {
		if a.cancel != nil {
			a.cancel()
		}
		if a.srv != nil {
			ctx, cancel := context.WithTimeout(context.Background(), 5*time.Second)
			_ = a.srv.Shutdown(ctx)
			cancel()
		}
		a.wg.Wait()
		a.cleanup.close()
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
