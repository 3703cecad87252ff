package app

import (
	"context"
	"crypto/rand"
	"fmt"
	"net/http"
	"time"

	"github.com/jackc/pgx/v5/pgxpool"

	"github.com/rankstream/rankstream/aggregator"
	"github.com/rankstream/rankstream/auth"
	"github.com/rankstream/rankstream/gateway"
	"github.com/rankstream/rankstream/internal/pseudonym"
	"github.com/rankstream/rankstream/notifier"
	"github.com/rankstream/rankstream/readmodel"
	"github.com/rankstream/rankstream/streams"
	"github.com/rankstream/rankstream/web"
)

// StageNotifier publishes live ranks (lb.<contest>.top, lb.<contest>.user.<id>)
// from the RANKS feed of the rankers of every process.
const StageNotifier = "notifier"

// LiveOptions configure accounts, player tokens and the live push
// (CONTRACT.md §5, §6).
type LiveOptions struct {
	// JWTSecret signs player tokens (HS256). Empty: a random secret per
	// process (tokens die with it).
	JWTSecret string
	// JWTIssuer is the iss of issued tokens (default "rankstream").
	JWTIssuer string
	// JWTTTL is the lifetime of issued tokens (default 24h).
	JWTTTL time.Duration
	// JWTPublicKeyFile is an external issuer's public key (PEM); its tokens
	// are accepted too.
	JWTPublicKeyFile string
	// PushInterval is the least time between two messages of one live
	// subject (default 275ms: at most 4 a second).
	PushInterval time.Duration
	// NATSPlayerAuth makes the embedded nats-server authenticate connections
	// (config nats.auth: players): players with their JWT (subscribe
	// lb.*.top and their own subject only, publish nothing), operators with
	// the admin token, the app with a random token of its own, anonymous
	// connections as providers (publish events only). See docs/live-push.md.
	NATSPlayerAuth bool
	// WatchTTL is the life of a key of the shared watch bucket after its
	// last write (default streams.DefaultWatchTTL; docs/live-push.md).
	WatchTTL time.Duration
	// Interest, when set, is where the notifier learns who subscribes,
	// instead of the automatic choice of interestSource (tests that run
	// several processes in one binary point it at the server they share).
	Interest notifier.InterestSource
}

// Live holds the live-push parts of a process; nil parts do not run here.
type Live struct {
	Tokens   *auth.Tokens
	Notifier *notifier.Notifier
	Gateway  *gateway.Gateway
}

// prepareLive builds the token verifier and, when asked for, the embedded
// server's player authentication (before the server starts).
func (a *App) prepareLive(opts *Options) error {
	lo := opts.Live
	a.Live = &Live{}
	secret := []byte(lo.JWTSecret)
	if len(secret) == 0 {
		secret = make([]byte, 32)
		if _, err := rand.Read(secret); err != nil {
			return fmt.Errorf("app: jwt secret: %w", err)
		}
		a.log.Warn("no jwt.secret configured: tokens are signed with a random per-process secret")
	}
	to := auth.TokenOptions{Secret: secret, Issuer: lo.JWTIssuer, TTL: lo.JWTTTL}
	if lo.JWTPublicKeyFile != "" {
		k, err := auth.LoadPublicKey(lo.JWTPublicKeyFile)
		if err != nil {
			return fmt.Errorf("app: jwt.public_key_file: %w", err)
		}
		to.PublicKey = k
	}
	tk, err := auth.NewTokens(to)
	if err != nil {
		return fmt.Errorf("app: tokens: %w", err)
	}
	a.Live.Tokens = tk
	a.embeddedAuth(opts, tk)
	return nil
}

// newNotifier prepares the notifier stage. It is fed by the RANKS stream
// the rankers of every process publish to (aggregator/ranks_feed.go), so it
// runs in any process, with or without the aggregator.
func (a *App) newNotifier(ctx context.Context) error {
	if !a.stages[StageNotifier] {
		return nil
	}
	kv, err := streams.EnsureWatch(ctx, a.Streams.JS, a.opts.Live.WatchTTL, a.Streams.Opts.Replicas)
	if err != nil {
		return fmt.Errorf("app: notifier: %w", err)
	}
	notices, err := a.noticeOptions()
	if err != nil {
		return err
	}
	active, err := a.notifierLease()
	if err != nil {
		return err
	}
	n, err := notifier.New(notifier.Options{Publisher: a.Streams.NC, Interval: a.opts.Live.PushInterval,
		Interest: a.interestSource(), WatchKV: kv, WatchTTL: a.opts.Live.WatchTTL, Instance: a.watchInstance(),
		Pseudonym: pseudonym.New(a.opts.PseudonymKey), Notices: notices, Active: active}, a.base, a.opts.Registry)
	if err != nil {
		return fmt.Errorf("app: notifier: %w", err)
	}
	f, err := aggregator.NewRanksFollower(ctx, a.Streams.JS, a.Streams.Opts.Replicas, a.base)
	if err != nil {
		return fmt.Errorf("app: notifier feed: %w", err)
	}
	a.cleanup.push(f.Stop)
	a.Live.Notifier = n
	a.goStage("notifier", n.Run)
	feed := n.OnTick
	a.goStage("notifier feed", func(ctx context.Context) error { return f.Run(ctx, feed) })
	return nil
}

// mountLive adds the api stage's accounts, WebSocket and live page to mux.
func (a *App) mountLive(ctx context.Context, mux *http.ServeMux) error {
	if a.opts.PostgresURL == "" {
		a.log.Warn("no postgres url: no accounts (/v1/auth/register, /v1/auth/login)")
	} else {
		// Its own pool as the URL's user, who owns the schema: auth creates
		// its table itself (auth.Schema), independent of the migrations.
		pool, err := pgxpool.New(ctx, a.opts.PostgresURL)
		if err != nil {
			return fmt.Errorf("app: accounts database: %w", err)
		}
		a.cleanup.push(pool.Close)
		h, err := auth.New(auth.Options{DB: pool, Tokens: a.Live.Tokens}, a.base, a.opts.Registry)
		if err != nil {
			return fmt.Errorf("app: accounts: %w", err)
		}
		h.Mount(mux)
	}
	var watcher gateway.Watcher
	if a.Live.Notifier != nil {
		watcher = a.Live.Notifier
	}
	g, err := gateway.New(gateway.Options{Tokens: a.Live.Tokens, Reader: readmodel.NewReader(a.Redis, a.opts.RedisPrefix),
		Contests: a.Rules.All, NC: a.Streams.NC, Watcher: watcher, Pseudonym: pseudonym.New(a.opts.PseudonymKey)}, a.base, a.opts.Registry)
	if err != nil {
		return fmt.Errorf("app: gateway: %w", err)
	}
	a.Live.Gateway = g
	a.cleanup.push(g.Stop)
	a.goStage("gateway", g.Run)
	g.Mount(mux)
	web.Mount(mux)
	return nil
}

// interestSource is where the notifier learns who subscribes to live rank
// subjects: the embedded server itself; on an external server every server
// of the cluster through the system account (nats.system_credentials), or,
// without it, the app's own account only (a warning, and
// rankstream_notifier_interest_source{source="account_connz"}).
func (a *App) interestSource() notifier.InterestSource {
	if a.opts.Live.Interest != nil {
		return a.opts.Live.Interest
	}
	if a.Streams.Server != nil {
		return &notifier.ServerSource{Server: a.Streams.Server}
	}
	nc, err := a.Streams.ConnectSystem()
	if err == nil {
		a.cleanup.push(nc.Close)
		return &notifier.PingSource{NC: nc, System: true}
	}
	a.log.Warn("live push: no system account connection; only subscribers in the app's own NATS account are watched "+
		"(set nats.system_credentials, docs/live-push.md)", "err", err)
	return &notifier.PingSource{NC: a.Streams.NC}
}

// watchInstance names this process in the watch bucket.
func (a *App) watchInstance() string {
	if in := a.opts.Instance; in != "" && in != "auto" {
		return in
	}
	return autoInstance()
}

// notifierLease says whether this process's notifier publishes. When
// processes share the work (aggregator.instance), every process follows RANKS
// but only the holder of the "notifier" lease publishes, so a subject gets
// each message once and at most the contract's rate (§5); the others are
// standbys that track what it sends, so on a lease move the new holder
// pushes only what changed, with the right moved. Alone (no instance): nil,
// always active.
func (a *App) notifierLease() (func() bool, error) {
	instance := a.instanceName()
	if instance == "" {
		return nil, nil
	}
	ljs, err := a.leaseJS()
	if err != nil {
		return nil, err
	}
	l, err := aggregator.NewLeader(aggregator.LeaderOptions{JS: ljs, Name: "notifier", Instance: instance,
		TTL: a.opts.LeaseTTL, Replicas: a.Streams.Opts.Replicas, Metrics: a.roleMetrics()}, a.base)
	if err != nil {
		return nil, fmt.Errorf("app: notifier lease: %w", err)
	}
	a.goStage("notifier lease", l.Run)
	return l.Held, nil
}
