// Package auth holds player accounts and tokens (CONTRACT.md §6): users in
// Postgres with argon2id password hashes, POST /v1/auth/register and
// /v1/auth/login, HS256 JWTs issued by rankstream (sub = user_id), tokens of an
// external issuer verified with its public key, and the admin token check.
//
// A player's user_id is the login itself ([A-Za-z0-9_-]{1,64}, the same rule
// as an event's user_id), so a player registered as "u_123" sees the board
// rows of u_123.
package auth

import (
	"crypto"
	"crypto/ecdsa"
	"crypto/ed25519"
	"crypto/rsa"
	"crypto/x509"
	"encoding/pem"
	"errors"
	"fmt"
	"os"
	"time"

	"github.com/golang-jwt/jwt/v5"

	"github.com/rankstream/rankstream/event"
)

// Errors of the package; match them with errors.Is.
var (
	// ErrNoToken is a request that carries no token.
	ErrNoToken = errors.New("auth: no token")
	// ErrInvalidToken is a token that does not verify: bad signature, wrong
	// algorithm, expired, wrong issuer, or a subject that is not a user id.
	ErrInvalidToken = errors.New("auth: invalid token")
	// ErrOptions is returned for unusable options.
	ErrOptions = errors.New("auth: invalid options")
)

// ValidUserID reports whether s can be a user id and so a login
// (CONTRACT.md §1).
func ValidUserID(s string) bool { return event.ValidToken(s, 1, event.MaxUserIDLen) }

// TokenOptions configure Tokens.
type TokenOptions struct {
	// Secret signs and verifies rankstream's own tokens (HS256). Empty: no
	// tokens are issued and only external ones verify.
	Secret []byte
	// Issuer is the iss of issued tokens, required on verification of HS256
	// tokens (default "rankstream").
	Issuer string
	// TTL of issued tokens (default 24h).
	TTL time.Duration
	// PublicKey of an external issuer (*rsa.PublicKey, *ecdsa.PublicKey or
	// ed25519.PublicKey); nil: external tokens are refused. Tokens it signed
	// are accepted whatever their iss, with sub as the user id.
	PublicKey crypto.PublicKey
	// Now is the clock (default time.Now).
	Now func() time.Time
}

// Claims are what a verified token says.
type Claims struct {
	UserID    string
	ExpiresAt time.Time
	// External is true for a token of the external issuer.
	External bool
}

// Tokens issues and verifies player JWTs. It is safe for concurrent use.
type Tokens struct {
	o       TokenOptions
	methods []string
}

// NewTokens checks o and fills the defaults.
func NewTokens(o TokenOptions) (*Tokens, error) {
	if o.Issuer == "" {
		o.Issuer = "rankstream"
	}
	if o.TTL == 0 {
		o.TTL = 24 * time.Hour
	}
	if o.TTL < 0 {
		return nil, fmt.Errorf("%w: negative TTL %s", ErrOptions, o.TTL)
	}
	if o.Now == nil {
		o.Now = time.Now
	}
	t := &Tokens{o: o}
	if len(o.Secret) > 0 {
		t.methods = append(t.methods, jwt.SigningMethodHS256.Alg())
	}
	switch o.PublicKey.(type) {
	case nil:
	case *rsa.PublicKey:
		t.methods = append(t.methods, "RS256", "RS384", "RS512", "PS256", "PS384", "PS512")
	case *ecdsa.PublicKey:
		t.methods = append(t.methods, "ES256", "ES384", "ES512")
	case ed25519.PublicKey:
		t.methods = append(t.methods, "EdDSA")
	default:
		return nil, fmt.Errorf("%w: unsupported public key type %T", ErrOptions, o.PublicKey)
	}
	if len(t.methods) == 0 {
		return nil, fmt.Errorf("%w: neither a secret nor a public key", ErrOptions)
	}
	return t, nil
}

// TTL is the lifetime of issued tokens.
func (t *Tokens) TTL() time.Duration { return t.o.TTL }

// Issue signs a token for user (HS256, sub = user, iss, iat, exp = now + TTL).
func (t *Tokens) Issue(user string) (token string, expires time.Time, err error) {
	if len(t.o.Secret) == 0 {
		return "", time.Time{}, fmt.Errorf("%w: no secret to sign with", ErrOptions)
	}
	if !ValidUserID(user) {
		return "", time.Time{}, fmt.Errorf("auth: issue: user id %q is not [A-Za-z0-9_-]{1,64}", user)
	}
	now := t.o.Now().UTC().Truncate(time.Second)
	expires = now.Add(t.o.TTL)
	claims := jwt.RegisteredClaims{
		Subject:   user,
		Issuer:    t.o.Issuer,
		IssuedAt:  jwt.NewNumericDate(now),
		ExpiresAt: jwt.NewNumericDate(expires),
	}
	token, err = jwt.NewWithClaims(jwt.SigningMethodHS256, claims).SignedString(t.o.Secret)
	if err != nil {
		return "", time.Time{}, fmt.Errorf("auth: sign: %w", err)
	}
	return token, expires, nil
}

// keyFor picks the verification key by the token's algorithm family; the
// algorithm itself was already checked against the allowed list.
func (t *Tokens) keyFor(tok *jwt.Token) (any, error) {
	switch tok.Method.(type) {
	case *jwt.SigningMethodHMAC:
		return t.o.Secret, nil
	case *jwt.SigningMethodRSA, *jwt.SigningMethodRSAPSS, *jwt.SigningMethodECDSA, *jwt.SigningMethodEd25519:
		return t.o.PublicKey, nil
	}
	return nil, fmt.Errorf("unexpected signing method %v", tok.Header["alg"])
}

// Verify checks a token: signature with the key its algorithm belongs to,
// exp required and in the future, iss equal to Issuer for HS256 tokens, sub a
// valid user id. Every refusal wraps ErrInvalidToken (and the jwt error, e.g.
// jwt.ErrTokenExpired).
func (t *Tokens) Verify(token string) (Claims, error) {
	if token == "" {
		return Claims{}, ErrNoToken
	}
	var rc jwt.RegisteredClaims
	tok, err := jwt.ParseWithClaims(token, &rc, t.keyFor,
		jwt.WithValidMethods(t.methods), jwt.WithExpirationRequired(), jwt.WithTimeFunc(t.o.Now))
	if err != nil {
		return Claims{}, fmt.Errorf("%w: %w", ErrInvalidToken, err)
	}
	_, hmac := tok.Method.(*jwt.SigningMethodHMAC)
	if hmac && rc.Issuer != t.o.Issuer {
		return Claims{}, fmt.Errorf("%w: issuer %q", ErrInvalidToken, rc.Issuer)
	}
	if !ValidUserID(rc.Subject) {
		return Claims{}, fmt.Errorf("%w: subject %q is not a user id", ErrInvalidToken, rc.Subject)
	}
	return Claims{UserID: rc.Subject, ExpiresAt: rc.ExpiresAt.Time, External: !hmac}, nil
}

// LoadPublicKey reads an external issuer's public key from a PEM file: a
// PKIX "PUBLIC KEY" (RSA, ECDSA or Ed25519), a PKCS#1 "RSA PUBLIC KEY", or a
// "CERTIFICATE" whose key is used.
func LoadPublicKey(path string) (crypto.PublicKey, error) {
	data, err := os.ReadFile(path)
	if err != nil {
		return nil, fmt.Errorf("auth: public key: %w", err)
	}
	return ParsePublicKey(data)
}

// ParsePublicKey is LoadPublicKey on the file's content.
func ParsePublicKey(data []byte) (crypto.PublicKey, error) {
	block, _ := pem.Decode(data)
	if block == nil {
		return nil, errors.New("auth: public key: no PEM block")
	}
	switch block.Type {
	case "PUBLIC KEY":
		k, err := x509.ParsePKIXPublicKey(block.Bytes)
		if err != nil {
			return nil, fmt.Errorf("auth: public key: %w", err)
		}
		return k, nil
	case "RSA PUBLIC KEY":
		k, err := x509.ParsePKCS1PublicKey(block.Bytes)
		if err != nil {
			return nil, fmt.Errorf("auth: public key: %w", err)
		}
		return k, nil
	case "CERTIFICATE":
		c, err := x509.ParseCertificate(block.Bytes)
		if err != nil {
			return nil, fmt.Errorf("auth: public key: %w", err)
		}
		return c.PublicKey, nil
	}
	return nil, fmt.Errorf("auth: public key: unsupported PEM block %q", block.Type)
}

// Player verifies a player token for the embedded NATS server
// (streams.Auth.Player): the user id and the expiry.
func (t *Tokens) Player(token string) (userID string, expires time.Time, err error) {
	c, err := t.Verify(token)
	return c.UserID, c.ExpiresAt, err
}
