package aggregator

import (
	"context"
	"encoding/json"

	"github.com/nats-io/nats.go"

	"github.com/rankstream/rankstream/streams"
)

// A worker's abuse flag output (flags.go): like mission rewards, records
// accumulate while catching up and are published from the worker's flush
// once it is live, their acks joining the checkpoint round. Each has a
// Nats-Msg-Id and the rewards stage stores them idempotently, so a record
// published again (after a restart or a failed round) changes nothing.
type flagOut struct {
	msgs map[string]*nats.Msg // Nats-Msg-Id → message
}

// queueFlags takes the flag part of a decision.
func (w *worker) queueFlags(fd *FlagDecision) {
	for i := range fd.Raised {
		w.queueFlag(&fd.Raised[i], nil)
	}
	for i := range fd.Sightings {
		w.queueFlag(nil, &fd.Sightings[i])
	}
}

func (w *worker) queueFlag(raised *streams.RaisedFlag, sighting *streams.DeviceSighting) {
	var (
		msg  *nats.Msg
		id   string
		body any
	)
	if raised != nil {
		msg, id, body = nats.NewMsg(streams.RaisedSubject(raised.Flag, raised.User)), raised.MsgID(), raised
	} else {
		msg, id, body = nats.NewMsg(streams.DeviceSubject(sighting.DeviceID)), sighting.MsgID(), sighting
	}
	data, err := json.Marshal(body)
	if err != nil {
		w.s.log.Error("flag record", "subject", msg.Subject, "err", err)
		return
	}
	msg.Data = data
	msg.Header.Set(streams.HeaderMsgID, id)
	o := &w.mout.flags
	if o.msgs == nil {
		o.msgs = make(map[string]*nats.Msg)
	}
	o.msgs[id] = msg
}

// enqueueFlags makes every flag record of the state pending again.
func (w *worker) enqueueFlags() {
	w.eng.FlagRecords(w.queueFlag)
}

// flushFlags publishes the pending flag records (worker goroutine, once live).
func (w *worker) flushFlags(ctx context.Context) {
	o := &w.mout.flags
	if len(o.msgs) == 0 || !w.live {
		return
	}
	for id, msg := range o.msgs {
		if !w.publishAsync(ctx, msg, streams.Flags) {
			continue
		}
		delete(o.msgs, id)
	}
}
