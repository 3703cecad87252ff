// Package subjtok encodes free-form values (division values and the like) as
// one NATS subject token or one Redis key segment, reversibly.
//
// A value made only of [A-Za-z0-9_-] is its own token (readable subjects for
// the common case); the empty value is "~"; any other value is "~" followed by
// its bytes in unpadded base64url. Tokens never contain '.', ' ', '*', '>',
// ':' or '~' after the first byte, and distinct values give distinct tokens.
package subjtok

import (
	"encoding/base64"
	"errors"
)

// Empty is the token of the empty value.
const Empty = "~"

// ErrBadToken is returned by Decode for a string no value encodes to.
var ErrBadToken = errors.New("subjtok: malformed token")

// Encode returns the token of v.
func Encode(v string) string {
	if v == "" {
		return Empty
	}
	if plain(v) {
		return v
	}
	return Empty + base64.RawURLEncoding.EncodeToString([]byte(v))
}

// Decode is the inverse of Encode.
func Decode(tok string) (string, error) {
	switch {
	case tok == Empty:
		return "", nil
	case tok == "":
		return "", ErrBadToken
	case tok[0] == '~':
		b, err := base64.RawURLEncoding.DecodeString(tok[1:])
		if err != nil || plain(string(b)) {
			return "", ErrBadToken // not what Encode gives
		}
		return string(b), nil
	case !plain(tok):
		return "", ErrBadToken
	}
	return tok, nil
}

func plain(v string) bool {
	if v == "" {
		return false
	}
	for i := 0; i < len(v); i++ {
		c := v[i]
		if !(c >= 'a' && c <= 'z' || c >= 'A' && c <= 'Z' || c >= '0' && c <= '9' || c == '_' || c == '-') {
			return false
		}
	}
	return true
}
