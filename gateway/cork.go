package gateway

import (
	"bufio"
	"fmt"
	"net"
	"net/http"
	"sync"
)

// corkMax is how many bytes a corked connection holds before it writes
// them anyway.
const corkMax = 64 << 10

// corkConn is the hijacked connection under a WebSocket. The websocket
// library flushes every frame with its own write(2); while corked, those
// writes are collected and uncork sends them in one, so a batch of queued
// messages costs one syscall instead of one per message. Uncorked, writes
// (a close frame from another goroutine, a ping) go straight through. Frame
// order is kept: the buffer is written under the same lock that Write takes.
type corkConn struct {
	net.Conn
	mu     sync.Mutex
	corked bool
	buf    []byte
}

func (c *corkConn) Write(p []byte) (int, error) {
	c.mu.Lock()
	defer c.mu.Unlock()
	if !c.corked {
		return c.Conn.Write(p)
	}
	c.buf = append(c.buf, p...)
	if len(c.buf) >= corkMax {
		if err := c.flushLocked(); err != nil {
			return 0, err
		}
	}
	return len(p), nil
}

// cork starts collecting writes.
func (c *corkConn) cork() {
	c.mu.Lock()
	c.corked = true
	c.mu.Unlock()
}

// uncork writes what was collected and lets writes through again.
func (c *corkConn) uncork() error {
	c.mu.Lock()
	defer c.mu.Unlock()
	c.corked = false
	return c.flushLocked()
}

func (c *corkConn) flushLocked() error {
	if len(c.buf) == 0 {
		return nil
	}
	_, err := c.Conn.Write(c.buf)
	if cap(c.buf) > corkMax*2 {
		c.buf = nil
	} else {
		c.buf = c.buf[:0]
	}
	if err != nil {
		return fmt.Errorf("gateway: write batch: %w", err)
	}
	return nil
}

// corkWriter hands websocket.Accept a hijacked connection wrapped in a
// corkConn; after Accept, cork is that connection (nil if Accept did not
// hijack).
type corkWriter struct {
	http.ResponseWriter
	cork *corkConn
}

func (w *corkWriter) Hijack() (net.Conn, *bufio.ReadWriter, error) {
	hj, ok := w.ResponseWriter.(http.Hijacker)
	if !ok {
		return nil, nil, fmt.Errorf("gateway: %T cannot be hijacked", w.ResponseWriter)
	}
	nc, brw, err := hj.Hijack()
	if err != nil {
		return nil, nil, fmt.Errorf("gateway: hijack: %w", err)
	}
	// Whatever the server buffered (the 101 answer) goes first.
	if err := brw.Writer.Flush(); err != nil {
		_ = nc.Close()
		return nil, nil, fmt.Errorf("gateway: hijack flush: %w", err)
	}
	w.cork = &corkConn{Conn: nc}
	return w.cork, bufio.NewReadWriter(brw.Reader, bufio.NewWriterSize(w.cork, 4096)), nil
}
