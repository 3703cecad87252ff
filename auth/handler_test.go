package auth

import (
	"bytes"
	"context"
	"encoding/json"
	"net/http"
	"net/http/httptest"
	"sync"
	"testing"
	"time"

	"github.com/jackc/pgx/v5/pgxpool"
	"github.com/prometheus/client_golang/prometheus"

	"github.com/rankstream/rankstream/internal/testkit"
)

// accounts serves the account endpoints on a fresh database.
func accounts(t *testing.T) (*httptest.Server, *Tokens, *pgxpool.Pool) {
	t.Helper()
	pool, err := pgxpool.New(context.Background(), testkit.Postgres(t))
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(pool.Close)
	tk := newTokens(t, TokenOptions{Secret: []byte("test-secret"), Issuer: "rankstream", TTL: time.Hour})
	h, err := New(Options{DB: pool, Tokens: tk, Hash: testHash}, testkit.Logger(), prometheus.NewRegistry())
	if err != nil {
		t.Fatal(err)
	}
	mux := http.NewServeMux()
	h.Mount(mux)
	srv := httptest.NewServer(mux)
	t.Cleanup(srv.Close)
	return srv, tk, pool
}

func post(t *testing.T, url, body string) (int, map[string]any) {
	t.Helper()
	resp, err := http.Post(url, "application/json", bytes.NewBufferString(body))
	if err != nil {
		t.Fatal(err)
	}
	defer resp.Body.Close()
	var out map[string]any
	_ = json.NewDecoder(resp.Body).Decode(&out)
	return resp.StatusCode, out
}

func TestRegisterAndLogin(t *testing.T) {
	srv, tk, _ := accounts(t)
	reg, login := srv.URL+"/v1/auth/register", srv.URL+"/v1/auth/login"

	if code, body := post(t, reg, `{"login":"u_123","password":"correct horse"}`); code != 201 || body["user_id"] != "u_123" {
		t.Fatalf("register: %d %v", code, body)
	}
	if code, body := post(t, reg, `{"login":"u_123","password":"another one"}`); code != 409 {
		t.Fatalf("second register: %d %v", code, body)
	}
	for _, bad := range []string{`{"login":"u 1","password":"correct horse"}`, `{"login":"","password":"correct horse"}`,
		`{"login":"u_9","password":""}`, `{"login":"u_9"}`, `not json`, `{"login":"u.1","password":"correct horse"}`} {
		if code, _ := post(t, reg, bad); code != 400 {
			t.Errorf("register %s: %d", bad, code)
		}
	}

	code, body := post(t, login, `{"login":"u_123","password":"correct horse"}`)
	if code != 200 {
		t.Fatalf("login: %d %v", code, body)
	}
	tok, _ := body["token"].(string)
	exp, err := time.Parse(time.RFC3339, body["expires_at"].(string))
	if err != nil {
		t.Fatal(err)
	}
	if d := time.Until(exp); d < 59*time.Minute || d > 61*time.Minute {
		t.Fatalf("expires_at %v", exp)
	}
	c, err := tk.Verify(tok)
	if err != nil || c.UserID != "u_123" {
		t.Fatalf("token: %+v %v", c, err)
	}
	req, _ := http.NewRequest("GET", srv.URL+"/v1/auth/me", nil)
	req.Header.Set("Authorization", "Bearer "+tok)
	resp, err := http.DefaultClient.Do(req)
	if err != nil {
		t.Fatal(err)
	}
	var who map[string]string
	_ = json.NewDecoder(resp.Body).Decode(&who)
	resp.Body.Close()
	if resp.StatusCode != 200 || who["user_id"] != "u_123" {
		t.Fatalf("me: %d %v", resp.StatusCode, who)
	}
	if resp, _ := http.Get(srv.URL + "/v1/auth/me"); resp.StatusCode != 401 {
		t.Fatalf("me without token: %d", resp.StatusCode)
	}
	for _, bad := range []string{`{"login":"u_123","password":"wrong horse"}`, `{"login":"nobody","password":"correct horse"}`} {
		if code, body := post(t, login, bad); code != 401 || body["error"] == nil {
			t.Errorf("login %s: %d %v", bad, code, body)
		}
	}
}

func TestPasswordsStoredHashed(t *testing.T) {
	srv, _, pool := accounts(t)
	post(t, srv.URL+"/v1/auth/register", `{"login":"alice","password":"plain text pw"}`)
	var h string
	if err := pool.QueryRow(context.Background(), "SELECT password_hash FROM auth_users WHERE user_id='alice'").Scan(&h); err != nil {
		t.Fatal(err)
	}
	if ok, err := CheckPassword("plain text pw", h); !ok || err != nil || bytes.Contains([]byte(h), []byte("plain")) {
		t.Fatalf("stored %q", h)
	}
}

func TestConcurrentRegistrationsOneWins(t *testing.T) {
	srv, _, _ := accounts(t)
	var wg sync.WaitGroup
	codes := make(chan int, 8)
	for i := 0; i < 8; i++ {
		wg.Add(1)
		go func() {
			defer wg.Done()
			code, _ := post(t, srv.URL+"/v1/auth/register", `{"login":"race","password":"same password"}`)
			codes <- code
		}()
	}
	wg.Wait()
	close(codes)
	n := map[int]int{}
	for c := range codes {
		n[c]++
	}
	if n[201] != 1 || n[409] != 7 {
		t.Fatalf("codes %v", n)
	}
}

func TestDatabaseDownAnswers503(t *testing.T) {
	pool, err := pgxpool.New(context.Background(), "postgres://127.0.0.1:1/none?sslmode=disable&connect_timeout=1")
	if err != nil {
		t.Fatal(err)
	}
	defer pool.Close()
	tk := newTokens(t, TokenOptions{Secret: []byte("x")})
	h, err := New(Options{DB: pool, Tokens: tk, Hash: testHash, Timeout: 2 * time.Second}, testkit.Logger(), nil)
	if err != nil {
		t.Fatal(err)
	}
	mux := http.NewServeMux()
	h.Mount(mux)
	srv := httptest.NewServer(mux)
	defer srv.Close()
	if code, _ := post(t, srv.URL+"/v1/auth/login", `{"login":"u_1","password":"whatever pw"}`); code != 503 {
		t.Fatalf("login with the database down: %d", code)
	}
}
