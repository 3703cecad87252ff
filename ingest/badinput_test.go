package ingest

import (
	"encoding/json"
	"strings"
	"time"

	"github.com/rankstream/rankstream/event"
)

// ren renames the field at path (the last element) to key to.
func ren(path []string, to string) func(map[string]any) {
	return func(m map[string]any) {
		for _, p := range path[:len(path)-1] {
			m = m[p].(map[string]any)
		}
		last := path[len(path)-1]
		m[to] = m[last]
		delete(m, last)
	}
}

// tsIn is the default event ts (a minute before testNow) written at a fixed
// UTC offset of the given seconds, in the given layout.
func tsIn(offset int, layout string) string {
	return testNow.Add(-time.Minute).In(time.FixedZone("", offset)).Format(layout)
}

// strictBadEvents are the rules of the amended CONTRACT.md §1: field names
// match exactly, ts is RFC 3339 exactly, amounts are bounded to 10^15, and
// game.type and device.* have charsets. Each is rejected with its reason.
func strictBadEvents() []badEvent {
	b := func(name, id, reason string, mods ...func(map[string]any)) badEvent {
		return badEvent{name: name, elem: ev(id, "u_bad", mods...), id: id, reason: reason}
	}
	ts := func(name, id, v string) badEvent {
		return b("ts "+name, id, event.ReasonInvalidField, set([]string{"ts"}, v))
	}
	inv := event.ReasonInvalidField
	miss := event.ReasonMissingField
	day := testNow.Add(-time.Minute).Format("2006-01-02")
	return []badEvent{
		// A required field only in another case is missing: "TS" is not ts.
		b("TS instead of ts", "c-ts", miss, ren([]string{"ts"}, "TS")),
		b("Ts instead of ts", "c-ts2", miss, ren([]string{"ts"}, "Ts")),
		{name: "Event_ID instead of event_id", elem: ev("c-id", "u_bad", ren([]string{"event_id"}, "Event_ID")), id: "", reason: miss},
		b("TYPE instead of type", "c-type", miss, ren([]string{"type"}, "TYPE")),
		b("User_Id instead of user_id", "c-user", miss, ren([]string{"user_id"}, "User_Id")),
		b("Game instead of game", "c-game", miss, ren([]string{"game"}, "Game")),
		b("game.ID instead of game.id", "c-gid", miss, ren([]string{"game", "id"}, "ID")),
		b("game.Provider instead of game.provider", "c-gprov", miss, ren([]string{"game", "provider"}, "Provider")),
		b("BET instead of bet", "c-bet", miss, ren([]string{"bet"}, "BET")),
		b("bet.Amount_Minor instead of amount_minor", "c-amount", miss, ren([]string{"bet", "amount_minor"}, "Amount_Minor")),
		b("bet.CURRENCY instead of currency", "c-cur", miss, ren([]string{"bet", "currency"}, "CURRENCY")),
		// ts forms outside RFC 3339.
		ts("offset +24:00", "t-24h", day+"T12:00:00+24:00"),
		ts("offset -24:00", "t-m24h", day+"T12:00:00-24:00"),
		ts("offset minutes 60", "t-60m", day+"T12:00:00+01:60"),
		ts("comma fraction", "t-comma", day+"T12:00:00,5Z"),
		ts("dot without digits", "t-dot", day+"T12:00:00.Z"),
		ts("no zone", "t-nozone", day+"T12:00:00"),
		ts("space separator", "t-space", day+" 12:00:00Z"),
		ts("hour 24", "t-h24", day+"T24:00:00Z"),
		ts("minute 60", "t-m60", day+"T12:60:00Z"),
		ts("leap second", "t-leap", day+"T23:59:60Z"),
		ts("February 30", "t-feb30", "2025-02-30T12:00:00Z"),
		ts("February 29 of a common year", "t-feb29", "2025-02-29T12:00:00Z"),
		ts("month 13", "t-m13", "2025-13-01T12:00:00Z"),
		ts("offset without colon", "t-0200", day+"T12:00:00+0200"),
		ts("offset hours only", "t-02", day+"T12:00:00+02"),
		ts("zone name", "t-utc", day+"T12:00:00UTC"),
		ts("trailing text", "t-junk", day+"T12:00:00Zjunk"),
		ts("leading space", "t-lead", " "+day+"T12:00:00Z"),
		ts("single-digit month", "t-month", "2025-1-25T12:00:00Z"),
		ts("unix seconds as string", "t-unix", "1761415200"),
		ts("empty", "t-empty", ""),
		// Amounts bounded to 10^15.
		b("bet 10^15+1", "a-bet", inv, set([]string{"bet", "amount_minor"}, json.Number("1000000000000001"))),
		b("win 10^15+1", "a-win", inv, set([]string{"win", "amount_minor"}, json.Number("1000000000000001"))),
		b("win over int64", "a-win64", inv, set([]string{"win", "amount_minor"}, json.Number("9223372036854775808"))),
		b("bet 1e15 exponent", "a-exp", inv, set([]string{"bet", "amount_minor"}, json.Number("1e15"))),
		b("bet 100.0", "a-frac", inv, set([]string{"bet", "amount_minor"}, json.Number("100.0"))),
		b("duration over int64", "a-dur", inv, set([]string{"round", "duration_ms"}, json.Number("9223372036854775808"))),
		b("multiplier 1e400", "a-mult", inv, set([]string{"win", "multiplier"}, json.Number("1e400"))),
		// Charsets of game.type and device.*.
		b("game.type with dot", "s-gtdot", inv, set([]string{"game", "type"}, "live.casino")),
		b("game.type with space", "s-gtsp", inv, set([]string{"game", "type"}, "live casino")),
		b("game.type unicode", "s-gtuni", inv, set([]string{"game", "type"}, "slöt")),
		b("game.type 33 chars", "s-gtlen", inv, set([]string{"game", "type"}, strings.Repeat("s", 33))),
		b("game.type number", "s-gtnum", inv, set([]string{"game", "type"}, 7)),
		b("device.platform with space", "s-plat", inv, set([]string{"device"}, map[string]any{"platform": "i os"})),
		b("device.platform 33 chars", "s-platlen", inv, set([]string{"device"}, map[string]any{"platform": strings.Repeat("p", 33)})),
		b("device.asn with slash", "s-asn", inv, set([]string{"device"}, map[string]any{"asn": "mno/4g"})),
		b("device.asn unicode", "s-asnuni", inv, set([]string{"device"}, map[string]any{"asn": "hösting"})),
		b("device.id 129 bytes", "s-devid", inv, set([]string{"device"}, map[string]any{"id": strings.Repeat("d", 129)})),
		b("device a string", "s-devstr", inv, set([]string{"device"}, "ios")),
		b("market with space", "s-mkt", inv, set([]string{"market"}, "D E")),
		b("market unicode", "s-mktuni", inv, set([]string{"market"}, "DÉ")),
		b("brand with dot", "s-brand", inv, set([]string{"brand"}, "X.Y")),
		b("game.id with dot", "s-gid", inv, set([]string{"game", "id"}, "g.1")),
		{name: "user_id unicode", elem: ev("s-user", "ü"), id: "s-user", reason: inv},
		{name: "event_id with slash", elem: ev("e/1", "u_bad"), id: "e/1", reason: inv},
		b("funds a number", "s-funds", inv, set([]string{"funds"}, 1)),
		b("Funds variant is no funds: bad funds still rejected", "s-funds2", inv, set([]string{"funds"}, "credit"), set([]string{"Funds"}, "cash")),
	}
}

// validEdge is an event on the edge of §1 that must be accepted.
type validEdge struct {
	id   string
	elem map[string]any
}

func validEdges() []validEdge {
	e := func(id string, mods ...func(map[string]any)) validEdge {
		return validEdge{id: id, elem: ev(id, "u_edge", mods...)}
	}
	return []validEdge{
		e("v-lower-t", set([]string{"ts"}, strings.Replace(tsIn(0, time.RFC3339), "T", "t", 1))),
		e("v-lower-z", set([]string{"ts"}, strings.Replace(tsIn(0, time.RFC3339), "Z", "z", 1))),
		e("v-plus-2359", set([]string{"ts"}, tsIn(23*3600+59*60, time.RFC3339))),
		e("v-minus-2359", set([]string{"ts"}, tsIn(-(23*3600+59*60), time.RFC3339))),
		e("v-fraction-12", set([]string{"ts"}, strings.Replace(tsIn(0, time.RFC3339), "Z", ".123456789012Z", 1))),
		e("v-bet-max", set([]string{"bet", "amount_minor"}, json.Number("1000000000000000"))),
		e("v-win-max", set([]string{"win", "amount_minor"}, json.Number("1000000000000000"))),
		// Case variants next to the real fields are unknown fields: ignored.
		e("v-TS-extra", set([]string{"TS"}, "garbage")),
		e("v-Funds-extra", set([]string{"Funds"}, "credit")),
		e("v-BET-extra", set([]string{"BET"}, map[string]any{"amount_minor": -1})),
		e("v-nested-variant", set([]string{"bet", "Amount_Minor"}, "x"), set([]string{"game", "Type"}, "bad type")),
		e("v-device", set([]string{"device"}, map[string]any{"platform": "ios_17", "asn": "mno", "id": "dev fp é/1"})),
		e("v-game-type", set([]string{"game", "type"}, "crash_2-x")),
	}
}
