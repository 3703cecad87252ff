package notifier

import (
	"context"
	"fmt"
	"testing"

	"github.com/nats-io/nats-server/v2/server"
	"github.com/nats-io/nats.go"
)

// BenchmarkInterestPoll: one interest poll of an embedded server holding
// 10 000 live rank subscriptions on 100 connections (plus the app's own):
// ServerSource (Subsz) against the /connz view it replaced (baseline), and
// the cluster request path (account CONNZ, SUBSZ needs a system account)
// over the app's connection.
//
//	go test ./notifier -run '^$' -bench InterestPoll -benchtime 20x -count 3
func BenchmarkInterestPoll(b *testing.B) {
	st := embedded(b)
	const conns, perConn = 100, 100
	for c := range conns {
		nc, err := nats.Connect(st.URL())
		if err != nil {
			b.Fatal(err)
		}
		b.Cleanup(nc.Close)
		for u := range perConn {
			if _, err := nc.SubscribeSync(fmt.Sprintf("lb.c1.user.u%d_%d", c, u)); err != nil {
				b.Fatal(err)
			}
		}
		nc.Flush()
	}
	check := func(b *testing.B, n int) {
		if n != conns*perConn {
			b.Fatalf("found %d subscriptions, want %d", n, conns*perConn)
		}
	}
	b.Run("connz_baseline", func(b *testing.B) {
		b.ReportAllocs()
		for b.Loop() {
			cz, err := st.Server.Connz(&server.ConnzOptions{Username: true, Subscriptions: true, Limit: 1 << 30})
			if err != nil {
				b.Fatal(err)
			}
			var p InterestPoll
			for _, ci := range cz.Conns {
				for _, s := range ci.Subs {
					interestOf(&p, s)
				}
			}
			check(b, len(p.Interest))
		}
	})
	b.Run("subsz", func(b *testing.B) {
		b.ReportAllocs()
		src := &ServerSource{Server: st.Server}
		for b.Loop() {
			p, err := src.Poll(context.Background())
			if err != nil {
				b.Fatal(err)
			}
			check(b, len(p.Interest))
		}
	})
	b.Run("account_connz_request", func(b *testing.B) {
		b.ReportAllocs()
		src := &PingSource{NC: st.NC}
		for b.Loop() {
			p, err := src.Poll(context.Background())
			if err != nil {
				b.Fatal(err)
			}
			check(b, len(p.Interest))
		}
	})
}
