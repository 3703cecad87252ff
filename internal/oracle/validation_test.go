package oracle

import (
	"encoding/json"
	"strings"
	"testing"
	"time"

	"github.com/rankstream/rankstream/contest"
)

// validationCase is one published event and whether the oracle counts it.
type validationCase struct {
	name    string
	raw     string
	subject string
	arrived time.Time
	valid   bool
}

// validationEvent is a valid event's JSON, changed by mod.
func validationEvent(mod func(m map[string]any)) string {
	m := map[string]any{
		"event_id": "e-1.x:y", "ts": "2025-10-25T18:00:10Z", "type": "round_end", "user_id": "u_1",
		"game": map[string]any{"id": "g1", "provider": "acme", "type": "slot"},
		"bet":  map[string]any{"amount_minor": 100, "currency": "EUR"},
	}
	if mod != nil {
		mod(m)
	}
	raw, _ := json.Marshal(m)
	return string(raw)
}

func setField(k string, v any) func(map[string]any) { return func(m map[string]any) { m[k] = v } }

func delField(k string) func(map[string]any) { return func(m map[string]any) { delete(m, k) } }

// subField sets (nil: deletes) key k of the nested object obj.
func subField(obj, k string, v any) func(map[string]any) {
	return func(m map[string]any) {
		o, _ := m[obj].(map[string]any)
		if o == nil {
			o = map[string]any{}
		}
		if v == nil {
			delete(o, k)
		} else {
			o[k] = v
		}
		m[obj] = o
	}
}

// validationShapeCases: JSON shape, identifiers, ts, type, market, game.
func validationShapeCases() []validationCase {
	good, set, del, sub := validationEvent, setField, delField, subField
	const subj = "events.acme.u_1"
	arrived := at(11)
	return []validationCase{
		{"valid", good(nil), subj, arrived, true},
		{"unknown fields kept and ignored", good(set("extra", map[string]any{"x": 1})), subj, arrived, true},
		{"all optional fields", good(func(m map[string]any) {
			m["market"], m["brand"], m["funds"], m["trace_id"] = "DE", "X", "cash", "t"
			m["win"] = map[string]any{"amount_minor": 5, "multiplier": 0.05}
			m["round"] = map[string]any{"id": "r", "status": "done", "duration_ms": 0}
			m["device"] = map[string]any{"platform": "ios", "asn": "mno"}
		}), subj, arrived, true},
		{"null optional is absent", good(set("market", nil)), subj, arrived, true},
		{"empty market allowed", good(set("market", "")), subj, arrived, true},
		{"bad json", `{"event_id":`, subj, arrived, false},
		{"array", "[" + good(nil) + "]", subj, arrived, false},
		{"null", "null", subj, arrived, false},
		{"trailing data", good(nil) + "{}", subj, arrived, false},
		{"missing event_id", good(del("event_id")), subj, arrived, false},
		{"empty event_id", good(set("event_id", "")), subj, arrived, false},
		{"event_id 128 chars", good(set("event_id", strings.Repeat("a", 128))), subj, arrived, true},
		{"event_id 129 chars", good(set("event_id", strings.Repeat("a", 129))), subj, arrived, false},
		{"event_id slash", good(set("event_id", "a/b")), subj, arrived, false},
		{"event_id number", good(set("event_id", 5)), subj, arrived, false},
		{"missing ts", good(del("ts")), subj, arrived, false},
		{"ts not rfc3339", good(set("ts", "2025-10-25 18:00:10")), subj, arrived, false},
		{"ts with offset", good(set("ts", "2025-10-25T20:00:10.5+02:00")), subj, arrived, true},
		{"bad type", good(set("type", "deposit")), subj, arrived, false},
		{"missing type", good(del("type")), subj, arrived, false},
		{"user_id 64", good(set("user_id", strings.Repeat("u", 64))), "events.acme." + strings.Repeat("u", 64), arrived, true},
		{"user_id 65", good(set("user_id", strings.Repeat("u", 65))), "events.acme." + strings.Repeat("u", 65), arrived, false},
		{"user_id with dot", good(set("user_id", "u.1")), "events.acme.u.1", arrived, false},
		{"user_id with colon", good(set("user_id", "u:1")), "events.acme.u:1", arrived, false},
		{"market 33", good(set("market", strings.Repeat("M", 33))), subj, arrived, false},
		{"market bad char", good(set("market", "D E")), subj, arrived, false},
		{"brand number", good(set("brand", 1)), subj, arrived, false},
		{"missing game", good(del("game")), subj, arrived, false},
		{"game not object", good(set("game", "g1")), subj, arrived, false},
		{"missing game.id", good(sub("game", "id", nil)), subj, arrived, false},
		{"game.id 65", good(sub("game", "id", strings.Repeat("g", 65))), subj, arrived, false},
		{"missing game.provider", good(sub("game", "provider", nil)), subj, arrived, false},
	}
}

// validationValueCases: amounts, funds, skew, subject and the amended §1.
func validationValueCases() []validationCase {
	good, set, del, sub := validationEvent, setField, delField, subField
	const subj = "events.acme.u_1"
	arrived := at(11)
	return []validationCase{
		{"missing bet", good(del("bet")), subj, arrived, false},
		{"bet negative", good(sub("bet", "amount_minor", -1)), subj, arrived, false},
		{"bet fraction", good(sub("bet", "amount_minor", 1.5)), subj, arrived, false},
		{"bet 100.0", good(func(m map[string]any) { m["bet"] = json.RawMessage(`{"amount_minor":100.0,"currency":"EUR"}`) }), subj, arrived, false},
		{"bet 1e2", good(func(m map[string]any) { m["bet"] = json.RawMessage(`{"amount_minor":1e2,"currency":"EUR"}`) }), subj, arrived, false},
		{"bet string", good(sub("bet", "amount_minor", "100")), subj, arrived, false},
		{"bet overflow", good(func(m map[string]any) {
			m["bet"] = json.RawMessage(`{"amount_minor":99999999999999999999,"currency":"EUR"}`)
		}), subj, arrived, false},
		{"missing bet.amount_minor", good(sub("bet", "amount_minor", nil)), subj, arrived, false},
		{"currency lower", good(sub("bet", "currency", "eur")), subj, arrived, false},
		{"currency 4", good(sub("bet", "currency", "EURO")), subj, arrived, false},
		{"missing currency", good(sub("bet", "currency", nil)), subj, arrived, false},
		{"win negative", good(sub("win", "amount_minor", -5)), subj, arrived, false},
		{"win multiplier negative", good(sub("win", "multiplier", -0.5)), subj, arrived, false},
		{"win multiplier string", good(sub("win", "multiplier", "2")), subj, arrived, false},
		{"duration fraction", good(sub("round", "duration_ms", 1.5)), subj, arrived, false},
		{"duration negative", good(sub("round", "duration_ms", -1)), subj, arrived, false},
		{"funds bonus", good(set("funds", "bonus")), subj, arrived, true},
		{"funds bad", good(set("funds", "credit")), subj, arrived, false},
		{"funds empty", good(set("funds", "")), subj, arrived, false},
		{"ts exactly skew ahead", good(nil), subj, at(10 - 30), true},
		{"future_ts", good(nil), subj, at(10 - 30).Add(-time.Nanosecond), false},
		{"subject provider mismatch", good(nil), "events.other.u_1", arrived, false},
		{"subject user mismatch", good(nil), "events.acme.u_2", arrived, false},
		{"subject shape", good(nil), "events.acme", arrived, false},
		{"subject prefix", good(nil), "evts.acme.u_1", arrived, false},
		// The amended §1: exact names, strict RFC 3339, bounds and charsets.
		{"TS only", good(func(m map[string]any) { m["TS"] = m["ts"]; delete(m, "ts") }), subj, arrived, false},
		{"Funds ignored", good(set("Funds", "credit")), subj, arrived, true},
		{"bet.Amount_Minor only", good(func(m map[string]any) {
			m["bet"] = map[string]any{"Amount_Minor": 100, "currency": "EUR"}
		}), subj, arrived, false},
		{"ts lower-case t and z", good(set("ts", "2025-10-25t18:00:10z")), subj, arrived, true},
		{"ts +24:00", good(set("ts", "2025-10-26T18:00:10+24:00")), subj, arrived, false},
		{"ts comma fraction", good(set("ts", "2025-10-25T18:00:10,5Z")), subj, arrived, false},
		{"ts leap second", good(set("ts", "2025-10-25T18:00:60Z")), subj, arrived, false},
		{"bet 10^15", good(sub("bet", "amount_minor", 1_000_000_000_000_000)), subj, arrived, true},
		{"bet 10^15+1", good(sub("bet", "amount_minor", 1_000_000_000_000_001)), subj, arrived, false},
		{"win 10^15+1", good(sub("win", "amount_minor", 1_000_000_000_000_001)), subj, arrived, false},
		{"game.type dot", good(sub("game", "type", "live.casino")), subj, arrived, false},
		{"device.asn space", good(set("device", map[string]any{"asn": "mno x"})), subj, arrived, false},
		{"device.platform 33", good(set("device", map[string]any{"platform": strings.Repeat("p", 33)})), subj, arrived, false},
		{"device.id 129", good(set("device", map[string]any{"id": strings.Repeat("d", 129)})), subj, arrived, false},
	}
}

func TestValidation(t *testing.T) {
	cases := append(validationShapeCases(), validationValueCases()...)
	c := fixed(nil)
	for _, tc := range cases {
		t.Run(tc.name, func(t *testing.T) {
			got := run([]*contest.Contest{c}, []Arrival{{Raw: []byte(tc.raw), Subject: tc.subject, Arrived: tc.arrived, Seq: 1}})
			if tc.valid {
				user := "u_1"
				if strings.HasPrefix(tc.name, "user_id") {
					user = strings.Repeat("u", 64)
				}
				mult, finish, score := 0.0, fin(10), int64(100)
				switch tc.name {
				case "bet 10^15":
					score = 1_000_000_000_000_000
				case "all optional fields":
					mult = 0.05 // win.multiplier given
				case "ts with offset":
					finish = fin(10.5) // 20:00:10.5+02:00
				}
				check(t, got, map[BoardID][]Standing{b(""): {{1, user, score, mult, 1, finish}}}, 0, 0)
			} else {
				check(t, got, nil, 1, 0)
			}
		})
	}
}

// ---------------------------------------------------------------- multiplier
