package aggregator

import (
	"context"
	"encoding/json"
	"errors"

	"github.com/nats-io/nats.go"
	"github.com/nats-io/nats.go/jetstream"
	"github.com/prometheus/client_golang/prometheus"

	"github.com/rankstream/rankstream/contest"
	"github.com/rankstream/rankstream/streams"
)

// A worker's mission output (docs/missions.md). Like standings, progress and
// reward messages accumulate while catching up and are published from the
// worker's flush once it is live; their acks join the checkpoint round, so a
// checkpoint never covers a completion whose MISSIONS message is not stored.
//
//   - progress: the latest value per mission window and user, coalesced by
//     key, published to the MISSION_PROGRESS bucket's subject;
//   - rewards: one message per newly done step with a reward, Nats-Msg-Id =
//     reward_id. A restart from a checkpoint does not emit again what the
//     checkpoint says was reported; what was published after it is emitted
//     again with the same reward_id (deduplicated by JetStream inside the
//     duplicate window, and by reward_id at the consumer after it).
type missionOut struct {
	progress map[progressKey]*contest.UserMission
	rewards  map[string]*nats.Msg // reward_id → message
	ready    bool                 // the progress bucket exists
	counted  map[*contest.Mission]prometheus.Counter
	buf      []byte
	flags    flagOut // abuse flag records (scorer_flags.go)
}

type progressKey struct {
	m    *contest.Mission
	win  contest.Window
	user string
}

func (o *missionOut) pending() int { return len(o.progress) + len(o.rewards) }

// queueMissions takes the mission part of a decision.
func (w *worker) queueMissions(md *MissionDecision) {
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
		w.queueProgress(u.Mission, u.Window, u.User, u.State)
		for _, c := range u.Done {
			if w.queueReward(u.Mission, u.Window, u.User, c) {
				mm.Completions.WithLabelValues(u.Mission.ID).Inc()
			}
		}
	}
}

func (w *worker) queueProgress(m *contest.Mission, win contest.Window, user string, um *contest.UserMission) {
	o := &w.mout
	if o.progress == nil {
		o.progress = make(map[progressKey]*contest.UserMission)
	}
	o.progress[progressKey{m: m, win: win, user: user}] = um
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
	w.eng.MissionStates(func(m *contest.Mission, win contest.Window, user string, um *contest.UserMission) {
		w.queueProgress(m, win, user, um)
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
	for k, um := range o.progress {
		o.buf = um.AppendProgressJSON(o.buf[:0], k.win)
		msg := &nats.Msg{Subject: streams.MissionProgressSubject(streams.MissionProgressKey(k.m.ID, k.win.Key(), k.user)),
			Data: append([]byte(nil), o.buf...)}
		if !w.publishAsync(ctx, msg, streams.MissionProgressBucket) {
			continue
		}
		w.s.m.Missions.Progress.Inc()
		delete(o.progress, k)
	}
}

// publishAsync publishes msg without client retries (see noRetry), waiting
// once for the acks to catch up under back-pressure; its ack joins the next
// checkpoint round.
func (w *worker) publishAsync(ctx context.Context, msg *nats.Msg, target string) bool {
	f, err := w.s.opts.JS.PublishMsgAsync(msg, noRetry)
	if errors.Is(err, jetstream.ErrTooManyStalledMsgs) {
		select {
		case <-w.s.opts.JS.PublishAsyncComplete():
		case <-ctx.Done():
			return false
		}
		f, err = w.s.opts.JS.PublishMsgAsync(msg, noRetry)
	}
	if err != nil {
		w.s.m.PublishErrors.WithLabelValues(target).Inc()
		w.s.log.Error("publish", "stream", target, "subject", msg.Subject, "err", err)
		return false
	}
	if w.s.ckpts != nil {
		w.inflight = append(w.inflight, f)
	}
	return true
}
