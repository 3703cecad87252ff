package aggregator

import (
	"context"
	"time"

	"github.com/rankstream/rankstream/streams"
)

// expectCatchup tells engines, before any partition is restored or applied,
// how many events a partition will have seen within the dedup horizon
// (Engine.ExpectEvents from the stream's count and time span, as replay
// does), so that a restored partition's seen set is made at that size
// rather than grown to it while catching up. Only a size hint: a stream
// that cannot be asked gives none.
func (s *Scorer) expectCatchup(ctx context.Context, engines ...*Engine) {
	st, err := s.opts.JS.Stream(ctx, streams.Events)
	if err != nil {
		return
	}
	info, err := st.Info(ctx)
	if err != nil || info.State.Msgs == 0 || s.opts.Partitions <= 0 {
		return
	}
	per := int(min(info.State.Msgs/uint64(s.opts.Partitions), maxSeenHint))
	span := max(info.State.LastTime.Sub(info.State.FirstTime), time.Duration(0))
	for _, e := range engines {
		e.ExpectEvents(per, span)
	}
}

// engines are the single-mode workers' engines.
func (s *Scorer) engines() []*Engine {
	out := make([]*Engine, len(s.workers))
	for i, w := range s.workers {
		out[i] = w.eng
	}
	return out
}
