package aggregator

import (
	"bytes"
	"context"
	"errors"
	"testing"
	"time"

	"github.com/nats-io/nats.go/jetstream"

	"github.com/rankstream/rankstream/internal/testkit"
	"github.com/rankstream/rankstream/streams"
)

// A checkpoint read whose chunks never come (its chunk messages gone, as a
// stalled chunk consumer of a lost node delivers none) ends within its own
// attempts' deadlines, not at the caller's: before, the partition run was
// held until the caller's deadline. A present checkpoint reads back whole,
// a missing one is errNoCheckpoint.
func TestCheckpointReadBoundedWhenChunksStall(t *testing.T) {
	_, _, js := testkit.JetStream(t)
	ctx, cancel := context.WithTimeout(context.Background(), 2*time.Minute)
	defer cancel()
	obs, err := streams.EnsureCheckpoints(ctx, js, 1)
	if err != nil {
		t.Fatal(err)
	}
	if _, err := readCheckpoint(ctx, obs, "p0", testkit.Logger()); !errors.Is(err, errNoCheckpoint) {
		t.Fatalf("missing checkpoint: %v, want errNoCheckpoint", err)
	}
	want := bytes.Repeat([]byte("state"), 100_000) // several chunks
	if _, err := obs.PutBytes(ctx, "p0", want); err != nil {
		t.Fatal(err)
	}
	got, err := readCheckpoint(ctx, obs, "p0", testkit.Logger())
	if err != nil || !bytes.Equal(got, want) {
		t.Fatalf("read %d bytes, %v; want %d bytes", len(got), err, len(want))
	}

	base := checkpointReadBase
	checkpointReadBase = 300 * time.Millisecond
	defer func() { checkpointReadBase = base }()
	st, err := js.Stream(ctx, streams.ObjectStreamName(streams.CheckpointBucket))
	if err != nil {
		t.Fatal(err)
	}
	if err := st.Purge(ctx, jetstream.WithPurgeSubject("$O."+streams.CheckpointBucket+".C.>")); err != nil {
		t.Fatal(err)
	}
	t0 := time.Now()
	_, err = readCheckpoint(ctx, obs, "p0", testkit.Logger())
	took := time.Since(t0)
	if err == nil || errors.Is(err, errNoCheckpoint) || ctx.Err() != nil {
		t.Fatalf("stalled read: %v (ctx %v), want the attempts' timeout", err, ctx.Err())
	}
	if took > 20*time.Second {
		t.Fatalf("stalled read ended after %s: bounded by the caller's deadline, not by its attempts", took)
	}
	t.Logf("stalled read failed after %s: %v", took.Round(time.Millisecond), err)
}
