package event

import (
	"bytes"
	"errors"
	"fmt"
	json "github.com/goccy/go-json"
	"math"
	"strconv"
	"strings"
	"time"
)

// Limits of CONTRACT.md §1.
const (
	MaxEventIDLen = 128
	MaxUserIDLen  = 64
	MaxMarketLen  = 32 // also brand
	MaxGameRefLen = 64 // game.id and game.provider
	FundsCash     = "cash"
	FundsBonus    = "bonus"
	TypeBet       = "bet"
	TypeWin       = "win"
	TypeSpin      = "spin"
	TypeRoundEnd  = "round_end"
)

const subjectsPrefix = "events."

// Subject is the JetStream subject a provider publishes an event to:
// events.<provider>.<user_id>.
func Subject(provider, user string) string {
	var b strings.Builder
	b.Grow(len(subjectsPrefix) + len(provider) + 1 + len(user))
	b.WriteString(subjectsPrefix)
	b.WriteString(provider)
	b.WriteByte('.')
	b.WriteString(user)
	return b.String()
}

// wireEvent is the JSON shape of an event. Required strings are pointers so
// that a missing field (missing_field) is told apart from an empty one
// (invalid_field); numbers are raw so that their JSON type and integer form
// can be checked exactly (encoding/json would accept "10" into a json.Number).
// Unknown fields are skipped by the decoder.
type wireEvent struct {
	EventID *string    `json:"event_id"`
	TS      *string    `json:"ts"`
	Type    *string    `json:"type"`
	UserID  *string    `json:"user_id"`
	Market  string     `json:"market"`
	Brand   string     `json:"brand"`
	Game    wireGame   `json:"game"`
	Bet     wireBet    `json:"bet"`
	Win     wireWin    `json:"win"`
	Round   wireRound  `json:"round"`
	Funds   *string    `json:"funds"`
	Device  wireDevice `json:"device"`
	TraceID string     `json:"trace_id"`
}

type wireGame struct {
	ID       *string `json:"id"`
	Provider *string `json:"provider"`
	Type     string  `json:"type"`
}

type wireBet struct {
	AmountMinor json.RawMessage `json:"amount_minor"`
	Currency    *string         `json:"currency"`
}

type wireWin struct {
	AmountMinor json.RawMessage `json:"amount_minor"`
	Multiplier  json.RawMessage `json:"multiplier"`
}

type wireRound struct {
	ID         string          `json:"id"`
	Status     string          `json:"status"`
	DurationMS json.RawMessage `json:"duration_ms"`
}

type wireDevice struct {
	Platform string `json:"platform"`
	ASN      string `json:"asn"`
}

// Parse decodes one event (a JSON object) and validates every rule of
// CONTRACT.md §1 except the arrival-dependent future_ts check (CheckFuture).
// Unknown fields are ignored. The error is always an *Invalid with Reason
// bad_json (not JSON, or not an object), missing_field or invalid_field
// (wrong JSON type or a broken rule), and Field the JSON path of the culprit.
//
// On error the returned Event is not valid; it carries only EventID, when
// event_id could be read as a string, so that callers can name the event in
// their answer.
func Parse(raw []byte) (Event, error) {
	raw = bytes.TrimLeft(raw, " \t\r\n")
	if len(raw) == 0 {
		return Event{}, &Invalid{Reason: ReasonBadJSON, Msg: "empty input"}
	}
	if raw[0] != '{' {
		return Event{}, &Invalid{Reason: ReasonBadJSON, Msg: "event must be a JSON object"}
	}
	var w wireEvent
	if err := json.Unmarshal(raw, &w); err != nil {
		var te *json.UnmarshalTypeError
		if errors.As(err, &te) && te.Field != "" {
			return partial(&w), &Invalid{Reason: ReasonInvalidField, Field: te.Field,
				Msg: fmt.Sprintf("wrong JSON type %s, want %s", te.Value, jsonKind(te.Type.Kind().String()))}
		}
		return Event{}, &Invalid{Reason: ReasonBadJSON, Msg: err.Error()}
	}
	var ev Event
	if err := w.validate(&ev); err != nil {
		return partial(&w), err
	}
	return ev, nil
}

func partial(w *wireEvent) Event {
	if w.EventID != nil {
		return Event{EventID: *w.EventID}
	}
	return Event{}
}

func jsonKind(goKind string) string {
	switch goKind {
	case "string":
		return "string"
	case "struct", "map":
		return "object"
	case "slice", "array":
		return "array"
	case "bool":
		return "boolean"
	default:
		return "number"
	}
}

func missing(field string) *Invalid {
	return &Invalid{Reason: ReasonMissingField, Field: field, Msg: "required"}
}

func invalid(field, format string, args ...any) *Invalid {
	return &Invalid{Reason: ReasonInvalidField, Field: field, Msg: fmt.Sprintf(format, args...)}
}

func (w *wireEvent) validate(ev *Event) error {
	// event_id
	if w.EventID == nil {
		return missing("event_id")
	}
	if !validToken(*w.EventID, 1, MaxEventIDLen, true) {
		return invalid("event_id", "must be 1..%d characters of [A-Za-z0-9._:-]", MaxEventIDLen)
	}
	ev.EventID = *w.EventID

	// ts
	if w.TS == nil {
		return missing("ts")
	}
	ts, err := time.Parse(time.RFC3339Nano, *w.TS)
	if err != nil {
		return invalid("ts", "not an RFC 3339 timestamp: %q", *w.TS)
	}
	ev.TS = ts.UTC()

	// type
	if w.Type == nil {
		return missing("type")
	}
	switch *w.Type {
	case TypeBet, TypeWin, TypeSpin, TypeRoundEnd:
		ev.Type = *w.Type
	default:
		return invalid("type", "must be one of bet, win, spin, round_end, got %q", *w.Type)
	}

	// user_id
	if w.UserID == nil {
		return missing("user_id")
	}
	if !validToken(*w.UserID, 1, MaxUserIDLen, false) {
		return invalid("user_id", "must be 1..%d characters of [A-Za-z0-9_-]", MaxUserIDLen)
	}
	ev.UserID = *w.UserID

	// market, brand
	if !validToken(w.Market, 0, MaxMarketLen, false) {
		return invalid("market", "must be at most %d characters of [A-Za-z0-9_-]", MaxMarketLen)
	}
	ev.Market = w.Market
	if !validToken(w.Brand, 0, MaxMarketLen, false) {
		return invalid("brand", "must be at most %d characters of [A-Za-z0-9_-]", MaxMarketLen)
	}
	ev.Brand = w.Brand

	// game
	if w.Game.ID == nil {
		return missing("game.id")
	}
	if !validToken(*w.Game.ID, 1, MaxGameRefLen, false) {
		return invalid("game.id", "must be 1..%d characters of [A-Za-z0-9_-]", MaxGameRefLen)
	}
	ev.GameID = *w.Game.ID
	if w.Game.Provider == nil {
		return missing("game.provider")
	}
	if !validToken(*w.Game.Provider, 1, MaxGameRefLen, false) {
		return invalid("game.provider", "must be 1..%d characters of [A-Za-z0-9_-]", MaxGameRefLen)
	}
	ev.GameProvider = *w.Game.Provider
	ev.GameType = w.Game.Type

	// bet
	bet, ok, err := nonNegInt(w.Bet.AmountMinor, "bet.amount_minor")
	if err != nil {
		return err
	}
	if !ok {
		return missing("bet.amount_minor")
	}
	ev.BetMinor = bet
	if w.Bet.Currency == nil {
		return missing("bet.currency")
	}
	if !validCurrency(*w.Bet.Currency) {
		return invalid("bet.currency", "must be three upper-case letters, got %q", *w.Bet.Currency)
	}
	ev.Currency = *w.Bet.Currency

	// win
	win, _, err := nonNegInt(w.Win.AmountMinor, "win.amount_minor")
	if err != nil {
		return err
	}
	ev.WinMinor = win
	mult, ok, err := nonNegFloat(w.Win.Multiplier, "win.multiplier")
	if err != nil {
		return err
	}
	switch {
	case ok:
		ev.Multiplier = mult
	case bet > 0:
		ev.Multiplier = float64(win) / float64(bet)
	default:
		ev.Multiplier = 0
	}

	// round
	ev.RoundID = w.Round.ID
	ev.RoundStatus = w.Round.Status
	dur, ok, err := nonNegInt(w.Round.DurationMS, "round.duration_ms")
	if err != nil {
		return err
	}
	ev.DurationMS, ev.HasDuration = dur, ok

	// funds
	ev.Funds = FundsCash
	if w.Funds != nil {
		switch *w.Funds {
		case FundsCash, FundsBonus:
			ev.Funds = *w.Funds
		default:
			return invalid("funds", "must be cash or bonus, got %q", *w.Funds)
		}
	}

	ev.Platform = w.Device.Platform
	ev.ASN = w.Device.ASN
	ev.TraceID = w.TraceID
	return nil
}

// validToken reports whether s has min..max characters of [A-Za-z0-9_-]
// (plus '.' and ':' when idChars).
func validToken(s string, minLen, maxLen int, idChars bool) bool {
	if len(s) < minLen || len(s) > maxLen {
		return false
	}
	for i := 0; i < len(s); i++ {
		c := s[i]
		switch {
		case c >= 'a' && c <= 'z', c >= 'A' && c <= 'Z', c >= '0' && c <= '9', c == '_', c == '-':
		case idChars && (c == '.' || c == ':'):
		default:
			return false
		}
	}
	return true
}

func validCurrency(s string) bool {
	return len(s) == 3 &&
		s[0] >= 'A' && s[0] <= 'Z' &&
		s[1] >= 'A' && s[1] <= 'Z' &&
		s[2] >= 'A' && s[2] <= 'Z'
}

// rawKind names the JSON type of a raw value; ok is false for null/absent.
func rawKind(raw json.RawMessage) (kind string, ok bool) {
	if len(raw) == 0 || string(raw) == "null" {
		return "", false
	}
	switch c := raw[0]; {
	case c == '"':
		return "string", true
	case c == '{':
		return "object", true
	case c == '[':
		return "array", true
	case c == 't' || c == 'f':
		return "boolean", true
	default:
		return "number", true
	}
}

// nonNegInt reads an optional JSON integer ≥ 0 that fits int64. Fractions and
// exponents (1.5, 1e3), strings ("10") and other JSON types are invalid.
func nonNegInt(raw json.RawMessage, field string) (int64, bool, error) {
	kind, ok := rawKind(raw)
	if !ok {
		return 0, false, nil
	}
	if kind != "number" {
		return 0, false, invalid(field, "must be an integer, got a JSON %s", kind)
	}
	if bytes.ContainsAny(raw, ".eE") {
		return 0, false, invalid(field, "must be an integer, got %s", raw)
	}
	n, err := strconv.ParseInt(string(raw), 10, 64)
	if err != nil {
		return 0, false, invalid(field, "integer %s out of range", raw)
	}
	if n < 0 {
		return 0, false, invalid(field, "must be ≥ 0, got %d", n)
	}
	return n, true, nil
}

// nonNegFloat reads an optional finite JSON number ≥ 0.
func nonNegFloat(raw json.RawMessage, field string) (float64, bool, error) {
	kind, ok := rawKind(raw)
	if !ok {
		return 0, false, nil
	}
	if kind != "number" {
		return 0, false, invalid(field, "must be a number, got a JSON %s", kind)
	}
	f, err := strconv.ParseFloat(string(raw), 64)
	if err != nil || math.IsInf(f, 0) || math.IsNaN(f) {
		return 0, false, invalid(field, "number %s out of range", raw)
	}
	if f < 0 {
		return 0, false, invalid(field, "must be ≥ 0, got %s", raw)
	}
	return f, true, nil
}
