package config

import (
	"bytes"
	"errors"
	"fmt"
	"log/slog"
	"os"
	"path/filepath"
	"strings"
	"testing"
)

func writeFile(t *testing.T, dir, name, body string) string {
	t.Helper()
	p := filepath.Join(dir, name)
	if err := os.WriteFile(p, []byte(body), 0o600); err != nil {
		t.Fatal(err)
	}
	return p
}

// Secrets come from *_file keys (or the environment); a secret given twice
// is refused; no error and no dump of the config shows a secret.
func TestSecretFiles(t *testing.T) {
	dir := t.TempDir()
	jwt := writeFile(t, dir, "jwt", "jwt-secret-from-file\n")
	adm := writeFile(t, dir, "admin", "admin-token-from-file")
	prov := writeFile(t, dir, "providers", "acme=acme-secret-from-file\nrival=rival-secret-from-file\n")
	key := writeFile(t, dir, "pseudo", "pseudonym-key-from-file-0123")
	cfgFile := writeFile(t, dir, "c.yml", fmt.Sprintf("jwt: {secret_file: %s}\nadmin_token_file: %s\nproviders_file: %s\nprivacy: {pseudonym_key_file: %s}\n",
		jwt, adm, prov, key))
	cfg, err := LoadWithEnv(cfgFile, noEnv)
	if err != nil {
		t.Fatal(err)
	}
	if cfg.JWT.Secret != "jwt-secret-from-file" || cfg.AdminToken != "admin-token-from-file" ||
		cfg.Providers["acme"] != "acme-secret-from-file" || cfg.Providers["rival"] != "rival-secret-from-file" ||
		cfg.Privacy.PseudonymKey != "pseudonym-key-from-file-0123" {
		t.Fatalf("secrets not read from their files: %#v", cfg)
	}
	var buf bytes.Buffer
	slog.New(slog.NewJSONHandler(&buf, nil)).Info("config", "cfg", cfg)
	dump := buf.String() + fmt.Sprint(cfg) + fmt.Sprintf("%v %s", cfg, cfg)
	for _, s := range []string{"jwt-secret-from-file", "admin-token-from-file", "acme-secret-from-file", "pseudonym-key"} {
		if strings.Contains(dump, s) {
			t.Fatalf("a dump of the config shows %q:\n%s", s, dump)
		}
	}

	// The environment names the file too; both inline and file: refused.
	env := mapEnv(map[string]string{"RANKSTREAM_ADMIN_TOKEN": "inline-admin-secret", "RANKSTREAM_JWT_SECRET": "inline-jwt"})
	_, err = LoadWithEnv(cfgFile, env)
	var errs Errors
	if !errors.As(err, &errs) || !strings.Contains(err.Error(), "set admin_token or admin_token_file, not both") ||
		!strings.Contains(err.Error(), "set jwt.secret or jwt.secret_file, not both") {
		t.Fatalf("inline and file secret: %v", err)
	}
	if strings.Contains(err.Error(), "inline-admin-secret") {
		t.Fatalf("error shows the secret: %v", err)
	}
	missing := writeFile(t, dir, "m.yml", "admin_token_file: /nonexistent/admin\n")
	if _, err := LoadWithEnv(missing, noEnv); err == nil || !strings.Contains(err.Error(), "admin_token_file") {
		t.Fatalf("missing secret file: %v", err)
	}
}

func TestSecurityValidation(t *testing.T) {
	dir := t.TempDir()
	f := writeFile(t, dir, "c.yml", `nats: {replicas: 7, tls: {cert: /nonexistent/c.pem}}
http: {tls: {key: /nonexistent/k.pem}}
limits: {login_per_minute: -1}
privacy: {pseudonym_key: short}
`)
	_, err := LoadWithEnv(f, noEnv)
	if err == nil {
		t.Fatal("bad security keys accepted")
	}
	for _, want := range []string{"nats.replicas: must be between 1 and 5", "http.tls: set both cert and key",
		"nats.tls: set both cert and key", "nats.tls.cert", "limits.login_per_minute", "privacy.pseudonym_key: too short"} {
		if !strings.Contains(err.Error(), want) {
			t.Errorf("missing %q in:\n%v", want, err)
		}
	}
}
