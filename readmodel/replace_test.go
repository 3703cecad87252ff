package readmodel

import (
	"context"
	"errors"
	"fmt"
	"reflect"
	"strings"
	"sync/atomic"
	"testing"
	"time"

	"github.com/prometheus/client_golang/prometheus"
	dto "github.com/prometheus/client_model/go"

	"github.com/rankstream/rankstream/contest"
	"github.com/rankstream/rankstream/internal/testkit"
)

func TestReplace(t *testing.T) {
	w, r, _ := newWriter(t)
	ctx := context.Background()
	id := contest.BoardID{Contest: "re", Window: 42, Division: "FI"}
	meta := BoardMeta{NWords: 1, Order: OrderDesc, UpdatedAt: time.Now().UTC()}
	// An old board, partly stale.
	var old []Upsert
	for i := range 50 {
		old = append(old, Upsert{User: fmt.Sprintf("old%02d", i), Key: []int64{-int64(i)}})
	}
	if err := w.Apply(ctx, []BoardChange{{ID: id, Meta: meta, Upserts: old}}); err != nil {
		t.Fatal(err)
	}
	// The rebuilt board: 2500 users (several fill chunks), one kept from before.
	var st []standing
	for i := range 2500 {
		st = append(st, standing{fmt.Sprintf("new%04d", i), []int64{int64(i%97) - 40}})
	}
	st = append(st, standing{"old07", []int64{-1000}})

	// A reader during the replace sees the old board or the new one, whole.
	var stop atomic.Bool
	errc := make(chan error, 1)
	done := make(chan struct{})
	go func() {
		defer close(done)
		for !stop.Load() {
			rows, total, _, err := r.Top(ctx, id, 0, 5000)
			if err == nil && (total != int64(len(rows)) || (total != 50 && total != int64(len(st)))) {
				err = fmt.Errorf("mid-replace read: total %d, %d rows", total, len(rows))
			}
			if err != nil {
				errc <- err
				return
			}
		}
	}()
	meta.Status = "live"
	err := w.Replace(ctx, id, meta, yieldAll(st))
	stop.Store(true)
	<-done
	if err != nil {
		t.Fatal(err)
	}
	select {
	case err := <-errc:
		t.Fatal(err)
	default:
	}
	checkBoard(t, r, id, refRows(st, OrderDesc))
	if me, _ := r.Me(ctx, id, "old08"); me != nil {
		t.Errorf("user of the old board still there: %v", me)
	}
	if tmp := tempKeys(t, w); len(tmp) > 0 {
		t.Errorf("temporary keys left: %v", tmp)
	}
	k := keysOf(w.prefix, id)
	for _, key := range []string{k.z, k.u} {
		if ttl := w.rdb.TTL(ctx, key).Val(); ttl != -1 {
			t.Errorf("%s has TTL %v after the rename, want none", key, ttl)
		}
	}
	m, _, _ := r.Meta(ctx, id)
	if m.Status != "live" {
		t.Errorf("meta after replace %+v", m)
	}

	// Replace with nothing empties the board but keeps it listed.
	if err := w.Replace(ctx, id, meta, yieldAll(nil)); err != nil {
		t.Fatal(err)
	}
	checkBoard(t, r, id, []Row{})
	if ws, _ := r.Windows(ctx, "re"); !reflect.DeepEqual(ws, []int64{42}) {
		t.Errorf("windows %v", ws)
	}
}

func TestReplaceFailures(t *testing.T) {
	w, r, _ := newWriter(t)
	ctx := context.Background()
	id := contest.BoardID{Contest: "rf", Window: 1}
	meta := BoardMeta{NWords: 1}
	before := []standing{{"a", []int64{-1}}, {"b", []int64{-2}}}
	if err := w.Replace(ctx, id, meta, yieldAll(before)); err != nil {
		t.Fatal(err)
	}
	many := func(bad standing) []standing {
		var st []standing
		for i := range 1500 {
			st = append(st, standing{fmt.Sprint("u", i), []int64{int64(i)}})
		}
		return append(st, bad)
	}
	canceled, cancel := context.WithCancel(ctx)
	cancel()
	for name, tc := range map[string]struct {
		ctx  context.Context
		st   []standing
		want error
	}{
		"wrong key length": {ctx, many(standing{"x", []int64{1, 2}}), ErrInvalid},
		"user twice":       {ctx, many(standing{"u7", []int64{-9}}), ErrInvalid},
		"canceled":         {canceled, many(standing{"x", []int64{1}}), context.Canceled},
	} {
		err := w.Replace(tc.ctx, id, meta, yieldAll(tc.st))
		if !errors.Is(err, tc.want) {
			t.Errorf("%s: err = %v, want %v", name, err, tc.want)
		}
		checkBoard(t, r, id, refRows(before, OrderDesc))
		if tmp := tempKeys(t, w); len(tmp) > 0 {
			t.Errorf("%s: temporary keys left: %v", name, tmp)
		}
	}
	if n := counterValue(t, w.Metrics().WriteErrors.WithLabelValues(opReplace)); n != 3 {
		t.Errorf("replace errors %v, want 3", n)
	}
	if err := w.Replace(ctx, id, BoardMeta{}, yieldAll(nil)); !errors.Is(err, ErrInvalid) {
		t.Errorf("meta without nwords: %v", err)
	}
}

func TestWritersShareMetrics(t *testing.T) {
	rdb, prefix := testkit.Redis(t, "readmodel")
	reg := prometheus.NewRegistry()
	a := NewWriter(rdb, prefix, nil, reg)
	b := NewWriter(rdb, prefix, nil, reg)
	if a.Metrics().WriteBatches != b.Metrics().WriteBatches {
		t.Fatal("second writer on one registry did not reuse the collectors")
	}
	mfs, err := reg.Gather()
	if err != nil {
		t.Fatal(err)
	}
	for _, mf := range mfs {
		if !strings.HasPrefix(mf.GetName(), "rankstream_readmodel_") {
			t.Errorf("metric %s lacks the prefix", mf.GetName())
		}
	}
}

func counterValue(t *testing.T, c prometheus.Counter) float64 {
	t.Helper()
	var m dto.Metric
	if err := c.Write(&m); err != nil {
		t.Fatal(err)
	}
	return m.GetCounter().GetValue()
}
