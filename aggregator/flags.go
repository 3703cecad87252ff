package aggregator

import (
	"time"

	"github.com/rankstream/rankstream/contest"
	"github.com/rankstream/rankstream/event"
	"github.com/rankstream/rankstream/streams"
)

// Abuse flags in the scorer (CONTRACT.md §3, docs/flags.md). They never
// change points. Per user and contest window the partition keeps:
//
//   - the uniform_timing statistic: the event times of the user's last
//     min_events counted events (contest.TimingStat); when the standard
//     deviation of their gaps first drops below uniform_timing_ms, a
//     flags.raised record is emitted with the times as evidence, once;
//   - the device ids the user's counted events came from (at most
//     maxFlagDevices): each new one is emitted as a sighting keyed by
//     device, and the rewards stage counts the users per device.
//
// Both are decided by the Engine from the stream, in the partition's
// checkpoint, so live, restart and replay agree.

// maxFlagDevices bounds the device ids remembered per user window; further
// devices of that user window are not sighted.
const maxFlagDevices = 16

// userFlags is the abuse flag state of one user window.
type userFlags struct {
	timing  *contest.TimingStat // nil unless uniform_timing is on
	devices []deviceSeen
}

type deviceSeen struct {
	id      string
	ts      int64 // event time of the first counted event from it
	eventID string
}

// FlagDecision is what an event did to the abuse flags.
type FlagDecision struct {
	Raised    []streams.RaisedFlag
	Sightings []streams.DeviceSighting
}

// flagCounted offers a counted event of user window k to the flags.
func (e *Engine) flagCounted(d *Decision, ps *partState, c *contest.Contest, k uwKey, ev *event.Event) {
	fl := c.AntiAbuse.Flags
	device := fl.SharedDevice() && ev.DeviceID != ""
	if !fl.UniformTiming() && !device {
		return
	}
	uf := ps.flags[k]
	if uf == nil {
		if ps.flags == nil {
			ps.flags = make(map[uwKey]*userFlags)
		}
		uf = &userFlags{}
		ps.flags[k] = uf
	}
	if fl.UniformTiming() {
		if uf.timing == nil {
			uf.timing = contest.NewTimingStat(fl.MinEvents)
		}
		if uf.timing.Add(ev.TS.UnixNano(), fl.UniformTimingMS) {
			d.Flags.Raised = append(d.Flags.Raised, timingFlag(c, k, uf.timing))
		}
	}
	if device && len(uf.devices) < maxFlagDevices && !uf.hasDevice(ev.DeviceID) {
		ds := deviceSeen{id: ev.DeviceID, ts: ev.TS.UnixNano(), eventID: ev.EventID}
		uf.devices = append(uf.devices, ds)
		d.Flags.Sightings = append(d.Flags.Sightings, sighting(c, k, ds))
	}
}

func (uf *userFlags) hasDevice(id string) bool {
	for i := range uf.devices {
		if uf.devices[i].id == id {
			return true
		}
	}
	return false
}

func windowString(k int64) string { return time.Unix(k, 0).UTC().Format(time.RFC3339) }

func timingFlag(c *contest.Contest, k uwKey, t *contest.TimingStat) streams.RaisedFlag {
	fl := c.AntiAbuse.Flags
	times := make([]string, len(t.Times()))
	for i, ts := range t.Times() {
		times[i] = time.Unix(0, ts).UTC().Format(time.RFC3339Nano)
	}
	return streams.RaisedFlag{Flag: streams.FlagUniformTiming, Contest: c.ID, Version: c.Version,
		Window: windowString(k.window), User: k.user, Hold: fl.Hold,
		Evidence: streams.TimingEvidence{MinEvents: fl.MinEvents, ThresholdMS: fl.UniformTimingMS,
			StdDevMS: t.StdDevMS(), EventTimes: times}}
}

func sighting(c *contest.Contest, k uwKey, ds deviceSeen) streams.DeviceSighting {
	fl := c.AntiAbuse.Flags
	return streams.DeviceSighting{Contest: c.ID, Version: c.Version, Window: windowString(k.window),
		Device: streams.DeviceToken(ds.id), DeviceID: ds.id, User: k.user, MinUsers: fl.SharedDeviceUsers,
		Hold: fl.Hold, TS: time.Unix(0, ds.ts).UTC().Format(time.RFC3339Nano), EventID: ds.eventID}
}

// FlagRecords calls fn with every flag record the engine's state stands
// for: each raised uniform_timing flag and each device sighting (to publish
// them again after a failed checkpoint round; their Nats-Msg-Id and the
// consumer make that harmless).
func (e *Engine) FlagRecords(fn func(raised *streams.RaisedFlag, sighting *streams.DeviceSighting)) {
	for _, ps := range e.parts {
		for k, uf := range ps.flags {
			c := e.rules.Get(k.contest)
			if c == nil {
				continue
			}
			if uf.timing != nil && uf.timing.Raised() {
				f := timingFlag(c, k, uf.timing)
				fn(&f, nil)
			}
			for _, ds := range uf.devices {
				s := sighting(c, k, ds)
				fn(nil, &s)
			}
		}
	}
}
