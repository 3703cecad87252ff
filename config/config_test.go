package config

import (
	"errors"
	"io/fs"
	"os"
	"path/filepath"
	"reflect"
	"sort"
	"strings"
	"testing"
	"time"
)

func noEnv(string) (string, bool) { return "", false }

func mapEnv(m map[string]string) func(string) (string, bool) {
	return func(k string) (string, bool) {
		v, ok := m[k]
		return v, ok
	}
}

func TestDefaults(t *testing.T) {
	cfg, err := LoadWithEnv("", noEnv)
	if err != nil {
		t.Fatal(err)
	}
	want := &Config{
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
	if !reflect.DeepEqual(cfg, want) {
		t.Fatalf("defaults\n got %#v\nwant %#v", cfg, want)
	}
}

func TestGoodFiles(t *testing.T) {
	full := &Config{
		HTTP: HTTP{Addr: "0.0.0.0:9090"},
		NATS: NATS{URL: "nats://10.0.0.1:4222,nats://10.0.0.2:4222", Port: 4251,
			StoreDir: "/var/lib/rankstream/nats", Partitions: 128, SyncInterval: time.Second,
			Replicas: 3, Credentials: "rankstream:app-password", SystemCredentials: "rs_sys:sys-password"},
		Postgres:    Postgres{URL: "postgres://rs@db:5432/rankstream?sslmode=require"},
		Redis:       Redis{URL: "redis://cache:6379/3", Prefix: "prod:"},
		ClickHouse:  ClickHouse{URL: "clickhouse://ch:9000/rankstream"},
		ContestsDir: "/etc/rankstream/contests",
		MissionsDir: "/etc/rankstream/missions",
		Providers:   map[string]string{"acme": "acme-secret", "PragmaticPlay": "pp secret with spaces"},
		JWT: JWT{Secret: "jwt-secret", Issuer: "rs-prod", TTL: 12 * time.Hour,
			PublicKeyFile: "/etc/rankstream/issuer.pem"},
		AdminToken:    "admin-secret",
		DedupWindow:   5 * time.Minute,
		MaxFutureSkew: 10 * time.Second,
		Aggregator:    Aggregator{Instance: "agg-1", LeaseTTL: 3 * time.Second, CatchupGCPercent: 400},
		Log:           Log{Level: "debug"},
		Limits:        Limits{LoginPerMinute: 5, QueryPerSecond: 50, WSPerMinute: 10, IngestPerSecond: 1000},
		Retention:     Retention{Events: 240 * time.Hour, FinishedWindows: 48 * time.Hour},
	}
	flow := Default()
	flow.HTTP.Addr = "127.0.0.1:8081"
	flow.NATS.Port = -1
	flow.NATS.URL = "127.0.0.1:4222"
	flow.Postgres.URL = "host=127.0.0.1 dbname=rankstream sslmode=disable"
	flow.Providers = map[string]string{"acme": "provider secret"}
	want := map[string]*Config{
		"full.good.yml":  full,
		"empty.good.yml": Default(),
		"flow.good.yml":  flow,
	}
	files, err := filepath.Glob("testdata/*.good.yml")
	if err != nil || len(files) == 0 {
		t.Fatalf("no good files: %v", err)
	}
	for _, f := range files {
		t.Run(filepath.Base(f), func(t *testing.T) {
			cfg, err := LoadWithEnv(f, noEnv)
			if err != nil {
				t.Fatalf("unexpected error:\n%v", err)
			}
			w, ok := want[filepath.Base(f)]
			if !ok {
				t.Fatalf("no expectation for %s; add one", f)
			}
			if !reflect.DeepEqual(cfg, w) {
				t.Errorf("\n got %#v\nwant %#v", cfg, w)
			}
		})
	}
}

// wantLines returns the "# want: …" lines of a bad file: one per expected
// problem, in the order reported.
func wantLines(t *testing.T, file string) []string {
	t.Helper()
	data, err := os.ReadFile(file)
	if err != nil {
		t.Fatal(err)
	}
	var want []string
	for line := range strings.SplitSeq(string(data), "\n") {
		if w, ok := strings.CutPrefix(line, "# want: "); ok {
			want = append(want, w)
		}
	}
	if len(want) == 0 {
		t.Fatalf("%s has no '# want:' line", file)
	}
	return want
}

func TestBadFiles(t *testing.T) {
	files, err := filepath.Glob("testdata/*.bad.yml")
	if err != nil || len(files) == 0 {
		t.Fatalf("no bad files: %v", err)
	}
	for _, f := range files {
		t.Run(filepath.Base(f), func(t *testing.T) {
			want := wantLines(t, f)
			cfg, err := LoadWithEnv(f, noEnv)
			if err == nil {
				t.Fatalf("loaded %+v, want errors", cfg)
			}
			if !errors.Is(err, ErrInvalid) {
				t.Errorf("errors.Is(err, ErrInvalid) = false for %v", err)
			}
			var errs Errors
			if !errors.As(err, &errs) {
				t.Fatalf("error %T is not Errors: %v", err, err)
			}
			if len(errs) != len(want) {
				t.Fatalf("%d problems, want %d (every one at once):\n%v", len(errs), len(want), err)
			}
			for i, w := range want {
				if !strings.Contains(errs[i].Error(), w) {
					t.Errorf("problem %d = %q, want it to contain %q", i, errs[i].Error(), w)
				}
			}
		})
	}
}

func TestMissingFile(t *testing.T) {
	_, err := LoadWithEnv(filepath.Join(t.TempDir(), "nope.yml"), noEnv)
	if !errors.Is(err, fs.ErrNotExist) {
		t.Fatalf("err = %v, want fs.ErrNotExist", err)
	}
	if errors.Is(err, ErrInvalid) {
		t.Errorf("a read failure must not be ErrInvalid")
	}
}

func TestEnvOverrides(t *testing.T) {
	env := map[string]string{
		"RANKSTREAM_HTTP_ADDR":                  "127.0.0.1:9999",
		"RANKSTREAM_NATS_URL":                   "nats://n1:4222",
		"RANKSTREAM_NATS_PORT":                  "5000",
		"RANKSTREAM_NATS_STORE_DIR":             "/tmp/nats",
		"RANKSTREAM_NATS_PARTITIONS":            "16",
		"RANKSTREAM_NATS_SYNC_INTERVAL":         "250ms",
		"RANKSTREAM_POSTGRES_URL":               "postgres://pg:5432/x",
		"RANKSTREAM_REDIS_URL":                  "redis://r:6379/1",
		"RANKSTREAM_REDIS_PREFIX":               "env:",
		"RANKSTREAM_CLICKHOUSE_URL":             "clickhouse://c:9000/x",
		"RANKSTREAM_CONTESTS_DIR":               "/c",
		"RANKSTREAM_MISSIONS_DIR":               "/m",
		"RANKSTREAM_PROVIDERS":                  " acme=s1 , Hacksaw=s=2,",
		"RANKSTREAM_JWT_SECRET":                 "js",
		"RANKSTREAM_JWT_ISSUER":                 "iss",
		"RANKSTREAM_JWT_TTL":                    "1h",
		"RANKSTREAM_JWT_PUBLIC_KEY_FILE":        "/k.pem",
		"RANKSTREAM_ADMIN_TOKEN":                "adm",
		"RANKSTREAM_DEDUP_WINDOW":               "10m",
		"RANKSTREAM_MAX_FUTURE_SKEW":            "1m",
		"RANKSTREAM_LOG_LEVEL":                  "warn",
		"RANKSTREAM_AGGREGATOR_INSTANCE":        "auto",
		"RANKSTREAM_AGGREGATOR_LEASE_TTL":       "8s",
		"RANKSTREAM_RETENTION_EVENTS":           "100h",
		"RANKSTREAM_RETENTION_FINISHED_WINDOWS": "30h",
		"RANKSTREAM_NATS_SYSTEM_CREDENTIALS":    "/etc/rs/sys.creds",
	}
	want := &Config{
		HTTP: HTTP{Addr: "127.0.0.1:9999"},
		NATS: NATS{URL: "nats://n1:4222", Port: 5000, StoreDir: "/tmp/nats", Partitions: 16, SyncInterval: 250 * time.Millisecond,
			Replicas: 3, Credentials: "rankstream:app-password", SystemCredentials: "/etc/rs/sys.creds"},
		Postgres:      Postgres{URL: "postgres://pg:5432/x"},
		Redis:         Redis{URL: "redis://r:6379/1", Prefix: "env:"},
		ClickHouse:    ClickHouse{URL: "clickhouse://c:9000/x"},
		ContestsDir:   "/c",
		MissionsDir:   "/m",
		Providers:     map[string]string{"acme": "s1", "Hacksaw": "s=2"},
		JWT:           JWT{Secret: "js", Issuer: "iss", TTL: time.Hour, PublicKeyFile: "/k.pem"},
		AdminToken:    "adm",
		DedupWindow:   10 * time.Minute,
		MaxFutureSkew: time.Minute,
		Aggregator:    Aggregator{Instance: "auto", LeaseTTL: 8 * time.Second, CatchupGCPercent: 400},
		Log:           Log{Level: "warn"},
		Limits:        Limits{LoginPerMinute: 5, QueryPerSecond: 50, WSPerMinute: 10, IngestPerSecond: 1000},
		Retention:     Retention{Events: 100 * time.Hour, FinishedWindows: 30 * time.Hour},
	}
	// The environment wins over the file, for every key.
	cfg, err := LoadWithEnv("testdata/full.good.yml", mapEnv(env))
	if err != nil {
		t.Fatal(err)
	}
	if !reflect.DeepEqual(cfg, want) {
		t.Fatalf("\n got %#v\nwant %#v", cfg, want)
	}
}

// TestEnvEveryKey checks that every key of the file has its variable, named
// after its path.
func TestEnvEveryKey(t *testing.T) {
	var asked []string
	_, err := LoadWithEnv("", func(k string) (string, bool) {
		asked = append(asked, k)
		return "", false
	})
	if err != nil {
		t.Fatal(err)
	}
	var keys []string
	var walk func(reflect.Type, string)
	walk = func(tp reflect.Type, prefix string) {
		for i := range tp.NumField() {
			name, _, _ := strings.Cut(tp.Field(i).Tag.Get("yaml"), ",")
			if tp.Field(i).Type.Kind() == reflect.Struct {
				walk(tp.Field(i).Type, prefix+name+".")
				continue
			}
			keys = append(keys, EnvName(prefix+name))
		}
	}
	walk(reflect.TypeFor[Config](), "")
	sort.Strings(asked)
	sort.Strings(keys)
	if !reflect.DeepEqual(asked, keys) {
		t.Fatalf("looked up %v\nwant %v", asked, keys)
	}
	for _, k := range []string{"RANKSTREAM_HTTP_ADDR", "RANKSTREAM_NATS_STORE_DIR", "RANKSTREAM_PROVIDERS", "RANKSTREAM_DEDUP_WINDOW", "RANKSTREAM_JWT_PUBLIC_KEY_FILE"} {
		if i := sort.SearchStrings(keys, k); i == len(keys) || keys[i] != k {
			t.Errorf("%s not among %v", k, keys)
		}
	}
}

func TestEnvErrors(t *testing.T) {
	env := map[string]string{
		"RANKSTREAM_NATS_PARTITIONS": "2000",
		"RANKSTREAM_NATS_PORT":       "four",
		"RANKSTREAM_DEDUP_WINDOW":    "2",
		"RANKSTREAM_PROVIDERS":       "acme=ok,broken",
		"RANKSTREAM_LOG_LEVEL":       "chatty",
	}
	_, err := LoadWithEnv("testdata/partitions_max.bad.yml", mapEnv(env))
	if err == nil {
		t.Fatal("no error")
	}
	var errs Errors
	if !errors.As(err, &errs) {
		t.Fatalf("%T: %v", err, err)
	}
	want := []string{
		// The file's value is overridden by the environment, so the problem
		// is the environment's.
		"RANKSTREAM_NATS_PORT: nats.port: expected an integer, got \"four\"",
		"RANKSTREAM_NATS_PARTITIONS: nats.partitions: must be between 1 and 1024, got 2000",
		"RANKSTREAM_PROVIDERS: providers: expected id=secret,id2=secret2: \"brok…\" is not id=secret",
		"RANKSTREAM_DEDUP_WINDOW: dedup_window: invalid duration \"2\"",
		"RANKSTREAM_LOG_LEVEL: log.level: must be debug, info, warn or error, got \"chatty\"",
	}
	got := make([]string, len(errs))
	for i, e := range errs {
		got[i] = e.Error()
	}
	if len(got) != len(want) {
		t.Fatalf("got %d problems, want %d:\n%s", len(got), len(want), strings.Join(got, "\n"))
	}
	for _, w := range want {
		found := false
		for _, g := range got {
			found = found || strings.HasPrefix(g, w)
		}
		if !found {
			t.Errorf("missing %q in\n%s", w, strings.Join(got, "\n"))
		}
	}
	if strings.Contains(err.Error(), "broken") {
		t.Errorf("a malformed provider item is echoed whole: %v", err)
	}
}

func TestEnvEmptyValues(t *testing.T) {
	// An empty string variable sets the key to ""; an empty provider list
	// clears the providers.
	cfg, err := LoadWithEnv("testdata/full.good.yml", mapEnv(map[string]string{
		"RANKSTREAM_NATS_URL":  "",
		"RANKSTREAM_PROVIDERS": "",
	}))
	if err != nil {
		t.Fatal(err)
	}
	if cfg.NATS.URL != "" || len(cfg.Providers) != 0 {
		t.Fatalf("url %q providers %v", cfg.NATS.URL, cfg.Providers)
	}
}

func TestParsePairs(t *testing.T) {
	for _, tc := range []struct {
		in   string
		want map[string]string
		err  string
	}{
		{"", map[string]string{}, ""},
		{"a=1", map[string]string{"a": "1"}, ""},
		{"a=1,b=x=y", map[string]string{"a": "1", "b": "x=y"}, ""},
		{" a = 1 ,, b=2 ", map[string]string{"a": "1", "b": "2"}, ""},
		{"a=1,a=2", nil, `"a" given twice`},
		{"=x", nil, "is not id=secret"},
		{"noequals", nil, "is not id=secret"},
	} {
		got, err := parsePairs(tc.in)
		if tc.err != "" {
			if err == nil || !strings.Contains(err.Error(), tc.err) {
				t.Errorf("parsePairs(%q) err = %v, want %q", tc.in, err, tc.err)
			}
			continue
		}
		if err != nil || !reflect.DeepEqual(got, tc.want) {
			t.Errorf("parsePairs(%q) = %v, %v; want %v", tc.in, got, err, tc.want)
		}
	}
}

func TestKeysAreTheLoadersEnvOverrides(t *testing.T) {
	names := EnvNames()
	for _, want := range []string{"RANKSTREAM_HTTP_ADDR", "RANKSTREAM_NATS_STORE_DIR", "RANKSTREAM_PROVIDERS", "RANKSTREAM_AGGREGATOR_INSTANCE"} {
		if _, ok := names[want]; !ok {
			t.Errorf("EnvNames lacks %s", want)
		}
	}
	if _, ok := names["RANKSTREAM_NATS"]; ok {
		t.Error("EnvNames lists a struct (RANKSTREAM_NATS), not a leaf key")
	}
	// The loader reads exactly these variables, no more and no fewer.
	l := &loader{lines: map[string]int{}, envs: map[string]string{}}
	l.applyEnv(reflect.ValueOf(Default()).Elem(), nil, func(name string) (string, bool) { return "", true })
	if len(l.envs) != len(names) {
		t.Errorf("loader read %d variables, EnvNames lists %d", len(l.envs), len(names))
	}
	for key, ev := range l.envs {
		if names[ev] != key {
			t.Errorf("loader read %s for %s; EnvNames says %q", ev, key, names[ev])
		}
	}
}

func TestCatchupGC(t *testing.T) {
	for _, tc := range []struct {
		env       map[string]string
		pct, mb   int
		scorerPct int
		problem   string
	}{
		{env: nil, pct: 400, scorerPct: 400},
		{env: map[string]string{"RANKSTREAM_AGGREGATOR_CATCHUP_GC_PERCENT": "0"}, pct: 0, scorerPct: -1},
		{env: map[string]string{"RANKSTREAM_AGGREGATOR_CATCHUP_GC_PERCENT": "800", "RANKSTREAM_AGGREGATOR_CATCHUP_MEMORY_LIMIT_MB": "4096"},
			pct: 800, mb: 4096, scorerPct: 800},
		{env: map[string]string{"RANKSTREAM_AGGREGATOR_CATCHUP_GC_PERCENT": "50"},
			problem: "RANKSTREAM_AGGREGATOR_CATCHUP_GC_PERCENT: aggregator.catchup_gc_percent: want 0 (off) or 100..10000, got 50"},
		{env: map[string]string{"RANKSTREAM_AGGREGATOR_CATCHUP_MEMORY_LIMIT_MB": "-1"},
			problem: "RANKSTREAM_AGGREGATOR_CATCHUP_MEMORY_LIMIT_MB: aggregator.catchup_memory_limit_mb: must not be negative"},
	} {
		cfg, err := LoadWithEnv("", mapEnv(tc.env))
		if tc.problem != "" {
			if err == nil || !strings.Contains(err.Error(), tc.problem) {
				t.Errorf("%v: error %v, want %q", tc.env, err, tc.problem)
			}
			continue
		}
		if err != nil {
			t.Fatalf("%v: %v", tc.env, err)
		}
		a := cfg.Aggregator
		if a.CatchupGCPercent != tc.pct || a.CatchupMemoryLimitMB != tc.mb || a.ScorerCatchupGCPercent() != tc.scorerPct {
			t.Errorf("%v: got %d %d (scorer %d), want %d %d (scorer %d)", tc.env, a.CatchupGCPercent, a.CatchupMemoryLimitMB,
				a.ScorerCatchupGCPercent(), tc.pct, tc.mb, tc.scorerPct)
		}
	}
}
