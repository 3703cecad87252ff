package notifier_test

import (
	"bytes"
	"encoding/base64"
	"encoding/binary"
	"encoding/json"
	"errors"
	"fmt"
	"net"
	"net/url"
	"strconv"
	"sync"
	"sync/atomic"
	"syscall"
	"time"
)

// A cheaper WebSocket client for BenchmarkPushLatency's helper process
// (RANKSTREAM_BENCH_CLIENT=raw, the default): the same real sockets and
// real frames as the library client, but read by a few epoll loops instead
// of one goroutine (and one library Conn with its locks, timers and a
// message allocation per read) per subscriber. With 10k subscribers the
// library client used more CPU than the whole server on the same two cores
// (BENCHMARKS.md, "Live push: both rows of issue 14"), so it set much of the
// latency it measured. Frames are parsed here (RFC 6455 §5.2: the server's
// frames are unmasked; ours are masked), pings are answered with a pong; a
// probe's rank message is decoded, any other message only counted.

// rawLoops is the number of epoll loops (one thread each while waiting).
const rawLoops = 2

// rawConn is one subscriber's socket, owned by one loop.
type rawConn struct {
	fd    int
	user  string
	probe bool
	part  []byte // an incomplete frame carried to the next read
}

// rawLoop is one epoll instance and its connections.
type rawLoop struct {
	epfd  int
	mu    sync.Mutex
	conns map[int]*rawConn
	msgs  atomic.Int64
}

// rawClients is the helper's epoll-read subscribers.
type rawClients struct {
	cs    *clientSet
	loops [rawLoops]*rawLoop
	next  atomic.Uint32
	done  chan struct{}
	wg    sync.WaitGroup
}

func newRawClients(cs *clientSet) (*rawClients, error) {
	r := &rawClients{cs: cs, done: make(chan struct{})}
	for i := range r.loops {
		epfd, err := syscall.EpollCreate1(syscall.EPOLL_CLOEXEC)
		if err != nil {
			return nil, fmt.Errorf("epoll: %w", err)
		}
		l := &rawLoop{epfd: epfd, conns: map[int]*rawConn{}}
		r.loops[i] = l
		r.wg.Add(1)
		go func() { defer r.wg.Done(); r.run(l) }()
	}
	return r, nil
}

// connect opens u's WebSocket to wsURL (ws://host:port/path), subscribes
// it to the bench contest and hands the socket to a loop.
func (r *rawClients) connect(wsURL, tok, u string) error {
	pu, err := url.Parse(wsURL)
	if err != nil {
		return fmt.Errorf("url: %w", err)
	}
	addr, err := net.ResolveTCPAddr("tcp4", pu.Host)
	if err != nil {
		return fmt.Errorf("resolve: %w", err)
	}
	fd, err := syscall.Socket(syscall.AF_INET, syscall.SOCK_STREAM|syscall.SOCK_CLOEXEC, 0)
	if err != nil {
		return fmt.Errorf("socket: %w", err)
	}
	sa := &syscall.SockaddrInet4{Port: addr.Port}
	copy(sa.Addr[:], addr.IP.To4())
	if err := syscall.Connect(fd, sa); err != nil {
		syscall.Close(fd)
		return fmt.Errorf("connect %s: %w", u, err)
	}
	rest, err := rawHandshake(fd, pu.Host, pu.Path+"?token="+tok)
	if err == nil {
		err = writeAll(fd, maskedFrame(0x1, []byte(`{"op":"subscribe","contest":"`+benchContest+`"}`)))
	}
	if err == nil {
		err = syscall.SetNonblock(fd, true)
	}
	if err != nil {
		syscall.Close(fd)
		return fmt.Errorf("ws %s: %w", u, err)
	}
	c := &rawConn{fd: fd, user: u, probe: r.cs.isProbe[u], part: rest}
	l := r.loops[r.next.Add(1)%rawLoops]
	l.mu.Lock()
	l.conns[fd] = c
	l.mu.Unlock()
	ev := syscall.EpollEvent{Events: syscall.EPOLLIN, Fd: int32(fd)}
	if err := syscall.EpollCtl(l.epfd, syscall.EPOLL_CTL_ADD, fd, &ev); err != nil {
		return fmt.Errorf("epoll add: %w", err)
	}
	return nil
}

// rawHandshake sends the upgrade request on the blocking socket fd and
// reads the 101 answer; it returns bytes read past the answer's headers.
func rawHandshake(fd int, host, path string) ([]byte, error) {
	key := base64.StdEncoding.EncodeToString([]byte("rankstream-bench!"[:16]))
	req := "GET " + path + " HTTP/1.1\r\nHost: " + host + "\r\nUpgrade: websocket\r\nConnection: Upgrade\r\n" +
		"Sec-WebSocket-Key: " + key + "\r\nSec-WebSocket-Version: 13\r\n\r\n"
	if err := writeAll(fd, []byte(req)); err != nil {
		return nil, err
	}
	var resp []byte
	buf := make([]byte, 4096)
	for {
		n, err := syscall.Read(fd, buf)
		if err != nil {
			return nil, fmt.Errorf("handshake read: %w", err)
		}
		if n == 0 {
			return nil, errors.New("handshake: connection closed")
		}
		resp = append(resp, buf[:n]...)
		if i := bytes.Index(resp, []byte("\r\n\r\n")); i >= 0 {
			if !bytes.HasPrefix(resp, []byte("HTTP/1.1 101")) {
				return nil, fmt.Errorf("handshake: %q", resp[:min(i, 80)])
			}
			return append([]byte(nil), resp[i+4:]...), nil
		}
	}
}

func writeAll(fd int, p []byte) error {
	for len(p) > 0 {
		n, err := syscall.Write(fd, p)
		if errors.Is(err, syscall.EAGAIN) || errors.Is(err, syscall.EINTR) {
			time.Sleep(time.Millisecond)
			continue
		}
		if err != nil {
			return fmt.Errorf("write: %w", err)
		}
		p = p[n:]
	}
	return nil
}

// maskedFrame is a client frame (FIN set) with opcode op and payload p.
func maskedFrame(op byte, p []byte) []byte {
	f := []byte{0x80 | op}
	switch {
	case len(p) < 126:
		f = append(f, 0x80|byte(len(p)))
	case len(p) < 1<<16:
		f = append(f, 0x80|126, byte(len(p)>>8), byte(len(p)))
	default:
		f = append(f, 0x80|127)
		f = binary.BigEndian.AppendUint64(f, uint64(len(p)))
	}
	mask := [4]byte{0x5a, 0xa5, 0x3c, 0xc3}
	f = append(f, mask[:]...)
	for i, b := range p {
		f = append(f, b^mask[i%4])
	}
	return f
}

// run waits for readable sockets of l and reads them until done closes.
func (r *rawClients) run(l *rawLoop) {
	events := make([]syscall.EpollEvent, 256)
	buf := make([]byte, 64<<10)
	for {
		n, err := syscall.EpollWait(l.epfd, events, 100)
		select {
		case <-r.done:
			return
		default:
		}
		if err != nil {
			continue // EINTR
		}
		for _, ev := range events[:n] {
			l.mu.Lock()
			c := l.conns[int(ev.Fd)]
			l.mu.Unlock()
			if c != nil && !r.read(l, c, buf) {
				_ = syscall.EpollCtl(l.epfd, syscall.EPOLL_CTL_DEL, c.fd, nil)
				l.mu.Lock()
				delete(l.conns, c.fd)
				l.mu.Unlock()
				syscall.Close(c.fd)
			}
		}
	}
}

// read reads what c's socket holds and handles its complete frames; false
// when the connection is over.
func (r *rawClients) read(l *rawLoop, c *rawConn, buf []byte) bool {
	n, err := syscall.Read(c.fd, buf)
	if errors.Is(err, syscall.EAGAIN) || errors.Is(err, syscall.EINTR) {
		return true
	}
	if err != nil || n == 0 {
		return false
	}
	now := time.Now().UnixNano()
	data := buf[:n]
	if len(c.part) > 0 {
		c.part = append(c.part, data...)
		data = c.part
	}
	used, ok := r.frames(l, c, data, now)
	if !ok {
		return false
	}
	c.part = append(c.part[:0], data[used:]...)
	if len(c.part) == 0 && cap(c.part) > 64<<10 {
		c.part = nil
	}
	return true
}

// frames handles the complete frames at the start of p; it returns how many
// bytes they took, and false on a close frame or a protocol error.
func (r *rawClients) frames(l *rawLoop, c *rawConn, p []byte, now int64) (int, bool) {
	used := 0
	for {
		f := p[used:]
		if len(f) < 2 {
			return used, true
		}
		op, hdr, size := f[0]&0x0f, 2, int(f[1]&0x7f)
		if f[1]&0x80 != 0 {
			return used, false // the server never masks
		}
		switch size {
		case 126:
			if len(f) < 4 {
				return used, true
			}
			hdr, size = 4, int(binary.BigEndian.Uint16(f[2:4]))
		case 127:
			if len(f) < 10 {
				return used, true
			}
			hdr, size = 10, int(binary.BigEndian.Uint64(f[2:10]))
		}
		if len(f) < hdr+size {
			return used, true
		}
		payload := f[hdr : hdr+size]
		used += hdr + size
		switch op {
		case 0x1, 0x2, 0x0: // the gateway sends each message in one frame
			l.msgs.Add(1)
			if c.probe {
				r.probeMsg(c.user, payload, now)
			}
		case 0x8:
			return used, false
		case 0x9:
			if writeAll(c.fd, maskedFrame(0xA, payload)) != nil {
				return used, false
			}
		}
	}
}

// probeMsg reports a probe's rank message with its read time.
func (r *rawClients) probeMsg(user string, data []byte, now int64) {
	var m struct {
		Type  string
		Score int64
	}
	if json.Unmarshal(data, &m) == nil && m.Type == "rank" {
		r.cs.out <- "R " + user + " " + strconv.FormatInt(m.Score, 10) + " " + strconv.FormatInt(now, 10)
	}
}

// close ends the loops and closes every socket; it returns the messages read.
func (r *rawClients) close() int64 {
	close(r.done)
	r.wg.Wait()
	var total int64
	for _, l := range r.loops {
		for fd := range l.conns {
			syscall.Close(fd)
		}
		syscall.Close(l.epfd)
		total += l.msgs.Load()
	}
	return total
}
