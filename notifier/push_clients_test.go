package notifier_test

import (
	"bufio"
	"context"
	"encoding/json"
	"fmt"
	"io"
	"os"
	"os/exec"
	"strconv"
	"strings"
	"sync"
	"sync/atomic"
	"testing"
	"time"

	"github.com/coder/websocket"
	"github.com/nats-io/nats.go"

	"github.com/rankstream/rankstream/auth"
	"github.com/rankstream/rankstream/streams"
)

// The client side of BenchmarkPushLatency (latency_bench_test.go): a helper
// process holding the subscribers.

// clientsProc is the helper process holding the WebSocket clients (the
// open-file limit of one process cannot hold both ends of 10k sockets).
type clientsProc struct {
	cmd   *exec.Cmd
	stdin io.WriteCloser
	lines chan string
}

func startClients(b *testing.B, url, natsURL, secret string, subs, nProbes int) *clientsProc {
	cmd := exec.Command(os.Args[0], "-test.run=^TestPushClientsHelper$", "-test.v")
	cmd.Env = append(os.Environ(), "RANKSTREAM_PUSH_CLIENTS="+url, "RANKSTREAM_PUSH_SECRET="+secret,
		"RANKSTREAM_PUSH_NATS="+natsURL,
		"RANKSTREAM_BENCH_WS="+strconv.Itoa(subs), "RANKSTREAM_BENCH_PROBES="+strconv.Itoa(nProbes))
	cmd.Stderr = os.Stderr
	stdin, _ := cmd.StdinPipe()
	stdout, _ := cmd.StdoutPipe()
	if err := cmd.Start(); err != nil {
		b.Fatal(err)
	}
	p := &clientsProc{cmd: cmd, stdin: stdin, lines: make(chan string, 1<<16)}
	go func() {
		sc := bufio.NewScanner(stdout)
		for sc.Scan() {
			p.lines <- sc.Text()
		}
		close(p.lines)
	}()
	return p
}

// waitReady waits for the helper's READY line.
func (p *clientsProc) waitReady(b *testing.B) {
	for line := range p.lines {
		if strings.HasPrefix(line, "READY") {
			return
		}
		if strings.HasPrefix(line, "FAIL") || strings.HasPrefix(line, "---") {
			b.Fatalf("clients: %s", line)
		}
	}
}

// collect matches the probes' receive times with their acks, and sends the
// helper's message count on total.
func (p *clientsProc) collect(byUser map[string]*probe, lat *latencies, total chan<- int64) {
	for line := range p.lines {
		f := strings.Fields(line)
		switch {
		case len(f) == 4 && f[0] == "R":
			pr := byUser[f[1]]
			score, _ := strconv.ParseInt(f[2], 10, 64)
			ns, _ := strconv.ParseInt(f[3], 10, 64)
			if pr == nil {
				continue
			}
			pr.mu.Lock()
			if at, ok := pr.acked[score]; ok && !pr.seen[score] {
				pr.seen[score] = true
				pr.readAt[score] = time.Unix(0, ns)
				lat.add(pr.step == 1, time.Unix(0, ns).Sub(at))
			}
			pr.mu.Unlock()
		case len(f) == 2 && f[0] == "TOTAL":
			n, _ := strconv.ParseInt(f[1], 10, 64)
			total <- n
		}
	}
}

// TestPushClientsHelper is BenchmarkPushLatency's client process; it does
// nothing unless RANKSTREAM_PUSH_CLIENTS is set. It connects every
// subscriber, prints READY, then "R <user> <score> <unix ns>" for each rank
// message of a probe, and "TOTAL <messages>" when its stdin closes.
func TestPushClientsHelper(t *testing.T) {
	url := os.Getenv("RANKSTREAM_PUSH_CLIENTS")
	if url == "" {
		t.Skip("helper process of BenchmarkPushLatency")
	}
	subs := benchEnv("RANKSTREAM_BENCH_WS", 10000)
	nProbes := benchEnv("RANKSTREAM_BENCH_PROBES", 50)
	raiseNoFile(uint64(subs + 1000))
	tk, err := auth.NewTokens(auth.TokenOptions{Secret: []byte(os.Getenv("RANKSTREAM_PUSH_SECRET"))})
	if err != nil {
		t.Fatal(err)
	}
	users, probes := benchUsers(subs, nProbes)
	ctx, cancel := context.WithCancel(context.Background())
	defer cancel()
	cs := &clientSet{out: make(chan string, 1<<16), isProbe: map[string]bool{}}
	for _, p := range probes {
		cs.isProbe[p.user] = true
	}
	var wg sync.WaitGroup
	sem := make(chan struct{}, 64)
	useNATS := os.Getenv("RANKSTREAM_BENCH_TRANSPORT") == "nats"
	if !useNATS && benchClient() == "raw" {
		if cs.raw, err = newRawClients(cs); err != nil {
			t.Fatal(err)
		}
	}
	for _, u := range users {
		wg.Add(1)
		sem <- struct{}{}
		go func() {
			defer wg.Done()
			defer func() { <-sem }()
			tok, _, err := tk.Issue(u)
			if err != nil {
				t.Error(err)
				return
			}
			switch {
			case useNATS:
				err = cs.connectNATS(os.Getenv("RANKSTREAM_PUSH_NATS"), tok, u)
			case cs.raw != nil:
				err = cs.raw.connect(url, tok, u)
			default:
				err = cs.connectWS(ctx, url, tok, u)
			}
			if err != nil {
				t.Error(err)
			}
		}()
	}
	wg.Wait()
	if t.Failed() {
		return
	}
	cs.serve(len(users), cancel)
}

// clientSet is the helper's subscribers.
type clientSet struct {
	out     chan string
	isProbe map[string]bool
	msgs    atomic.Int64
	closers sync.Map
	readers sync.WaitGroup
	raw     *rawClients // RANKSTREAM_BENCH_CLIENT=raw (WebSocket only)
}

// onMsg counts a message of u and reports a probe's rank message.
func (cs *clientSet) onMsg(u string, data []byte) {
	now := time.Now().UnixNano()
	cs.msgs.Add(1)
	if !cs.isProbe[u] {
		return
	}
	var m struct {
		Type  string
		Score int64
	}
	if json.Unmarshal(data, &m) == nil && m.Type == "rank" {
		cs.out <- fmt.Sprintf("R %s %d %d", u, m.Score, now)
	}
}

func (cs *clientSet) connectNATS(url, tok, u string) error {
	nc, err := natsSubscriber(url, tok, u, cs.onMsg)
	if err != nil {
		return fmt.Errorf("nats %s: %w", u, err)
	}
	cs.closers.Store(u, func() { nc.Close() })
	return nil
}

func (cs *clientSet) connectWS(ctx context.Context, url, tok, u string) error {
	c, _, err := websocket.Dial(ctx, url+"?token="+tok, nil)
	if err != nil {
		return fmt.Errorf("dial %s: %w", u, err)
	}
	c.SetReadLimit(1 << 20)
	if err := c.Write(ctx, websocket.MessageText, []byte(`{"op":"subscribe","contest":"`+benchContest+`"}`)); err != nil {
		return fmt.Errorf("subscribe %s: %w", u, err)
	}
	cs.closers.Store(u, func() { _ = c.CloseNow() })
	cs.readers.Add(1)
	go func() {
		defer cs.readers.Done()
		for {
			// No context per read (each would cost a timer); CloseNow ends it.
			_, data, err := c.Read(context.Background())
			if err != nil {
				return
			}
			cs.onMsg(u, data)
		}
	}()
	return nil
}

// serve prints READY, then the probes' lines until stdin closes, then
// closes every client and prints TOTAL.
func (cs *clientSet) serve(n int, cancel context.CancelFunc) {
	w := bufio.NewWriter(os.Stdout)
	fmt.Fprintln(w, "READY", n)
	w.Flush()
	stdinDone := make(chan struct{})
	go func() { _, _ = io.Copy(io.Discard, os.Stdin); close(stdinDone) }()
	for {
		select {
		case line := <-cs.out:
			fmt.Fprintln(w, line)
			if len(cs.out) == 0 {
				w.Flush()
			}
		case <-stdinDone:
			cancel()
			cs.closers.Range(func(_, f any) bool { f.(func())(); return true })
			cs.readers.Wait()
			if cs.raw != nil {
				cs.msgs.Add(cs.raw.close())
			}
			for len(cs.out) > 0 {
				fmt.Fprintln(w, <-cs.out)
			}
			fmt.Fprintln(w, "TOTAL", cs.msgs.Load())
			w.Flush()
			return
		}
	}
}

// natsSubscriber connects a player to the embedded server with their JWT and
// subscribes to the contest's top and their own subject.
func natsSubscriber(url, tok, user string, onMsg func(string, []byte)) (*nats.Conn, error) {
	nc, err := nats.Connect(url, nats.Token(tok), nats.MaxReconnects(-1))
	if err != nil {
		return nil, err
	}
	h := func(m *nats.Msg) { onMsg(user, m.Data) }
	for _, subj := range []string{streams.LiveTopSubject(benchContest), streams.LiveUserSubject(benchContest, user)} {
		sub, err := nc.Subscribe(subj, h)
		if err != nil {
			nc.Close()
			return nil, err
		}
		_ = sub.SetPendingLimits(-1, -1)
	}
	return nc, nc.Flush()
}
