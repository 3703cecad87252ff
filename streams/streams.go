package streams

import (
	"context"
	"errors"
	"fmt"
	"log/slog"
	"time"

	"github.com/nats-io/nats-server/v2/server"
	"github.com/nats-io/nats.go"
	"github.com/nats-io/nats.go/jetstream"
	"github.com/rankstream/rankstream/internal/redact"
)

// Options configure the connection and the stream topology.
type Options struct {
	// URL of an external NATS server; empty starts an embedded one.
	URL string
	// Port of the embedded server (-1 picks a free one).
	Port int
	// Host of the embedded server (default 127.0.0.1).
	Host string
	// StoreDir of the embedded server's JetStream file storage.
	StoreDir string
	// Partitions of the EVENTS stream (default 64). Fixed for a stream's life.
	Partitions int
	// DedupWindow is the EVENTS duplicate window (default 2m).
	DedupWindow time.Duration
	// Replicas of every stream (default 1; 3 on a cluster).
	Replicas int
	// SyncInterval of the embedded server's file store (0 = server default).
	SyncInterval time.Duration
	// MaxAge of EVENTS (default 0 = keep everything; replay needs the history).
	EventsMaxAge time.Duration
	// EventsMaxBytes bounds EVENTS (default -1 = unlimited). When full, new
	// events are refused (DiscardNew) rather than old ones dropped.
	EventsMaxBytes int64
	// Name of the client connection.
	Name string
	// Auth, when set, makes the embedded server authenticate every connection
	// (players, providers, the app itself); see auth.go. Nil: no auth.
	// Ignored with URL (an external server has its own configuration).
	Auth *Auth
	// Client are the credentials and TLS of the connection to an external
	// server (clientauth.go).
	Client ClientCredentials
	// System are the credentials of a system account user of the external
	// server (same forms as Client.Credentials), used only to ask every
	// server of the cluster for its subscriptions (ConnectSystem). Empty:
	// the notifier falls back to what this process sees (docs/live-push.md).
	System string
}

func (o *Options) fill() error {
	if o.Host == "" {
		o.Host = "127.0.0.1"
	}
	if o.Partitions == 0 {
		o.Partitions = 64
	}
	if o.Partitions < 1 || o.Partitions > 1024 {
		return fmt.Errorf("streams: partitions %d out of range 1..1024", o.Partitions)
	}
	if o.DedupWindow == 0 {
		o.DedupWindow = 2 * time.Minute
	}
	if o.Replicas == 0 {
		o.Replicas = 1
	}
	if o.EventsMaxBytes == 0 {
		o.EventsMaxBytes = -1
	}
	if o.Name == "" {
		o.Name = "rankstream"
	}
	return nil
}

// Streams is a live connection with the topology in place.
type Streams struct {
	Opts   Options
	Server *server.Server // nil when connected to an external server
	NC     *nats.Conn
	JS     jetstream.JetStream
	log    *slog.Logger
}

// StartEmbedded starts an in-process nats-server with JetStream.
func StartEmbedded(opts Options) (*server.Server, error) {
	sopts := &server.Options{
		ServerName: "rankstream-embedded",
		Host:       opts.Host,
		Port:       opts.Port,
		JetStream:  true,
		StoreDir:   opts.StoreDir,
		NoSigs:     true,
		MaxPayload: 8 << 20,
	}
	if opts.SyncInterval > 0 {
		sopts.SyncInterval = opts.SyncInterval
	}
	if opts.Auth != nil {
		sopts.CustomClientAuthentication = &authenticator{a: opts.Auth}
	}
	ns, err := server.NewServer(sopts)
	if err != nil {
		return nil, fmt.Errorf("streams: new embedded server: %w", err)
	}
	go ns.Start()
	if !ns.ReadyForConnections(15 * time.Second) {
		ns.Shutdown()
		return nil, errors.New("streams: embedded server not ready within 15s")
	}
	return ns, nil
}

// Open connects (starting an embedded server when URL is empty) and ensures
// every stream exists with the expected configuration.
func Open(ctx context.Context, opts Options, logger *slog.Logger) (*Streams, error) {
	if err := opts.fill(); err != nil {
		return nil, err
	}
	if logger == nil {
		logger = slog.Default()
	}
	copts, err := opts.Client.Options()
	if err != nil {
		return nil, err
	}
	if opts.URL == "" {
		copts = nil // the embedded server: the app's own token, below
	}
	if opts.Auth != nil && opts.URL == "" {
		a, err := opts.Auth.fill()
		if err != nil {
			return nil, err
		}
		opts.Auth = a
		copts = append(copts, nats.Token(a.AppToken), nats.CustomInboxPrefix(AppInboxPrefix))
	}
	s := &Streams{Opts: opts, log: logger.With("component", "streams")}
	url := opts.URL
	if url == "" {
		ns, err := StartEmbedded(opts)
		if err != nil {
			return nil, err
		}
		s.Server = ns
		url = ns.ClientURL()
		s.log.Info("embedded nats-server started", "url", url, "store_dir", opts.StoreDir)
	}
	nc, err := nats.Connect(url, append([]nats.Option{nats.Name(opts.Name), nats.MaxReconnects(-1),
		nats.ReconnectWait(250 * time.Millisecond)}, copts...)...)
	if err != nil {
		s.shutdownServer()
		return nil, fmt.Errorf("streams: connect %s: %w", redact.URLs(url), err)
	}
	s.NC = nc
	js, err := jetstream.New(nc)
	if err != nil {
		s.Close()
		return nil, fmt.Errorf("streams: jetstream: %w", err)
	}
	s.JS = js
	if err := s.Ensure(ctx); err != nil {
		s.Close()
		return nil, err
	}
	return s, nil
}

// URL is the client URL of the server in use.
func (s *Streams) URL() string {
	if s.Server != nil {
		return s.Server.ClientURL()
	}
	return s.Opts.URL
}

// Configs returns the stream configurations rankstream needs.
func Configs(opts Options) []jetstream.StreamConfig {
	return []jetstream.StreamConfig{
		{
			Name:        Events,
			Description: "provider round events, partitioned by user",
			Subjects:    []string{EventsIn},
			SubjectTransform: &jetstream.SubjectTransformConfig{
				Source:      EventsIn,
				Destination: EventsTransformDest(opts.Partitions),
			},
			Storage:     jetstream.FileStorage,
			Retention:   jetstream.LimitsPolicy,
			Discard:     jetstream.DiscardNew,
			MaxAge:      opts.EventsMaxAge,
			MaxBytes:    opts.EventsMaxBytes,
			Duplicates:  opts.DedupWindow,
			Replicas:    opts.Replicas,
			AllowDirect: true,
			Metadata:    map[string]string{"rankstream_partitions": fmt.Sprint(opts.Partitions)},
		},
		{
			Name:              Scores,
			Description:       "absolute standing per board and user (last value per subject)",
			Subjects:          []string{ScoresAll},
			Storage:           jetstream.FileStorage,
			Retention:         jetstream.LimitsPolicy,
			MaxMsgsPerSubject: 1,
			Replicas:          opts.Replicas,
			AllowDirect:       true,
		},
		{
			Name:        DLQInvalid,
			Description: "events that failed validation, with the reason in headers",
			Subjects:    []string{"dlq.invalid.>"},
			Storage:     jetstream.FileStorage,
			Replicas:    opts.Replicas,
			AllowDirect: true,
		},
		{
			Name:        DLQLate,
			Description: "events that arrived after their window's end + lateness",
			Subjects:    []string{"dlq.late.>"},
			Storage:     jetstream.FileStorage,
			Replicas:    opts.Replicas,
			AllowDirect: true,
		},
		{
			Name:        Wallet,
			Description: "reward grants for the wallet, one per reward (Nats-Msg-Id = reward_id)",
			Subjects:    []string{WalletPostings},
			Storage:     jetstream.FileStorage,
			Duplicates:  time.Hour, // a relay resending after a crash is deduplicated
			Replicas:    opts.Replicas,
			AllowDirect: true,
		},
		missionsConfig(opts),
		flagsConfig(opts),
	}
}

// ErrPartitionsChanged is returned when EVENTS exists with another partition count.
var ErrPartitionsChanged = errors.New("streams: EVENTS partition count differs from configuration")

// Ensure creates or updates every stream.
func (s *Streams) Ensure(ctx context.Context) error {
	for _, cfg := range Configs(s.Opts) {
		if cfg.Name == Events {
			if st, err := s.JS.Stream(ctx, Events); err == nil {
				have := st.CachedInfo().Config.Metadata["rankstream_partitions"]
				if have != "" && have != cfg.Metadata["rankstream_partitions"] {
					return fmt.Errorf("%w: stream has %s, config %d", ErrPartitionsChanged, have, s.Opts.Partitions)
				}
				cfg = keepLimits(st.CachedInfo().Config, cfg, s.log)
			}
		}
		if cfg.Name == Scores {
			if st, err := s.JS.Stream(ctx, Scores); err == nil {
				// the group counts standings were published under (scores.go)
				if g := st.CachedInfo().Config.Metadata[ScoresGenerationsMeta]; g != "" {
					cfg.Metadata = map[string]string{ScoresGenerationsMeta: g}
				}
			}
		}
		if err := s.ensureOne(ctx, cfg); err != nil {
			return err
		}
	}
	return nil
}

// ensureReadyWithin bounds the wait for a stream on a cluster that is still
// forming (no peers for placement yet) or electing the stream's leader.
const ensureReadyWithin = 30 * time.Second

// ensureOne creates or updates one stream, then waits until it answers
// (on a cluster: until its leader is elected). Errors that a forming cluster
// gives are retried for ensureReadyWithin, each request bounded by
// attemptWithin; others are returned at once.
func (s *Streams) ensureOne(ctx context.Context, cfg jetstream.StreamConfig) error {
	deadline := time.Now().Add(ensureReadyWithin)
	rctx, rcancel := context.WithTimeout(ctx, attemptWithin)
	cfg.Replicas = keepReplicas(rctx, s.JS, cfg.Name, cfg.Replicas, s.log)
	rcancel()
	for {
		// Each request has attemptWithin of its own: with the caller's ctx
		// a request that a loaded or electing cluster never answers would
		// wait for the whole of the caller's deadline (minutes in a test).
		actx, cancel := context.WithTimeout(ctx, attemptWithin)
		st, err := s.JS.CreateOrUpdateStream(actx, cfg)
		cancel()
		if err == nil {
			ictx, cancel := context.WithTimeout(ctx, 2*time.Second)
			info, ierr := st.Info(ictx)
			cancel()
			if ierr == nil && (info.Cluster == nil || info.Cluster.Leader != "" || cfg.Replicas <= 1) {
				return checkReplicas(cfg.Name, cfg.Replicas, info)
			}
			err = ierr
			if err == nil {
				err = errors.New("no stream leader yet")
			}
		} else if !transient(err) {
			return fmt.Errorf("streams: ensure %s: %w", cfg.Name, replicasErr(cfg.Name, cfg.Replicas, err))
		}
		if time.Now().After(deadline) {
			return fmt.Errorf("streams: ensure %s: not ready within %s: %w", cfg.Name, ensureReadyWithin, err)
		}
		select {
		case <-ctx.Done():
			return fmt.Errorf("streams: ensure %s: %w", cfg.Name, ctx.Err())
		case <-time.After(200 * time.Millisecond):
		}
	}
}

// transient reports errors of a JetStream cluster that is forming or
// electing leaders.
func transient(err error) bool {
	if errors.Is(err, nats.ErrNoResponders) || errors.Is(err, context.DeadlineExceeded) ||
		errors.Is(err, nats.ErrTimeout) || errors.Is(err, jetstream.ErrJetStreamNotEnabled) {
		return true
	}
	var apiErr *jetstream.APIError
	if errors.As(err, &apiErr) {
		switch apiErr.ErrorCode {
		case 10005, // no suitable peers for placement
			10008, // JetStream cluster not available
			10023: // insufficient resources
			return true
		}
		return apiErr.Code == 503
	}
	return false
}

func (s *Streams) shutdownServer() {
	if s.Server != nil {
		s.Server.Shutdown()
		s.Server.WaitForShutdown()
		s.Server = nil
	}
}

// Close drains the connection and stops an embedded server. Safe to call twice.
func (s *Streams) Close() {
	if s.NC != nil {
		_ = s.NC.Drain()
		s.NC.Close()
		s.NC = nil
	}
	s.shutdownServer()
}
