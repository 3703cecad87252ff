package event

import (
	"bytes"
	"errors"
	"fmt"
	"math"
	"strconv"
	"strings"

	"github.com/go-json-experiment/json"
	"github.com/go-json-experiment/json/jsontext"
)

// Limits of CONTRACT.md §1.
const (
	MaxEventIDLen = 128
	MaxUserIDLen  = 64
	MaxMarketLen  = 32 // also brand
	MaxGameRefLen = 64 // game.id and game.provider
	MaxShortLen   = 32 // game.type, device.platform, device.asn
	MaxDeviceID   = 128
	// MaxAmountMinor bounds bet.amount_minor and win.amount_minor (10^15).
	MaxAmountMinor = 1_000_000_000_000_000
	FundsCash      = "cash"
	FundsBonus     = "bonus"
	TypeBet        = "bet"
	TypeWin        = "win"
	TypeSpin       = "spin"
	TypeRoundEnd   = "round_end"
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
// Unknown fields are skipped by the decoder. The decoder
// (github.com/go-json-experiment/json) matches names exactly, so "TS" or
// "Funds" are unknown fields, never ts or funds (CONTRACT.md §1); encoding/json
// and goccy/go-json match case-insensitively and cannot be told not to.
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
	AmountMinor jsontext.Value `json:"amount_minor"`
	Currency    *string        `json:"currency"`
}

type wireWin struct {
	AmountMinor jsontext.Value `json:"amount_minor"`
	Multiplier  jsontext.Value `json:"multiplier"`
}

type wireRound struct {
	ID         string         `json:"id"`
	Status     string         `json:"status"`
	DurationMS jsontext.Value `json:"duration_ms"`
}

type wireDevice struct {
	Platform string `json:"platform"`
	ASN      string `json:"asn"`
	ID       string `json:"id"`
}

// decodeOpts: exact names (the default of this decoder), duplicate names
// allowed with the last one winning (as encoding/json does), and unknown
// fields skipped.
var decodeOpts = json.JoinOptions(jsontext.AllowDuplicateNames(true))

// Parse decodes one event (a JSON object) and validates every rule of
// CONTRACT.md §1 except the arrival-dependent future_ts check (CheckFuture).
// Unknown fields are ignored. The error is always an *Invalid with Reason
// bad_json (not JSON, or not an object), missing_field or invalid_field
// (wrong JSON type or a broken rule), and Field the JSON path of the culprit.
//
// On error the returned Event is not valid; it carries only EventID, when
// event_id could be read as a string, so that callers can name the event in
// their answer.
func Parse(raw []byte) (Event, error) { return parse(raw, false) }

// ParseView is Parse whose EventID and UserID may be views of raw (no copy)
// rather than strings of their own: they are valid only while raw is
// neither modified nor reused, so a caller that keeps either past that must
// copy it (strings.Clone) or replace it with an equal string it owns. Every
// other field is as Parse returns it, and the result and error are Parse's.
// The scoring engine uses it: it keeps the event id as a part of the
// event's dedup key and the user id as the subject's.
func ParseView(raw []byte) (Event, error) { return parse(raw, true) }

func parse(raw []byte, view bool) (Event, error) {
	raw = bytes.TrimLeft(raw, " \t\r\n")
	if len(raw) == 0 {
		return Event{}, &Invalid{Reason: ReasonBadJSON, Msg: "empty input"}
	}
	if raw[0] != '{' {
		return Event{}, &Invalid{Reason: ReasonBadJSON, Msg: "event must be a JSON object"}
	}
	var f flatEvent
	if scanWire(raw, &f, view) {
		var ev Event
		if err := f.validate(&ev); err != nil {
			return partial(&f), err
		}
		return ev, nil
	}
	return parseDecoded(raw)
}

// parseDecoded is Parse for an input outside the scanner's plain subset:
// decoded by decodeWire, whose errors it reports.
func parseDecoded(raw []byte) (Event, error) {
	var w wireEvent
	var f flatEvent
	if err := decodeWire(raw, &w); err != nil {
		var se *json.SemanticError
		if errors.As(err, &se) && se.JSONPointer != "" && se.GoType != nil {
			if w.EventID == nil { // decoding stopped before event_id: read it alone
				var id struct {
					EventID *string `json:"event_id"`
				}
				if json.Unmarshal(raw, &id, decodeOpts) == nil {
					w.EventID = id.EventID
				}
			}
			w.flatten(&f)
			return partial(&f), &Invalid{Reason: ReasonInvalidField, Field: pointerPath(se.JSONPointer),
				Msg: fmt.Sprintf("wrong JSON type %s, want %s", kindName(se.JSONKind), jsonKind(se.GoType.Kind().String()))}
		}
		return Event{}, &Invalid{Reason: ReasonBadJSON, Msg: err.Error()}
	}
	w.flatten(&f)
	var ev Event
	if err := f.validate(&ev); err != nil {
		return partial(&f), err
	}
	return ev, nil
}

func partial(f *flatEvent) Event {
	if f.present(fEventID) {
		return Event{EventID: f.eventID}
	}
	return Event{}
}

// pointerPath turns a JSON pointer (/bet/currency) into a field path
// (bet.currency).
func pointerPath(p jsontext.Pointer) string {
	return strings.ReplaceAll(strings.TrimPrefix(string(p), "/"), "/", ".")
}

func kindName(k jsontext.Kind) string {
	switch k {
	case '"':
		return "string"
	case '0':
		return "number"
	case 't', 'f':
		return "boolean"
	case '{':
		return "object"
	case '[':
		return "array"
	case 'n':
		return "null"
	}
	return "value"
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

func (f *flatEvent) validate(ev *Event) error {
	if err := f.validateWho(ev); err != nil {
		return err
	}
	if err := f.validateGame(ev); err != nil {
		return err
	}
	if err := f.validateMoney(ev); err != nil {
		return err
	}
	if err := f.validateRound(ev); err != nil {
		return err
	}
	return f.validateDevice(ev)
}

// token checks a required token field: present, 1..max of [A-Za-z0-9_-];
// known: its bytes are known to be of that charset (flatEvent.known).
func token(v string, ok, known bool, field string, max int) (string, error) {
	if !ok {
		return "", missing(field)
	}
	if !validToken(v, known, 1, max) {
		return "", invalid(field, "must be 1..%d characters of [A-Za-z0-9_-]", max)
	}
	return v, nil
}

// optionalToken checks an optional token field: at most max of [A-Za-z0-9_-].
func optionalToken(v string, known bool, field string, max int) (string, error) {
	if !validToken(v, known, 0, max) {
		return "", invalid(field, "must be at most %d characters of [A-Za-z0-9_-]", max)
	}
	return v, nil
}

// validToken is ValidToken(v, minLen, maxLen), which only needs the
// length when v's bytes are known to be of the charset.
func validToken(v string, known bool, minLen, maxLen int) bool {
	if known {
		return len(v) >= minLen && len(v) <= maxLen
	}
	return ValidToken(v, minLen, maxLen)
}

// validateWho checks event_id, ts, type and user_id.
func (f *flatEvent) validateWho(ev *Event) error {
	if !f.present(fEventID) {
		return missing("event_id")
	}
	if !ValidEventID(f.eventID) {
		return invalid("event_id", "must be 1..%d characters of [A-Za-z0-9._:-]", MaxEventIDLen)
	}
	ev.EventID = f.eventID

	if !f.present(fTS) {
		return missing("ts")
	}
	ts, err := ParseTS(f.ts)
	if err != nil {
		return invalid("ts", "not an RFC 3339 timestamp: %q", f.ts)
	}
	ev.TS = ts

	if !f.present(fType) {
		return missing("type")
	}
	switch f.typ {
	case TypeBet, TypeWin, TypeSpin, TypeRoundEnd:
		ev.Type = f.typ
	default:
		return invalid("type", "must be one of bet, win, spin, round_end, got %q", f.typ)
	}

	ev.UserID, err = token(f.userID, f.present(fUserID), false, "user_id", MaxUserIDLen)
	return err
}

// validateGame checks market, brand and the game.
func (f *flatEvent) validateGame(ev *Event) error {
	var err error
	if ev.Market, err = optionalToken(f.market, f.known(fMarket), "market", MaxMarketLen); err != nil {
		return err
	}
	if ev.Brand, err = optionalToken(f.brand, f.known(fBrand), "brand", MaxMarketLen); err != nil {
		return err
	}
	if ev.GameID, err = token(f.gameID, f.present(fGameID), f.known(fGameID), "game.id", MaxGameRefLen); err != nil {
		return err
	}
	if ev.GameProvider, err = token(f.gameProvider, f.present(fGameProvider), f.known(fGameProvider), "game.provider", MaxGameRefLen); err != nil {
		return err
	}
	ev.GameType, err = optionalToken(f.gameType, f.known(fGameType), "game.type", MaxShortLen)
	return err
}

// validateMoney checks the bet and the win.
func (f *flatEvent) validateMoney(ev *Event) error {
	bet, ok, err := amount(f.betAmount, "bet.amount_minor")
	if err != nil {
		return err
	}
	if !ok {
		return missing("bet.amount_minor")
	}
	ev.BetMinor = bet
	if !f.present(fBetCurrency) {
		return missing("bet.currency")
	}
	if !validCurrency(f.currency) {
		return invalid("bet.currency", "must be three upper-case letters, got %q", f.currency)
	}
	ev.Currency = f.currency

	win, _, err := amount(f.winAmount, "win.amount_minor")
	if err != nil {
		return err
	}
	ev.WinMinor = win
	mult, ok, err := nonNegFloat(f.winMult, "win.multiplier")
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
	return nil
}

// validateRound checks the round and the funds.
func (f *flatEvent) validateRound(ev *Event) error {
	ev.RoundID = f.roundID
	ev.RoundStatus = f.roundStatus
	dur, ok, err := nonNegInt(f.roundDur, "round.duration_ms")
	if err != nil {
		return err
	}
	ev.DurationMS, ev.HasDuration = dur, ok

	ev.Funds = FundsCash
	if f.present(fFunds) {
		switch f.funds {
		case FundsCash, FundsBonus:
			ev.Funds = f.funds
		default:
			return invalid("funds", "must be cash or bonus, got %q", f.funds)
		}
	}
	return nil
}

func (f *flatEvent) validateDevice(ev *Event) error {
	if _, err := optionalToken(f.devPlatform, f.known(fDevPlatform), "device.platform", MaxShortLen); err != nil {
		return err
	}
	if _, err := optionalToken(f.devASN, f.known(fDevASN), "device.asn", MaxShortLen); err != nil {
		return err
	}
	if len(f.devID) > MaxDeviceID {
		return invalid("device.id", "must be at most %d bytes", MaxDeviceID)
	}
	ev.Platform = f.devPlatform
	ev.ASN = f.devASN
	ev.DeviceID = f.devID
	ev.TraceID = f.traceID
	return nil
}

func validCurrency(s string) bool {
	return len(s) == 3 &&
		s[0] >= 'A' && s[0] <= 'Z' &&
		s[1] >= 'A' && s[1] <= 'Z' &&
		s[2] >= 'A' && s[2] <= 'Z'
}

// rawKind names the JSON type of a raw value; ok is false for null/absent.
func rawKind(raw jsontext.Value) (kind string, ok bool) {
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
func nonNegInt(raw jsontext.Value, field string) (int64, bool, error) {
	if n, ok := plainDigits(raw); ok {
		return n, true, nil // what the checks below make of it
	}
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

// amount reads an optional money amount: an integer 0..MaxAmountMinor.
func amount(raw jsontext.Value, field string) (int64, bool, error) {
	n, ok, err := nonNegInt(raw, field)
	if err == nil && n > MaxAmountMinor {
		return 0, false, invalid(field, "must be ≤ 10^15, got %d", n)
	}
	return n, ok, err
}

// plainDigits reads raw when it is 1 to 15 decimal digits and nothing
// else: a number that nonNegInt and nonNegFloat accept as it is, whose value
// is the same as an int64 and (below 2^53, exactly) as a float64.
func plainDigits(raw []byte) (int64, bool) {
	if len(raw) == 0 || len(raw) > 15 {
		return 0, false
	}
	var n int64
	for _, c := range raw {
		if c < '0' || c > '9' {
			return 0, false
		}
		n = n*10 + int64(c-'0')
	}
	return n, true
}

// nonNegFloat reads an optional finite JSON number ≥ 0.
func nonNegFloat(raw jsontext.Value, field string) (float64, bool, error) {
	if n, ok := plainDigits(raw); ok {
		return float64(n), true, nil // ParseFloat's value: an integer below 2^53
	}
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
