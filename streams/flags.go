package streams

import (
	"crypto/sha256"
	"encoding/hex"

	"github.com/nats-io/nats.go/jetstream"
)

// Flags is the stream of abuse flag records (CONTRACT.md §3, docs/flags.md):
//
//   - flags.device.<device token>: a device sighting, one per (contest,
//     window, device, user), published by the user's scorer; keyed by
//     device so that one consumer sees every user of a device, whatever
//     partitions they are on, and counts them without a lock between
//     partitions;
//   - flags.raised.<flag>.<user>: a flag a scorer raised from the user's
//     own state (uniform_timing).
//
// Nats-Msg-Id makes each record idempotent; the rewards stage consumes both
// and stores the flags in Postgres.
const Flags = "FLAGS"

// Flag subjects.
const (
	FlagsAll     = "flags.>"
	FlagsDevices = "flags.device.>"
	FlagsRaised  = "flags.raised.>"
)

// Flag names.
const (
	FlagUniformTiming = "uniform_timing"
	FlagSharedDevice  = "shared_device"
)

// DeviceToken is the subject token of a device.id (which may hold any
// character): the first 32 hex digits of its SHA-256.
func DeviceToken(deviceID string) string {
	sum := sha256.Sum256([]byte(deviceID))
	return hex.EncodeToString(sum[:16])
}

// DeviceSubject is the subject of a sighting of deviceID.
func DeviceSubject(deviceID string) string { return "flags.device." + DeviceToken(deviceID) }

// RaisedSubject is the subject of a flag raised for user.
func RaisedSubject(flag, user string) string { return "flags.raised." + flag + "." + user }

// DeviceSighting is the body of a flags.device.<token> message: user used
// device in a contest window (a counted event). Users and Hold are the
// contest's shared_device_users and hold in force for the window.
type DeviceSighting struct {
	Contest  string `json:"contest"`
	Version  int    `json:"version"`
	Window   string `json:"window"` // window start, RFC 3339 UTC
	Device   string `json:"device"` // DeviceToken of the device.id
	DeviceID string `json:"device_id"`
	User     string `json:"user_id"`
	MinUsers int    `json:"shared_device_users"`
	Hold     bool   `json:"hold"`
	TS       string `json:"ts"` // event time of the first counted event on the device, RFC 3339 nano
	EventID  string `json:"event_id"`
}

// MsgID is the sighting's Nats-Msg-Id.
func (d DeviceSighting) MsgID() string {
	return "dev|" + d.Contest + "|" + d.Window + "|" + d.Device + "|" + d.User
}

// RaisedFlag is the body of a flags.raised.<flag>.<user> message.
type RaisedFlag struct {
	Flag     string         `json:"flag"`
	Contest  string         `json:"contest"`
	Version  int            `json:"version"`
	Window   string         `json:"window"` // window start, RFC 3339 UTC
	User     string         `json:"user_id"`
	Hold     bool           `json:"hold"`
	Evidence TimingEvidence `json:"evidence"`
}

// MsgID is the record's Nats-Msg-Id.
func (f RaisedFlag) MsgID() string {
	return "flag|" + f.Flag + "|" + f.Contest + "|" + f.Window + "|" + f.User
}

// TimingEvidence is why uniform_timing was raised: the event times of the
// last min_events counted events and the standard deviation of their gaps.
type TimingEvidence struct {
	MinEvents   int      `json:"min_events"`
	ThresholdMS int64    `json:"uniform_timing_ms"`
	StdDevMS    float64  `json:"stddev_ms"`
	EventTimes  []string `json:"event_times"` // RFC 3339 nano, ascending
}

func flagsConfig(opts Options) jetstream.StreamConfig {
	return jetstream.StreamConfig{
		Name:        Flags,
		Description: "abuse flag records: device sightings keyed by device, flags raised by the scorers",
		Subjects:    []string{FlagsAll},
		Storage:     jetstream.FileStorage,
		Retention:   jetstream.LimitsPolicy,
		MaxAge:      opts.EventsMaxAge, // the records are in Postgres once consumed; kept as long as the events
		Duplicates:  opts.DedupWindow,
		Replicas:    opts.Replicas,
		AllowDirect: true,
	}
}
