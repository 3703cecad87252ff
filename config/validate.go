package config

import (
	"fmt"
	"net"
	"net/url"
	"sort"
	"strconv"
	"strings"
	"time"

	"github.com/rankstream/rankstream/event"
)

// Limits of the validated values.
const (
	MinPartitions = 1
	MaxPartitions = 1024
)

// invalid records a problem of key, pointing at where its value came from.
func (l *loader) invalid(key, format string, args ...any) {
	e := Error{Key: key, Msg: fmt.Sprintf(format, args...)}
	if ev, ok := l.envs[key]; ok {
		e.Env = ev
	} else if line, ok := l.lines[key]; ok {
		e.File, e.Line = l.file, line
	} else if l.file != "" {
		e.File = l.file
	}
	l.errs = append(l.errs, e)
}

func (l *loader) validate(c *Config) {
	l.validateAddr("http.addr", c.HTTP.Addr)

	if c.NATS.URL != "" {
		for u := range strings.SplitSeq(c.NATS.URL, ",") {
			u = strings.TrimSpace(u)
			if !strings.Contains(u, "://") {
				u = "nats://" + u // the client accepts a bare host:port
			}
			l.validateURL("nats.url", u, "nats", "tls", "ws", "wss")
		}
	} else {
		if c.NATS.StoreDir == "" {
			l.invalid("nats.store_dir", "required for the embedded server (nats.url is empty)")
		}
	}
	if c.NATS.Port < -1 || c.NATS.Port > 65535 {
		l.invalid("nats.port", "must be -1 (any free port) or 0..65535, got %d", c.NATS.Port)
	}
	if c.NATS.Partitions < MinPartitions || c.NATS.Partitions > MaxPartitions {
		l.invalid("nats.partitions", "must be between %d and %d, got %d", MinPartitions, MaxPartitions, c.NATS.Partitions)
	}
	l.nonNegative("nats.sync_interval", c.NATS.SyncInterval)
	if c.NATS.Auth != "" && c.NATS.Auth != NATSAuthPlayers {
		l.invalid("nats.auth", "must be empty or %q, got %q", NATSAuthPlayers, c.NATS.Auth)
	}

	// A key=value DSN ("host=… dbname=…") is left to the driver.
	if c.Postgres.URL != "" && strings.Contains(c.Postgres.URL, "://") {
		l.validateURL("postgres.url", c.Postgres.URL, "postgres", "postgresql")
	}
	if c.Redis.URL == "" {
		l.invalid("redis.url", "required")
	} else {
		l.validateURL("redis.url", c.Redis.URL, "redis", "rediss", "unix")
	}
	if strings.ContainsAny(c.Redis.Prefix, " \t\r\n") {
		l.invalid("redis.prefix", "must not contain whitespace, got %q", c.Redis.Prefix)
	}
	if c.ClickHouse.URL != "" {
		l.validateURL("clickhouse.url", c.ClickHouse.URL, "clickhouse", "tcp", "http", "https")
	}
	if c.ContestsDir == "" {
		l.invalid("contests_dir", "required")
	}

	ids := make([]string, 0, len(c.Providers))
	for id := range c.Providers {
		ids = append(ids, id)
	}
	sort.Strings(ids)
	for _, id := range ids {
		key := "providers." + id
		if _, ok := l.envs["providers"]; ok {
			key = "providers"
		}
		if !event.ValidToken(id, 1, 64) {
			l.invalid(key, "provider id %q: want 1..64 characters of [A-Za-z0-9_-]", id)
		}
		if c.Providers[id] == "" {
			l.invalid(key, "provider %q: empty secret", id)
		}
	}

	if c.JWT.Issuer == "" {
		l.invalid("jwt.issuer", "required")
	}
	l.positive("jwt.ttl", c.JWT.TTL)
	l.positive("dedup_window", c.DedupWindow)
	l.positive("max_future_skew", c.MaxFutureSkew)
	l.positive("retention.events", c.Retention.Events)
	l.positive("retention.finished_windows", c.Retention.FinishedWindows)
	l.validateAggregator(c.Aggregator)

	switch strings.ToLower(c.Log.Level) {
	case "debug", "info", "warn", "error":
	default:
		l.invalid("log.level", "must be debug, info, warn or error, got %q", c.Log.Level)
	}
}

func (l *loader) positive(key string, d time.Duration) {
	if d <= 0 {
		l.invalid(key, "must be positive, got %s", d)
	}
}

func (l *loader) nonNegative(key string, d time.Duration) {
	if d < 0 {
		l.invalid(key, "must not be negative, got %s", d)
	}
}

// validateAggregator checks the aggregator block.
func (l *loader) validateAggregator(a Aggregator) {
	if a.LeaseTTL < time.Second {
		l.invalid("aggregator.lease_ttl", "must be at least 1s, got %s", a.LeaseTTL)
	}
	if a.BoardGroups < 0 || a.BoardGroups > 1024 {
		l.invalid("aggregator.board_groups", "want 0..1024 (0 or 1: one group), got %d", a.BoardGroups)
	}
	if a.CatchupGCPercent != 0 && (a.CatchupGCPercent < 100 || a.CatchupGCPercent > 10000) {
		l.invalid("aggregator.catchup_gc_percent", "want 0 (off) or 100..10000, got %d", a.CatchupGCPercent)
	}
	if a.CatchupMemoryLimitMB < 0 {
		l.invalid("aggregator.catchup_memory_limit_mb", "must not be negative (0: half of the memory available), got %d", a.CatchupMemoryLimitMB)
	}
	if !event.ValidToken(a.Instance, 0, 64) {
		l.invalid("aggregator.instance", "want up to 64 characters of [A-Za-z0-9_-] (or empty, or auto), got %q", a.Instance)
	}
}

func (l *loader) validateAddr(key, addr string) {
	if addr == "" {
		l.invalid(key, "required (host:port)")
		return
	}
	_, port, err := net.SplitHostPort(addr)
	if err != nil {
		l.invalid(key, "want host:port, got %q", addr)
		return
	}
	if p, err := strconv.Atoi(port); err != nil || p < 0 || p > 65535 {
		l.invalid(key, "invalid port in %q", addr)
	}
}

func (l *loader) validateURL(key, raw string, schemes ...string) {
	u, err := url.Parse(raw)
	if err != nil {
		l.invalid(key, "invalid URL: %v", redactURLError(err))
		return
	}
	ok := false
	for _, s := range schemes {
		ok = ok || u.Scheme == s
	}
	if !ok {
		l.invalid(key, "scheme must be one of %s, got %q", strings.Join(schemes, ", "), u.Scheme)
		return
	}
	if u.Host == "" && u.Scheme != "unix" {
		l.invalid(key, "missing host in %s", u.Redacted())
	}
}

// redactURLError drops the URL (which may hold a password) from a parse error.
func redactURLError(err error) error {
	if ue, ok := err.(*url.Error); ok {
		return ue.Err
	}
	return err
}
