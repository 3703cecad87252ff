package api_test

import (
	"fmt"
	"io"
	"net/http"
	"strconv"
	"strings"
	"testing"
	"time"

	"github.com/rankstream/rankstream/api/apitest"
	"github.com/rankstream/rankstream/contest"
	"github.com/rankstream/rankstream/ingest"
	"github.com/rankstream/rankstream/internal/app"
	apptest "github.com/rankstream/rankstream/internal/app/apptest"
)

// TestResponsesMatchSpec drives every route of a running process through
// its success and error answers and validates each response against
// openapi.yaml; every operation of the spec that is not planned must have
// been seen.
func TestResponsesMatchSpec(t *testing.T) {
	now := time.Now().UTC()
	start, end := now.Add(-time.Hour).Truncate(time.Second), now.Add(time.Hour).Truncate(time.Second)
	body := func(title string) string {
		return fmt.Sprintf("id: spec\ntitle: %s\nwindow: {start: %s, end: %s}\nlateness: 1h\nscoring: {model: wager}\nleaderboard: {type: sum}\n",
			title, start.Format(time.RFC3339), end.Format(time.RFC3339))
	}
	c, err := contest.Parse("spec.yml", []byte(body("Spec")))
	if err != nil {
		t.Fatal(err)
	}
	const secret = "spec-secret"
	a := apptest.Start(t, apptest.NewEnv(t), []*contest.Contest{c}, func(o *app.Options) {
		o.Providers = map[string]string{"acme": secret}
	})
	v, err := apitest.New("http://" + a.Addr())
	if err != nil {
		t.Fatal(err)
	}
	s := &specClient{t: t, cl: v.Client(), base: "http://" + a.Addr(), secret: secret}
	s.want(200, "GET", "/healthz", "", "", "", nil)
	s.want(200, "GET", "/metrics", "", "", "", nil)
	s.want(200, "GET", "/openapi.yaml", "", "", "", nil)
	s.want(200, "GET", "/", "", "", "", nil)
	s.want(200, "GET", "/assets/app.js", "", "", "", nil)
	specIngest(s, a, now)
	tok := specPlayers(s)
	specAdmin(s, body("Spec 2"))
	specRewards(s, start, tok)

	for _, e := range v.Errors() {
		t.Error(e)
	}
	seen := map[string]bool{}
	for _, s := range v.Seen() {
		seen[s[:strings.LastIndexByte(s, ' ')]] = true
	}
	for r := range specRoutes(loadSpec(t)) {
		if planned[r] == "" && !seen[r] && r != "GET /readyz" {
			t.Errorf("no response of %s was validated", r)
		}
	}
	t.Logf("validated: %s", strings.Join(v.Seen(), ", "))
}

// specClient sends requests to the process through the validating client.
type specClient struct {
	t      *testing.T
	cl     *http.Client
	base   string
	secret string
}

func (s *specClient) do(method, path, token, ctype, payload string, hdr map[string]string) (int, string) {
	s.t.Helper()
	req, _ := http.NewRequest(method, s.base+path, strings.NewReader(payload))
	if ctype != "" {
		req.Header.Set("Content-Type", ctype)
	}
	if token != "" {
		req.Header.Set("Authorization", "Bearer "+token)
	}
	for k, val := range hdr {
		req.Header.Set(k, val)
	}
	resp, err := s.cl.Do(req)
	if err != nil {
		s.t.Fatalf("%s %s: %v", method, path, err)
	}
	defer resp.Body.Close()
	b, _ := io.ReadAll(resp.Body)
	return resp.StatusCode, string(b)
}

// want is do that expects the status code; it returns the body.
func (s *specClient) want(code int, method, path, token, ctype, payload string, hdr map[string]string) string {
	s.t.Helper()
	got, b := s.do(method, path, token, ctype, payload, hdr)
	if got != code {
		s.t.Errorf("%s %s: %d, want %d: %.300s", method, path, got, code, b)
	}
	return b
}

// signed is the provider's signature headers of payload (sig "" for the
// right one).
func (s *specClient) signed(payload, sig string) map[string]string {
	ts := strconv.FormatInt(time.Now().Unix(), 10)
	if sig == "" {
		n, _ := strconv.ParseInt(ts, 10, 64)
		sig = ingest.Sign(s.secret, n, []byte(payload))
	}
	return map[string]string{ingest.HeaderProviderID: "acme", ingest.HeaderTimestamp: ts, ingest.HeaderSignature: sig}
}

// specIngest: the webhook's answers, then readiness and the read API.
func specIngest(s *specClient, a *app.App, now time.Time) {
	ev := string(apptest.Event("e1", "u_1", "acme", now, 700, 0, "DE"))
	s.want(202, "POST", "/v1/events", "", "application/json", ev, s.signed(ev, ""))
	batch := "[" + string(apptest.Event("e2", "u_2", "acme", now, 300, 0, "DE")) + `,{"event_id":"bad"}]`
	s.want(202, "POST", "/v1/events", "", "application/json", batch, s.signed(batch, ""))
	s.want(400, "POST", "/v1/events", "", "application/json", `{"event_id":"x"}`, s.signed(`{"event_id":"x"}`, ""))
	s.want(401, "POST", "/v1/events", "", "application/json", ev, s.signed(ev, "sha256=00"))
	s.want(415, "POST", "/v1/events", "", "text/plain", ev, s.signed(ev, ""))
	apptest.Settle(s.t, a)
	deadline := time.Now().Add(20 * time.Second)
	for ; ; time.Sleep(50 * time.Millisecond) {
		if code, _ := s.do("GET", "/readyz", "", "", "", nil); code == 200 || time.Now().After(deadline) {
			break
		}
	}

	s.want(200, "GET", "/v1/contests", "", "", "", nil)
	s.want(200, "GET", "/v1/contests?market=DE", "", "", "", nil)
	for deadline := time.Now().Add(10 * time.Second); ; time.Sleep(50 * time.Millisecond) {
		_, b := s.do("GET", "/v1/leaderboards/spec?top=10&me=u_2&around=1", "", "", "", nil)
		if strings.Contains(b, `"u_2"`) || time.Now().After(deadline) {
			break
		}
	}
	s.want(200, "GET", "/v1/leaderboards/spec?me=nobody", "", "", "", nil)
	s.want(404, "GET", "/v1/leaderboards/none", "", "", "", nil)
	s.want(400, "GET", "/v1/leaderboards/spec?top=x", "", "", "", nil)
}

// specPlayers: the WebSocket's refusal and the player accounts; it returns
// the logged-in player's token.
func specPlayers(s *specClient) string {
	s.want(401, "GET", "/v1/ws", "", "", "", nil)
	s.want(400, "POST", "/v1/auth/register", "", "application/json", `{"login":"a"}`, nil)
	s.want(201, "POST", "/v1/auth/register", "", "application/json", `{"login":"spec_user","password":"correct horse battery"}`, nil)
	s.want(409, "POST", "/v1/auth/register", "", "application/json", `{"login":"spec_user","password":"correct horse battery"}`, nil)
	s.want(401, "POST", "/v1/auth/login", "", "application/json", `{"login":"spec_user","password":"wrong password here"}`, nil)
	lb := s.want(200, "POST", "/v1/auth/login", "", "application/json", `{"login":"spec_user","password":"correct horse battery"}`, nil)
	tok := between(lb, `"token":"`, `"`)
	s.want(200, "GET", "/v1/auth/me", tok, "", "", nil)
	s.want(401, "GET", "/v1/auth/me", "", "", "", nil)
	return tok
}

// specAdmin: the contest versions and freeze/finalize of the admin API
// (body2: the contest's version 2).
func specAdmin(s *specClient, body2 string) {
	adm := apptest.AdminToken
	s.want(401, "PUT", "/v1/admin/contests/spec", "", "application/yaml", body2, nil)
	s.want(400, "PUT", "/v1/admin/contests/spec", adm, "application/yaml", "id: spec\nscoring: {model: nope}\n", nil)
	s.want(201, "PUT", "/v1/admin/contests/spec", adm, "application/yaml", body2, nil)
	s.want(200, "PUT", "/v1/admin/contests/spec", adm, "application/yaml", body2, nil)
	s.want(200, "GET", "/v1/admin/contests/spec/versions", adm, "", "", nil)
	s.want(401, "GET", "/v1/admin/contests/spec/versions", "", "", "", nil)
	s.want(200, "GET", "/v1/admin/contests/spec/versions/1", adm, "", "", nil)
	s.want(404, "GET", "/v1/admin/contests/spec/versions/9", adm, "", "", nil)
	s.want(400, "GET", "/v1/admin/contests/spec/versions/x", adm, "", "", nil)
	s.want(200, "POST", "/v1/admin/contests/spec/freeze", adm, "", "", nil)
	s.want(200, "POST", "/v1/admin/contests/spec/unfreeze", adm, "", "", nil)
	s.want(404, "POST", "/v1/admin/contests/none/freeze", adm, "", "", nil)
	s.want(200, "POST", "/v1/admin/contests/spec/finalize", adm, "", "", nil)
}

// specRewards: rewards, holds, flags and missions (tok: a player's token).
func specRewards(s *specClient, start time.Time, tok string) {
	adm := apptest.AdminToken
	win := "?window=" + start.Format(time.RFC3339)
	s.want(200, "GET", "/v1/rewards", tok, "", "", nil)
	s.want(401, "GET", "/v1/rewards", "", "", "", nil)
	claim := `{"context":"contest","id":"spec","window":"` + start.Format(time.RFC3339) + `"}`
	s.want(404, "POST", "/v1/rewards/claim", tok, "application/json", claim, nil)
	s.want(401, "POST", "/v1/rewards/claim", "", "application/json", claim, nil)
	s.want(404, "GET", "/v1/rewards/draws/spec"+win, "", "", "", nil)
	s.want(404, "GET", "/v1/rewards/prizes/spec", "", "", "", nil)
	s.want(401, "PUT", "/v1/admin/holds/spec_user", "", "application/json", `{"reason":"kyc"}`, nil)
	s.do("PUT", "/v1/admin/holds/spec_user", adm, "application/json", `{"reason":"kyc"}`, nil)
	s.do("DELETE", "/v1/admin/holds/spec_user", adm, "", "", nil)
	s.want(401, "GET", "/v1/admin/rewards/spec"+win, "", "", "", nil)
	s.do("GET", "/v1/admin/rewards/spec"+win, adm, "", "", nil)
	s.want(401, "GET", "/v1/admin/flags/spec", "", "", "", nil)
	s.want(200, "GET", "/v1/admin/flags/spec", adm, "", "", nil)
	s.want(200, "GET", "/v1/admin/flags/spec"+win, adm, "", "", nil)
	s.want(400, "GET", "/v1/admin/flags/spec?window=nope", adm, "", "", nil)
	s.want(401, "DELETE", "/v1/admin/flags/spec/spec_user", "", "", "", nil)
	s.want(404, "DELETE", "/v1/admin/flags/spec/spec_user", adm, "", "", nil)
	s.want(200, "GET", "/v1/missions", "", "", "", nil)
	s.want(404, "GET", "/v1/missions/none/progress?user=u_1", "", "", "", nil)
}

func between(s, from, to string) string {
	_, rest, ok := strings.Cut(s, from)
	if !ok {
		return ""
	}
	out, _, _ := strings.Cut(rest, to)
	return out
}
