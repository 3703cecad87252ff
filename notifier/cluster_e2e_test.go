package notifier_test

import (
	"context"
	"encoding/json"
	"fmt"
	"os"
	"testing"
	"time"

	"github.com/nats-io/nats.go"
	"github.com/nats-io/nats.go/jetstream"
	"github.com/redis/go-redis/v9"

	"github.com/rankstream/rankstream/aggregator"
	"github.com/rankstream/rankstream/contest"
	"github.com/rankstream/rankstream/internal/app"
	"github.com/rankstream/rankstream/internal/livetest"
	"github.com/rankstream/rankstream/internal/natstest"
	"github.com/rankstream/rankstream/internal/testkit"
	"github.com/rankstream/rankstream/notifier"
	"github.com/rankstream/rankstream/streams"
)

// startProcs runs n rankstream processes (aggregator and notifier, shared
// through leases), process i connected to node i only, with the system
// account credentials; it returns them once one holds the ranker lease.
func startProcs(t *testing.T, urls []string, c *contest.Contest) []*app.App {
	t.Helper()
	prefix := fmt.Sprintf("rspush:%d:%d:", os.Getpid(), time.Now().UnixNano())
	t.Cleanup(func() { dropRedis(prefix) })
	var apps []*app.App
	for i, u := range urls {
		a, err := app.New(context.Background(), app.Options{
			HTTPAddr:    "127.0.0.1:0",
			Streams:     streams.Options{URL: u, Partitions: 4, System: "sys:sys", Name: fmt.Sprintf("p%d", i)},
			RedisURL:    testkit.RedisURL(),
			RedisPrefix: prefix,
			Contests:    []*contest.Contest{c},
			Only:        []string{app.StageAggregator, app.StageNotifier},
			Instance:    fmt.Sprintf("p%d", i),
			LeaseTTL:    2 * time.Second,
			RankerTick:  50 * time.Millisecond,
		}, livetest.Logger())
		if err != nil {
			t.Fatal(err)
		}
		a.Start(context.Background())
		t.Cleanup(a.Stop)
		apps = append(apps, a)
	}
	livetest.Poll(t, 60*time.Second, "ready and one ranker lease holder", func() bool {
		held := 0
		for _, a := range apps {
			if ok, _ := a.Ready(); !ok {
				return false
			}
			if a.Groups.Held(0) {
				held++
			}
		}
		return held == 1
	})
	return apps
}

func dropRedis(prefix string) {
	ctx := context.Background()
	rdb := redis.NewClient(&redis.Options{Addr: testkit.RedisAddr(), DB: testkit.RedisDB})
	defer rdb.Close()
	iter := rdb.Scan(ctx, 0, prefix+"*", 1000).Iterator()
	for iter.Next(ctx) {
		rdb.Del(ctx, iter.Val())
	}
}

// publishBets publishes one round_end per user (bet = points) and waits for
// the acks.
func publishBets(t *testing.T, js jetstream.JetStream, tag string, bets map[string]int64) {
	t.Helper()
	ctx, cancel := context.WithTimeout(context.Background(), 20*time.Second)
	defer cancel()
	for user, bet := range bets {
		id := fmt.Sprintf("push-%s-%s-%d", tag, user, time.Now().UnixNano())
		m := nats.NewMsg("events.acme." + user)
		m.Data = fmt.Appendf(nil, `{"event_id":%q,"ts":%q,"type":"round_end","user_id":%q,"game":{"id":"g_1","provider":"acme"},"bet":{"amount_minor":%d,"currency":"EUR"}}`,
			id, time.Now().UTC().Format(time.RFC3339Nano), user, bet)
		m.Header.Set(nats.MsgIdHdr, id)
		if _, err := js.PublishMsg(ctx, m); err != nil {
			t.Fatalf("publish: %v", err)
		}
	}
}

// watcher is an anonymous plain NATS subscriber of one user's subject.
type watcher struct {
	user string
	sub  *nats.Subscription
	msgs []notifier.RankMsg
}

// drain reads what has arrived (waiting up to d for the first message).
func (w *watcher) drain(t *testing.T, d time.Duration) {
	t.Helper()
	for {
		m, err := w.sub.NextMsg(d)
		if err != nil {
			return
		}
		var r notifier.RankMsg
		if err := json.Unmarshal(m.Data, &r); err != nil {
			t.Fatalf("%s: bad message %q", w.user, m.Data)
		}
		w.msgs = append(w.msgs, r)
		d = 10 * time.Millisecond
	}
}

func (w *watcher) last() (notifier.RankMsg, bool) {
	if len(w.msgs) == 0 {
		return notifier.RankMsg{}, false
	}
	return w.msgs[len(w.msgs)-1], true
}

// TestPushToSubscribersOnOtherProcesses (CONTRACT.md §5, issue 9 item 7):
// three processes on a three-node cluster; anonymous plain NATS subscribers
// connected to the nodes of the two processes that do not hold the ranker
// lease. Others overtake them; every subscriber's last message equals its
// final standing on the board once it is quiet.
func TestPushToSubscribersOnOtherProcesses(t *testing.T) {
	if testing.Short() {
		t.Skip("three processes on a three-node cluster")
	}
	nodes := natstest.StartClusterConf(t, 3, natstest.SystemAccountConf)
	c := livetest.Contest(t, time.Now().UTC())
	var urls []string
	for _, ns := range nodes {
		urls = append(urls, ns.ClientURL())
	}
	apps := startProcs(t, urls, c)
	lead := 0
	for i, a := range apps {
		if a.Groups.Held(0) {
			lead = i
		}
	}
	board := contest.BoardID{Contest: c.ID, Window: c.Window.Start.Unix()}

	// Subscribers u0..u5 on the two other nodes; u5 through lb.*.user.u5.
	var ws []*watcher
	for k := range 6 {
		node := nodes[(lead+1+k%2)%3]
		nc, err := nats.Connect(node.ClientURL())
		if err != nil {
			t.Fatal(err)
		}
		t.Cleanup(nc.Close)
		user := fmt.Sprintf("u%d", k)
		subj := streams.LiveUserSubject(c.ID, user)
		if k == 5 {
			subj = "lb.*.user." + user
		}
		sub, err := nc.SubscribeSync(subj)
		if err != nil {
			t.Fatal(err)
		}
		nc.Flush()
		ws = append(ws, &watcher{user: user, sub: sub})
	}
	n := apps[lead].Live.Notifier
	livetest.Poll(t, 15*time.Second, "every subscriber watched by the lease holder", func() bool {
		got := map[string]bool{}
		for _, u := range n.Watched(board) {
			got[u] = true
		}
		for _, w := range ws {
			if !got[w.user] {
				return false
			}
		}
		return true
	})

	js := apps[(lead+1)%3].Streams.JS
	publishBets(t, js, "a", map[string]int64{"u0": 1000, "u1": 900, "u2": 800, "u3": 700, "u4": 600, "u5": 500})
	waitBoard(t, apps[lead], board, map[string]int64{"u0": 1000, "u1": 900, "u2": 800, "u3": 700, "u4": 600, "u5": 500})
	for _, w := range ws {
		w.drain(t, 3*time.Second)
	}
	// u5 and u4 overtake everyone: u0..u3 lose two places without points.
	publishBets(t, js, "b", map[string]int64{"u5": 2000, "u4": 1500})
	final := map[string]int64{"u0": 1000, "u1": 900, "u2": 800, "u3": 700, "u4": 2100, "u5": 2500}
	rows := waitBoard(t, apps[lead], board, final)
	checkLastEqualsBoard(t, ws, rows)
	for _, w := range ws[:4] {
		l, _ := w.last()
		if l.Points != final[w.user] || l.Score != final[w.user] {
			t.Errorf("%s: last message %+v: points/score changed?", w.user, l)
		}
	}
}

// waitBoard waits until the lease holder's board has exactly want.
func waitBoard(t *testing.T, a *app.App, id contest.BoardID, want map[string]int64) []aggregator.Row {
	t.Helper()
	var rows []aggregator.Row
	livetest.Poll(t, 20*time.Second, "board", func() bool {
		rows = a.Ranker.Board(id)
		if len(rows) != len(want) {
			return false
		}
		for _, r := range rows {
			if want[r.User] != r.Standing.Score {
				return false
			}
		}
		return true
	})
	return rows
}

// checkLastEqualsBoard waits until every subscriber's last message carries
// its board position and score, then checks it stays so for a quiet 1.5 s.
func checkLastEqualsBoard(t *testing.T, ws []*watcher, rows []aggregator.Row) {
	t.Helper()
	pos := map[string]aggregator.Row{}
	for _, r := range rows {
		pos[r.User] = r
	}
	equal := func(w *watcher) bool {
		l, ok := w.last()
		r := pos[w.user]
		return ok && l.Pos != nil && *l.Pos == r.Pos && l.Score == r.Standing.Score
	}
	deadline := time.Now().Add(15 * time.Second)
	for _, w := range ws {
		for !equal(w) {
			if time.Now().After(deadline) {
				l, _ := w.last()
				t.Fatalf("%s: last message %+v (pos %v), board pos %d score %d", w.user, l, l.Pos, pos[w.user].Pos, pos[w.user].Standing.Score)
			}
			w.drain(t, 100*time.Millisecond)
		}
	}
	quietEnd := time.Now().Add(1500 * time.Millisecond)
	for _, w := range ws {
		w.drain(t, max(time.Until(quietEnd), 10*time.Millisecond))
		if !equal(w) {
			l, _ := w.last()
			t.Fatalf("%s: after a quiet 1.5s the last message is %+v, board %+v", w.user, l, pos[w.user])
		}
	}
	for _, w := range ws[:4] {
		l, _ := w.last()
		if *l.Pos != pos[w.user].Pos || l.Moved >= 0 {
			t.Errorf("%s: overtaken but last message %+v", w.user, l)
		}
	}
}
