package auth

import (
	"context"
	"crypto/subtle"
	"errors"
	"net/http"
	"strings"

	"github.com/golang-jwt/jwt/v5"
)

// TokenFromRequest returns the bearer token of r: the Authorization header
// ("Bearer <token>"), else the token query parameter; "" when neither.
func TokenFromRequest(r *http.Request) string {
	if h := r.Header.Get("Authorization"); h != "" {
		if scheme, tok, ok := strings.Cut(h, " "); ok && strings.EqualFold(scheme, "Bearer") {
			return strings.TrimSpace(tok)
		}
		return ""
	}
	return r.URL.Query().Get("token")
}

// Authenticate verifies the token r carries.
func (t *Tokens) Authenticate(r *http.Request) (Claims, error) {
	return t.Verify(TokenFromRequest(r))
}

// RefusalMessage is the client-facing text of a token refusal.
func RefusalMessage(err error) string {
	switch {
	case errors.Is(err, ErrNoToken):
		return "token required"
	case errors.Is(err, jwt.ErrTokenExpired):
		return "token expired"
	}
	return "invalid token"
}

type ctxKey struct{}

// WithClaims returns ctx carrying c.
func WithClaims(ctx context.Context, c Claims) context.Context {
	return context.WithValue(ctx, ctxKey{}, c)
}

// ClaimsFrom returns the claims RequirePlayer put in ctx.
func ClaimsFrom(ctx context.Context) (Claims, bool) {
	c, ok := ctx.Value(ctxKey{}).(Claims)
	return c, ok
}

// RequirePlayer answers 401 to requests without a valid player token and
// passes the others on with the claims in their context (ClaimsFrom).
func (t *Tokens) RequirePlayer(next http.Handler) http.Handler {
	return http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		c, err := t.Authenticate(r)
		if err != nil {
			WriteError(w, http.StatusUnauthorized, RefusalMessage(err))
			return
		}
		next.ServeHTTP(w, r.WithContext(WithClaims(r.Context(), c)))
	})
}

// RequireAdmin guards admin endpoints: the request must carry token as
// "Authorization: Bearer <token>" or "X-Admin-Token: <token>". A wrong or
// missing token is answered 401; when token is empty (admin_token not
// configured) every request is answered 403.
func RequireAdmin(token string, next http.Handler) http.Handler {
	return http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		if token == "" {
			WriteError(w, http.StatusForbidden, "admin endpoints are disabled: admin_token is not configured")
			return
		}
		got := r.Header.Get("X-Admin-Token")
		if got == "" {
			if scheme, tok, ok := strings.Cut(r.Header.Get("Authorization"), " "); ok && strings.EqualFold(scheme, "Bearer") {
				got = strings.TrimSpace(tok)
			}
		}
		if got == "" || subtle.ConstantTimeCompare([]byte(got), []byte(token)) != 1 {
			WriteError(w, http.StatusUnauthorized, "admin token required")
			return
		}
		next.ServeHTTP(w, r)
	})
}
