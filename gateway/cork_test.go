package gateway

import (
	"bytes"
	"net"
	"testing"
)

// countConn records the writes that reach the socket.
type countConn struct {
	net.Conn // nil: only Write is used
	writes   [][]byte
}

func (c *countConn) Write(p []byte) (int, error) {
	c.writes = append(c.writes, append([]byte(nil), p...))
	return len(p), nil
}

// TestCorkBatchesWrites: corked frames reach the socket in one write, in
// order; uncorked writes go straight through; a batch past corkMax is
// written without waiting for uncork.
func TestCorkBatchesWrites(t *testing.T) {
	under := &countConn{}
	c := &corkConn{Conn: under}
	if _, err := c.Write([]byte("a")); err != nil || len(under.writes) != 1 {
		t.Fatalf("uncorked write: %v, %d writes", err, len(under.writes))
	}
	c.cork()
	for _, s := range []string{"b1", "b2", "b3"} {
		if n, err := c.Write([]byte(s)); err != nil || n != len(s) {
			t.Fatalf("corked write %s: %d %v", s, n, err)
		}
	}
	if len(under.writes) != 1 {
		t.Fatalf("corked writes reached the socket: %q", under.writes)
	}
	if err := c.uncork(); err != nil {
		t.Fatal(err)
	}
	if len(under.writes) != 2 || string(under.writes[1]) != "b1b2b3" {
		t.Fatalf("after uncork: %q", under.writes)
	}
	if err := c.uncork(); err != nil || len(under.writes) != 2 {
		t.Fatalf("empty uncork wrote: %q %v", under.writes, err)
	}
	c.cork()
	big := bytes.Repeat([]byte("x"), corkMax)
	if _, err := c.Write(big); err != nil || len(under.writes) != 3 || len(under.writes[2]) != corkMax {
		t.Fatalf("a full cork buffer was not written: %d writes, %v", len(under.writes), err)
	}
	_ = c.uncork()
}
