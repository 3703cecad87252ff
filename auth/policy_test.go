package auth

import (
	"context"
	"errors"
	"net/http"
	"net/http/httptest"
	"strconv"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/jackc/pgx/v5/pgxpool"
	"github.com/prometheus/client_golang/prometheus"

	"github.com/rankstream/rankstream/internal/testkit"
)

func TestCheckNewPassword(t *testing.T) {
	for _, pw := range []string{"x", "short-pw", "1234567890", "Password123", "QWERTYUIOP", "aaaaaaaaaaaa",
		"abababababab", "my-alice-pass-01"} {
		if err := CheckNewPassword("alice", pw); !errors.Is(err, ErrWeakPassword) {
			t.Errorf("%q accepted (%v)", pw, err)
		}
	}
	for _, pw := range []string{"correct horse", "Tr0ub4dor&3-long", "ünïcødé-påsswørd"} {
		if err := CheckNewPassword("alice", pw); err != nil {
			t.Errorf("%q refused: %v", pw, err)
		}
	}
}

func TestRegisterRefusesWeakPasswords(t *testing.T) {
	srv, _, _ := accounts(t)
	reg := srv.URL + "/v1/auth/register"
	for _, pw := range []string{"a", "123456789", "1234567890", "password123", "zzzzzzzzzzzz", "bob_the_user1"} {
		code, body := post(t, reg, `{"login":"bob_the_user","password":"`+pw+`"}`)
		if code != http.StatusBadRequest || !strings.Contains(body["error"].(string), "password") {
			t.Errorf("password %q: %d %v, want 400 naming the password", pw, code, body)
		}
	}
	if code, _ := post(t, reg, `{"login":"bob_the_user","password":"a long enough phrase"}`); code != http.StatusCreated {
		t.Fatalf("good password: %d", code)
	}
}

type fakeClock struct {
	mu sync.Mutex
	t  time.Time
}

func (c *fakeClock) now() time.Time      { c.mu.Lock(); defer c.mu.Unlock(); return c.t }
func (c *fakeClock) add(d time.Duration) { c.mu.Lock(); c.t = c.t.Add(d); c.mu.Unlock() }
func postCode(t *testing.T, url, body string) (int, string) {
	t.Helper()
	resp, err := http.Post(url, "application/json", strings.NewReader(body))
	if err != nil {
		t.Fatal(err)
	}
	resp.Body.Close()
	return resp.StatusCode, resp.Header.Get("Retry-After")
}

// 30 wrong logins in a row are not all plain 401s: from the 5th on the
// login is locked (429 + Retry-After, growing), even for the right
// password; once the lock ends the right password works and resets it.
func TestRepeatedWrongLoginsLock(t *testing.T) {
	pool, err := pgxpool.New(context.Background(), testkit.Postgres(t))
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(pool.Close)
	clk := &fakeClock{t: time.Unix(1_700_000_000, 0)}
	tk := newTokens(t, TokenOptions{Secret: []byte("test-secret"), Issuer: "rankstream", TTL: time.Hour})
	h, err := New(Options{DB: pool, Tokens: tk, Hash: testHash, Now: clk.now}, testkit.Logger(), prometheus.NewRegistry())
	if err != nil {
		t.Fatal(err)
	}
	mux := http.NewServeMux()
	h.Mount(mux)
	srv := httptest.NewServer(mux)
	defer srv.Close()
	login := srv.URL + "/v1/auth/login"
	if code, _ := post(t, srv.URL+"/v1/auth/register", `{"login":"victim","password":"the right password"}`); code != 201 {
		t.Fatalf("register: %d", code)
	}
	counts := map[int]int{}
	lastRetry := 0
	for i := 0; i < 30; i++ {
		code, ra := postCode(t, login, `{"login":"victim","password":"guess number `+strconv.Itoa(i)+`"}`)
		counts[code]++
		if code == http.StatusTooManyRequests {
			s, err := strconv.Atoi(ra)
			if err != nil || s < 1 {
				t.Fatalf("429 with Retry-After %q", ra)
			}
			lastRetry = s
		}
		clk.add(100 * time.Millisecond)
	}
	if counts[http.StatusUnauthorized] != DefaultLockAfter-1 || counts[http.StatusTooManyRequests] != 30-DefaultLockAfter+1 {
		t.Fatalf("answers to 30 wrong logins: %v", counts)
	}
	if code, _ := postCode(t, login, `{"login":"victim","password":"the right password"}`); code != http.StatusTooManyRequests {
		t.Fatalf("right password while locked: %d, want 429", code)
	}
	clk.add(time.Duration(lastRetry+1) * time.Second)
	if code, _ := postCode(t, login, `{"login":"victim","password":"the right password"}`); code != http.StatusOK {
		t.Fatalf("right password after the lock: %d", code)
	}
	if code, _ := postCode(t, login, `{"login":"victim","password":"wrong again"}`); code != http.StatusUnauthorized {
		t.Fatalf("a wrong password after a good login: %d, want a plain 401 (counter reset)", code)
	}
}
