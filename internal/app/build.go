package app

import (
	"context"
	"fmt"
	"net"
	"net/http"
	"time"

	"github.com/prometheus/client_golang/prometheus/promhttp"
	"github.com/redis/go-redis/v9"

	"github.com/rankstream/rankstream/api"
	"github.com/rankstream/rankstream/contest"
	"github.com/rankstream/rankstream/ingest"
	"github.com/rankstream/rankstream/internal/httpjson"
	"github.com/rankstream/rankstream/streams"
)

// A process is built by a list of stage builders (builders), each doing one
// thing: it opens what its stage needs, pushes how to close it on the
// cleanup stack and adds the stage's Run to the runs. When a builder fails,
// build closes everything opened so far, last opened first, so New never
// leaks a connection, a pool, a listener or the embedded server; Stop closes
// the same stack after the stages ended.

// cleanupStack closes what the builders opened, last opened first.
type cleanupStack struct {
	fns []func()
}

// push adds fn to run at close.
func (c *cleanupStack) push(fn func()) { c.fns = append(c.fns, fn) }

// close runs every pushed fn, last first, once.
func (c *cleanupStack) close() {
	for i := len(c.fns) - 1; i >= 0; i-- {
		c.fns[i]()
	}
	c.fns = nil
}

// stageRun is a stage's blocking Run, started by App.Start.
type stageRun struct {
	name string
	run  func(ctx context.Context) error
}

// goStage adds a stage's Run to what Start starts.
func (a *App) goStage(name string, run func(ctx context.Context) error) {
	a.runs = append(a.runs, stageRun{name: name, run: run})
}

// builder prepares one part of the process.
type builder struct {
	name  string
	build func(ctx context.Context) error
}

// builders are the steps of New, in order.
func (a *App) builders() []builder {
	return []builder{
		{"rules", a.buildRules},
		{"live auth", func(context.Context) error { return a.prepareLive(&a.opts) }},
		{"streams", a.buildStreams},
		{"redis", a.buildRedis},
		{"http", a.buildMux},
		{"ingest", a.buildIngest},
		{"notifier", func(ctx context.Context) error { return a.newNotifier(ctx) }}, // before the ranker: its Watched hook
		{"aggregator", a.buildAggregator},
		{"snapshotter", func(context.Context) error { return a.newSnapshotter() }},
		{"etl", func(context.Context) error { return a.newETL() }},
		{"api", a.buildAPI},
		{"rewards", func(context.Context) error { return a.newRewards(a.mux) }},
		{"versions", a.buildFollow},
		{"listener", a.buildListener},
	}
}

// build runs the builders; on the first error it closes what they opened.
func (a *App) build(ctx context.Context, bs []builder) error {
	for _, b := range bs {
		if err := b.build(ctx); err != nil {
			a.log.Debug("build failed; closing what was opened", "step", b.name, "err", err)
			a.cleanup.close()
			return err
		}
	}
	return nil
}

// buildRules loads the contests, puts the stored versions over them
// (Postgres), the missions and the recorded operator actions.
func (a *App) buildRules(ctx context.Context) error {
	// Copies: Reconcile sets the stored version on each, and the caller's
	// contests may be shared with other processes of one test binary.
	var cs []*contest.Contest
	for _, c := range a.opts.Contests {
		cp := *c
		cs = append(cs, &cp)
	}
	if a.opts.Contests == nil && a.opts.ContestsDir != "" {
		var err error
		if cs, err = contest.LoadDir(a.opts.ContestsDir); err != nil {
			return fmt.Errorf("app: contests: %w", err)
		}
	}
	cs, err := a.openPostgres(ctx, cs)
	if err != nil {
		return err
	}
	a.Rules = contest.NewRegistry(cs)
	if err := a.loadMissions(a.opts); err != nil {
		return err
	}
	return a.loadActions(ctx)
}

func (a *App) buildStreams(ctx context.Context) error {
	st, err := streams.Open(ctx, a.opts.Streams, a.base)
	if err != nil {
		return err
	}
	a.Streams = st
	a.cleanup.push(st.Close)
	return nil
}

func (a *App) buildRedis(ctx context.Context) error {
	ropts, err := redis.ParseURL(a.opts.RedisURL)
	if err != nil {
		return fmt.Errorf("app: redis url: %w", err)
	}
	a.Redis = redis.NewClient(ropts)
	a.cleanup.push(func() { _ = a.Redis.Close() })
	if err := a.Redis.Ping(ctx).Err(); err != nil {
		return fmt.Errorf("app: redis %s: %w", a.opts.RedisURL, err)
	}
	return nil
}

// buildMux makes the HTTP routes every process serves and the limiters.
func (a *App) buildMux(context.Context) error {
	reg := a.opts.Registry
	a.mux = http.NewServeMux()
	a.mux.Handle("GET /metrics", promhttp.HandlerFor(reg, promhttp.HandlerOpts{Registry: reg}))
	a.mux.HandleFunc("GET /healthz", func(w http.ResponseWriter, r *http.Request) {
		httpjson.Write(w, http.StatusOK, map[string]any{"status": "ok"})
	})
	a.mux.HandleFunc("GET /readyz", a.readyz)
	a.mux.Handle("GET /openapi.yaml", api.Handler())
	lims, err := a.newLimiters()
	if err != nil {
		return err
	}
	a.lims = lims
	return nil
}

func (a *App) buildIngest(context.Context) error {
	if !a.stages[StageIngest] {
		return nil
	}
	h, err := ingest.NewHTTP(ingest.HTTPOptions{JS: a.Streams.JS, Providers: a.opts.Providers, MaxFutureSkew: a.opts.MaxFutureSkew,
		Limit: a.lims.ingestLimit()}, a.base, a.opts.Registry)
	if err != nil {
		return fmt.Errorf("app: ingest: %w", err)
	}
	a.mux.Handle("POST /v1/events", h)
	return nil
}

// buildFollow follows the contest versions and operator actions put
// through another process's admin API (actions.go).
func (a *App) buildFollow(ctx context.Context) error {
	if a.Versions == nil {
		return nil
	}
	a.goStage("versions", func(ctx context.Context) error {
		a.Versions.Follow(ctx, a.Rules, 0, a.base.With("component", "versions"))
		return nil
	})
	return a.followActions(ctx)
}

// buildListener listens on the HTTP address; the server is served by Start.
func (a *App) buildListener(context.Context) error {
	l, err := net.Listen("tcp", a.opts.HTTPAddr)
	if err != nil {
		return fmt.Errorf("app: listen %s: %w", a.opts.HTTPAddr, err)
	}
	a.listener = l
	a.cleanup.push(func() { _ = l.Close() })
	a.srv = &http.Server{Handler: a.lims.handler(a.mux), ReadHeaderTimeout: 10 * time.Second}
	if err := a.setupTLS(); err != nil {
		return err
	}
	a.goStage("http", func(context.Context) error {
		if err := a.serveHTTP(); err != nil && err != http.ErrServerClosed {
			return fmt.Errorf("app: http: %w", err)
		}
		return nil
	})
	return nil
}
