package notifier_test

import (
	"bytes"
	"encoding/binary"
	"strings"
	"syscall"
	"testing"
)

// serverFrame is an unmasked server frame (FIN set).
func serverFrame(op byte, p []byte) []byte {
	f := []byte{0x80 | op}
	switch {
	case len(p) < 126:
		f = append(f, byte(len(p)))
	case len(p) < 1<<16:
		f = append(f, 126, byte(len(p)>>8), byte(len(p)))
	default:
		f = append(f, 127)
		f = binary.BigEndian.AppendUint64(f, uint64(len(p)))
	}
	return append(f, p...)
}

// The benchmark's raw client counts every data frame, whatever its length
// and however the reads split it, reports a probe's rank message, answers
// a ping with a masked pong of the same payload, and ends on a close frame.
func TestRawClientFrames(t *testing.T) {
	fds, err := syscall.Socketpair(syscall.AF_UNIX, syscall.SOCK_STREAM, 0)
	if err != nil {
		t.Fatal(err)
	}
	defer syscall.Close(fds[0])
	defer syscall.Close(fds[1])
	cs := &clientSet{out: make(chan string, 16), isProbe: map[string]bool{"ptop_0": true}}
	r := &rawClients{cs: cs}
	l := &rawLoop{conns: map[int]*rawConn{}}
	c := &rawConn{fd: fds[0], user: "ptop_0", probe: true}

	long := []byte(`{"type":"top","pad":"` + strings.Repeat("x", 300) + `"}`)
	huge := []byte(`{"type":"top","pad":"` + strings.Repeat("y", 70000) + `"}`)
	var stream []byte
	stream = append(stream, serverFrame(0x1, []byte(`{"type":"rank","score":42}`))...)
	stream = append(stream, serverFrame(0x1, long)...)
	stream = append(stream, serverFrame(0x9, []byte("hi"))...)
	stream = append(stream, serverFrame(0x1, huge)...)
	buf := make([]byte, 64<<10)
	// Feed the stream in odd pieces, reading after each.
	for off := 0; off < len(stream); {
		end := min(off+7919, len(stream))
		if _, err := syscall.Write(fds[1], stream[off:end]); err != nil {
			t.Fatal(err)
		}
		off = end
		if !r.read(l, c, buf) {
			t.Fatal("connection ended early")
		}
	}
	if got := l.msgs.Load(); got != 3 {
		t.Errorf("messages %d, want 3", got)
	}
	select {
	case line := <-cs.out:
		if !strings.HasPrefix(line, "R ptop_0 42 ") {
			t.Errorf("probe line %q", line)
		}
	default:
		t.Error("no probe line")
	}
	pong := make([]byte, 64)
	n, err := syscall.Read(fds[1], pong)
	if err != nil {
		t.Fatal(err)
	}
	if want := maskedFrame(0xA, []byte("hi")); !bytes.Equal(pong[:n], want) {
		t.Errorf("pong % x, want % x", pong[:n], want)
	}
	if len(c.part) != 0 {
		t.Errorf("%d bytes left over", len(c.part))
	}
	if _, err := syscall.Write(fds[1], serverFrame(0x8, nil)); err != nil {
		t.Fatal(err)
	}
	if r.read(l, c, buf) {
		t.Error("a close frame did not end the connection")
	}
}
