package oracle

import (
	"bytes"
	"encoding/json"
	"math"
	"regexp"
	"strconv"
	"strings"
	"time"

	"github.com/rankstream/rankstream/event"
)

// parseEvent validates one published event against CONTRACT.md §1, written
// independently of event.Parse. It returns nil when the event is invalid for
// any reason (bad JSON, field rules, future_ts, subject mismatch); invalid
// events count nowhere, so the reason is not needed here.
//
// Interpretations (see the package comment for the full list):
//   - the body must be one JSON object; null / an array / trailing data are bad JSON;
//   - a field set to JSON null is treated as absent (so a required null is missing);
//   - a field of the wrong JSON type is invalid;
//   - "integer" means a JSON number literal without fraction or exponent that
//     fits in int64 (so 100.0 and 1e2 are rejected);
//   - required identifiers (event_id, user_id, game.id, game.provider) must be
//     non-empty; optional market/brand may be "" (≤ 32 chars of the charset);
//   - type and funds must be one of their listed values when present ("" is not);
//   - game.type, device.platform and device.asn are ≤ 32 chars of
//     [A-Za-z0-9_-] ("" allowed); device.id is a string of ≤ 128 bytes;
//     round.id, round.status, trace_id are free strings;
//   - amounts (bet/win amount_minor) are integers 0..10^15;
//   - ts: see rfc3339 below;
//   - the subject must be exactly three dot-separated tokens
//     "events", game.provider, user_id.
func parseEvent(raw []byte, subject string, arrived time.Time, maxFutureSkew time.Duration) *event.Event {
	top, ok := object(raw)
	if !ok || top == nil {
		return nil
	}
	ev := &event.Event{}
	var p fieldParser
	if !p.identity(top, ev) || !p.game(top, ev) || !p.money(top, ev) || !p.roundAndFunds(top, ev) || !p.device(top, ev) {
		return nil
	}
	// future_ts: more than maxFutureSkew ahead of the arrival.
	if ev.TS.Sub(arrived) > maxFutureSkew {
		return nil
	}
	// The subject's tokens must name the body's provider and user.
	tok := strings.Split(subject, ".")
	if len(tok) != 3 || tok[0] != "events" || tok[1] != ev.GameProvider || tok[2] != ev.UserID {
		return nil
	}
	return ev
}

// identity reads event_id, ts, type, user_id, market and brand into ev;
// false when one is invalid.
func (p *fieldParser) identity(top map[string]json.RawMessage, ev *event.Event) bool {
	ev.EventID = p.str(top, "event_id", true)
	if p.bad || !charset(ev.EventID, 1, 128, idChar) {
		return false
	}
	tsRaw := p.str(top, "ts", true)
	if p.bad {
		return false
	}
	ts, ok := rfc3339(tsRaw)
	if !ok {
		return false
	}
	ev.TS = ts.UTC()

	ev.Type = p.str(top, "type", true)
	if p.bad || !oneOf(ev.Type, "bet", "win", "spin", "round_end") {
		return false
	}
	ev.UserID = p.str(top, "user_id", true)
	if p.bad || !charset(ev.UserID, 1, 64, nameChar) {
		return false
	}
	ev.Market = p.str(top, "market", false)
	if p.bad || !charset(ev.Market, 0, 32, nameChar) {
		return false
	}
	ev.Brand = p.str(top, "brand", false)
	return !p.bad && charset(ev.Brand, 0, 32, nameChar)
}

// game reads the required game object into ev; false when invalid.
func (p *fieldParser) game(top map[string]json.RawMessage, ev *event.Event) bool {
	game := p.obj(top, "game", true)
	if p.bad {
		return false
	}
	ev.GameID = p.str(game, "id", true)
	ev.GameProvider = p.str(game, "provider", true)
	ev.GameType = p.str(game, "type", false)
	return !p.bad && charset(ev.GameID, 1, 64, nameChar) && charset(ev.GameProvider, 1, 64, nameChar) &&
		charset(ev.GameType, 0, 32, nameChar)
}

// money reads the required bet and the optional win into ev (the
// multiplier defaults to win/bet, 0 without a bet); false when invalid.
func (p *fieldParser) money(top map[string]json.RawMessage, ev *event.Event) bool {
	bet := p.obj(top, "bet", true)
	if p.bad {
		return false
	}
	ev.BetMinor, _ = p.integer(bet, "amount_minor", true)
	ev.Currency = p.str(bet, "currency", true)
	if p.bad || !isCurrency(ev.Currency) {
		return false
	}

	win := p.obj(top, "win", false)
	if p.bad {
		return false
	}
	ev.WinMinor, _ = p.integer(win, "amount_minor", false) // default 0
	mult, hasMult := p.number(win, "multiplier")
	if p.bad {
		return false
	}
	switch {
	case hasMult:
		ev.Multiplier = mult
	case ev.BetMinor == 0:
		ev.Multiplier = 0
	default:
		ev.Multiplier = float64(ev.WinMinor) / float64(ev.BetMinor)
	}
	return true
}

// roundAndFunds reads the optional round and funds (default cash) into ev;
// false when invalid.
func (p *fieldParser) roundAndFunds(top map[string]json.RawMessage, ev *event.Event) bool {
	round := p.obj(top, "round", false)
	if p.bad {
		return false
	}
	ev.RoundID = p.str(round, "id", false)
	ev.RoundStatus = p.str(round, "status", false)
	ev.DurationMS, ev.HasDuration = p.integer(round, "duration_ms", false)
	if p.bad {
		return false
	}

	funds, hasFunds := p.strPresent(top, "funds")
	if p.bad {
		return false
	}
	if !hasFunds {
		funds = "cash"
	}
	if !oneOf(funds, "cash", "bonus") {
		return false
	}
	ev.Funds = funds
	return true
}

// device reads the optional device and trace_id into ev; false when invalid.
func (p *fieldParser) device(top map[string]json.RawMessage, ev *event.Event) bool {
	device := p.obj(top, "device", false)
	if p.bad {
		return false
	}
	ev.Platform = p.str(device, "platform", false)
	ev.ASN = p.str(device, "asn", false)
	ev.DeviceID = p.str(device, "id", false)
	if !charset(ev.Platform, 0, 32, nameChar) || !charset(ev.ASN, 0, 32, nameChar) || len(ev.DeviceID) > 128 {
		return false
	}
	ev.TraceID = p.str(top, "trace_id", false)
	return !p.bad
}

// object decodes raw as a JSON object. ok is false for anything else; a nil
// map with ok true never happens (null is rejected).
func object(raw json.RawMessage) (map[string]json.RawMessage, bool) {
	t := bytes.TrimLeft(raw, " \t\r\n")
	if len(t) == 0 || t[0] != '{' {
		return nil, false
	}
	var m map[string]json.RawMessage
	if err := json.Unmarshal(raw, &m); err != nil {
		return nil, false
	}
	return m, true
}

func isNull(raw json.RawMessage) bool {
	return string(bytes.TrimSpace(raw)) == "null"
}

// fieldParser reads fields of decoded objects and remembers the first failure
// in bad, so the parse reads top to bottom.
type fieldParser struct{ bad bool }

func (p *fieldParser) lookup(m map[string]json.RawMessage, key string) (json.RawMessage, bool) {
	if m == nil {
		return nil, false
	}
	v, ok := m[key]
	if !ok || isNull(v) {
		return nil, false
	}
	return v, true
}

func (p *fieldParser) strPresent(m map[string]json.RawMessage, key string) (string, bool) {
	v, ok := p.lookup(m, key)
	if !ok {
		return "", false
	}
	var s string
	if err := json.Unmarshal(v, &s); err != nil {
		p.bad = true
		return "", false
	}
	return s, true
}

func (p *fieldParser) str(m map[string]json.RawMessage, key string, required bool) string {
	s, ok := p.strPresent(m, key)
	if !ok && required {
		p.bad = true
	}
	return s
}

// obj returns the nested object at key; nil when absent (bad when required).
func (p *fieldParser) obj(m map[string]json.RawMessage, key string, required bool) map[string]json.RawMessage {
	v, ok := p.lookup(m, key)
	if !ok {
		if required {
			p.bad = true
		}
		return nil
	}
	o, ok := object(v)
	if !ok {
		p.bad = true
		return nil
	}
	return o
}

// numberLiteral returns the JSON number text at v, or ok=false when v is not a number.
func numberLiteral(v json.RawMessage) (string, bool) {
	d := json.NewDecoder(bytes.NewReader(v))
	d.UseNumber()
	var x any
	if err := d.Decode(&x); err != nil {
		return "", false
	}
	n, ok := x.(json.Number)
	return string(n), ok
}

// integer reads an integer ≥ 0; present reports whether the field was there.
func (p *fieldParser) integer(m map[string]json.RawMessage, key string, required bool) (val int64, present bool) {
	v, ok := p.lookup(m, key)
	if !ok {
		if required {
			p.bad = true
		}
		return 0, false
	}
	lit, ok := numberLiteral(v)
	if !ok || strings.ContainsAny(lit, ".eE") {
		p.bad = true
		return 0, false
	}
	n, err := strconv.ParseInt(lit, 10, 64)
	if err != nil || n < 0 || (strings.HasSuffix(key, "amount_minor") && n > 1_000_000_000_000_000) {
		p.bad = true
		return 0, false
	}
	return n, true
}

// number reads an optional finite number ≥ 0.
func (p *fieldParser) number(m map[string]json.RawMessage, key string) (float64, bool) {
	v, ok := p.lookup(m, key)
	if !ok {
		return 0, false
	}
	lit, ok := numberLiteral(v)
	if !ok {
		p.bad = true
		return 0, false
	}
	f, err := strconv.ParseFloat(lit, 64)
	if err != nil || math.IsInf(f, 0) || math.IsNaN(f) || f < 0 {
		p.bad = true
		return 0, false
	}
	return f, true
}

func idChar(c byte) bool { return nameChar(c) || c == '.' || c == ':' }
func nameChar(c byte) bool {
	return c >= 'A' && c <= 'Z' || c >= 'a' && c <= 'z' || c >= '0' && c <= '9' || c == '_' || c == '-'
}

// charset: min..max bytes, each satisfying ok (the charsets are ASCII, so
// bytes are characters; any non-ASCII byte fails).
func charset(s string, min, max int, ok func(byte) bool) bool {
	if len(s) < min || len(s) > max {
		return false
	}
	for i := 0; i < len(s); i++ {
		if !ok(s[i]) {
			return false
		}
	}
	return true
}

func isCurrency(s string) bool {
	if len(s) != 3 {
		return false
	}
	for i := 0; i < 3; i++ {
		if s[i] < 'A' || s[i] > 'Z' {
			return false
		}
	}
	return true
}

func oneOf(s string, vals ...string) bool {
	for _, v := range vals {
		if s == v {
			return true
		}
	}
	return false
}

// tsShape is RFC 3339's date-time grammar (section 5.6): full-date "T"
// full-time, with "T"/"Z" in either case, an optional fraction after ".",
// and "Z" or a ±hh:mm offset.
var tsShape = regexp.MustCompile(`^(\d{4}-\d{2}-\d{2})[Tt](\d{2}:\d{2}:\d{2})(\.\d+)?([Zz]|[+-](\d{2}):(\d{2}))$`)

// rfc3339 reads ts the way CONTRACT.md §1 states it: RFC 3339 exactly,
// offsets −23:59…+23:59. The ranges of the fields (month, day of that month,
// hour ≤ 23, minute and second ≤ 59: no leap second) are left to time.Parse
// on a normalised copy (upper-case T and Z, fraction cut to 9 digits).
func rfc3339(s string) (time.Time, bool) {
	m := tsShape.FindStringSubmatch(s)
	if m == nil {
		return time.Time{}, false
	}
	if m[5] != "" {
		if h, _ := strconv.Atoi(m[5]); h > 23 {
			return time.Time{}, false
		}
		if mi, _ := strconv.Atoi(m[6]); mi > 59 {
			return time.Time{}, false
		}
	}
	frac := m[3]
	if len(frac) > 10 {
		frac = frac[:10]
	}
	zone := strings.ToUpper(m[4])
	t, err := time.Parse(time.RFC3339Nano, m[1]+"T"+m[2]+frac+zone)
	return t, err == nil
}
