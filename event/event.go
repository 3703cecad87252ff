// Package event defines the provider game event of CONTRACT.md §1 and its
// validation. Both ingest doors (NATS and HTTP) and the scorer use Parse, so an
// event is judged the same way wherever it enters.
package event

import (
	"fmt"
	"time"
)

// Event is one validated provider round event.
type Event struct {
	EventID      string
	TS           time.Time // event time, UTC
	Type         string    // bet | win | spin | round_end
	UserID       string
	Market       string
	Brand        string
	GameID       string
	GameProvider string
	GameType     string
	BetMinor     int64
	Currency     string
	WinMinor     int64
	// Multiplier is win.multiplier when given, else win/bet (0 when bet is 0).
	Multiplier  float64
	RoundID     string
	RoundStatus string
	DurationMS  int64
	HasDuration bool   // round.duration_ms was present
	Funds       string // cash | bonus
	Platform    string
	ASN         string
	DeviceID    string // device.id, a device fingerprint (anti-abuse)
	TraceID     string
}

// Rejection reasons. They appear in dead-letter headers, metrics labels and
// HTTP answers, so they are part of the external surface.
const (
	ReasonBadJSON          = "bad_json"
	ReasonMissingField     = "missing_field"
	ReasonInvalidField     = "invalid_field"
	ReasonFutureTS         = "future_ts"
	ReasonProviderMismatch = "provider_mismatch"
	ReasonSubjectMismatch  = "subject_mismatch"
)

// Invalid is the error of an event that fails validation.
type Invalid struct {
	Reason string // one of the Reason… constants
	Field  string // JSON path of the offending field, e.g. "bet.amount_minor"
	Msg    string
}

func (e *Invalid) Error() string {
	if e.Field != "" {
		return fmt.Sprintf("%s: %s: %s", e.Reason, e.Field, e.Msg)
	}
	return fmt.Sprintf("%s: %s", e.Reason, e.Msg)
}

// DefaultMaxFutureSkew is how far ahead of its arrival an event's ts may be.
const DefaultMaxFutureSkew = 30 * time.Second

// CheckFuture rejects an event whose ts is more than skew ahead of arrival.
func CheckFuture(ev *Event, arrival time.Time, skew time.Duration) error {
	if ev.TS.Sub(arrival) > skew {
		return &Invalid{Reason: ReasonFutureTS, Field: "ts",
			Msg: fmt.Sprintf("ts %s is more than %s ahead of arrival %s", ev.TS.Format(time.RFC3339Nano), skew, arrival.UTC().Format(time.RFC3339Nano))}
	}
	return nil
}
