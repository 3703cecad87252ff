package aggregator_test

import (
	"testing"

	"github.com/nats-io/nats.go/jetstream"
)

// publishGen publishes the next n events of g on EVENTS, acknowledged in
// groups of 2000 (the async window), and returns once all are.
func publishGen(tb testing.TB, js jetstream.JetStream, g *gen, n int) {
	tb.Helper()
	for i := 0; i < n; i++ {
		e := g.event()
		if _, err := js.PublishAsync("events."+e.provider+"."+e.user, e.body, jetstream.WithMsgID(e.id)); err != nil {
			tb.Fatal(err)
		}
		if i%2000 == 1999 {
			<-js.PublishAsyncComplete()
		}
	}
	<-js.PublishAsyncComplete()
}
