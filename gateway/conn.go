package gateway

import (
	"bytes"
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"sync"
	"sync/atomic"
	"time"

	"github.com/coder/websocket"
)

// conn is one player's WebSocket.
type conn struct {
	g    *Gateway
	ws   *websocket.Conn
	user string
	q    *queue
	// contests is guarded by the hub's lock.
	contests map[string]bool
	// writing is when the current batch of writes began (unix ns), 0 when idle.
	writing atomic.Int64
	// cork batches a round of writes into one syscall; nil: one per frame.
	cork *corkConn
	// With the write pool (pool.go): listed[l] is set while c is on the
	// pool's ready list l; wmu is held while c is being written (by a
	// worker or, for what the socket did not take at once, by write, which
	// then unlocks it); batch is that write's messages, and slow hands the
	// rest of a batch to write.
	listed [2]atomic.Bool
	wmu    sync.Mutex
	batch  [][]byte
	slow   chan struct{}
}

func newConn(g *Gateway, ws *websocket.Conn, user string, cork *corkConn) *conn {
	c := &conn{g: g, ws: ws, user: user, q: newQueue(g.opts.QueueSize), contests: map[string]bool{}, cork: cork}
	if cork != nil && g.pool != nil {
		c.slow = make(chan struct{}, 1)
		c.q.onReady = func(urgent bool) { g.pool.schedule(c, urgent) }
	}
	return c
}

// request is a client message.
type request struct {
	Op      string `json:"op"`
	Contest string `json:"contest"`
}

// errorMsg is sent for a request the gateway cannot serve.
type errorMsg struct {
	Type    string `json:"type"` // "error"
	Error   string `json:"error"`
	Contest string `json:"contest,omitempty"`
}

// serve runs the connection until the client goes, a write fails, or ctx
// ends (Stop, or the token's expiry): the reader runs here, the writer in its
// own goroutine.
func (c *conn) serve(ctx context.Context) {
	c.ws.SetReadLimit(4096)
	wctx, stopWriter := context.WithCancel(context.Background())
	wdone := make(chan struct{})
	go func() {
		defer close(wdone)
		c.write(wctx)
		_ = c.ws.CloseNow() // ends the reader after a failed write
	}()
	stopClose := context.AfterFunc(ctx, func() {
		code, reason := websocket.StatusGoingAway, "server stopping"
		if errors.Is(ctx.Err(), context.DeadlineExceeded) {
			code, reason = websocket.StatusPolicyViolation, "token expired"
		}
		_ = c.ws.Close(code, reason)
	})
	c.read(wctx)
	stopClose()
	stopWriter()
	<-wdone
	for _, id := range c.g.hub.subscribed(c) {
		c.unsubscribe(id)
	}
	_ = c.ws.CloseNow()
}

// read handles client requests until the connection ends.
func (c *conn) read(ctx context.Context) {
	for {
		typ, data, err := c.ws.Read(ctx)
		if err != nil {
			return
		}
		var req request
		if typ != websocket.MessageText || json.Unmarshal(data, &req) != nil {
			c.sendError("", "messages are JSON: {\"op\":\"subscribe\",\"contest\":\"…\"}")
			continue
		}
		switch req.Op {
		case "subscribe":
			c.subscribe(ctx, req.Contest)
		case "unsubscribe":
			c.unsubscribe(req.Contest)
		default:
			c.sendError(req.Contest, "unknown op "+req.Op)
		}
	}
}

// write sends what the queue holds, pings now and then, and returns on the
// first failure.
func (c *conn) write(ctx context.Context) {
	ping := time.NewTicker(c.g.opts.PingInterval)
	defer ping.Stop()
	var buf [][]byte
	for {
		select {
		case <-ctx.Done():
			return
		case <-ping.C:
			pctx, cancel := context.WithTimeout(ctx, c.g.opts.WriteTimeout)
			err := c.ws.Ping(pctx)
			cancel()
			if err != nil {
				return
			}
		case <-c.slow:
			c.writing.Store(time.Now().UnixNano())
			err := c.cork.uncork()
			c.writing.Store(0)
			if err != nil {
				return
			}
			c.countSent(c.batch)
			c.release()
		case <-c.q.ready:
			buf = c.q.take(buf[:0])
			// No context deadline per write (each would cost a timer): the
			// gateway's watchdog closes a connection whose write has been
			// blocked for WriteTimeout.
			c.writing.Store(time.Now().UnixNano())
			err := c.writeBatch(buf)
			c.writing.Store(0)
			if err != nil {
				return
			}
		}
	}
}

// writeBatch writes the messages of buf, corked into one syscall when it can.
func (c *conn) writeBatch(buf [][]byte) error {
	if c.cork != nil && len(buf) > 1 {
		c.cork.cork()
	}
	for _, data := range buf {
		if err := c.ws.Write(context.Background(), websocket.MessageText, data); err != nil {
			if c.cork != nil {
				_ = c.cork.uncork()
			}
			return fmt.Errorf("gateway: write: %w", err)
		}
	}
	if c.cork != nil {
		if err := c.cork.uncork(); err != nil {
			return err
		}
	}
	c.countSent(buf)
	return nil
}

// flushReady is a pool worker's turn at c: it writes the queued messages
// without blocking, or hands what the socket did not take to write. When
// another worker (or write) is writing c, it leaves c to that one, which
// looks at the queue again when it is done (release).
func (c *conn) flushReady() {
	if !c.wmu.TryLock() {
		c.g.pool.busy.Add(1)
		return
	}
	c.batch = c.q.take(c.batch[:0])
	if len(c.batch) == 0 {
		c.release()
		return
	}
	c.cork.corkHold()
	for _, data := range c.batch {
		if err := c.ws.Write(context.Background(), websocket.MessageText, data); err != nil {
			_ = c.ws.CloseNow() // as a failed write in write: the connection ends
			_ = c.cork.uncork() // fails at once on the closed socket
			return
		}
	}
	done, err := c.cork.tryUncork()
	switch {
	case err != nil:
		_ = c.ws.CloseNow()
	case !done:
		c.g.m.SlowWrites.Inc()
		c.slow <- struct{}{} // wmu stays locked: write finishes the batch
	default:
		c.countSent(c.batch)
		c.release()
	}
}

// release ends a pool write of c (unlocks wmu); c is scheduled again when
// messages came meanwhile (a worker may have found c locked and left it).
func (c *conn) release() {
	for i := range c.batch {
		c.batch[i] = nil
	}
	c.wmu.Unlock()
	if pending, urgent := c.q.pending(); pending {
		c.g.pool.schedule(c, urgent)
	}
}

func (c *conn) countSent(buf [][]byte) {
	for _, data := range buf {
		c.g.sent[msgType(data)].Inc()
	}
}

// msgType is the "type" of a message for the metrics. Every message the
// gateway sends starts with it (notifier's and the gateway's own encoding).
func msgType(data []byte) string {
	for _, t := range []string{"top", "rank", "notice", "error"} {
		if bytes.HasPrefix(data, []byte(`{"type":"`+t+`"`)) {
			return t
		}
	}
	return "other"
}

func (c *conn) sendError(contestID, msg string) {
	data, _ := json.Marshal(errorMsg{Type: "error", Error: msg, Contest: contestID})
	c.g.put(c, "error", data, putLive|putUrgent)
}

func (c *conn) unsubscribe(contestID string) {
	if !c.g.hub.unsubscribe(c, contestID) {
		return
	}
	c.q.forget(topKey(contestID), rankKey(contestID, c.user))
	if c.g.opts.Watcher != nil {
		c.g.opts.Watcher.Unwatch(contestID, c.user)
	}
}
