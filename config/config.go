// Package config loads rankstream's configuration (CONTRACT.md §8): a YAML file
// read strictly (unknown keys are errors, every problem reported at once with
// its line), then environment overrides (RANKSTREAM_ + the key's path in upper
// case joined by "_"), then validation.
package config

import "time"

// Config is the whole configuration of one rankstream process. The yaml tags are
// the keys of the file; the same paths name the environment overrides.
type Config struct {
	HTTP       HTTP       `yaml:"http"`
	NATS       NATS       `yaml:"nats"`
	Postgres   Postgres   `yaml:"postgres"`
	Redis      Redis      `yaml:"redis"`
	ClickHouse ClickHouse `yaml:"clickhouse"`
	// ContestsDir holds the contest files (YAML or JSON).
	ContestsDir string `yaml:"contests_dir"`
	// MissionsDir holds the mission files.
	MissionsDir string `yaml:"missions_dir"`
	// Providers maps a provider id to its HMAC secret. From the environment:
	// RANKSTREAM_PROVIDERS="id=secret,id2=secret2" (replaces the whole map).
	Providers map[string]string `yaml:"providers"`
	JWT       JWT               `yaml:"jwt"`
	// AdminToken authorises the admin endpoints.
	AdminToken string `yaml:"admin_token"`
	// DedupWindow is the JetStream duplicate window of the EVENTS stream.
	DedupWindow time.Duration `yaml:"dedup_window"`
	// MaxFutureSkew is how far ahead of its arrival an event's ts may be.
	MaxFutureSkew time.Duration `yaml:"max_future_skew"`
	Aggregator    Aggregator    `yaml:"aggregator"`
	Log           Log           `yaml:"log"`
	// Secret files, limits and privacy: see security.go.
	AdminTokenFile string    `yaml:"admin_token_file"`
	ProvidersFile  string    `yaml:"providers_file"`
	Limits         Limits    `yaml:"limits"`
	Privacy        Privacy   `yaml:"privacy"`
	Retention      Retention `yaml:"retention"`
}

// Retention bounds what is kept (CONTRACT.md §8).
type Retention struct {
	// Events is the EVENTS stream's age limit (JetStream MaxAge): replay
	// reaches this far back.
	Events time.Duration `yaml:"events"`
	// FinishedWindows is how long the state of a final window (user state,
	// board, read-model keys, metric series) is kept after its end +
	// lateness; its snapshots stay in Postgres.
	FinishedWindows time.Duration `yaml:"finished_windows"`
}

// Aggregator configures how the aggregator stage shares work with other
// processes (docs/exactly-once.md, "More than one process").
type Aggregator struct {
	// Instance names this process among those running the aggregator on the
	// same NATS. Empty: this process scores every partition alone. Set (unique
	// per process, or "auto" for host-pid-random): the EVENTS partitions are
	// shared through leases and one process at a time writes the read model,
	// pushes and snapshots (the "ranker" lease).
	Instance string `yaml:"instance"`
	// LeaseTTL is how long a dead process's leases live; its work runs
	// elsewhere within about LeaseTTL + LeaseTTL/5.
	LeaseTTL time.Duration `yaml:"lease_ttl"`
	// BoardGroups shards the ranker's output (read model, live feed,
	// snapshots) over the processes: one lease per group, a board in group
	// hash(board) mod BoardGroups (docs/architecture.md, "Board groups").
	// Default 1.
	BoardGroups int `yaml:"board_groups"`
	// SnapshotInterval is the time between the hourly snapshots of live
	// boards (docs/snapshots.md). Default 1h; shorter for tests and drills.
	SnapshotInterval time.Duration `yaml:"snapshot_interval"`
	// CatchupGCPercent is the process's GC target (GOGC) while a scorer
	// catches up after a start or a partition takeover, restored once it is
	// live (docs/constant-memory.md, "Catch-up and the GC"). Default 400;
	// 0: off (the GC target is never changed).
	CatchupGCPercent int `yaml:"catchup_gc_percent"`
	// CatchupMemoryLimitMB is the soft memory limit (MiB) that bounds the
	// heap while the GC target is raised. 0 (default): half of the memory
	// available to the process (its cgroup limit, else the machine's). An
	// operator's GOMEMLIMIT, when lower, is kept.
	CatchupMemoryLimitMB int `yaml:"catchup_memory_limit_mb"`
}

// ScorerCatchupGCPercent is CatchupGCPercent as the scorer takes it
// (aggregator.ScorerOptions: negative is off, 0 its default).
func (a Aggregator) ScorerCatchupGCPercent() int {
	if a.CatchupGCPercent == 0 {
		return -1
	}
	return a.CatchupGCPercent
}

// HTTP is the HTTP server.
type HTTP struct {
	Addr string `yaml:"addr"`
	// TLS serves HTTPS with this certificate and key (both or neither).
	TLS TLSFiles `yaml:"tls"`
}

// NATS is the NATS connection or the embedded server.
type NATS struct {
	// URL of an external NATS server; empty starts an embedded one on Port.
	URL string `yaml:"url"`
	// Port of the embedded server (-1 picks a free one).
	Port int `yaml:"port"`
	// StoreDir is the embedded server's JetStream storage directory.
	StoreDir string `yaml:"store_dir"`
	// Partitions of the EVENTS stream; fixed for the stream's life.
	Partitions int `yaml:"partitions"`
	// SyncInterval of the embedded server's file store (0 = server default).
	SyncInterval time.Duration `yaml:"sync_interval"`
	// Auth of the embedded server: "" lets every connection in with full
	// rights; "players" authenticates connections (players with their JWT may
	// subscribe to lb.*.top and their own lb.*.user.<id> only; operators use
	// admin_token; anonymous connections may only publish events). See
	// docs/live-push.md.
	Auth string `yaml:"auth"`
	// Replicas of every stream, KV bucket and object store (3 on a 3-node
	// cluster). An existing stream's replicas are never lowered.
	Replicas int `yaml:"replicas"`
	// Credentials of the app's own connection to an external server: a
	// creds file, an nkey seed file, or "user:password" (see security.go).
	Credentials string `yaml:"credentials"`
	// SystemCredentials of a system account user of the external server
	// (same forms as Credentials): the notifier asks every server for its
	// live rank subscribers ($SYS.REQ.SERVER.PING.SUBSZ). Empty: only the
	// subscribers in the app's own account are seen (docs/live-push.md).
	SystemCredentials string `yaml:"system_credentials"`
	// TLS of the client connection: the CA that signed the server's
	// certificate and, for mutual TLS, the client's cert and key.
	TLS TLSFiles `yaml:"tls"`
}

// Postgres is the database of record.
type Postgres struct {
	URL string `yaml:"url"`
}

// Redis is the read model.
type Redis struct {
	URL    string `yaml:"url"`
	Prefix string `yaml:"prefix"`
}

// ClickHouse is the analytics store.
type ClickHouse struct {
	URL string `yaml:"url"`
}

// JWT configures player tokens.
type JWT struct {
	// Secret signs the tokens rankstream issues (HS256).
	Secret string        `yaml:"secret"`
	Issuer string        `yaml:"issuer"`
	TTL    time.Duration `yaml:"ttl"`
	// PublicKeyFile is the key of an external issuer whose tokens are accepted.
	PublicKeyFile string `yaml:"public_key_file"`
	// SecretFile holds Secret (read at load; then Secret must be empty).
	SecretFile string `yaml:"secret_file"`
}

// Log configures logging.
type Log struct {
	// Level is debug, info, warn or error.
	Level string `yaml:"level"`
}

// NATSAuthPlayers is the nats.auth value that turns on player permissions.
const NATSAuthPlayers = "players"

// EnvPrefix starts the name of every environment override.
const EnvPrefix = "RANKSTREAM_"

// Default returns the configuration used where neither file nor environment
// say otherwise (CONTRACT.md §8).
func Default() *Config {
	return &Config{
		HTTP:          HTTP{Addr: "127.0.0.1:8080"},
		NATS:          NATS{URL: "", Port: 4250, StoreDir: "./data/nats", Partitions: 64, Replicas: 1},
		Postgres:      Postgres{URL: "postgres://127.0.0.1:5432/rankstream?sslmode=disable"},
		Redis:         Redis{URL: "redis://127.0.0.1:6379/0", Prefix: "rs:"},
		ClickHouse:    ClickHouse{URL: "clickhouse://127.0.0.1:9000/rankstream"},
		ContestsDir:   "./contests",
		MissionsDir:   "./missions",
		Providers:     map[string]string{},
		JWT:           JWT{Issuer: "rankstream", TTL: 24 * time.Hour},
		DedupWindow:   2 * time.Minute,
		MaxFutureSkew: 30 * time.Second,
		Aggregator:    Aggregator{LeaseTTL: 5 * time.Second, CatchupGCPercent: 400},
		Log:           Log{Level: "info"},
		Limits:        DefaultLimits(),
		Retention:     Retention{Events: 720 * time.Hour, FinishedWindows: 168 * time.Hour},
	}
}
