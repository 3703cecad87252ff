package rewards

import (
	"context"
	"encoding/json"
	"errors"
	"strings"
	"time"

	"github.com/nats-io/nats.go/jetstream"

	"github.com/rankstream/rankstream/streams"
)

// consumeFlags stores the FLAGS stream's records (docs/flags.md) with one
// durable consumer, "rewards-flags", fetched by the holder of the "flags"
// lease (Options.FlagsLeader; every process when there is none): device sightings (flags.device.<token>, counted per device and
// window, shared_device raised for all users of a device at the threshold)
// and flags a scorer raised (flags.raised.…). Each message is acked after
// its transaction committed; stores are idempotent, so a redelivery
// changes nothing. A record that can never be stored is logged, counted
// and terminated; a database error is retried.
func (s *Stage) consumeFlags(ctx context.Context) {
	var gate func() bool
	if s.opts.FlagsLeader != nil {
		gate = s.opts.FlagsLeader.Held
	}
	s.consumeStream(ctx, s.opts.FlagsStream, "rewards-flags", 256, gate, s.handleFlag)
}

func (s *Stage) handleFlag(ctx context.Context, msg jetstream.Msg) {
	fm := s.m.Flags
	var (
		raised []Flag
		err    error
	)
	switch subj := msg.Subject(); {
	case strings.HasPrefix(subj, "flags.device."):
		var d streams.DeviceSighting
		if err = json.Unmarshal(msg.Data(), &d); err == nil {
			if raised, err = s.Store.SightDevice(ctx, d); err == nil {
				fm.Sightings.Inc()
			}
		}
	case strings.HasPrefix(subj, "flags.raised."):
		var (
			r streams.RaisedFlag
			f Flag
		)
		if err = json.Unmarshal(msg.Data(), &r); err == nil {
			if f, err = FlagFromRecord(r); err == nil {
				var isNew bool
				if isNew, err = s.Store.RaiseFlag(ctx, f); isNew {
					raised = append(raised, f)
				}
			}
		}
	default:
		err = ErrBadFlag
	}
	var syn *json.SyntaxError
	switch {
	case errors.Is(err, ErrBadFlag) || errors.As(err, &syn):
		fm.Refused.Inc()
		s.log.Error("flag record refused", "subject", msg.Subject(), "err", err)
		_ = msg.Term()
		return
	case err != nil:
		s.m.GrantErrors.Inc()
		s.log.Error("flag record", "subject", msg.Subject(), "err", err)
		_ = msg.NakWithDelay(time.Second)
		return
	}
	for _, f := range raised {
		fm.Raised.WithLabelValues(f.Flag).Inc()
		s.log.Info("abuse flag raised", "flag", f.Flag, "contest", f.Contest, "window", WindowString(f.Window),
			"user", f.User, "hold", f.Hold)
	}
	_ = msg.Ack()
}
