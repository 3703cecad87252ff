package gateway

import (
	"strconv"
	"testing"

	"github.com/nats-io/nats.go"

	"github.com/rankstream/rankstream/streams"
)

// BenchmarkFanoutTop: routing one top message to 10k subscribers' queues
// and each writer taking it (no sockets: the in-process part of the fan-out
// that every top message costs). One op is one message to all 10k.
func BenchmarkFanoutTop(b *testing.B) {
	const subs = 10000
	h := newHub()
	conns := make([]*conn, subs)
	for i := range conns {
		c := &conn{user: "u_" + strconv.Itoa(i), q: newQueue(64), contests: map[string]bool{}}
		h.subscribe(c, "c1")
		conns[i] = c
	}
	put := func(c *conn, key string, data []byte, _ bool) { c.q.put(key, data, putLive) }
	top := &nats.Msg{Subject: streams.LiveTopSubject("c1"), Data: []byte(`{"type":"top"}`)}
	var buf [][]byte
	b.ReportAllocs()
	b.ResetTimer()
	for i := 0; i < b.N; i++ {
		h.route(top, put)
		for _, c := range conns {
			<-c.q.ready
			buf = c.q.take(buf[:0])
		}
	}
}
