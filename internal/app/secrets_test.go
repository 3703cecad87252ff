package app_test

import (
	"context"
	"log/slog"
	"net/http"
	"strings"
	"testing"
	"time"

	"github.com/nats-io/nats.go"

	"github.com/rankstream/rankstream/internal/app"
	"github.com/rankstream/rankstream/internal/app/apptest"
	"github.com/rankstream/rankstream/internal/testkit"
	"github.com/rankstream/rankstream/streams"
)

// A process with provider secrets, an admin token and a jwt secret, driven
// through refusals (forged NATS and webhook credentials, wrong logins) at
// debug level: no secret appears in its logs. The providers' NATS door is
// on: anonymous publishing is refused, acme publishes as itself.
func TestSecretsNeverLoggedAndProviderDoor(t *testing.T) {
	env := apptest.NewEnv(t)
	var logs testkit.SyncBuffer
	log := slog.New(slog.NewJSONHandler(&logs, &slog.HandlerOptions{Level: slog.LevelDebug}))
	secrets := []string{"acme-provider-secret-1", "admin-token-secret-2", "jwt-signing-secret-3"}
	ctx, cancel := context.WithTimeout(context.Background(), time.Minute)
	defer cancel()
	a, err := app.New(ctx, app.Options{HTTPAddr: "127.0.0.1:0", RedisURL: testkit.RedisURL(), RedisPrefix: env.RedisPrefix,
		Streams: streams.Options{Port: -1, StoreDir: env.StoreDir, Partitions: 4}, PostgresURL: env.PostgresURL,
		Providers: map[string]string{"acme": secrets[0]}, AdminToken: secrets[1], Live: app.LiveOptions{JWTSecret: secrets[2]},
		Contests: nil}, log)
	if err != nil {
		t.Fatal(err)
	}
	a.Start(ctx)
	defer a.Stop()

	if nc, err := nats.Connect(a.Streams.URL(), nats.UserInfo("acme", secrets[1]), nats.MaxReconnects(0)); err == nil {
		nc.Close()
		t.Fatal("acme connected with the admin token as password")
	}
	anon, err := nats.Connect(a.Streams.URL())
	if err != nil {
		t.Fatalf("anonymous listener: %v", err)
	}
	defer anon.Close()
	if _, err := anon.Request("events.acme.u_1", []byte(`{}`), time.Second); err == nil {
		t.Fatal("anonymous publish got an ack")
	}
	acme, err := nats.Connect(a.Streams.URL(), nats.UserInfo("acme", secrets[0]))
	if err != nil {
		t.Fatalf("acme: %v", err)
	}
	defer acme.Close()
	m := nats.NewMsg("events.acme.u_1")
	m.Data = apptest.Event("e1", "u_1", "acme", time.Now(), 100, 0, "DE")
	m.Header.Set("Nats-Msg-Id", "e1")
	if _, err := acme.RequestMsg(m, 5*time.Second); err != nil {
		t.Fatalf("acme publish: %v", err)
	}
	req, _ := http.NewRequest("POST", a.BaseURL()+"/v1/events", strings.NewReader(`{}`))
	req.Header.Set("Content-Type", "application/json")
	req.Header.Set("X-Provider-Id", "acme")
	req.Header.Set("X-Timestamp", "1")
	req.Header.Set("X-Signature", "sha256=00")
	if resp, err := http.DefaultClient.Do(req); err != nil || resp.StatusCode != 401 {
		t.Fatalf("forged webhook: %v %v", resp, err)
	}
	for i := 0; i < 3; i++ {
		resp, err := http.Post(a.BaseURL()+"/v1/auth/login", "application/json", strings.NewReader(`{"login":"someone","password":"`+secrets[2]+`"}`))
		if err != nil {
			t.Fatal(err)
		}
		resp.Body.Close()
	}
	a.Stop()
	out := logs.String()
	if !strings.Contains(out, "provider connection refused") {
		t.Fatalf("no refusal logged:\n%s", out)
	}
	for _, s := range secrets {
		if strings.Contains(out, s) {
			t.Errorf("the logs show the secret %q", s)
		}
	}
}
