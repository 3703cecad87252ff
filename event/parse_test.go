package event

import (
	"errors"
	"strings"
	"testing"
	"time"
)

const validJSON = `{
  "event_id": "pp:r-981.2",
  "ts": "2025-10-25T20:15:00.123456789+02:00",
  "type": "round_end",
  "user_id": "u_123",
  "market": "DE",
  "brand": "X",
  "game": {"id": "g_sweet", "provider": "PragmaticPlay", "type": "slot"},
  "bet": {"amount_minor": 200, "currency": "EUR"},
  "win": {"amount_minor": 1500},
  "round": {"id": "r-981", "status": "closed", "duration_ms": 1200},
  "funds": "bonus",
  "device": {"platform": "ios", "asn": "mno"},
  "trace_id": "t-1"
}`

func TestParseValid(t *testing.T) {
	ev, err := Parse([]byte(validJSON))
	if err != nil {
		t.Fatalf("Parse: %v", err)
	}
	want := Event{
		EventID: "pp:r-981.2", TS: time.Date(2025, 10, 25, 18, 15, 0, 123456789, time.UTC),
		Type: "round_end", UserID: "u_123", Market: "DE", Brand: "X",
		GameID: "g_sweet", GameProvider: "PragmaticPlay", GameType: "slot",
		BetMinor: 200, Currency: "EUR", WinMinor: 1500, Multiplier: 7.5,
		RoundID: "r-981", RoundStatus: "closed", DurationMS: 1200, HasDuration: true,
		Funds: "bonus", Platform: "ios", ASN: "mno", TraceID: "t-1",
	}
	if ev != want {
		t.Fatalf("got  %+v\nwant %+v", ev, want)
	}
	if ev.TS.Location() != time.UTC {
		t.Fatalf("ts not in UTC: %v", ev.TS.Location())
	}
}

const minimalJSON = `{"event_id":"e1","ts":"2025-10-25T18:00:00Z","type":"spin","user_id":"u1",
 "game":{"id":"g1","provider":"acme"},"bet":{"amount_minor":100,"currency":"EUR"}}`

func TestParseDefaults(t *testing.T) {
	cases := []struct {
		name       string
		json       string
		mult       float64
		win        int64
		funds      string
		hasDur     bool
		durationMS int64
	}{
		{"minimal", minimalJSON, 0, 0, "cash", false, 0},
		{"multiplier from win/bet", strings.Replace(minimalJSON, `"bet"`, `"win":{"amount_minor":250},"bet"`, 1), 2.5, 250, "cash", false, 0},
		{"multiplier given wins", strings.Replace(minimalJSON, `"bet"`, `"win":{"amount_minor":250,"multiplier":10},"bet"`, 1), 10, 250, "cash", false, 0},
		{"multiplier 0 with bet 0", strings.Replace(strings.Replace(minimalJSON, `"amount_minor":100`, `"amount_minor":0`, 1), `"bet"`, `"win":{"amount_minor":250},"bet"`, 1), 0, 250, "cash", false, 0},
		{"explicit zero multiplier", strings.Replace(minimalJSON, `"bet"`, `"win":{"amount_minor":250,"multiplier":0},"bet"`, 1), 0, 250, "cash", false, 0},
		{"fractional multiplier", strings.Replace(minimalJSON, `"bet"`, `"win":{"multiplier":1.25e1},"bet"`, 1), 12.5, 0, "cash", false, 0},
		{"duration 0 present", strings.Replace(minimalJSON, `"bet"`, `"round":{"duration_ms":0},"bet"`, 1), 0, 0, "cash", true, 0},
		{"nulls are absent", strings.Replace(minimalJSON, `"bet"`, `"win":{"amount_minor":null,"multiplier":null},"round":null,"funds":null,"market":null,"bet"`, 1), 0, 0, "cash", false, 0},
		{"funds cash", strings.Replace(minimalJSON, `"bet"`, `"funds":"cash","bet"`, 1), 0, 0, "cash", false, 0},
		{"unknown fields ignored", strings.Replace(minimalJSON, `"bet"`, `"extra":{"deep":[1,2,{"x":null}]},"game_extra":"s","bet"`, 1), 0, 0, "cash", false, 0},
		{"unknown nested fields ignored", strings.Replace(minimalJSON, `"provider":"acme"`, `"provider":"acme","rtp":96.5`, 1), 0, 0, "cash", false, 0},
	}
	for _, c := range cases {
		t.Run(c.name, func(t *testing.T) {
			ev, err := Parse([]byte(c.json))
			if err != nil {
				t.Fatalf("Parse: %v", err)
			}
			if ev.Multiplier != c.mult || ev.WinMinor != c.win || ev.Funds != c.funds || ev.HasDuration != c.hasDur || ev.DurationMS != c.durationMS {
				t.Fatalf("got mult=%v win=%d funds=%s hasDur=%v dur=%d", ev.Multiplier, ev.WinMinor, ev.Funds, ev.HasDuration, ev.DurationMS)
			}
			if ev.EventID != "e1" || ev.GameProvider != "acme" || ev.BetMinor == 0 && !strings.Contains(c.json, `"amount_minor":0`) {
				t.Fatalf("core fields lost: %+v", ev)
			}
		})
	}
}

// mutate returns minimalJSON with old replaced by new (once, must exist).
func mutate(t *testing.T, old, new string) string {
	t.Helper()
	if !strings.Contains(minimalJSON, old) {
		t.Fatalf("mutate: %q not in minimal event", old)
	}
	return strings.Replace(minimalJSON, old, new, 1)
}

// invalidCase is minimalJSON with old→new (old "" means new is the whole
// input) and the reason and field Parse must report.
type invalidCase struct {
	name, old, new string
	reason, field  string
}

func long(n int) string { return strings.Repeat("a", n) }

// invalidShapeCases: bad JSON, missing fields, identifiers, ts, type and game.
func invalidShapeCases() []invalidCase {
	return []invalidCase{
		{"not json", "", `{"event_id":`, ReasonBadJSON, ""},
		{"garbage", "", `hello`, ReasonBadJSON, ""},
		{"array", "", `[{"event_id":"e1"}]`, ReasonBadJSON, ""},
		{"string", "", `"event"`, ReasonBadJSON, ""},
		{"null", "", `null`, ReasonBadJSON, ""},
		{"empty", "", ``, ReasonBadJSON, ""},
		{"trailing garbage", "", minimalJSON + `x`, ReasonBadJSON, ""},

		{"missing event_id", `"event_id":"e1",`, ``, ReasonMissingField, "event_id"},
		{"missing ts", `"ts":"2025-10-25T18:00:00Z",`, ``, ReasonMissingField, "ts"},
		{"missing type", `"type":"spin",`, ``, ReasonMissingField, "type"},
		{"missing user_id", `"user_id":"u1",`, ``, ReasonMissingField, "user_id"},
		{"missing game", `"game":{"id":"g1","provider":"acme"},`, ``, ReasonMissingField, "game.id"},
		{"missing game.id", `"id":"g1",`, ``, ReasonMissingField, "game.id"},
		{"missing game.provider", `,"provider":"acme"`, ``, ReasonMissingField, "game.provider"},
		{"missing bet", `,"bet":{"amount_minor":100,"currency":"EUR"}`, ``, ReasonMissingField, "bet.amount_minor"},
		{"missing bet.amount_minor", `"amount_minor":100,`, ``, ReasonMissingField, "bet.amount_minor"},
		{"missing bet.currency", `,"currency":"EUR"`, ``, ReasonMissingField, "bet.currency"},
		{"null event_id", `"event_id":"e1"`, `"event_id":null`, ReasonMissingField, "event_id"},

		{"empty event_id", `"event_id":"e1"`, `"event_id":""`, ReasonInvalidField, "event_id"},
		{"event_id bad char", `"event_id":"e1"`, `"event_id":"e 1"`, ReasonInvalidField, "event_id"},
		{"event_id slash", `"event_id":"e1"`, `"event_id":"e/1"`, ReasonInvalidField, "event_id"},
		{"event_id 129", `"event_id":"e1"`, `"event_id":"` + long(129) + `"`, ReasonInvalidField, "event_id"},
		{"event_id number", `"event_id":"e1"`, `"event_id":17`, ReasonInvalidField, "event_id"},
		{"ts not rfc3339", `"ts":"2025-10-25T18:00:00Z"`, `"ts":"2025-10-25 18:00:00"`, ReasonInvalidField, "ts"},
		{"ts no zone", `"ts":"2025-10-25T18:00:00Z"`, `"ts":"2025-10-25T18:00:00"`, ReasonInvalidField, "ts"},
		{"ts number", `"ts":"2025-10-25T18:00:00Z"`, `"ts":1761415200`, ReasonInvalidField, "ts"},
		{"bad type", `"type":"spin"`, `"type":"deposit"`, ReasonInvalidField, "type"},
		{"empty user_id", `"user_id":"u1"`, `"user_id":""`, ReasonInvalidField, "user_id"},
		{"user_id dot", `"user_id":"u1"`, `"user_id":"u.1"`, ReasonInvalidField, "user_id"},
		{"user_id 65", `"user_id":"u1"`, `"user_id":"` + long(65) + `"`, ReasonInvalidField, "user_id"},
		{"market too long", `"type":"spin",`, `"type":"spin","market":"` + long(33) + `",`, ReasonInvalidField, "market"},
		{"brand bad char", `"type":"spin",`, `"type":"spin","brand":"a b",`, ReasonInvalidField, "brand"},
		{"market number", `"type":"spin",`, `"type":"spin","market":49,`, ReasonInvalidField, "market"},
		{"game not object", `"game":{"id":"g1","provider":"acme"}`, `"game":"g1"`, ReasonInvalidField, "game"},
		{"game.id bad", `"id":"g1"`, `"id":"g*"`, ReasonInvalidField, "game.id"},
		{"empty game.id", `"id":"g1"`, `"id":""`, ReasonInvalidField, "game.id"},
		{"empty game.provider", `"provider":"acme"`, `"provider":""`, ReasonInvalidField, "game.provider"},
		{"game.provider too long", `"provider":"acme"`, `"provider":"` + long(65) + `"`, ReasonInvalidField, "game.provider"},
		{"game.type number", `"provider":"acme"`, `"provider":"acme","type":3`, ReasonInvalidField, "game.type"},
	}
}

// invalidAmountCases: bet, currency, win, round, funds, device, trace_id.
func invalidAmountCases() []invalidCase {
	return []invalidCase{
		{"bet float", `"amount_minor":100`, `"amount_minor":1.5`, ReasonInvalidField, "bet.amount_minor"},
		{"bet 1.0", `"amount_minor":100`, `"amount_minor":100.0`, ReasonInvalidField, "bet.amount_minor"},
		{"bet exponent", `"amount_minor":100`, `"amount_minor":1e2`, ReasonInvalidField, "bet.amount_minor"},
		{"bet string", `"amount_minor":100`, `"amount_minor":"10"`, ReasonInvalidField, "bet.amount_minor"},
		{"bet negative", `"amount_minor":100`, `"amount_minor":-1`, ReasonInvalidField, "bet.amount_minor"},
		{"bet > int64", `"amount_minor":100`, `"amount_minor":9223372036854775808`, ReasonInvalidField, "bet.amount_minor"},
		{"bet bool", `"amount_minor":100`, `"amount_minor":true`, ReasonInvalidField, "bet.amount_minor"},
		{"bet not object", `"bet":{"amount_minor":100,"currency":"EUR"}`, `"bet":100`, ReasonInvalidField, "bet"},
		{"currency lower", `"currency":"EUR"`, `"currency":"eur"`, ReasonInvalidField, "bet.currency"},
		{"currency 4", `"currency":"EUR"`, `"currency":"EURO"`, ReasonInvalidField, "bet.currency"},
		{"currency number", `"currency":"EUR"`, `"currency":978`, ReasonInvalidField, "bet.currency"},
		{"win negative", `"bet"`, `"win":{"amount_minor":-5},"bet"`, ReasonInvalidField, "win.amount_minor"},
		{"win float", `"bet"`, `"win":{"amount_minor":0.5},"bet"`, ReasonInvalidField, "win.amount_minor"},
		{"multiplier negative", `"bet"`, `"win":{"multiplier":-1},"bet"`, ReasonInvalidField, "win.multiplier"},
		{"multiplier string", `"bet"`, `"win":{"multiplier":"2"},"bet"`, ReasonInvalidField, "win.multiplier"},
		{"multiplier huge", `"bet"`, `"win":{"multiplier":1e400},"bet"`, ReasonInvalidField, "win.multiplier"},
		{"duration negative", `"bet"`, `"round":{"duration_ms":-1},"bet"`, ReasonInvalidField, "round.duration_ms"},
		{"duration float", `"bet"`, `"round":{"duration_ms":1.5},"bet"`, ReasonInvalidField, "round.duration_ms"},
		{"round.id number", `"bet"`, `"round":{"id":5},"bet"`, ReasonInvalidField, "round.id"},
		{"funds bad", `"bet"`, `"funds":"credit","bet"`, ReasonInvalidField, "funds"},
		{"funds empty", `"bet"`, `"funds":"","bet"`, ReasonInvalidField, "funds"},
		{"device.asn bool", `"bet"`, `"device":{"asn":true},"bet"`, ReasonInvalidField, "device.asn"},
		{"trace_id object", `"bet"`, `"trace_id":{},"bet"`, ReasonInvalidField, "trace_id"},
	}
}

func TestParseInvalid(t *testing.T) {
	cases := append(invalidShapeCases(), invalidAmountCases()...)
	for _, c := range cases {
		t.Run(c.name, func(t *testing.T) {
			in := c.new
			if c.old != "" {
				in = mutate(t, c.old, c.new)
			}
			_, err := Parse([]byte(in))
			var inv *Invalid
			if !errors.As(err, &inv) {
				t.Fatalf("Parse(%s) = %v, want *Invalid", in, err)
			}
			if inv.Reason != c.reason || inv.Field != c.field {
				t.Fatalf("got reason=%q field=%q (%v), want %q %q", inv.Reason, inv.Field, err, c.reason, c.field)
			}
			if !strings.HasPrefix(err.Error(), c.reason+": ") {
				t.Fatalf("error %q does not start with the reason", err)
			}
		})
	}
}

func TestParseKeepsEventIDOnError(t *testing.T) {
	ev, err := Parse([]byte(mutate(t, `"currency":"EUR"`, `"currency":"eur"`)))
	if err == nil || ev.EventID != "e1" {
		t.Fatalf("got %q, %v; want event_id e1 and an error", ev.EventID, err)
	}
}

func TestParseBoundaries(t *testing.T) {
	id := strings.Repeat("a", 128)
	user := strings.Repeat("u", 64)
	in := strings.NewReplacer(`"event_id":"e1"`, `"event_id":"`+id+`"`, `"user_id":"u1"`, `"user_id":"`+user+`"`,
		`"amount_minor":100`, `"amount_minor":1000000000000000`).Replace(minimalJSON)
	ev, err := Parse([]byte(in))
	if err != nil {
		t.Fatalf("Parse: %v", err)
	}
	if ev.EventID != id || ev.UserID != user || ev.BetMinor != MaxAmountMinor {
		t.Fatalf("got %+v", ev)
	}
}

func TestCheckFuture(t *testing.T) {
	ev, err := Parse([]byte(minimalJSON))
	if err != nil {
		t.Fatal(err)
	}
	if err := CheckFuture(&ev, ev.TS.Add(-DefaultMaxFutureSkew), DefaultMaxFutureSkew); err != nil {
		t.Fatalf("exactly at the skew: %v", err)
	}
	err = CheckFuture(&ev, ev.TS.Add(-DefaultMaxFutureSkew-time.Millisecond), DefaultMaxFutureSkew)
	var inv *Invalid
	if !errors.As(err, &inv) || inv.Reason != ReasonFutureTS {
		t.Fatalf("got %v, want future_ts", err)
	}
}

func TestSubject(t *testing.T) {
	if got := Subject("acme", "u_1"); got != "events.acme.u_1" {
		t.Fatalf("Subject = %q", got)
	}
}

func BenchmarkParse(b *testing.B) {
	raw := []byte(validJSON)
	b.SetBytes(int64(len(raw)))
	b.ReportAllocs()
	for b.Loop() {
		if _, err := Parse(raw); err != nil {
			b.Fatal(err)
		}
	}
}
