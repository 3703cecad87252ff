package streams

import (
	"testing"
	"time"
)

// retention.events becomes EVENTS' MaxAge, also on an existing stream, and
// a restart with it keeps the limits an operator raised on the stream.
func TestEventsMaxAgeKeepsOtherLimits(t *testing.T) {
	ctx, s := openEmbedded(t, 8)
	st, err := s.JS.Stream(ctx, Events)
	if err != nil {
		t.Fatal(err)
	}
	cfg := st.CachedInfo().Config
	if cfg.MaxAge != 0 {
		t.Fatalf("MaxAge %s without retention, want 0", cfg.MaxAge)
	}
	cfg.MaxMsgs, cfg.MaxBytes = 5_000_000, 1<<30
	if _, err := s.JS.UpdateStream(ctx, cfg); err != nil {
		t.Fatal(err)
	}
	s2 := &Streams{Opts: s.Opts, NC: s.NC, JS: s.JS, log: s.log}
	s2.Opts.EventsMaxAge = 720 * time.Hour
	if err := s2.Ensure(ctx); err != nil {
		t.Fatal(err)
	}
	info, err := st.Info(ctx)
	if err != nil {
		t.Fatal(err)
	}
	got := info.Config
	if got.MaxAge != 720*time.Hour || got.MaxMsgs != 5_000_000 || got.MaxBytes != 1<<30 {
		t.Fatalf("after Ensure with retention: max_age %s max_msgs %d max_bytes %d; want 720h, 5000000, 1GiB", got.MaxAge, got.MaxMsgs, got.MaxBytes)
	}
}
