package gateway_test

import (
	"context"
	"fmt"
	"net/http/httptest"
	"strings"
	"testing"
	"time"

	"github.com/coder/websocket"
	"github.com/prometheus/client_golang/prometheus"
	dto "github.com/prometheus/client_model/go"

	"github.com/rankstream/rankstream/auth"
	"github.com/rankstream/rankstream/contest"
	"github.com/rankstream/rankstream/gateway"
	"github.com/rankstream/rankstream/internal/livetest"
	"github.com/rankstream/rankstream/internal/testkit"
	"github.com/rankstream/rankstream/readmodel"
	"github.com/rankstream/rankstream/streams"
)

// A client that stops reading while the server has data for it is closed
// after WriteTimeout, and nobody else waits for it.
func TestClientThatStopsReadingIsClosed(t *testing.T) {
	ctx, cancel := context.WithCancel(context.Background())
	defer cancel()
	st := openStreams(ctx, t)
	rdb, prefix := testkit.Redis(t, "gateway")
	tk, _ := auth.NewTokens(auth.TokenOptions{Secret: []byte("s")})
	c := livetest.Contest(t, time.Now())
	reg := prometheus.NewRegistry()
	g, err := gateway.New(gateway.Options{Tokens: tk, Reader: readmodel.NewReader(rdb, prefix),
		Contests: func() []*contest.Contest { return []*contest.Contest{c} }, NC: st.NC,
		WriteTimeout: time.Second}, testkit.Logger(), reg)
	if err != nil {
		t.Fatal(err)
	}
	go g.Run(ctx)
	srv := httptest.NewServer(g)
	defer srv.Close()
	defer g.Stop()
	tok, _, _ := tk.Issue("sleepy")
	ws, _, err := websocket.Dial(ctx, "ws"+strings.TrimPrefix(srv.URL, "http")+"/?token="+tok, nil)
	if err != nil {
		t.Fatal(err)
	}
	defer ws.CloseNow()
	livetest.Subscribe(t, ws, c.ID)
	time.Sleep(200 * time.Millisecond)
	big := `{"type":"top","pad":"` + strings.Repeat("x", 64<<10) + `"}`
	deadline := time.Now().Add(20 * time.Second)
	for value(g.Metrics().WriteErrors) == 0 {
		if time.Now().After(deadline) {
			t.Fatal("the client that does not read is still open")
		}
		st.NC.Publish(streams.LiveTopSubject(c.ID), []byte(big))
		time.Sleep(5 * time.Millisecond)
	}
	testkit.Eventually(t, 5*time.Second, func() error {
		if n := value(g.Metrics().Connections); n != 0 {
			return fmt.Errorf("%v connections open, want the stuck one closed", n)
		}
		return nil
	})
	// The write pool handed the batch the socket did not take to the
	// connection's goroutine, under the watchdog.
	if value(g.Metrics().SlowWrites) == 0 {
		t.Error("no slow write counted")
	}
}

func value(c prometheus.Metric) float64 {
	var m dto.Metric
	_ = c.Write(&m)
	if m.Counter != nil {
		return m.Counter.GetValue()
	}
	return m.Gauge.GetValue()
}
