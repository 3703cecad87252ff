package readmodel

import (
	"bytes"
	"context"
	"errors"
	"fmt"
	"math"
	"reflect"
	"slices"
	"testing"
	"time"

	"github.com/prometheus/client_golang/prometheus"

	"github.com/rankstream/rankstream/contest"
	"github.com/rankstream/rankstream/internal/testkit"
)

// standing is one user of a reference board.
type standing struct {
	user string
	key  []int64
}

// refOrder sorts standings into board order and returns the expected rows.
func refRows(st []standing, order string) []Row {
	s := slices.Clone(st)
	slices.SortFunc(s, func(a, b standing) int {
		if c := slices.Compare(a.key, b.key); c != 0 {
			return c
		}
		return bytes.Compare([]byte(a.user), []byte(b.user))
	})
	rows := make([]Row, len(s))
	m := BoardMeta{Order: order}
	for i, x := range s {
		rows[i] = Row{Pos: i + 1, User: x.user, Score: m.Score(x.key[0])}
	}
	return rows
}

func upserts(st []standing) []Upsert {
	out := make([]Upsert, len(st))
	for i, s := range st {
		out[i] = Upsert{User: s.user, Key: s.key}
	}
	return out
}

func newWriter(t *testing.T) (*Writer, *Reader, *prometheus.Registry) {
	t.Helper()
	rdb, prefix := testkit.Redis(t, "readmodel")
	reg := prometheus.NewRegistry()
	return NewWriter(rdb, prefix, nil, reg), NewReader(rdb, prefix), reg
}

// tempKeys lists Replace's temporary keys left under the writer's prefix.
func tempKeys(t *testing.T, w *Writer) []string {
	t.Helper()
	var out []string
	iter := w.rdb.Scan(context.Background(), 0, w.prefix+"*:tmp:*", 1000).Iterator()
	for iter.Next(context.Background()) {
		out = append(out, iter.Val())
	}
	if err := iter.Err(); err != nil {
		t.Fatal(err)
	}
	return out
}

func yieldAll(st []standing) func(func(string, []int64) bool) {
	return func(yield func(string, []int64) bool) {
		for _, s := range st {
			if !yield(s.user, s.key) {
				return
			}
		}
	}
}

// checkBoard compares every read path of a board with want.
func checkBoard(t *testing.T, r *Reader, id contest.BoardID, want []Row) {
	t.Helper()
	ctx := context.Background()
	rows, total, _, err := r.Top(ctx, id, 0, len(want)+10)
	if err != nil {
		t.Fatal(err)
	}
	if total != int64(len(want)) || !reflect.DeepEqual(rows, want) {
		t.Fatalf("top: total %d rows\n%v\nwant %d\n%v", total, rows, len(want), want)
	}
	step := max(len(want)/200, 1) // Me of at most ~200 users, both ends included
	for i, w := range want {
		if i%step != 0 && i != len(want)-1 {
			continue
		}
		me, above, err := r.MeAbove(ctx, id, w.User)
		if err != nil {
			t.Fatal(err)
		}
		if me == nil || *me != w {
			t.Fatalf("me(%s) = %v, want %v", w.User, me, w)
		}
		if i == 0 && above != nil {
			t.Fatalf("above of position 1 = %v", above)
		}
		if i > 0 && (above == nil || *above != want[i-1]) {
			t.Fatalf("above of %v = %v, want %v", w, above, want[i-1])
		}
	}
}

func TestRoundTripDesc(t *testing.T) {
	w, r, _ := newWriter(t)
	ctx := context.Background()
	id := contest.BoardID{Contest: "c1", Window: 1761415200, Division: "DE"}
	// Scores (desc: w0 = -score) with ties broken by word 1, then by user id,
	// negative scores and the extremes of int64.
	st := []standing{
		{"u_a", []int64{-100, 5}},
		{"u_b", []int64{-100, 3}},
		{"u_c", []int64{-100, 3}},
		{"u_0", []int64{-100, 3}},
		{"neg1", []int64{50, 0}}, // score -50
		{"neg2", []int64{7, 0}},  // score -7
		{"zero", []int64{0, 0}},  // score 0
		{"big", []int64{-math.MaxInt64, math.MinInt64}},
		{"small", []int64{math.MaxInt64, math.MaxInt64}},
		{"z", []int64{-2000, -1}},
	}
	meta := BoardMeta{NWords: 2, Order: OrderDesc, Status: "live", UpdatedAt: time.Date(2025, 10, 25, 18, 30, 0, 123456789, time.UTC)}
	if err := w.Apply(ctx, []BoardChange{{ID: id, Meta: meta, Upserts: upserts(st)}}); err != nil {
		t.Fatal(err)
	}
	want := refRows(st, OrderDesc)
	if want[0].User != "big" || want[0].Score != math.MaxInt64 || want[len(want)-1].Score != -math.MaxInt64 {
		t.Fatalf("reference order unexpected: %v", want)
	}
	checkBoard(t, r, id, want)

	// Scores of the tie are level and the users ordered by id after word 1.
	rows, _, gotMeta, err := r.Top(ctx, id, 2, 3)
	if err != nil {
		t.Fatal(err)
	}
	if names := []string{rows[0].User, rows[1].User, rows[2].User}; !reflect.DeepEqual(names, []string{"u_0", "u_b", "u_c"}) {
		t.Errorf("tie order %v", names)
	}
	if rows[0].Pos != 3 {
		t.Errorf("page from offset 2 starts at pos %d", rows[0].Pos)
	}
	if !gotMeta.UpdatedAt.Equal(meta.UpdatedAt) || gotMeta.Status != "live" || gotMeta.NWords != 2 || gotMeta.Order != OrderDesc {
		t.Errorf("meta %+v, want %+v", gotMeta, meta)
	}
	if m, ok, err := r.Meta(ctx, id); err != nil || !ok || !m.UpdatedAt.Equal(meta.UpdatedAt) {
		t.Errorf("Meta = %+v %v %v", m, ok, err)
	}
}

func TestRoundTripAsc(t *testing.T) {
	w, r, _ := newWriter(t)
	ctx := context.Background()
	id := contest.BoardID{Contest: "fastest", Window: 0}
	// asc: w0 = score, lower is better; negative scores first.
	var st []standing
	for i := range 30 {
		st = append(st, standing{fmt.Sprintf("u%02d", i), []int64{int64(i%7 - 3)}})
	}
	if err := w.Apply(ctx, []BoardChange{{ID: id, Meta: BoardMeta{NWords: 1, Order: OrderAsc}, Upserts: upserts(st)}}); err != nil {
		t.Fatal(err)
	}
	want := refRows(st, OrderAsc)
	if want[0].Score != -3 || want[29].Score != 3 {
		t.Fatalf("reference %v", want)
	}
	checkBoard(t, r, id, want)
}

func TestAround(t *testing.T) {
	w, r, _ := newWriter(t)
	ctx := context.Background()
	id := contest.BoardID{Contest: "c", Window: 10}
	var st []standing
	for i := range 10 {
		st = append(st, standing{fmt.Sprintf("u%d", i), []int64{-int64(100 - i)}})
	}
	if err := w.Apply(ctx, []BoardChange{{ID: id, Meta: BoardMeta{NWords: 1}, Upserts: upserts(st)}}); err != nil {
		t.Fatal(err)
	}
	for _, tc := range []struct{ pos, k, from, to int }{
		{5, 2, 3, 7}, {1, 3, 1, 4}, {10, 3, 7, 10}, {2, 0, 2, 2}, {1, 20, 1, 10},
	} {
		rows, err := r.Around(ctx, id, tc.pos, tc.k)
		if err != nil {
			t.Fatal(err)
		}
		if len(rows) != tc.to-tc.from+1 || rows[0].Pos != tc.from || rows[len(rows)-1].Pos != tc.to {
			t.Errorf("Around(%d, %d) = %v, want positions %d..%d", tc.pos, tc.k, rows, tc.from, tc.to)
		}
	}
	if _, err := r.Around(ctx, id, 0, 1); err == nil {
		t.Error("Around(0) did not fail")
	}
}

func TestEmptyBoard(t *testing.T) {
	_, r, _ := newWriter(t)
	ctx := context.Background()
	id := contest.BoardID{Contest: "nobody", Window: 1}
	rows, total, meta, err := r.Top(ctx, id, 0, 100)
	if err != nil || total != 0 || rows == nil || len(rows) != 0 || meta != (BoardMeta{}) {
		t.Fatalf("Top = %v %d %+v %v", rows, total, meta, err)
	}
	me, err := r.Me(ctx, id, "u1")
	if err != nil || me != nil {
		t.Fatalf("Me = %v %v", me, err)
	}
	ws, err := r.Windows(ctx, "nobody")
	if err != nil || len(ws) != 0 {
		t.Fatalf("Windows = %v %v", ws, err)
	}
}

func TestApplyMovesAndDeletes(t *testing.T) {
	w, r, reg := newWriter(t)
	ctx := context.Background()
	id := contest.BoardID{Contest: "c", Window: 100, Division: "SE"}
	meta := BoardMeta{NWords: 2, Order: OrderDesc}
	st := map[string][]int64{"a": {-10, 0}, "b": {-20, 0}, "c": {-30, 0}, "d": {-40, 0}}
	var ups []Upsert
	for u, k := range st {
		ups = append(ups, Upsert{User: u, Key: k})
	}
	if err := w.Apply(ctx, []BoardChange{{ID: id, Meta: meta, Upserts: ups}}); err != nil {
		t.Fatal(err)
	}
	// a jumps to the top, b is unchanged but re-sent (old == new), d leaves,
	// e arrives.
	err := w.Apply(ctx, []BoardChange{{ID: id, Meta: meta,
		Upserts: []Upsert{
			{User: "a", Key: []int64{-50, 1}, OldKey: st["a"]},
			{User: "b", Key: st["b"], OldKey: st["b"]},
			{User: "e", Key: []int64{-25, 0}},
		},
		Deletes: []DeleteEntry{{User: "d", OldKey: st["d"]}},
	}})
	if err != nil {
		t.Fatal(err)
	}
	checkBoard(t, r, id, []Row{{1, "a", 50}, {2, "c", 30}, {3, "e", 25}, {4, "b", 20}})
	if n := counterValue(t, w.Metrics().WriteBatches.WithLabelValues(opApply)); n != 2 {
		t.Errorf("write batches %v", n)
	}
	if n := counterValue(t, w.Metrics().Entries.WithLabelValues("delete")); n != 1 {
		t.Errorf("deletes %v", n)
	}
	if _, err := reg.Gather(); err != nil {
		t.Fatal(err)
	}
}

func TestApplyInvalid(t *testing.T) {
	w, r, _ := newWriter(t)
	ctx := context.Background()
	good := BoardChange{ID: contest.BoardID{Contest: "c", Window: 1}, Meta: BoardMeta{NWords: 2}, Upserts: []Upsert{{User: "a", Key: []int64{1, 2}}}}
	for name, bad := range map[string]BoardChange{
		"short key":        {ID: contest.BoardID{Contest: "c", Window: 2}, Meta: BoardMeta{NWords: 2}, Upserts: []Upsert{{User: "a", Key: []int64{1}}}},
		"short old key":    {ID: contest.BoardID{Contest: "c", Window: 2}, Meta: BoardMeta{NWords: 2}, Upserts: []Upsert{{User: "a", Key: []int64{1, 2}, OldKey: []int64{}}}},
		"delete no oldkey": {ID: contest.BoardID{Contest: "c", Window: 2}, Meta: BoardMeta{NWords: 2}, Deletes: []DeleteEntry{{User: "a"}}},
		"zero nwords":      {ID: contest.BoardID{Contest: "c", Window: 2}},
		"bad order":        {ID: contest.BoardID{Contest: "c", Window: 2}, Meta: BoardMeta{NWords: 1, Order: "up"}},
		"no contest":       {Meta: BoardMeta{NWords: 1}},
	} {
		err := w.Apply(ctx, []BoardChange{good, bad})
		if !errors.Is(err, ErrInvalid) {
			t.Errorf("%s: err = %v, want ErrInvalid", name, err)
		}
	}
	// Nothing of the valid change was written either.
	if ws, err := r.Windows(ctx, "c"); err != nil || len(ws) != 0 {
		t.Fatalf("windows after invalid writes: %v %v", ws, err)
	}
	if err := w.Apply(ctx, nil); err != nil {
		t.Fatal(err)
	}
}

func TestWindowsAndDivisions(t *testing.T) {
	w, r, _ := newWriter(t)
	ctx := context.Background()
	meta := BoardMeta{NWords: 1}
	var changes []BoardChange
	for _, id := range []contest.BoardID{{Contest: "c", Window: 300, Division: "SE"}, {Contest: "c", Window: 100, Division: "DE"}, {Contest: "c", Window: 100, Division: "SE"}, {Contest: "c", Window: 200, Division: ""}, {Contest: "other", Window: 5, Division: "x"}} {
		changes = append(changes, BoardChange{ID: id, Meta: meta, Upserts: []Upsert{{User: "u", Key: []int64{1}}}})
	}
	if err := w.Apply(ctx, changes); err != nil {
		t.Fatal(err)
	}
	ws, err := r.Windows(ctx, "c")
	if err != nil || !reflect.DeepEqual(ws, []int64{100, 200, 300}) {
		t.Fatalf("windows %v %v", ws, err)
	}
	ds, err := r.Divisions(ctx, "c", 100)
	if err != nil || !reflect.DeepEqual(ds, []string{"DE", "SE"}) {
		t.Fatalf("divisions %v %v", ds, err)
	}
	ds, err = r.Divisions(ctx, "c", 200)
	if err != nil || !reflect.DeepEqual(ds, []string{""}) {
		t.Fatalf("divisions of a board without divisions %q %v", ds, err)
	}
}

func TestMetaKeepsStatusAndTime(t *testing.T) {
	w, r, _ := newWriter(t)
	ctx := context.Background()
	id := contest.BoardID{Contest: "c", Window: 1}
	at := time.Date(2025, 1, 2, 3, 4, 5, 6, time.UTC)
	if err := w.Apply(ctx, []BoardChange{{ID: id, Meta: BoardMeta{NWords: 1, Status: "final", UpdatedAt: at}}}); err != nil {
		t.Fatal(err)
	}
	// A later write without status and time leaves them.
	if err := w.Apply(ctx, []BoardChange{{ID: id, Meta: BoardMeta{NWords: 1}, Upserts: []Upsert{{User: "u", Key: []int64{-3}}}}}); err != nil {
		t.Fatal(err)
	}
	m, ok, err := r.Meta(ctx, id)
	if err != nil || !ok || m.Status != "final" || !m.UpdatedAt.Equal(at) || m.Order != OrderDesc {
		t.Fatalf("meta %+v %v %v", m, ok, err)
	}
}

// TestApplyAtomic moves users around several boards while readers check that
// every read sees each board whole: every user exactly once, the count equal
// to the rows, Me consistent with Top. The batches are large (tens of KiB) so
// that Redis would interleave readers' commands into a non-transactional
// pipeline; with Pipelined instead of TxPipelined this test fails.
