package gateway

import (
	"bufio"
	"errors"
	"fmt"
	"net"
	"net/http"
	"sync"
	"syscall"
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
//
// The write pool (pool.go) corks with hold: nothing reaches the socket until
// tryUncork, which writes what the socket takes without blocking and leaves
// the rest corked for the connection's own goroutine (uncork).
type corkConn struct {
	net.Conn
	raw    syscall.RawConn // nil: no non-blocking writes (tryUncork writes nothing)
	mu     sync.Mutex
	corked bool
	hold   bool // corked by the pool: no write past corkMax either
	buf    []byte
}

func newCorkConn(nc net.Conn) *corkConn {
	c := &corkConn{Conn: nc}
	if sc, ok := nc.(syscall.Conn); ok {
		if raw, err := sc.SyscallConn(); err == nil {
			c.raw = raw
		}
	}
	return c
}

func (c *corkConn) Write(p []byte) (int, error) {
	c.mu.Lock()
	defer c.mu.Unlock()
	if !c.corked {
		return c.Conn.Write(p)
	}
	c.buf = append(c.buf, p...)
	if len(c.buf) >= corkMax && !c.hold {
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

// corkHold starts collecting writes that only tryUncork or uncork send.
func (c *corkConn) corkHold() {
	c.mu.Lock()
	c.corked, c.hold = true, true
	c.mu.Unlock()
}

// uncork writes what was collected and lets writes through again.
func (c *corkConn) uncork() error {
	c.mu.Lock()
	defer c.mu.Unlock()
	c.corked, c.hold = false, false
	return c.flushLocked()
}

// tryUncork writes what was collected as far as the socket takes it without
// blocking. done: all of it went and writes go through again; otherwise the
// rest stays corked (frames written meanwhile queue behind it) for uncork.
func (c *corkConn) tryUncork() (done bool, err error) {
	c.mu.Lock()
	defer c.mu.Unlock()
	n, err := c.writeNow(c.buf)
	if err != nil {
		return false, fmt.Errorf("gateway: write batch: %w", err)
	}
	if n < len(c.buf) {
		c.buf = c.buf[:copy(c.buf, c.buf[n:])]
		return false, nil
	}
	c.corked, c.hold = false, false
	if cap(c.buf) > corkMax*2 {
		c.buf = nil
	} else {
		c.buf = c.buf[:0]
	}
	return true, nil
}

// writeNow writes p as far as the socket's buffer takes it, without waiting.
func (c *corkConn) writeNow(p []byte) (int, error) {
	if len(p) == 0 || c.raw == nil {
		return 0, nil
	}
	n := 0
	var werr error
	err := c.raw.Write(func(fd uintptr) bool {
		for n < len(p) {
			m, e := syscall.Write(int(fd), p[n:])
			switch {
			case errors.Is(e, syscall.EINTR):
				continue
			case errors.Is(e, syscall.EAGAIN):
				return true
			case e != nil:
				werr = e
				return true
			case m <= 0:
				return true
			}
			n += m
		}
		return true
	})
	if err == nil {
		err = werr
	}
	return n, err
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
	w.cork = newCorkConn(nc)
	return w.cork, bufio.NewReadWriter(brw.Reader, bufio.NewWriterSize(w.cork, 4096)), nil
}
