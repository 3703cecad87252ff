// Package pseudonym replaces user ids on public lists (tops) by a keyed
// HMAC-SHA256 pseudonym: stable for a key, not reversible without it, and
// still a valid user-id-shaped token ([A-Za-z0-9_-]).
package pseudonym

import (
	"crypto/hmac"
	"crypto/sha256"
	"encoding/base32"
	"strings"
)

// Prefix starts every pseudonym.
const Prefix = "p_"

var enc = base32.StdEncoding.WithPadding(base32.NoPadding)

// Func maps a user id to what a public list shows; nil shows the id.
type Func func(user string) string

// New returns the pseudonym function of key (nil for an empty key: ids
// are shown as they are).
func New(key string) Func {
	if key == "" {
		return nil
	}
	k := []byte(key)
	return func(user string) string {
		m := hmac.New(sha256.New, k)
		m.Write([]byte(user))
		return Prefix + strings.ToLower(enc.EncodeToString(m.Sum(nil)[:10]))
	}
}

// Apply is f(user), or user when f is nil.
func (f Func) Apply(user string) string {
	if f == nil {
		return user
	}
	return f(user)
}
