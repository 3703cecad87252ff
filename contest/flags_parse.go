package contest

import (
	"math"

	"github.com/rankstream/rankstream/internal/yamlpos"
	"gopkg.in/yaml.v3"
)

// AbuseFlags are a contest's abuse flags (CONTRACT.md §3, anti_abuse.flags).
// They never change points. Zero values switch a flag off.
type AbuseFlags struct {
	// UniformTimingMS raises uniform_timing when the standard deviation of
	// the gaps between a user's last MinEvents counted events (event time)
	// is below it (0: off).
	UniformTimingMS int64
	// MinEvents is the number of counted events the timing statistic looks
	// at (default 30 when uniform_timing_ms is set, at least 3).
	MinEvents int
	// SharedDeviceUsers raises shared_device for every user of a device.id
	// that this many or more users used in the window (0: off, else ≥ 2).
	SharedDeviceUsers int
	// Hold puts a flagged user's rewards of the window on hold until an
	// admin clears the flag.
	Hold bool
}

// DefaultFlagMinEvents is min_events when uniform_timing_ms is set alone.
const DefaultFlagMinEvents = 30

// MaxFlagMinEvents bounds min_events, and so the timestamps a user window
// keeps for the timing statistic.
const MaxFlagMinEvents = 10000

// UniformTiming reports whether uniform_timing is on.
func (f AbuseFlags) UniformTiming() bool { return f.UniformTimingMS > 0 }

// SharedDevice reports whether shared_device is on.
func (f AbuseFlags) SharedDevice() bool { return f.SharedDeviceUsers > 0 }

func (l *linter) antiAbuse(f kv, a *AntiAbuse) {
	afs := l.fields(f.val, "anti_abuse", "max_events_per_user_per_sec", "flags")
	if afs == nil {
		return
	}
	if g := afs["max_events_per_user_per_sec"]; g.present() {
		if n, ok := l.integer(g, "anti_abuse.max_events_per_user_per_sec", 0); ok {
			if n > math.MaxInt32 {
				l.errAt(g.val, "anti_abuse.max_events_per_user_per_sec: too large")
			}
			a.MaxEventsPerUserPerSec = int(n)
		}
	}
	if g := afs["flags"]; g.present() {
		l.abuseFlags(g, &a.Flags)
	}
}

func (l *linter) abuseFlags(f kv, fl *AbuseFlags) {
	const p = "anti_abuse.flags"
	fs := l.fields(f.val, p, "uniform_timing_ms", "min_events", "shared_device_users", "hold")
	if fs == nil {
		return
	}
	if g := fs["uniform_timing_ms"]; g.present() {
		if n, ok := l.integer(g, p+".uniform_timing_ms", 1); ok {
			fl.UniformTimingMS = min(n, math.MaxInt32)
		}
	}
	if g := fs["min_events"]; g.present() {
		if n, ok := l.integer(g, p+".min_events", 3); ok {
			if n > MaxFlagMinEvents {
				l.errAt(g.val, "%s.min_events: at most %d", p, MaxFlagMinEvents)
			}
			fl.MinEvents = int(min(n, MaxFlagMinEvents))
		}
	} else if fl.UniformTimingMS > 0 {
		fl.MinEvents = DefaultFlagMinEvents
	}
	if g := fs["shared_device_users"]; g.present() {
		if n, ok := l.integer(g, p+".shared_device_users", 2); ok {
			fl.SharedDeviceUsers = int(min(n, math.MaxInt32))
		}
	}
	if g := fs["hold"]; g.present() {
		if g.val.Kind != yaml.ScalarNode || g.val.Tag != "!!bool" {
			l.errAt(g.val, "%s.hold: must be true or false, got %s", p, yamlpos.Describe(g.val))
		} else {
			_ = g.val.Decode(&fl.Hold)
		}
	}
}
