package auth

import (
	"crypto/ecdsa"
	"crypto/elliptic"
	"crypto/rand"
	"crypto/rsa"
	"crypto/x509"
	"encoding/pem"
	"errors"
	"strings"
	"testing"
	"time"

	"github.com/golang-jwt/jwt/v5"
)

func newTokens(t *testing.T, o TokenOptions) *Tokens {
	t.Helper()
	tk, err := NewTokens(o)
	if err != nil {
		t.Fatal(err)
	}
	return tk
}

func sign(t *testing.T, m jwt.SigningMethod, key any, c jwt.Claims) string {
	t.Helper()
	s, err := jwt.NewWithClaims(m, c).SignedString(key)
	if err != nil {
		t.Fatal(err)
	}
	return s
}

func claims(sub, iss string, exp time.Time) jwt.RegisteredClaims {
	return jwt.RegisteredClaims{Subject: sub, Issuer: iss, ExpiresAt: jwt.NewNumericDate(exp)}
}

func TestIssueVerifyRoundTrip(t *testing.T) {
	now := time.Date(2025, 10, 25, 18, 0, 0, 0, time.UTC)
	tk := newTokens(t, TokenOptions{Secret: []byte("s3cret"), Issuer: "rankstream", TTL: time.Hour, Now: func() time.Time { return now }})
	tok, exp, err := tk.Issue("u_123")
	if err != nil {
		t.Fatal(err)
	}
	if !exp.Equal(now.Add(time.Hour)) {
		t.Fatalf("expires %v", exp)
	}
	c, err := tk.Verify(tok)
	if err != nil {
		t.Fatal(err)
	}
	if c.UserID != "u_123" || !c.ExpiresAt.Equal(exp) || c.External {
		t.Fatalf("claims %+v", c)
	}
	// The token says sub, iss and exp in the clear.
	var rc jwt.RegisteredClaims
	if _, _, err := jwt.NewParser().ParseUnverified(tok, &rc); err != nil || rc.Subject != "u_123" || rc.Issuer != "rankstream" {
		t.Fatalf("claims %+v %v", rc, err)
	}
	if _, _, err := tk.Issue("bad user"); err == nil {
		t.Fatal("issued a token for an invalid user id")
	}
}

func TestVerifyRefusals(t *testing.T) {
	now := time.Now()
	secret := []byte("s3cret")
	tk := newTokens(t, TokenOptions{Secret: secret, Issuer: "rankstream"})
	good := sign(t, jwt.SigningMethodHS256, secret, claims("u_1", "rankstream", now.Add(time.Hour)))
	parts := strings.Split(good, ".")
	otherPayload := strings.Split(sign(t, jwt.SigningMethodHS256, secret, claims("u_2", "rankstream", now.Add(time.Hour))), ".")[1]
	rsaKey, _ := rsa.GenerateKey(rand.Reader, 2048)
	for name, tc := range map[string]struct {
		tok  string
		want error
	}{
		"empty":         {"", ErrNoToken},
		"garbage":       {"not.a.jwt", ErrInvalidToken},
		"expired":       {sign(t, jwt.SigningMethodHS256, secret, claims("u_1", "rankstream", now.Add(-time.Second))), jwt.ErrTokenExpired},
		"forged":        {sign(t, jwt.SigningMethodHS256, []byte("other"), claims("u_1", "rankstream", now.Add(time.Hour))), jwt.ErrTokenSignatureInvalid},
		"tampered":      {parts[0] + "." + otherPayload + "." + parts[2], jwt.ErrTokenSignatureInvalid},
		"no exp":        {sign(t, jwt.SigningMethodHS256, secret, jwt.RegisteredClaims{Subject: "u_1", Issuer: "rankstream"}), jwt.ErrTokenRequiredClaimMissing},
		"wrong issuer":  {sign(t, jwt.SigningMethodHS256, secret, claims("u_1", "evil", now.Add(time.Hour))), ErrInvalidToken},
		"bad subject":   {sign(t, jwt.SigningMethodHS256, secret, claims("u 1", "rankstream", now.Add(time.Hour))), ErrInvalidToken},
		"alg none":      {sign(t, jwt.SigningMethodNone, jwt.UnsafeAllowNoneSignatureType, claims("u_1", "rankstream", now.Add(time.Hour))), jwt.ErrTokenSignatureInvalid},
		"rs256 no key":  {sign(t, jwt.SigningMethodRS256, rsaKey, claims("u_1", "ext", now.Add(time.Hour))), jwt.ErrTokenSignatureInvalid},
		"hs512 refused": {sign(t, jwt.SigningMethodHS512, secret, claims("u_1", "rankstream", now.Add(time.Hour))), jwt.ErrTokenSignatureInvalid},
	} {
		_, err := tk.Verify(tc.tok)
		if !errors.Is(err, tc.want) {
			t.Errorf("%s: got %v, want %v", name, err, tc.want)
		}
		if tc.want != ErrNoToken && !errors.Is(err, ErrInvalidToken) {
			t.Errorf("%s: %v does not wrap ErrInvalidToken", name, err)
		}
	}
	if _, err := tk.Verify(good); err != nil {
		t.Fatal(err)
	}
}

func pemOf(t *testing.T, pub any) []byte {
	t.Helper()
	der, err := x509.MarshalPKIXPublicKey(pub)
	if err != nil {
		t.Fatal(err)
	}
	return pem.EncodeToMemory(&pem.Block{Type: "PUBLIC KEY", Bytes: der})
}

func TestExternalIssuer(t *testing.T) {
	exp := time.Now().Add(time.Hour)
	rsaKey, _ := rsa.GenerateKey(rand.Reader, 2048)
	ecKey, _ := ecdsa.GenerateKey(elliptic.P256(), rand.Reader)
	for name, tc := range map[string]struct {
		pub    any
		method jwt.SigningMethod
		priv   any
	}{
		"RS256": {&rsaKey.PublicKey, jwt.SigningMethodRS256, rsaKey},
		"ES256": {&ecKey.PublicKey, jwt.SigningMethodES256, ecKey},
	} {
		pub, err := ParsePublicKey(pemOf(t, tc.pub))
		if err != nil {
			t.Fatal(err)
		}
		tk := newTokens(t, TokenOptions{Secret: []byte("s3cret"), PublicKey: pub})
		c, err := tk.Verify(sign(t, tc.method, tc.priv, claims("ext_7", "https://idp.example", exp)))
		if err != nil || c.UserID != "ext_7" || !c.External {
			t.Fatalf("%s: %+v %v", name, c, err)
		}
		// Key confusion: an HS256 token signed with the public key's PEM.
		if _, err := tk.Verify(sign(t, jwt.SigningMethodHS256, pemOf(t, tc.pub), claims("ext_7", "rankstream", exp))); err == nil {
			t.Fatalf("%s: HS256 token signed with the public key accepted", name)
		}
		other, _ := ecdsa.GenerateKey(elliptic.P256(), rand.Reader)
		if _, err := tk.Verify(sign(t, jwt.SigningMethodES256, other, claims("ext_7", "x", exp))); err == nil {
			t.Fatalf("%s: token of another key accepted", name)
		}
		// Our own tokens still verify.
		own, _, _ := tk.Issue("u_1")
		if _, err := tk.Verify(own); err != nil {
			t.Fatalf("%s: own token: %v", name, err)
		}
	}
	// Only a public key: external tokens verify, nothing can be issued.
	pub, _ := ParsePublicKey(pemOf(t, &rsaKey.PublicKey))
	tk := newTokens(t, TokenOptions{PublicKey: pub})
	if _, _, err := tk.Issue("u_1"); err == nil {
		t.Fatal("issued without a secret")
	}
	if _, err := tk.Verify(sign(t, jwt.SigningMethodHS256, []byte(""), claims("u_1", "rankstream", exp))); err == nil {
		t.Fatal("HS256 token accepted without a secret")
	}
}

func TestParsePublicKeyFormats(t *testing.T) {
	rsaKey, _ := rsa.GenerateKey(rand.Reader, 2048)
	pkcs1 := pem.EncodeToMemory(&pem.Block{Type: "RSA PUBLIC KEY", Bytes: x509.MarshalPKCS1PublicKey(&rsaKey.PublicKey)})
	if k, err := ParsePublicKey(pkcs1); err != nil || !rsaKey.PublicKey.Equal(k) {
		t.Fatalf("pkcs1: %v", err)
	}
	for _, bad := range [][]byte{nil, []byte("junk"), pem.EncodeToMemory(&pem.Block{Type: "PRIVATE KEY", Bytes: []byte{1}})} {
		if _, err := ParsePublicKey(bad); err == nil {
			t.Fatalf("accepted %q", bad)
		}
	}
	if _, err := NewTokens(TokenOptions{}); !errors.Is(err, ErrOptions) {
		t.Fatalf("no key: %v", err)
	}
}
