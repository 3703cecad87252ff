package query

import (
	"encoding/base64"
	"errors"
	"fmt"
	"net/url"
	"strconv"
	"time"

	"github.com/rankstream/rankstream/event"
)

// boardParams are the parsed query parameters of GET /v1/leaderboards/{contest}.
type boardParams struct {
	top    int
	offset int
	me     string
	around int
	window *time.Time // nil: the current window
	// division, when hasDivision (an empty value names the "" board).
	division    string
	hasDivision bool
}

func intParam(q url.Values, name string, def, lo, hi int) (int, error) {
	s := q.Get(name)
	if s == "" {
		return def, nil
	}
	n, err := strconv.Atoi(s)
	if err != nil || n < lo || n > hi {
		return 0, fmt.Errorf("%s must be an integer from %d to %d", name, lo, hi)
	}
	return n, nil
}

// EncodeCursor returns the opaque cursor of a page starting at the 0-based
// offset.
func EncodeCursor(offset int) string {
	return base64.RawURLEncoding.EncodeToString([]byte(strconv.Itoa(offset)))
}

var errCursor = errors.New("invalid cursor")

// DecodeCursor returns the offset of a cursor made by EncodeCursor.
func DecodeCursor(s string) (int, error) {
	b, err := base64.RawURLEncoding.DecodeString(s)
	if err != nil {
		return 0, errCursor
	}
	n, err := strconv.Atoi(string(b))
	if err != nil || n < 0 || strconv.Itoa(n) != string(b) {
		return 0, errCursor
	}
	return n, nil
}

func parseBoardParams(q url.Values) (boardParams, error) {
	var p boardParams
	var err error
	if p.top, err = intParam(q, "top", DefaultTop, 0, MaxTop); err != nil {
		return p, err
	}
	if p.around, err = intParam(q, "around", 0, 0, MaxAround); err != nil {
		return p, err
	}
	if c := q.Get("cursor"); c != "" {
		if p.offset, err = DecodeCursor(c); err != nil {
			return p, err
		}
	}
	if p.me = q.Get("me"); p.me != "" && !event.ValidToken(p.me, 1, event.MaxUserIDLen) {
		return p, errors.New("me must be a user id: 1 to 64 characters of [A-Za-z0-9_-]")
	}
	if s := q.Get("window"); s != "" {
		t, err := time.Parse(time.RFC3339, s)
		if err != nil {
			return p, errors.New("window must be the RFC 3339 start of a window, e.g. 2025-10-25T18:00:00Z")
		}
		p.window = &t
	}
	if q.Has("division") {
		p.division, p.hasDivision = q.Get("division"), true
	}
	return p, nil
}
