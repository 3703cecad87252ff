package app_test

import (
	"io"
	"net/http"
	"strconv"
	"strings"
	"testing"

	"github.com/rankstream/rankstream/internal/app"
	"github.com/rankstream/rankstream/internal/app/apptest"
	"github.com/rankstream/rankstream/internal/tlstest"
)

func get(t *testing.T, c *http.Client, method, url, body string) *http.Response {
	t.Helper()
	req, err := http.NewRequest(method, url, strings.NewReader(body))
	if err != nil {
		t.Fatal(err)
	}
	resp, err := c.Do(req)
	if err != nil {
		t.Fatalf("%s %s: %v", method, url, err)
	}
	io.Copy(io.Discard, resp.Body)
	resp.Body.Close()
	return resp
}

// With http.tls the API answers HTTPS only: a plain HTTP request gets no
// answer of the API, a client trusting the CA gets its answers.
func TestHTTPTLSRefusesPlainHTTP(t *testing.T) {
	certs := tlstest.New(t)
	a := apptest.Start(t, apptest.NewEnv(t), nil, func(o *app.Options) { o.TLSCert, o.TLSKey = certs.Cert, certs.Key })
	if !strings.HasPrefix(a.BaseURL(), "https://") {
		t.Fatalf("BaseURL %s", a.BaseURL())
	}
	if resp := get(t, http.DefaultClient, "GET", "http://"+a.Addr()+"/healthz", ""); resp.StatusCode == http.StatusOK {
		t.Fatal("plain HTTP answered 200 on a TLS-only server")
	}
	if _, err := http.Get(a.BaseURL() + "/healthz"); err == nil {
		t.Fatal("a client not trusting the CA got an answer")
	}
	c := &http.Client{Transport: &http.Transport{TLSClientConfig: certs.ClientConfig()}}
	if resp := get(t, c, "GET", a.BaseURL()+"/healthz", ""); resp.StatusCode != http.StatusOK {
		t.Fatalf("HTTPS healthz: %d", resp.StatusCode)
	}
}

// Login, query and WebSocket connects over their per-IP rate get 429 with
// Retry-After; other routes are not limited.
func TestRateLimitsAnswer429(t *testing.T) {
	a := apptest.Start(t, apptest.NewEnv(t), nil, func(o *app.Options) {
		o.Limits = app.Limits{LoginPerMinute: 4, QueryPerSecond: 2, WSPerMinute: 4}
	})
	base := a.BaseURL()
	for _, c := range []struct {
		name, method, path, body string
		free                     int // requests let through before the 429
	}{
		{"login", "POST", "/v1/auth/login", `{"login":"nobody_here","password":"wrong-password"}`, 1},
		{"query", "GET", "/v1/contests", "", 2},
		{"ws", "GET", "/v1/ws", "", 1},
	} {
		for i := 0; i < c.free; i++ {
			if resp := get(t, http.DefaultClient, c.method, base+c.path, c.body); resp.StatusCode == http.StatusTooManyRequests {
				t.Fatalf("%s: request %d already refused", c.name, i+1)
			}
		}
		resp := get(t, http.DefaultClient, c.method, base+c.path, c.body)
		if resp.StatusCode != http.StatusTooManyRequests {
			t.Fatalf("%s: request %d answered %d, want 429", c.name, c.free+1, resp.StatusCode)
		}
		if s, err := strconv.Atoi(resp.Header.Get("Retry-After")); err != nil || s < 1 {
			t.Fatalf("%s: Retry-After %q", c.name, resp.Header.Get("Retry-After"))
		}
	}
	for i := 0; i < 10; i++ {
		if resp := get(t, http.DefaultClient, "GET", base+"/healthz", ""); resp.StatusCode != http.StatusOK {
			t.Fatalf("healthz limited: %d", resp.StatusCode)
		}
	}
}
