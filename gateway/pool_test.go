package gateway_test

import (
	"context"
	"encoding/json"
	"fmt"
	"math/rand/v2"
	"net/http/httptest"
	"strings"
	"testing"
	"time"

	"github.com/coder/websocket"
	"github.com/prometheus/client_golang/prometheus"

	"github.com/rankstream/rankstream/auth"
	"github.com/rankstream/rankstream/contest"
	"github.com/rankstream/rankstream/gateway"
	"github.com/rankstream/rankstream/internal/livetest"
	"github.com/rankstream/rankstream/internal/testkit"
	"github.com/rankstream/rankstream/readmodel"
	"github.com/rankstream/rankstream/streams"
)

// seqMsg is what the test publishes: a type, a sequence number per subject
// and padding (now and then large).
type seqMsg struct {
	Type string `json:"type"`
	Seq  int    `json:"seq"`
	User string `json:"user,omitempty"`
	Pad  string `json:"pad"`
}

// received is one client's messages by key ("top", "rank", "notice").
type received map[string][]int

// TestWritePoolDeliversAsConnectionWriters publishes one random sequence of
// top, rank and notice messages to two gateways on the same NATS, one with
// the write pool and one whose connections write from their own goroutine
// (the path before the pool), with clients that read at once and clients
// that read only once everything is published (their queues coalesce; the
// slow path of a full socket is TestClientThatStopsReadingIsClosed's and
// TestTryUncorkLeavesTheRestForUncork's). On both, every client gets each key's
// messages in order (coalesced: a subsequence), the last one of each key,
// every notice exactly once in order, and only its own rank messages. In
// the pool a connection with a rank or notice waiting is on both ready
// lists (urgent and fan-out), taken by whichever worker comes first.
func TestWritePoolDeliversAsConnectionWriters(t *testing.T) {
	ctx, cancel := context.WithCancel(context.Background())
	defer cancel()
	st := openStreams(ctx, t)
	tk, _ := auth.NewTokens(auth.TokenOptions{Secret: []byte("s")})
	c := livetest.Contest(t, time.Now())
	const users = 12
	gws, urls := poolAndPlainGateways(ctx, t, st, tk, c)
	type client struct {
		ws   *websocket.Conn
		user string
		slow bool
		got  chan received
	}
	var clients [2][]*client
	for gi, url := range urls {
		for u := range users {
			tok, _, _ := tk.Issue(fmt.Sprintf("p%d", u))
			ws, _, err := websocket.Dial(ctx, url+tok, nil)
			if err != nil {
				t.Fatal(err)
			}
			defer ws.CloseNow()
			ws.SetReadLimit(1 << 20)
			livetest.Subscribe(t, ws, c.ID)
			clients[gi] = append(clients[gi], &client{ws: ws, user: fmt.Sprintf("p%d", u), slow: u%3 == 0,
				got: make(chan received, 1)})
		}
	}
	// Every subscription is routed before the first message (the gateways
	// answer the subscribe after registering it; a marker confirms it).
	waitRouted(ctx, t, st, c.ID, clients[0][0].ws, clients[1][0].ws)

	last := map[string]int{} // key of a subject -> last seq
	var notices [users]int
	const msgs = 1500
	published := make(chan struct{})
	for gi := range clients {
		for _, cl := range clients[gi] {
			go func() {
				if cl.slow {
					<-published
				}
				cl.got <- readAll(ctx, cl.ws, msgs+1)
			}()
		}
	}
	publishRandom(t, st, c.ID, msgs, users, last, notices[:])
	end := seqMsg{Type: "top", Seq: msgs + 1, Pad: "end"}
	data, _ := json.Marshal(end)
	_ = st.NC.Publish(streams.LiveTopSubject(c.ID), data)
	last["top"] = msgs + 1
	_ = st.NC.Flush()
	time.Sleep(500 * time.Millisecond)
	close(published)
	for gi := range clients {
		for ui, cl := range clients[gi] {
			var got received
			select {
			case got = <-cl.got:
			case <-time.After(60 * time.Second):
				t.Fatalf("gateway %d client %s: no end", gi, cl.user)
			}
			checkReceived(t, fmt.Sprintf("gateway %d (pool %v) client %s", gi, gi == 0, cl.user), got, cl.user,
				last["top"], last["rank/"+cl.user], notices[ui])
		}
	}
	urgent, busy := gateway.PoolCounts(gws[0])
	if urgent == 0 {
		t.Error("pool: no connection taken from the urgent list")
	}
	t.Logf("pool: %v batches finished by a connection's goroutine; %d connections taken from the urgent list, %d turns at a connection being written",
		value(gws[0].Metrics().SlowWrites), urgent, busy)
}

// poolAndPlainGateways starts two gateways on st: with the write pool and
// without (NoPool); it returns them and their WebSocket URLs (token last).
func poolAndPlainGateways(ctx context.Context, t *testing.T, st *streams.Streams, tk *auth.Tokens, c *contest.Contest) (gws []*gateway.Gateway, urls []string) {
	t.Helper()
	rdb, prefix := testkit.Redis(t, "gwpool")
	for _, noPool := range []bool{false, true} {
		o := gateway.Options{Tokens: tk, Reader: readmodel.NewReader(rdb, prefix),
			Contests: func() []*contest.Contest { return []*contest.Contest{c} }, NC: st.NC}
		if noPool {
			gateway.NoPool(&o)
		}
		g, err := gateway.New(o, testkit.Logger(), prometheus.NewRegistry())
		if err != nil {
			t.Fatal(err)
		}
		gws = append(gws, g)
		go g.Run(ctx)
		srv := httptest.NewServer(g)
		t.Cleanup(srv.Close)
		t.Cleanup(g.Stop)
		urls = append(urls, "ws"+strings.TrimPrefix(srv.URL, "http")+"/?token=")
	}
	return gws, urls
}

// publishRandom publishes msgs random top, rank and notice messages of
// users p0…; last gets each key's last seq, notices each user's count.
func publishRandom(t *testing.T, st *streams.Streams, contestID string, msgs, users int, last map[string]int, notices []int) {
	t.Helper()
	rng := rand.New(rand.NewPCG(7, 14))
	for i := 1; i <= msgs; i++ {
		pad := strings.Repeat("x", rng.IntN(2000))
		if rng.IntN(50) == 0 {
			pad = strings.Repeat("y", 200<<10)
		}
		var subj string
		m := seqMsg{Seq: i, Pad: pad}
		switch k := rng.IntN(10); {
		case k < 4:
			m.Type, subj = "top", streams.LiveTopSubject(contestID)
			last["top"] = i
		case k < 9:
			u := rng.IntN(users)
			m.Type, m.User, subj = "rank", fmt.Sprintf("p%d", u), streams.LiveUserSubject(contestID, fmt.Sprintf("p%d", u))
			last["rank/"+m.User] = i
		default:
			u := rng.IntN(users)
			m.Type, m.User, subj = "notice", fmt.Sprintf("p%d", u), streams.LiveNoticeSubject(contestID, fmt.Sprintf("p%d", u))
			notices[u]++
			m.Seq = notices[u]
		}
		data, _ := json.Marshal(m)
		if err := st.NC.Publish(subj, data); err != nil {
			t.Fatal(err)
		}
		if i%50 == 0 { // the gateways keep up (no slow consumer on NATS)
			_ = st.NC.Flush()
			time.Sleep(2 * time.Millisecond)
		}
	}
}

// waitRouted publishes markers on the top subject until every given
// connection has read one (so their subscriptions are routed).
func waitRouted(ctx context.Context, t *testing.T, st *streams.Streams, contestID string, conns ...*websocket.Conn) {
	t.Helper()
	for _, ws := range conns {
		deadline := time.Now().Add(10 * time.Second)
		for {
			_ = st.NC.Publish(streams.LiveTopSubject(contestID), []byte(`{"type":"top","seq":0}`))
			rctx, cancel := context.WithTimeout(ctx, 200*time.Millisecond)
			_, data, err := ws.Read(rctx)
			cancel()
			if err == nil && strings.Contains(string(data), `"seq":0`) {
				break
			}
			if time.Now().After(deadline) {
				t.Fatal("subscription not routed")
			}
		}
	}
}

// readAll reads one client's messages until a second passes without one after the top endSeq.
func readAll(ctx context.Context, ws *websocket.Conn, endSeq int) received {
	got := received{}
	end := false
	for {
		d := 30 * time.Second
		if end {
			d = time.Second
		}
		rctx, cancel := context.WithTimeout(ctx, d)
		_, data, err := ws.Read(rctx)
		cancel()
		if err != nil {
			return got
		}
		var m seqMsg
		if json.Unmarshal(data, &m) != nil {
			got["bad"] = append(got["bad"], len(data))
			continue
		}
		if m.Seq == 0 {
			continue // the subscribe answer, a marker
		}
		key := m.Type
		if m.User != "" {
			key += "/" + m.User
		}
		got[key] = append(got[key], m.Seq)
		end = end || (m.Type == "top" && m.Seq == endSeq)
	}
}

// checkReceived: per key strictly increasing, the last of each key there,
// every notice once in order, no other user's messages, nothing unreadable.
func checkReceived(t *testing.T, who string, got received, user string, lastTop, lastRank, notices int) {
	t.Helper()
	for key, seqs := range got {
		if key == "bad" {
			t.Errorf("%s: %d messages not as published", who, len(seqs))
			continue
		}
		if key != "top" && !strings.HasSuffix(key, "/"+user) {
			t.Errorf("%s: got %s", who, key)
		}
		for i := 1; i < len(seqs); i++ {
			if seqs[i] <= seqs[i-1] {
				t.Errorf("%s: %s out of order: %d after %d", who, key, seqs[i], seqs[i-1])
				break
			}
		}
	}
	lastOf := func(k string) int {
		if s := got[k]; len(s) > 0 {
			return s[len(s)-1]
		}
		return 0
	}
	if lastOf("top") != lastTop {
		t.Errorf("%s: last top %d, want %d", who, lastOf("top"), lastTop)
	}
	if lastOf("rank/"+user) != lastRank {
		t.Errorf("%s: last rank %d, want %d", who, lastOf("rank/"+user), lastRank)
	}
	if n := got["notice/"+user]; len(n) != notices || (notices > 0 && n[len(n)-1] != notices) {
		t.Errorf("%s: notices %v, want 1…%d", who, n, notices)
	}
}
