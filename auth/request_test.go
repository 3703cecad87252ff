package auth

import (
	"net/http"
	"net/http/httptest"
	"strings"
	"testing"
	"time"

	"github.com/golang-jwt/jwt/v5"
)

func TestRequireAdmin(t *testing.T) {
	ok := http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) { w.WriteHeader(http.StatusNoContent) })
	h := RequireAdmin("adm1n", ok)
	for name, tc := range map[string]struct {
		hdr, val string
		want     int
	}{
		"none":         {"", "", 401},
		"wrong bearer": {"Authorization", "Bearer nope", 401},
		"basic":        {"Authorization", "Basic adm1n", 401},
		"bearer":       {"Authorization", "Bearer adm1n", 204},
		"x-admin":      {"X-Admin-Token", "adm1n", 204},
		"x-admin bad":  {"X-Admin-Token", "adm1", 401},
	} {
		r := httptest.NewRequest("POST", "/v1/admin/x", nil)
		if tc.hdr != "" {
			r.Header.Set(tc.hdr, tc.val)
		}
		w := httptest.NewRecorder()
		h.ServeHTTP(w, r)
		if w.Code != tc.want {
			t.Errorf("%s: %d, want %d", name, w.Code, tc.want)
		}
	}
	w := httptest.NewRecorder()
	r := httptest.NewRequest("POST", "/v1/admin/x", nil)
	r.Header.Set("Authorization", "Bearer ")
	RequireAdmin("", ok).ServeHTTP(w, r)
	if w.Code != 403 {
		t.Fatalf("no admin token configured: %d", w.Code)
	}
}

func TestRequirePlayer(t *testing.T) {
	tk := newTokens(t, TokenOptions{Secret: []byte("s")})
	var seen string
	h := tk.RequirePlayer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		c, _ := ClaimsFrom(r.Context())
		seen = c.UserID
	}))
	tok, _, _ := tk.Issue("bob")
	expired := sign(t, jwt.SigningMethodHS256, []byte("s"), claims("bob", "rankstream", time.Now().Add(-time.Minute)))
	for name, tc := range map[string]struct {
		url, auth string
		want      int
		msg       string
	}{
		"header":  {"/x", "Bearer " + tok, 200, ""},
		"query":   {"/x?token=" + tok, "", 200, ""},
		"none":    {"/x", "", 401, "token required"},
		"expired": {"/x", "Bearer " + expired, 401, "token expired"},
		"forged":  {"/x", "Bearer " + tok + "x", 401, "invalid token"},
	} {
		seen = ""
		r := httptest.NewRequest("GET", tc.url, nil)
		if tc.auth != "" {
			r.Header.Set("Authorization", tc.auth)
		}
		w := httptest.NewRecorder()
		h.ServeHTTP(w, r)
		if w.Code != tc.want || (tc.want == 200 && seen != "bob") {
			t.Errorf("%s: %d %q", name, w.Code, seen)
		}
		if tc.msg != "" && !strings.Contains(w.Body.String(), tc.msg) {
			t.Errorf("%s: body %s", name, w.Body.String())
		}
	}
}
