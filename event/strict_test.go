package event

import (
	"errors"
	"strings"
	"testing"
	"time"
)

// TestParseCaseSensitiveNames: a field name in another case is an unknown
// field (kept and ignored), at every depth; it never replaces the real one.
func TestParseCaseSensitiveNames(t *testing.T) {
	cases := []struct {
		name, from, to string
		check          func(Event) bool
	}{
		{"Funds ignored", `"bet"`, `"Funds":"bonus","bet"`, func(e Event) bool { return e.Funds == FundsCash }},
		{"FUNDS after funds", `"bet"`, `"funds":"cash","FUNDS":"bonus","bet"`, func(e Event) bool { return e.Funds == FundsCash }},
		{"TS ignored", `"type"`, `"TS":"2030-01-01T00:00:00Z","type"`, func(e Event) bool { return e.TS.Equal(time.Date(2025, 10, 25, 18, 0, 0, 0, time.UTC)) }},
		{"BET ignored", `"bet"`, `"BET":{"amount_minor":7,"currency":"USD"},"bet"`, func(e Event) bool { return e.BetMinor == 100 && e.Currency == "EUR" }},
		{"Amount_Minor nested ignored", `"amount_minor":100`, `"amount_minor":100,"Amount_Minor":5`, func(e Event) bool { return e.BetMinor == 100 }},
		{"Win ignored", `"bet"`, `"Win":{"amount_minor":900},"bet"`, func(e Event) bool { return e.WinMinor == 0 }},
		{"game.ID ignored", `"id":"g1"`, `"id":"g1","ID":"other"`, func(e Event) bool { return e.GameID == "g1" }},
		{"device.ASN ignored", `"bet"`, `"device":{"ASN":"hosting","asn":"mno"},"bet"`, func(e Event) bool { return e.ASN == "mno" }},
		{"User_ID ignored", `"type"`, `"User_ID":"u2","type"`, func(e Event) bool { return e.UserID == "u1" }},
	}
	for _, c := range cases {
		t.Run(c.name, func(t *testing.T) {
			ev, err := Parse([]byte(strings.Replace(minimalJSON, c.from, c.to, 1)))
			if err != nil {
				t.Fatalf("Parse: %v", err)
			}
			if !c.check(ev) {
				t.Fatalf("a case-variant name changed the event: %+v", ev)
			}
		})
	}
	// A required field given only in another case is missing.
	for _, in := range []string{
		strings.Replace(minimalJSON, `"ts"`, `"TS"`, 1),
		strings.Replace(minimalJSON, `"event_id"`, `"Event_ID"`, 1),
		strings.Replace(minimalJSON, `"currency"`, `"Currency"`, 1),
		strings.Replace(minimalJSON, `"game"`, `"Game"`, 1),
	} {
		_, err := Parse([]byte(in))
		var inv *Invalid
		if !errors.As(err, &inv) || inv.Reason != ReasonMissingField {
			t.Errorf("%s: got %v, want missing_field", in, err)
		}
	}
}

func TestParseTS(t *testing.T) {
	utc := func(y, mo, d, h, mi, s, ns int) time.Time {
		return time.Date(y, time.Month(mo), d, h, mi, s, ns, time.UTC)
	}
	good := map[string]time.Time{
		"2025-10-25T18:00:00Z":                utc(2025, 10, 25, 18, 0, 0, 0),
		"2025-10-25t18:00:00z":                utc(2025, 10, 25, 18, 0, 0, 0),
		"2025-10-25T18:00:00.5Z":              utc(2025, 10, 25, 18, 0, 0, 500000000),
		"2025-10-25T18:00:00.123456789123Z":   utc(2025, 10, 25, 18, 0, 0, 123456789),
		"2025-10-25T20:00:00+02:00":           utc(2025, 10, 25, 18, 0, 0, 0),
		"2025-10-25T18:00:00+23:59":           utc(2025, 10, 24, 18, 1, 0, 0),
		"2025-10-25T18:00:00-23:59":           utc(2025, 10, 26, 17, 59, 0, 0),
		"2025-10-25T18:00:00-00:00":           utc(2025, 10, 25, 18, 0, 0, 0),
		"2024-02-29T00:00:00Z":                utc(2024, 2, 29, 0, 0, 0, 0),
		"2000-02-29T23:59:59.999999999+00:00": utc(2000, 2, 29, 23, 59, 59, 999999999),
	}
	for in, want := range good {
		got, err := ParseTS(in)
		if err != nil || !got.Equal(want) || got.Location() != time.UTC {
			t.Errorf("ParseTS(%q) = %v, %v; want %v", in, got, err, want)
		}
	}
	bad := []string{
		"", "2025-10-25", "2025-10-25 18:00:00Z", "2025-10-25T18:00:00", "2025-10-25T18:00:00+24:00",
		"2025-10-25T18:00:00+02:60", "2025-10-25T18:00:00,5Z", "2025-10-25T18:00:00.Z", "2025-10-25T24:00:00Z",
		"2025-10-25T18:60:00Z", "2025-10-25T18:00:60Z", "2025-13-01T00:00:00Z", "2025-00-01T00:00:00Z",
		"2025-02-29T00:00:00Z", "1900-02-29T00:00:00Z", "2025-04-31T00:00:00Z", "2025-10-25T18:00:00+0200",
		"2025-10-25T18:00:00+02", "2025-10-25T18:00:00UTC", "2025-10-25T18:00:00Zjunk", "+2025-10-25T18:00:00Z",
		"2025-1-25T18:00:00Z", "2025-10-25T18:00:00.5", "2025-10-25T1a:00:00Z", " 2025-10-25T18:00:00Z",
	}
	for _, in := range bad {
		if got, err := ParseTS(in); err == nil {
			t.Errorf("ParseTS(%q) = %v, want an error", in, got)
		}
	}
}

func TestParseShortTokensAndAmounts(t *testing.T) {
	cases := []struct{ name, from, to, field string }{
		{"game.type dot", `"provider":"acme"`, `"provider":"acme","type":"live.casino"`, "game.type"},
		{"game.type 33", `"provider":"acme"`, `"provider":"acme","type":"` + strings.Repeat("s", 33) + `"`, "game.type"},
		{"platform space", `"bet"`, `"device":{"platform":"i os"},"bet"`, "device.platform"},
		{"asn unicode", `"bet"`, `"device":{"asn":"mnö"},"bet"`, "device.asn"},
		{"device.id 129", `"bet"`, `"device":{"id":"` + strings.Repeat("d", 129) + `"},"bet"`, "device.id"},
		{"bet 10^15+1", `"amount_minor":100`, `"amount_minor":1000000000000001`, "bet.amount_minor"},
		{"win 10^15+1", `"bet"`, `"win":{"amount_minor":1000000000000001},"bet"`, "win.amount_minor"},
		{"bet 1e3", `"amount_minor":100`, `"amount_minor":1e3`, "bet.amount_minor"},
	}
	for _, c := range cases {
		_, err := Parse([]byte(strings.Replace(minimalJSON, c.from, c.to, 1)))
		var inv *Invalid
		if !errors.As(err, &inv) || inv.Reason != ReasonInvalidField || inv.Field != c.field {
			t.Errorf("%s: got %v, want invalid_field %s", c.name, err, c.field)
		}
	}
	ev, err := Parse([]byte(strings.Replace(minimalJSON, `"bet"`, `"device":{"platform":"ios","asn":"mno","id":"d-1 é"},"game_extra":1,"bet"`, 1)))
	if err != nil || ev.DeviceID != "d-1 é" || ev.ASN != "mno" || ev.Platform != "ios" {
		t.Fatalf("got %+v, %v", ev, err)
	}
}

// Found by FuzzParse: unbalanced closing brackets once made the key scanner
// shift by a negative amount (a panic inside Parse).
func TestParseUnbalancedBrackets(t *testing.T) {
	for _, in := range []string{"}][0", "{}}],0", `{"a":1}},{"b":2}`, "{]]]]]]]]]"} {
		_, err := Parse([]byte(in))
		var inv *Invalid
		if !errors.As(err, &inv) || inv.Reason != ReasonBadJSON {
			t.Errorf("%q: got %v, want bad_json", in, err)
		}
	}
}

// Found by FuzzParseAgreesWithStdlib: goccy leaves a value given before a
// null of the same name as it was, the exact decoder makes it zero, so an
// input with null took goccy's answer when its keys were plain and the
// exact decoder's otherwise. Every null now takes the exact decoder: the
// answer no longer depends on the case of another key.
func TestParseNullAfterValueAsExact(t *testing.T) {
	for _, c := range []struct{ from, to, field string }{
		{`"type":"spin"`, `"market":"DE","market":null,"type":"spin"`, "market"},
		{`"bet"`, `"game":null,"bet"`, "game.id"},
	} {
		for _, extra := range []string{``, `"X":1,`} { // plain keys, and not
			in := strings.Replace(strings.Replace(minimalJSON, c.from, c.to, 1), `{`, `{`+extra, 1)
			ev, err := Parse([]byte(in))
			var inv *Invalid
			switch {
			case c.field == "market" && (err != nil || ev.Market != ""):
				t.Errorf("%s: got %+v, %v; want market empty", in, ev, err)
			case c.field == "game.id" && (!errors.As(err, &inv) || inv.Reason != ReasonMissingField || inv.Field != c.field):
				t.Errorf("%s: got %v; want missing_field %s", in, err, c.field)
			}
			checkDecodersAgree(t, []byte(in))
		}
	}
}
