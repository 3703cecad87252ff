package gateway

import (
	"bytes"
	"io"
	"net"
	"testing"
)

// TestTryUncorkLeavesTheRestForUncork: on a real socket whose peer does not
// read, tryUncork writes what the socket takes without blocking and keeps
// the rest corked; a frame written meanwhile queues behind it; uncork sends
// the rest; the peer reads every byte in order.
func TestTryUncorkLeavesTheRestForUncork(t *testing.T) {
	ln, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	defer ln.Close()
	accepted := make(chan net.Conn, 1)
	go func() {
		c, _ := ln.Accept()
		accepted <- c
	}()
	peer, err := net.Dial("tcp", ln.Addr().String())
	if err != nil {
		t.Fatal(err)
	}
	defer peer.Close()
	srv := <-accepted
	defer srv.Close()
	c := newCorkConn(srv)
	if c.raw == nil {
		t.Fatal("a TCP connection without raw access")
	}
	want := make([]byte, 16<<20)
	for i := range want {
		want[i] = byte(i * 7)
	}
	c.corkHold()
	if _, err := c.Write(want[:len(want)-10]); err != nil {
		t.Fatal(err)
	}
	done, err := c.tryUncork()
	if err != nil || done {
		t.Fatalf("16 MB to a peer that does not read: done %v, %v", done, err)
	}
	if _, err := c.Write(want[len(want)-10:]); err != nil { // queued behind the rest
		t.Fatal(err)
	}
	got := make(chan []byte, 1)
	go func() {
		b, _ := io.ReadAll(io.LimitReader(peer, int64(len(want))))
		got <- b
	}()
	if err := c.uncork(); err != nil {
		t.Fatal(err)
	}
	if b := <-got; !bytes.Equal(b, want) {
		t.Fatalf("peer read %d bytes, not the %d written in order", len(b), len(want))
	}
	if done, err := c.tryUncork(); err != nil || !done {
		t.Fatalf("empty tryUncork: %v %v", done, err)
	}
}
