// Package subjtok encodes free-form values (division values and the like) as
// one NATS subject token or one Redis key segment, reversibly.
//
// A value made only of [A-Za-z0-9_-] is its own token (readable subjects for
// the common case); the empty value is "~"; any other value is "~" followed by
// its bytes in unpadded base64url. Tokens never contain '.', ' ', '*', '>',
// ':' or '~' after the first byte, and distinct values give distinct tokens.
package subjtok

import (
	"math"

	"encoding/base64"
	"errors"

	"github.com/rankstream/rankstream/event"
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

// plain reports whether v is non-empty and all of [A-Za-z0-9_-]
// (event.ValidToken, the one check of that rule).
func plain(v string) bool { return event.ValidToken(v, 1, math.MaxInt) }
