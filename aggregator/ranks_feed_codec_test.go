package aggregator

import (
	"encoding/json"
	"errors"
	"math"
	"math/rand/v2"
	"reflect"
	"strconv"
	"testing"
	"time"

	"github.com/rankstream/rankstream/contest"
)

// randomFeedMsg is a delta as feedMessages leaves it, with every field the
// feed carries set to something (or nothing) at random.
func randomFeedMsg(rng *rand.Rand) BoardDelta {
	d := BoardDelta{ID: contest.BoardID{Contest: "c_" + strconv.Itoa(rng.IntN(100)), Window: rng.Int64N(1<<40) - 1<<39},
		Full: rng.IntN(4) == 0, Total: rng.IntN(1 << 20), Order: []string{"desc", "asc", ""}[rng.IntN(3)]}
	if rng.IntN(2) == 0 {
		d.ID.Division = "DE"
	}
	if rng.IntN(3) > 0 {
		d.EventTime = time.Unix(0, rng.Int64N(1<<62))
	}
	rank := func(u string) Rank {
		rk := Rank{Pos: 1 + rng.IntN(1<<20), User: u, Score: rng.Int64() - math.MaxInt64/2, LastPoints: rng.Int64N(1<<50) - 1<<49}
		if rng.IntN(5) > 0 {
			g := rng.Int64() >> rng.IntN(63)
			rk.GapToNext = &g
		}
		return rk
	}
	for i := range rng.IntN(12) {
		d.Top = append(d.Top, rank("t"+strconv.Itoa(i)))
	}
	d.Ranks = map[string]Rank{}
	for i := range rng.IntN(50) {
		u := "u_" + strconv.Itoa(i)
		st := contest.Standing{Score: rng.Int64(), MaxMult: rng.Float64() * 1e6, Rounds: rng.Int64N(1 << 40),
			Finish: rng.Int64() - math.MaxInt64/2, LastPoints: rng.Int64N(1 << 30)}
		removed := rng.IntN(6) == 0
		if removed {
			st = contest.Standing{}
		}
		d.Changed = append(d.Changed, UserDelta{User: u, Standing: st, Removed: removed})
		if !removed {
			d.Ranks[u] = rank(u)
		}
	}
	for i := range rng.IntN(50) {
		u := "w_" + strconv.Itoa(i)
		d.Ranks[u] = rank(u)
	}
	return d
}

// sameFeedMsg compares two deltas as the feed carries them (times by
// instant, gaps by value).
func sameFeedMsg(t *testing.T, got, want BoardDelta) {
	t.Helper()
	if !got.EventTime.Equal(want.EventTime) || got.EventTime.IsZero() != want.EventTime.IsZero() {
		t.Fatalf("event time %v, want %v", got.EventTime, want.EventTime)
	}
	got.EventTime, want.EventTime = time.Time{}, time.Time{}
	if len(want.Ranks) == 0 {
		want.Ranks = map[string]Rank{}
	}
	if !reflect.DeepEqual(got, want) {
		t.Fatalf("decoded\n%+v\nwant\n%+v", got, want)
	}
}

// The binary form gives back every field of the delta it carries, for
// random deltas, and reads what the JSON form wrote (an older ranker).
func TestFeedCodecRoundTrip(t *testing.T) {
	rng := rand.New(rand.NewPCG(14, 2))
	for range 2000 {
		want := randomFeedMsg(rng)
		data := appendFeedMsg(nil, &want)
		got, err := decodeFeedMsg(data)
		if err != nil {
			t.Fatalf("decode: %v", err)
		}
		sameFeedMsg(t, got, want)

		js, err := json.Marshal(want)
		if err != nil {
			t.Fatal(err)
		}
		got, err = decodeFeedMsg(js)
		if err != nil {
			t.Fatalf("decode JSON: %v", err)
		}
		sameFeedMsg(t, got, want)
	}
}

// A truncated or extended message is an error, never a panic or a delta.
func TestFeedCodecRejectsDamage(t *testing.T) {
	rng := rand.New(rand.NewPCG(14, 3))
	for range 40 {
		d := randomFeedMsg(rng)
		data := appendFeedMsg(nil, &d)
		for n := 0; n < len(data); n++ {
			if _, err := decodeFeedMsg(data[:n]); !errors.Is(err, errFeedMsg) {
				t.Fatalf("%d of %d bytes: err %v, want errFeedMsg", n, len(data), err)
			}
		}
		if _, err := decodeFeedMsg(append(data, 0)); !errors.Is(err, errFeedMsg) {
			t.Fatalf("a byte after the end: err %v", err)
		}
	}
	if _, err := decodeFeedMsg([]byte{0x7f, 0}); !errors.Is(err, errFeedMsg) {
		t.Fatalf("unknown encoding: err %v", err)
	}
}

// BenchmarkFeedCodec: one tick's message of 1000 ranks, encoded and
// decoded, binary vs the JSON it replaced.
func BenchmarkFeedCodec(b *testing.B) {
	rng := rand.New(rand.NewPCG(14, 4))
	d := BoardDelta{ID: contest.BoardID{Contest: "bench"}, Total: 20000, Order: "desc", EventTime: time.Now(), Ranks: map[string]Rank{}}
	for i := range 1000 {
		g := rng.Int64N(5000)
		u := "u_" + strconv.Itoa(i)
		d.Ranks[u] = Rank{Pos: 1 + rng.IntN(20000), User: u, Score: rng.Int64N(1 << 30), GapToNext: &g, LastPoints: rng.Int64N(5000)}
	}
	for i := range 10 {
		d.Top = append(d.Top, Rank{Pos: i + 1, User: "t" + strconv.Itoa(i), Score: 1 << 40})
	}
	b.Run("binary", func(b *testing.B) {
		for b.Loop() {
			if _, err := decodeFeedMsg(appendFeedMsg(nil, &d)); err != nil {
				b.Fatal(err)
			}
		}
	})
	b.Run("json", func(b *testing.B) {
		for b.Loop() {
			data, _ := json.Marshal(d)
			if _, err := decodeFeedMsg(data); err != nil {
				b.Fatal(err)
			}
		}
	})
}
