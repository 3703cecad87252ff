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

// eventColumns are events rows, one typed slice per column (eventCols order).
type eventColumns struct {
	seq                                                  []uint64
	arrived, ts                                          []time.Time
	arrivedMS, tsMS                                      []uint16
	subject, eventID, provider, userID, typ, market      []string
	brand, gameID, gameProvider, gameType, currency      []string
	funds, platform, asn, traceID, roundID, reason, errs []string
	bet, win, duration                                   []int64
	mult                                                 []float64
	valid                                                []uint8
}

func (c *eventColumns) len() int { return len(c.seq) }

func (c *eventColumns) columns() []any {
	return []any{c.seq, c.arrived, c.arrivedMS, c.subject, c.eventID, c.provider, c.userID,
		c.ts, c.tsMS, c.typ, c.market, c.brand, c.gameID, c.gameProvider, c.gameType, c.bet, c.win,
		c.currency, c.mult, c.funds, c.platform, c.asn, c.traceID, c.roundID, c.duration,
		c.valid, c.reason, c.errs}
}

// add appends the events row of one stored message: its fields as far as
// event.Parse got (all of them for a valid event), valid and the reason.
func (c *eventColumns) add(se *aggregator.StoredEvent, d *aggregator.Decision, ev *event.Event) {
	_, prov, user, ok := streams.ParseEventSubject(se.Subject)
	if !ok {
		prov, user = "", ev.UserID
	}
	if ev.UserID != "" {
		user = ev.UserID
	}
	arr, arrMS := chTime(se.Time)
	ts, tsMS := chTime(ev.TS)
	valid, errText := uint8(1), ""
	if d.Invalid != nil {
		valid, errText = 0, d.Invalid.Error()
	}
	c.seq = append(c.seq, se.Seq)
	c.arrived, c.arrivedMS = append(c.arrived, arr), append(c.arrivedMS, arrMS)
	c.subject, c.eventID = append(c.subject, se.Subject), append(c.eventID, ev.EventID)
	c.provider, c.userID = append(c.provider, prov), append(c.userID, user)
	c.ts, c.tsMS = append(c.ts, ts), append(c.tsMS, tsMS)
	c.typ, c.market, c.brand = append(c.typ, ev.Type), append(c.market, ev.Market), append(c.brand, ev.Brand)
	c.gameID, c.gameProvider, c.gameType = append(c.gameID, ev.GameID), append(c.gameProvider, ev.GameProvider), append(c.gameType, ev.GameType)
	c.bet, c.win, c.currency = append(c.bet, ev.BetMinor), append(c.win, ev.WinMinor), append(c.currency, ev.Currency)
	c.mult, c.funds, c.platform = append(c.mult, ev.Multiplier), append(c.funds, ev.Funds), append(c.platform, ev.Platform)
	c.asn, c.traceID, c.roundID = append(c.asn, ev.ASN), append(c.traceID, ev.TraceID), append(c.roundID, ev.RoundID)
	c.duration, c.valid = append(c.duration, ev.DurationMS), append(c.valid, valid)
	c.reason, c.errs = append(c.reason, d.Reason), append(c.errs, errText)
}

// accrualColumns are accruals rows, one typed slice per column (accrualCols order).
type accrualColumns struct {
	seq                                        []uint64
	eventID, userID, contest, division, market []string
	provider, gameID, gameType, result         []string
	version                                    []uint32
	windowStart, ts, arrived                   []time.Time
	tsMS, arrivedMS                            []uint16
	points                                     []int64
}

func (c *accrualColumns) len() int { return len(c.seq) }

func (c *accrualColumns) columns() []any {
	return []any{c.seq, c.eventID, c.userID, c.contest, c.version, c.windowStart, c.division,
		c.ts, c.tsMS, c.arrived, c.arrivedMS, c.market, c.provider, c.gameID, c.gameType, c.result, c.points}
}

// add appends one accruals row per Decision.Details entry.
func (c *accrualColumns) add(se *aggregator.StoredEvent, d *aggregator.Decision, ev *event.Event) {
	_, prov, _, _ := streams.ParseEventSubject(se.Subject)
	arr, arrMS := chTime(se.Time)
	ts, tsMS := chTime(ev.TS)
	for _, a := range d.Details {
		ws, _ := chTime(a.WindowStart)
		c.seq, c.eventID, c.userID = append(c.seq, se.Seq), append(c.eventID, ev.EventID), append(c.userID, ev.UserID)
		c.contest, c.version = append(c.contest, a.Contest), append(c.version, uint32(a.Version))
		c.windowStart, c.division = append(c.windowStart, ws), append(c.division, a.Division)
		c.ts, c.tsMS, c.arrived, c.arrivedMS = append(c.ts, ts), append(c.tsMS, tsMS), append(c.arrived, arr), append(c.arrivedMS, arrMS)
		c.market, c.provider = append(c.market, ev.Market), append(c.provider, prov)
		c.gameID, c.gameType = append(c.gameID, ev.GameID), append(c.gameType, ev.GameType)
		c.result, c.points = append(c.result, a.Result), append(c.points, a.Points)
	}
}
