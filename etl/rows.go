package etl

import (
	"time"

	"github.com/rankstream/rankstream/aggregator"
	"github.com/rankstream/rankstream/event"
	"github.com/rankstream/rankstream/streams"
)

var eventCols = []string{"stream_seq", "arrived", "arrived_ms", "subject", "event_id", "provider", "user_id",
	"ts", "ts_ms", "type", "market", "brand", "game_id", "game_provider", "game_type", "bet_minor", "win_minor",
	"currency", "multiplier", "funds", "platform", "device_asn", "trace_id", "round_id", "duration_ms",
	"valid", "reason", "error"}

var accrualCols = []string{"stream_seq", "event_id", "user_id", "contest", "version", "window_start", "division",
	"ts", "ts_ms", "arrived", "arrived_ms", "market", "provider", "game_id", "game_type", "result", "points"}

var (
	minDateTime = time.Unix(0, 0).UTC()
	maxDateTime = time.Date(2105, 12, 31, 0, 0, 0, 0, time.UTC)
)

// chTime splits t into a DateTime and its milliseconds; times DateTime
// cannot hold (an invalid event's missing ts) become 1970-01-01.
func chTime(t time.Time) (time.Time, uint16) {
	if t.Before(minDateTime) || t.After(maxDateTime) {
		return minDateTime, 0
	}
	t = t.UTC()
	return t.Truncate(time.Second), uint16(t.Nanosecond() / int(time.Millisecond))
}

// eventRow is the events row of one stored message: its fields as far as
// event.Parse got (all of them for a valid event), valid and the reason.
func eventRow(se *aggregator.StoredEvent, d *aggregator.Decision, ev *event.Event) []any {
	_, prov, user, ok := streams.ParseEventSubject(se.Subject)
	if !ok {
		prov, user = "", ev.UserID
	}
	arr, arrMS := chTime(se.Time)
	ts, tsMS := chTime(ev.TS)
	valid, errText := uint8(1), ""
	if d.Invalid != nil {
		valid, errText = 0, d.Invalid.Error()
	}
	if ev.UserID != "" {
		user = ev.UserID
	}
	return []any{se.Seq, arr, arrMS, se.Subject, ev.EventID, prov, user,
		ts, tsMS, ev.Type, ev.Market, ev.Brand, ev.GameID, ev.GameProvider, ev.GameType, ev.BetMinor, ev.WinMinor,
		ev.Currency, ev.Multiplier, ev.Funds, ev.Platform, ev.ASN, ev.TraceID, ev.RoundID, ev.DurationMS,
		valid, d.Reason, errText}
}

// addAccrualRows adds one accruals row per Decision.Details entry.
func addAccrualRows(b *block, se *aggregator.StoredEvent, d *aggregator.Decision, ev *event.Event) {
	_, prov, _, _ := streams.ParseEventSubject(se.Subject)
	arr, arrMS := chTime(se.Time)
	ts, tsMS := chTime(ev.TS)
	for _, a := range d.Details {
		ws, _ := chTime(a.WindowStart)
		b.add(se.Seq, ev.EventID, ev.UserID, a.Contest, uint32(a.Version), ws, a.Division,
			ts, tsMS, arr, arrMS, ev.Market, prov, ev.GameID, ev.GameType, a.Result, a.Points)
	}
}
