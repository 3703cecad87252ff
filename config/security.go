package config

import (
	"fmt"
	"log/slog"
	"os"
	"strings"

	"github.com/rankstream/rankstream/internal/redact"
)

// TLSFiles are PEM files of a TLS endpoint (see docs/security.md).
type TLSFiles struct {
	// CA verifies the peer (nats.tls: the server's CA); empty: system roots.
	CA string `yaml:"ca"`
	// Cert and Key: the server's certificate (http.tls) or the client's
	// certificate for mutual TLS (nats.tls). Both or neither.
	Cert string `yaml:"cert"`
	Key  string `yaml:"key"`
}

// Enabled reports whether any file is set.
func (t TLSFiles) Enabled() bool { return t.CA != "" || t.Cert != "" || t.Key != "" }

// Limits are the rate limits answered with 429 and Retry-After; 0 turns one
// off. Login, query and WebSocket connects count per client IP, ingest
// counts events per provider.
type Limits struct {
	LoginPerMinute  int `yaml:"login_per_minute"`
	QueryPerSecond  int `yaml:"query_per_second"`
	WSPerMinute     int `yaml:"ws_per_minute"`
	IngestPerSecond int `yaml:"ingest_per_second"`
}

// DefaultLimits are generous for one client and stop a flood.
func DefaultLimits() Limits {
	return Limits{LoginPerMinute: 30, QueryPerSecond: 200, WSPerMinute: 120, IngestPerSecond: 50000}
}

// Privacy of public answers.
type Privacy struct {
	// PseudonymKey, when set, replaces user ids on public tops (the API's top
	// and around lists, lb.<contest>.top) by a keyed HMAC pseudonym. A player
	// still sees their own id in "me" and on their own subject.
	PseudonymKey     string `yaml:"pseudonym_key"`
	PseudonymKeyFile string `yaml:"pseudonym_key_file"`
}

// MinSecretLen is the least length of the pseudonym key.
const MinSecretLen = 16

// readSecretFiles replaces each *_file key by the secret it names. A secret
// given both inline and as a file is an error (which one wins would be a
// guess). Secrets never appear in error messages.
func (l *loader) readSecretFiles(c *Config) {
	l.secretFile("jwt.secret_file", c.JWT.SecretFile, "jwt.secret", &c.JWT.Secret)
	l.secretFile("admin_token_file", c.AdminTokenFile, "admin_token", &c.AdminToken)
	l.secretFile("privacy.pseudonym_key_file", c.Privacy.PseudonymKeyFile, "privacy.pseudonym_key", &c.Privacy.PseudonymKey)
	if c.ProvidersFile == "" {
		return
	}
	var raw string
	l.secretFile("providers_file", c.ProvidersFile, "", &raw)
	if raw == "" {
		return
	}
	if len(c.Providers) > 0 {
		l.invalid("providers_file", "set providers or providers_file, not both")
		return
	}
	m, err := parsePairs(strings.Join(strings.Fields(raw), ","))
	if err != nil {
		l.invalid("providers_file", "%s: want id=secret per line: %v", c.ProvidersFile, err)
		return
	}
	c.Providers = m
}

func (l *loader) secretFile(fileKey, path, valueKey string, dst *string) {
	if path == "" {
		return
	}
	if valueKey != "" && *dst != "" {
		l.invalid(fileKey, "set %s or %s, not both", valueKey, fileKey)
		return
	}
	b, err := os.ReadFile(path)
	if err != nil {
		l.invalid(fileKey, "%v", err)
		return
	}
	v := strings.TrimSpace(string(b))
	if v == "" {
		l.invalid(fileKey, "%s is empty", path)
		return
	}
	*dst = v
}

// validateSecurity checks replicas, TLS files, limits and secret lengths.
func (l *loader) validateSecurity(c *Config) {
	if c.NATS.Replicas < 1 || c.NATS.Replicas > 5 {
		l.invalid("nats.replicas", "must be between 1 and 5, got %d", c.NATS.Replicas)
	}
	if (c.HTTP.TLS.Cert == "") != (c.HTTP.TLS.Key == "") {
		l.invalid("http.tls", "set both cert and key, or neither")
	}
	if c.HTTP.TLS.CA != "" {
		l.invalid("http.tls.ca", "not used by the HTTP server (client certificates are not asked for)")
	}
	if (c.NATS.TLS.Cert == "") != (c.NATS.TLS.Key == "") {
		l.invalid("nats.tls", "set both cert and key, or neither")
	}
	for _, f := range []struct{ key, path string }{{"http.tls.cert", c.HTTP.TLS.Cert}, {"http.tls.key", c.HTTP.TLS.Key},
		{"nats.tls.ca", c.NATS.TLS.CA}, {"nats.tls.cert", c.NATS.TLS.Cert}, {"nats.tls.key", c.NATS.TLS.Key}} {
		if f.path == "" {
			continue
		}
		if _, err := os.Stat(f.path); err != nil {
			l.invalid(f.key, "%v", err)
		}
	}
	for key, v := range map[string]int{"limits.login_per_minute": c.Limits.LoginPerMinute,
		"limits.query_per_second": c.Limits.QueryPerSecond, "limits.ws_per_minute": c.Limits.WSPerMinute,
		"limits.ingest_per_second": c.Limits.IngestPerSecond} {
		if v < 0 {
			l.invalid(key, "must not be negative (0 turns the limit off), got %d", v)
		}
	}
	if c.Privacy.PseudonymKey != "" && len(c.Privacy.PseudonymKey) < MinSecretLen {
		l.invalid("privacy.pseudonym_key", "too short: at least %d characters", MinSecretLen)
	}
}

// String of a Config never shows a secret (for logs and dumps).
func (c *Config) String() string {
	return fmt.Sprintf("config{http=%s tls=%v nats=%s replicas=%d providers=%d jwt.secret=%s admin_token=%s}",
		c.HTTP.Addr, c.HTTP.TLS.Cert != "", redact.URLs(c.NATS.URL), c.NATS.Replicas, len(c.Providers),
		mask(c.JWT.Secret), mask(c.AdminToken))
}

// LogValue keeps a Config logged with slog free of secrets.
func (c *Config) LogValue() slog.Value { return slog.StringValue(c.String()) }

func mask(s string) string {
	if s == "" {
		return "unset"
	}
	return "set"
}
