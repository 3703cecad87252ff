package aggregator

import (
	"context"
	"encoding/json"
	"time"

	"github.com/nats-io/nats.go"
	"github.com/prometheus/client_golang/prometheus"

	"github.com/rankstream/rankstream/contest"
	"github.com/rankstream/rankstream/streams"
)

// A worker's mission output (docs/missions.md). Like standings, progress and
// reward messages accumulate while catching up and are published from the
// worker's flush once it is live; their acks join the checkpoint round, so a
// checkpoint never covers a completion whose MISSIONS message is not stored.
//
//   - progress: one value per user holding every mission window of the user
//     (streams.MissionProgressUserKey), coalesced by user until the flush
//     and built then from the live state, published to the MISSION_PROGRESS
//     bucket's subject; a user whose windows were all freed gets a purge
//     marker (the key reads as absent);
//   - rewards: one message per newly done step with a reward, Nats-Msg-Id =
//     reward_id. A restart from a checkpoint does not emit again what the
//     checkpoint says was reported; what was published after it is emitted
//     again with the same reward_id (deduplicated by JetStream inside the
//     duplicate window, and by reward_id at the consumer after it).
type missionOut struct {
	progress map[string]int       // user → partition: the user's value is due
	rewards  map[string]*nats.Msg // reward_id → message
	ready    bool                 // the progress bucket exists
	counted  map[*contest.Mission]prometheus.Counter
	buf      []byte
	flags    flagOut // abuse flag records (scorer_flags.go)
}

func (o *missionOut) pending() int { return len(o.progress) + len(o.rewards) }

// queueFreedMissions makes due the values of the users of partition p
// whose mission windows pruning freed (while applying any event, duplicates
// included).
func (w *worker) queueFreedMissions(p int) {
	for _, user := range w.eng.TakeMissionsFreed(p) {
		w.queueProgress(p, user)
	}
}

// queueMissions takes the mission part of a decision of partition p.
func (w *worker) queueMissions(md *MissionDecision, p int) {
	mm := w.s.m.Missions
	o := &w.mout
	for i := range md.Updates {
		u := &md.Updates[i]
		c := o.counted[u.Mission]
		if c == nil {
			if o.counted == nil {
				o.counted = make(map[*contest.Mission]prometheus.Counter)
			}
			c = mm.Events.WithLabelValues(u.Mission.ID, contest.ReasonCounted)
			o.counted[u.Mission] = c
		}
		c.Inc()
		if i == 0 { // every update of a decision is of the event's user
			w.queueProgress(p, u.User)
		}
		for _, c := range u.Done {
			if w.queueReward(u.Mission, u.Window, u.User, c) {
				mm.Completions.WithLabelValues(u.Mission.ID).Inc()
			}
		}
	}
}

func (w *worker) queueProgress(p int, user string) {
	o := &w.mout
	if o.progress == nil {
		o.progress = make(map[string]int)
	}
	o.progress[user] = p
}

func (w *worker) queueReward(m *contest.Mission, win contest.Window, user string, c contest.Completed) bool {
	body, ok := m.RewardMsg(win, user, c)
	if !ok {
		return false
	}
	data, err := json.Marshal(body)
	if err != nil {
		w.s.log.Error("mission reward message", "mission", m.ID, "err", err)
		return false
	}
	msg := nats.NewMsg(streams.MissionSubject(m.ID, user))
	msg.Data = data
	msg.Header.Set(streams.HeaderMsgID, body.RewardID)
	if w.mout.rewards == nil {
		w.mout.rewards = make(map[string]*nats.Msg)
	}
	w.mout.rewards[body.RewardID] = msg
	return true
}

// enqueueMissions makes every progress value and every reported reward
// pending again (after a failed checkpoint round: their publishes may be lost).
func (w *worker) enqueueMissions() {
	w.eng.missionUsers(w.queueProgress)
	w.eng.MissionStates(func(m *contest.Mission, win contest.Window, user string, um *contest.UserMission) {
		for _, step := range um.Reported() {
			w.queueReward(m, win, user, contest.Completed{Step: step, Arrived: um.CompletedAt(step)})
		}
	})
	w.enqueueFlags()
}

// flushMissions publishes what is pending (worker goroutine, once live).
func (w *worker) flushMissions(ctx context.Context) {
	w.flushFlags(ctx)
	o := &w.mout
	if o.pending() == 0 || !w.live {
		return
	}
	if !o.ready {
		ectx, cancel := context.WithTimeout(ctx, dlqTimeout) // on the worker's path: bounded
		_, err := streams.EnsureMissionProgress(ectx, w.s.opts.JS, w.s.opts.Replicas)
		cancel()
		if err != nil {
			w.s.log.Error("mission progress bucket", "err", err)
			return
		}
		o.ready = true
	}
	for id, msg := range o.rewards {
		if !w.publishAsync(ctx, msg, streams.Missions) {
			continue
		}
		w.s.m.Missions.Published.Inc()
		delete(o.rewards, id)
	}
	held := len(o.progress)
	defer func() { o.progress = regrown(o.progress, held) }() // pending_maps.go
	for user, p := range o.progress {
		if !w.publishAsync(ctx, w.progressMsg(p, user), streams.MissionProgressBucket) {
			continue
		}
		w.s.m.Missions.Progress.Inc()
		delete(o.progress, user)
	}
}

// progressMsg is user's progress value as the state of partition p holds it
// now: a JSON array of the progress documents of the user's mission windows
// in (mission, window start) order, or a purge marker when it holds none.
func (w *worker) progressMsg(p int, user string) *nats.Msg {
	msg := nats.NewMsg(streams.MissionProgressSubject(streams.MissionProgressUserKey(user)))
	u := w.part(p).missions[user]
	if u == nil {
		msg.Header.Set(streams.HeaderKVOperation, streams.KVOperationPurge)
		msg.Header.Set(streams.HeaderRollup, streams.RollupSubject)
		return msg
	}
	o := &w.mout
	o.buf = append(o.buf[:0], '[')
	for i := range u.wins {
		if i > 0 {
			o.buf = append(o.buf, ',')
		}
		// The document names its window by the start (the key's seconds).
		win := contest.Window{Start: time.Unix(u.wins[i].window, 0).UTC()}
		o.buf = u.wins[i].um.AppendProgressJSON(o.buf, win)
	}
	o.buf = append(o.buf, ']')
	msg.Data = append([]byte(nil), o.buf...)
	return msg
}
