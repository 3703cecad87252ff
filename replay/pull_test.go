package replay

import (
	"context"
	"fmt"
	"math/rand"
	"reflect"
	"testing"
	"time"

	"github.com/nats-io/nats.go"
	"github.com/nats-io/nats.go/jetstream"

	"github.com/rankstream/rankstream/aggregator"
	"github.com/rankstream/rankstream/contest"
	"github.com/rankstream/rankstream/internal/app/apptest"
	"github.com/rankstream/rankstream/streams"
)

// TestPullReadAgreesWithLane replays a random stream (duplicate event ids,
// messages deleted inside it, a purged start, more messages than two pull
// batches) with pullRead and with the whole-stream aggregator.Lane it
// replaces, over several ranges (UpTo on a message, on a deleted one, the
// whole stream): the same messages in the same order (so each partition's
// in stream order), the same sequences and times, the same boards.
func TestPullReadAgreesWithLane(t *testing.T) {
	ctx, cancel := context.WithTimeout(context.Background(), 2*time.Minute)
	defer cancel()
	st, err := streams.Open(ctx, streams.Options{Port: -1, StoreDir: t.TempDir(), Partitions: 8, DedupWindow: time.Second}, apptest.Logger())
	if err != nil {
		t.Fatal(err)
	}
	defer st.Close()
	now := time.Now().UTC()
	rules := contest.NewRegistry(apptest.BenchContests(t, now))
	rng := rand.New(rand.NewSource(1))
	const n = 3*pullBatch + 500
	for i := 0; i < n; i++ {
		user := fmt.Sprintf("u_%d", rng.Intn(300))
		id := fmt.Sprintf("e%d", rng.Intn(n)) // some ids twice: the engines' dedup
		m := nats.NewMsg("events.acme." + user)
		m.Data = apptest.Event(id, user, "acme", now.Add(-time.Hour).Add(time.Duration(i)*time.Second), int64(10+rng.Intn(90)), int64(rng.Intn(300)), []string{"DE", "SE", "FI"}[rng.Intn(3)])
		if _, err := st.JS.PublishMsgAsync(m); err != nil {
			t.Fatal(err)
		}
		if i%2000 == 1999 {
			<-st.JS.PublishAsyncComplete()
		}
	}
	<-st.JS.PublishAsyncComplete()
	s, err := st.JS.Stream(ctx, streams.Events)
	if err != nil {
		t.Fatal(err)
	}
	deleted := map[uint64]bool{}
	for range 50 {
		seq := uint64(2 + rng.Intn(n-2))
		if !deleted[seq] {
			deleted[seq] = true
			if err := s.DeleteMsg(ctx, seq); err != nil {
				t.Fatal(err)
			}
		}
	}
	var onDeleted uint64
	for seq := range deleted {
		onDeleted = seq
		break
	}
	for _, upTo := range []uint64{0, pullBatch + 7, onDeleted, 2*pullBatch + 1} {
		comparePullLane(ctx, t, st.JS, rules, upTo)
	}
	if err := s.Purge(ctx, jetstream.WithPurgeSequence(300)); err != nil { // the stream now starts at 300
		t.Fatal(err)
	}
	comparePullLane(ctx, t, st.JS, rules, 0)
	comparePullLane(ctx, t, st.JS, rules, pullBatch)
	// The stream's last message deleted: its last sequence stays, and no
	// message at or after it will come.
	info, err := s.Info(ctx)
	if err != nil {
		t.Fatal(err)
	}
	if err := s.DeleteMsg(ctx, info.State.LastSeq); err != nil {
		t.Fatal(err)
	}
	comparePullLane(ctx, t, st.JS, rules, 0)
}

// readEvent is what a reader delivered of one message.
type readEvent struct {
	seq     uint64
	at      time.Time
	subject string
	data    string
}

func comparePullLane(ctx context.Context, t *testing.T, js jetstream.JetStream, rules *contest.Registry, upTo uint64) {
	t.Helper()
	run := func(lane bool) ([]readEvent, *Result) {
		var got []readEvent
		res, err := Run(ctx, Options{JS: js, Rules: rules, UpTo: upTo, laneRead: lane, Keep: func(se *aggregator.StoredEvent) bool {
			got = append(got, readEvent{se.Seq, se.Time, se.Subject, string(se.Data)})
			return true
		}})
		if err != nil {
			t.Fatalf("upTo %d, lane %v: %v", upTo, lane, err)
		}
		return got, res
	}
	want, wres := run(true)
	got, gres := run(false)
	if len(want) == 0 {
		t.Fatalf("upTo %d: the lane read nothing", upTo)
	}
	if len(got) != len(want) {
		t.Fatalf("upTo %d: pullRead delivered %d messages, the lane %d", upTo, len(got), len(want))
	}
	for i := range want {
		if got[i] != want[i] || !got[i].at.Equal(want[i].at) {
			t.Fatalf("upTo %d: message %d: pullRead %+v, the lane %+v", upTo, i, got[i], want[i])
		}
	}
	if gres.Events != wres.Events || gres.LastSeq != wres.LastSeq || !reflect.DeepEqual(gres.Boards, wres.Boards) {
		t.Fatalf("upTo %d: pullRead %d events up to %d, the lane %d up to %d; boards equal: %v", upTo,
			gres.Events, gres.LastSeq, wres.Events, wres.LastSeq, reflect.DeepEqual(gres.Boards, wres.Boards))
	}
	if len(gres.Boards) == 0 {
		t.Fatalf("upTo %d: no boards", upTo)
	}
}
