// Package loadgen produces synthetic provider traffic (CONTRACT.md §8,
// `rankstream loadgen`): realistic game events (§1) sent through one of the two
// ingest doors (§2) at a controlled rate.
//
// The NATS door publishes asynchronously to events.<provider>.<user_id> with
// Nats-Msg-Id set to the event id and keeps at most MaxInFlight publishes
// unacknowledged. The HTTP door posts signed batches to <HTTPURL>/v1/events.
package loadgen

import (
	"errors"
	"fmt"
	"io"
	"net/http"
	"time"

	"github.com/nats-io/nats.go/jetstream"

	"github.com/rankstream/rankstream/event"
)

// ErrInvalidOptions is wrapped by the error Run returns for options that
// cannot be used.
var ErrInvalidOptions = errors.New("loadgen: invalid options")

// Defaults used when the corresponding Options field is zero.
const (
	DefaultUsers         = 10000
	DefaultDuplicateRate = 0.01
	DefaultBonusRate     = 0.1
	DefaultBatchSize     = 100
	DefaultMaxInFlight   = 1024
	DefaultAckTimeout    = 10 * time.Second

	// MaxBatchSize is the largest batch the HTTP webhook takes (CONTRACT §2).
	MaxBatchSize = 1000
)

// Options configures Run and NewGenerator. The zero value of each field picks its
// default. DuplicateRate and BonusRate cannot be set to exactly 0 through the
// zero value; use a negative value to switch them off.
type Options struct {
	Rate     float64       // events per second (0 = as fast as possible)
	Duration time.Duration // stop after (0 = until Count or ctx)
	Count    int           // stop after this many events (0 = no limit)

	Users     int      // distinct users (default 10000), ids "u_<n>", Zipf-skewed
	Providers []string // default ["acme"]; with HTTP each provider needs a secret
	Markets   []string // default DE, SE, FI
	Brands    []string // default X, Y
	Games     []string // default g_1..g_50; game types slot/live/crash

	DuplicateRate float64 // fraction of events re-sent with the same event_id (default 0.01, <0 = none)
	InvalidRate   float64 // fraction of deliberately invalid events (default 0)
	BonusRate     float64 // fraction with funds=bonus (default 0.1, <0 = none)
	Seed          int64
	// Now is the event clock: ts = Now() minus a random jitter of 0..2s.
	// Default time.Now.
	Now func() time.Time

	// Exactly one door.

	// JS is the NATS door.
	JS jetstream.JetStream
	// MaxInFlight bounds the unacknowledged publishes of the NATS door
	// (default 1024). Keep it at or below the JetStream context's
	// PublishAsyncMaxPending (nats.go default 4000) so publishes never stall
	// inside the client.
	MaxInFlight int
	// AckTimeout is how long the NATS door waits for one publish ack before it
	// counts the publish as an error (default 10s).
	AckTimeout time.Duration

	// HTTPURL is the HTTP door: POST <HTTPURL>/v1/events in batches of
	// BatchSize (default 100, at most 1000), signed per CONTRACT §2 with
	// Secrets[provider].
	HTTPURL    string
	Secrets    map[string]string
	BatchSize  int
	HTTPClient *http.Client // default: a client with a 30s timeout

	// Progress, if non-nil, receives a progress bar with the send rate.
	Progress io.Writer
}

// Stats is what Run did.
//
// Sent counts every event handed to the door (duplicates and invalid events
// included). Acked counts events the door confirmed: JetStream publish acks
// (duplicate acks included) or the "accepted" count of HTTP answers.
// Duplicates counts acks flagged duplicate (JetStream) or the "duplicates" of
// HTTP answers. Rejected counts events the HTTP webhook rejected as invalid
// (the NATS door takes invalid events into the stream; they are dead-lettered
// downstream). Errors counts events whose send failed or was never confirmed.
type Stats struct {
	Sent, Acked, Duplicates, Rejected, Errors int64
	Elapsed                                   time.Duration
	LastAck                                   time.Time
}

// withDefaults returns a copy of o with defaults filled in, or an error wrapping
// ErrInvalidOptions. Door fields are not checked here (see validateDoor).
func (o Options) withDefaults() (Options, error) {
	var errs []error
	bad := func(format string, args ...any) {
		errs = append(errs, fmt.Errorf(format, args...))
	}
	if o.Rate < 0 {
		bad("rate %v < 0", o.Rate)
	}
	if o.Duration < 0 {
		bad("duration %v < 0", o.Duration)
	}
	if o.Count < 0 {
		bad("count %d < 0", o.Count)
	}
	if o.Users < 0 {
		bad("users %d < 0", o.Users)
	}
	if o.Users == 0 {
		o.Users = DefaultUsers
	}
	if len(o.Providers) == 0 {
		o.Providers = []string{"acme"}
	}
	if len(o.Markets) == 0 {
		o.Markets = []string{"DE", "SE", "FI"}
	}
	if len(o.Brands) == 0 {
		o.Brands = []string{"X", "Y"}
	}
	if len(o.Games) == 0 {
		o.Games = make([]string, 50)
		for i := range o.Games {
			o.Games[i] = fmt.Sprintf("g_%d", i+1)
		}
	}
	checkTokens("provider", o.Providers, event.MaxGameRefLen, bad)
	checkTokens("game", o.Games, event.MaxGameRefLen, bad)
	checkTokens("market", o.Markets, event.MaxMarketLen, bad)
	checkTokens("brand", o.Brands, event.MaxMarketLen, bad)
	o.DuplicateRate = fraction("duplicate rate", o.DuplicateRate, DefaultDuplicateRate, bad)
	o.BonusRate = fraction("bonus rate", o.BonusRate, DefaultBonusRate, bad)
	if o.InvalidRate < 0 || o.InvalidRate > 1 {
		bad("invalid rate %v not in [0,1]", o.InvalidRate)
	}
	if o.Now == nil {
		o.Now = time.Now
	}
	o.sendDefaults(bad)
	if len(errs) > 0 {
		return o, fmt.Errorf("%w: %w", ErrInvalidOptions, errors.Join(errs...))
	}
	return o, nil
}

// sendDefaults checks and defaults the batch size, in-flight limit and ack
// timeout.
func (o *Options) sendDefaults(bad func(string, ...any)) {
	if o.BatchSize < 0 || o.BatchSize > MaxBatchSize {
		bad("batch size %d not in 1..%d", o.BatchSize, MaxBatchSize)
	}
	if o.BatchSize == 0 {
		o.BatchSize = DefaultBatchSize
	}
	if o.MaxInFlight < 0 {
		bad("max in flight %d < 0", o.MaxInFlight)
	}
	if o.MaxInFlight == 0 {
		o.MaxInFlight = DefaultMaxInFlight
	}
	if o.AckTimeout < 0 {
		bad("ack timeout %v < 0", o.AckTimeout)
	}
	if o.AckTimeout == 0 {
		o.AckTimeout = DefaultAckTimeout
	}
}

// checkTokens says which of vals (of kind) are not 1..max chars of
// [A-Za-z0-9_-].
func checkTokens(kind string, vals []string, max int, bad func(string, ...any)) {
	for _, v := range vals {
		if !event.ValidToken(v, 1, max) {
			bad("%s %q: want 1..%d chars of [A-Za-z0-9_-]", kind, v, max)
		}
	}
}

// fraction applies the default of a rate whose zero value means "default" and
// whose negative value means "none".
func fraction(name string, v, def float64, bad func(string, ...any)) float64 {
	switch {
	case v == 0:
		return def
	case v < 0:
		return 0
	case v > 1:
		bad("%s %v > 1", name, v)
	}
	return v
}

// validateDoor checks that exactly one door is configured and complete.
func (o Options) validateDoor() error {
	switch {
	case o.JS != nil && o.HTTPURL != "":
		return fmt.Errorf("%w: both JS and HTTPURL set; want exactly one door", ErrInvalidOptions)
	case o.JS == nil && o.HTTPURL == "":
		return fmt.Errorf("%w: neither JS nor HTTPURL set; want exactly one door", ErrInvalidOptions)
	case o.HTTPURL != "":
		var missing []string
		for _, p := range o.Providers {
			if o.Secrets[p] == "" {
				missing = append(missing, p)
			}
		}
		if len(missing) > 0 {
			return fmt.Errorf("%w: no HTTP secret for provider(s) %v", ErrInvalidOptions, missing)
		}
	}
	return nil
}
