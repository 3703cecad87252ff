package rewards

import (
	"bytes"
	"context"
	"crypto/sha256"
	"encoding/hex"
	"encoding/json"
	"fmt"
	"io"
	"net/http"
	"net/http/httptest"
	"testing"
	"time"

	"github.com/rankstream/rankstream/auth"
)

type apiEnv struct {
	*env
	srv   *httptest.Server
	tok   *auth.Tokens
	stage *Stage
}

func newAPIEnv(t *testing.T) *apiEnv {
	t.Helper()
	e := newEnv(t)
	tok, err := auth.NewTokens(auth.TokenOptions{Secret: []byte("test-secret-0123456789")})
	if err != nil {
		t.Fatal(err)
	}
	s := e.stage(t, e.pool)
	api, err := NewAPI(APIOptions{Store: s.Store, Tokens: tok, AdminToken: "adm", Metrics: s.Metrics()}, nil)
	if err != nil {
		t.Fatal(err)
	}
	mux := http.NewServeMux()
	api.Register(mux)
	srv := httptest.NewServer(mux)
	t.Cleanup(srv.Close)
	return &apiEnv{env: e, srv: srv, tok: tok, stage: s}
}

func (a *apiEnv) token(t *testing.T, user string) string {
	t.Helper()
	tk, _, err := a.tok.Issue(user)
	if err != nil {
		t.Fatal(err)
	}
	return tk
}

// do sends a request with a bearer token (none when empty) and returns
// the status and the decoded body.
func (a *apiEnv) do(t *testing.T, method, path, token, body string) (int, map[string]any) {
	t.Helper()
	req, _ := http.NewRequest(method, a.srv.URL+path, bytes.NewBufferString(body))
	if token != "" {
		req.Header.Set("Authorization", "Bearer "+token)
	}
	res, err := http.DefaultClient.Do(req)
	if err != nil {
		t.Fatal(err)
	}
	defer res.Body.Close()
	raw, _ := io.ReadAll(res.Body)
	var m map[string]any
	_ = json.Unmarshal(raw, &m)
	return res.StatusCode, m
}

const claimBody = `{"context":"contest","id":"t_api","window":"2025-10-25T18:00:00Z"}`

// TestClaimAPI: every answer of POST /v1/rewards/claim, the player list
// and the admin holds and table.
func TestClaimAPI(t *testing.T) {
	a := newAPIEnv(t)
	ctx := context.Background()
	a.putContest(t, "t_api", ladderRewards)
	a.finalSnapshot(t, "t_api", "", []int64{90, 50, 40})
	notices, err := a.st.NC.SubscribeSync("lb.t_api.user.*.notice")
	if err != nil {
		t.Fatal(err)
	}
	a.stage.Round(ctx)
	for _, u := range []string{"u_1", "u_2", "u_3"} {
		m, err := notices.NextMsg(5 * time.Second)
		if err != nil {
			t.Fatalf("reward_available notice: %v", err)
		}
		want := fmt.Sprintf(`{"type":"notice","contest":"t_api","window":"2025-10-25T18:00:00Z","kind":"reward_available","user":"%s","reward_id":"%s"}`,
			u, ContestRewardID("t_api", testWindow, "", u))
		if m.Subject != "lb.t_api.user."+u+".notice" || string(m.Data) != want {
			t.Fatalf("notice %s %s, want %s", m.Subject, m.Data, want)
		}
	}
	u1, u2 := a.token(t, "u_1"), a.token(t, "u_2")
	forger, _ := auth.NewTokens(auth.TokenOptions{Secret: []byte("another-secret-9876543210")})
	forged, _, _ := forger.Issue("u_1")

	for _, tc := range []struct {
		name, token, body string
		want              int
	}{
		{"no token", "", claimBody, 401},
		{"forged token", forged, claimBody, 401},
		{"bad body", u1, `{"context":`, 400},
		{"another player's reward", a.token(t, "u_9"), claimBody, 404},
		{"unknown contest", u1, `{"context":"contest","id":"nope","window":"2025-10-25T18:00:00Z"}`, 404},
	} {
		if code, body := a.do(t, "POST", "/v1/rewards/claim", tc.token, tc.body); code != tc.want {
			t.Fatalf("%s: %d %v, want %d", tc.name, code, body, tc.want)
		}
	}
	if code, _ := a.do(t, "PUT", "/v1/admin/holds/u_1", "", `{"reason":"kyc"}`); code != 401 {
		t.Fatalf("hold without admin token: %d", code)
	}
	if code, _ := a.do(t, "PUT", "/v1/admin/holds/u_1", "adm", `{"reason":"kyc"}`); code != 200 {
		t.Fatalf("hold: %d", code)
	}
	if code, _ := a.do(t, "POST", "/v1/rewards/claim", u1, claimBody); code != 423 {
		t.Fatalf("claim on hold: %d", code)
	}
	if code, _ := a.do(t, "DELETE", "/v1/admin/holds/u_1", "adm", ""); code != 200 {
		t.Fatalf("lift hold: %d", code)
	}
	code, first := a.do(t, "POST", "/v1/rewards/claim", u1, claimBody)
	if code != 201 || first["status"] != "granted" || first["amount_minor"] != 5000.0 || first["currency"] != "EUR" ||
		first["reward_id"] != ContestRewardID("t_api", testWindow, "", "u_1") {
		t.Fatalf("claim: %d %v", code, first)
	}
	if code, again := a.do(t, "POST", "/v1/rewards/claim", u1, claimBody); code != 200 || fmt.Sprint(again) != fmt.Sprint(first) {
		t.Fatalf("repeated claim: %d %v", code, again)
	}
	// u_2's claim window passes.
	a.stage.Store.now = func() time.Time { return time.Now().UTC().Add(2 * time.Hour) }
	if code, _ := a.do(t, "POST", "/v1/rewards/claim", u2, claimBody); code != 410 {
		t.Fatalf("claim after the window: %d", code)
	}
	code, list := a.do(t, "GET", "/v1/rewards", u1, "")
	rs, _ := list["rewards"].([]any)
	if code != 200 || len(rs) != 1 || rs[0].(map[string]any)["status"] != "granted" {
		t.Fatalf("list: %d %v", code, list)
	}
	if code, _ := a.do(t, "GET", "/v1/rewards", "", ""); code != 401 {
		t.Fatalf("list without token: %d", code)
	}
	code, table := a.do(t, "GET", "/v1/admin/rewards/t_api?window=2025-10-25T18:00:00Z", "adm", "")
	if rows, _ := table["rewards"].([]any); code != 200 || len(rows) != 3 {
		t.Fatalf("admin table: %d %v", code, table)
	}
}

// TestDrawsRecomputable: a tickets board's published draw, recomputed from
// the published seed and the snapshot's standings alone.
func TestDrawsRecomputable(t *testing.T) {
	a := newAPIEnv(t)
	ctx := context.Background()
	a.putContest(t, "t_api", `rewards:
  pool: {currency: EUR, total_minor: 1000}
  distribution: tickets
  tickets: {points_per_ticket: 10, prizes: [{count: 1, amount_minor: 500}, {count: 3, amount_minor: 100}]}
  auto_grant: true
`)
	scores := []int64{300, 200, 120, 95, 40, 9, 0}
	h := a.finalSnapshot(t, "t_api", "", scores)
	a.stage.Round(ctx)
	code, body := a.do(t, "GET", "/v1/rewards/draws/t_api?window=2025-10-25T18:00:00Z", "", "")
	if code != 200 || body["standings_hash"] != hex.EncodeToString(h.StandingsHash[:]) {
		t.Fatalf("draws: %d %v", code, body)
	}
	raw, _ := json.Marshal(body["draw"])
	var d Draw
	if err := json.Unmarshal(raw, &d); err != nil {
		t.Fatal(err)
	}
	seed := sha256.Sum256([]byte("t_api|2025-10-25T18:00:00Z||" + body["standings_hash"].(string)))
	if d.Seed != hex.EncodeToString(seed[:]) {
		t.Fatalf("seed %s is not recomputable from the published standings hash", d.Seed)
	}
	r := Rules{Tickets: TicketsRule{PointsPerTicket: 10, Prizes: []Prize{{1, 500}, {3, 100}}}}
	wins := oracleDraw(r, d.Seed, entries(scores...))
	if len(wins) != 4 || len(d.Draws) != 4 {
		t.Fatalf("draws %+v, oracle %v", d.Draws, wins)
	}
	for i, w := range wins {
		if d.Draws[i].Pos != w[0] || d.Draws[i].AmountMinor != int64(w[1]) {
			t.Fatalf("draw %d: %+v, oracle %v", i, d.Draws[i], w)
		}
	}
	// auto_grant: every winner is paid, once, and the postings reach the wallet.
	if n := a.ledgerCheck(t); n != 4 {
		t.Fatalf("grants %d", n)
	}
	eventually(t, 10*time.Second, "wallet postings", func() bool {
		a.stage.Round(ctx)
		ids, _ := a.walletMsgs(t)
		return len(ids) == 4
	})
}
