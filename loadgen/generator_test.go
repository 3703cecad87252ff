package loadgen

import (
	"bytes"
	"errors"
	"strconv"
	"strings"
	"testing"

	"github.com/rankstream/rankstream/event"
)

func TestGeneratorDeterministic(t *testing.T) {
	opts := Options{Seed: 42, Now: fixedNow, InvalidRate: 0.05, DuplicateRate: 0.05}
	a, b := NewGenerator(opts), NewGenerator(opts)
	other := NewGenerator(Options{Seed: 43, Now: fixedNow, InvalidRate: 0.05, DuplicateRate: 0.05})
	differs := 0
	for i := range 5000 {
		sa, ia, ba, va := a.Next()
		sb, ib, bb, vb := b.Next()
		if sa != sb || ia != ib || !bytes.Equal(ba, bb) || va != vb {
			t.Fatalf("event %d differs for the same seed:\n%s %s %s %v\n%s %s %s %v", i, sa, ia, ba, va, sb, ib, bb, vb)
		}
		_, _, bo, _ := other.Next()
		if !bytes.Equal(ba, bo) {
			differs++
		}
	}
	if differs < 4900 {
		t.Errorf("seed 43 repeats seed 42 in %d of 5000 events", 5000-differs)
	}
}

func TestGeneratorEventsAreValidAndRealistic(t *testing.T) {
	const n = 10000
	opts := Options{Seed: 7, Now: fixedNow, Providers: []string{"acme", "Hacksaw"}, DuplicateRate: -1}
	g := NewGenerator(opts)
	types := map[string]int{}
	users := map[string]int{}
	asns := map[string]int{}
	gameTypes := map[string]bool{}
	var zeroWins, bonus, bigWins int
	for i := range n {
		subject, id, body, valid := g.Next()
		if !valid {
			t.Fatalf("event %d flagged invalid with InvalidRate 0", i)
		}
		ev, err := event.Parse(body)
		if err != nil {
			t.Fatalf("event %d fails event.Parse: %v\n%s", i, err, body)
		}
		if want := "lg-7-" + strconv.Itoa(i); id != want || ev.EventID != want {
			t.Fatalf("event %d: id %q, event_id %q, want %q (no duplicates configured)", i, id, ev.EventID, want)
		}
		checkRealistic(t, i, subject, &ev)
		types[ev.Type]++
		users[ev.UserID]++
		asns[ev.ASN]++
		gameTypes[ev.GameType] = true
		if ev.WinMinor == 0 {
			zeroWins++
		}
		if ev.Multiplier >= 50 {
			bigWins++
		}
		if ev.Funds == event.FundsBonus {
			bonus++
		}
	}
	if types["round_end"] < n/2 || types["bet"] == 0 || types["win"] == 0 || types["spin"] == 0 {
		t.Errorf("type mix %v: want mostly round_end and some of each other type", types)
	}
	if asns["mno"] < n*9/10 || asns["hosting"] == 0 {
		t.Errorf("asn mix %v: want mostly mno and a few hosting", asns)
	}
	if !gameTypes["slot"] || !gameTypes["live"] || !gameTypes["crash"] {
		t.Errorf("game types %v: want slot, live and crash", gameTypes)
	}
	if zeroWins < n/3 {
		t.Errorf("%d of %d events without a win: want wins to be often 0", zeroWins, n)
	}
	if bigWins == 0 {
		t.Error("no win of 50x or more: want a heavy tail")
	}
	if bonus < n/20 || bonus > n/5 {
		t.Errorf("%d bonus events of %d: want about 10%%", bonus, n)
	}
	// Zipf-like: the top 1% of users play a large share (uniform would give
	// 1%), and many distinct users still show up.
	if len(users) < 2000 {
		t.Errorf("%d distinct users: want a long tail", len(users))
	}
	head := 0
	for k := 1; k <= DefaultUsers/100; k++ {
		head += users["u_"+strconv.Itoa(k)]
	}
	if head < n/5 {
		t.Errorf("the top 1%% of users have %d of %d events: want a skewed user distribution", head, n)
	}
}

// checkRealistic checks one generated event (the i-th, sent on subject):
// the subject names its provider and user, and ts, bet, duration,
// multiplier and the other fields lie in the generator's ranges.
func checkRealistic(t *testing.T, i int, subject string, ev *event.Event) {
	t.Helper()
	if want := event.Subject(ev.GameProvider, ev.UserID); subject != want {
		t.Fatalf("event %d: subject %q, want %q", i, subject, want)
	}
	if age := testNow.Sub(ev.TS); age < 0 || age > 2e9 {
		t.Fatalf("event %d: ts %s is %s before Now, want 0..2s", i, ev.TS, age)
	}
	if ev.BetMinor < 10 || ev.BetMinor > 10000 || ev.Currency != "EUR" {
		t.Fatalf("event %d: bet %d %s", i, ev.BetMinor, ev.Currency)
	}
	if !ev.HasDuration || ev.DurationMS < 200 || ev.DurationMS > 5000 {
		t.Fatalf("event %d: duration %d", i, ev.DurationMS)
	}
	if ev.Multiplier > maxMultiplier+0.01 {
		t.Fatalf("event %d: multiplier %v over the cap", i, ev.Multiplier)
	}
	if !strings.HasPrefix(ev.UserID, "u_") || ev.TraceID == "" || ev.Market == "" || ev.Brand == "" {
		t.Fatalf("event %d: incomplete %+v", i, ev)
	}
}

func TestGeneratorDuplicatesRepeatEarlierEvents(t *testing.T) {
	const n = 10000
	g := NewGenerator(Options{Seed: 1, Now: fixedNow, DuplicateRate: 0.1})
	bodies := map[string][]byte{}
	dups := 0
	for range n {
		_, id, body, _ := g.Next()
		if prev, ok := bodies[id]; ok {
			dups++
			if !bytes.Equal(prev, body) {
				t.Fatalf("duplicate %s has another body:\n%s\n%s", id, prev, body)
			}
			continue
		}
		bodies[id] = body
	}
	if dups < n/20 || dups > n/5 {
		t.Errorf("%d duplicates in %d events, want about 10%%", dups, n)
	}
}

func TestGeneratorInvalidEventsFailValidation(t *testing.T) {
	const n = 3000
	g := NewGenerator(Options{Seed: 3, Now: fixedNow, InvalidRate: 0.2, DuplicateRate: -1})
	invalid := 0
	reasons := map[string]int{}
	for i := range n {
		_, _, body, valid := g.Next()
		decode(t, body) // still JSON, so a batch of them is a well-formed request
		_, err := event.Parse(body)
		if valid != (err == nil) {
			t.Fatalf("event %d: valid=%v but event.Parse says %v\n%s", i, valid, err, body)
		}
		if !valid {
			invalid++
			var inv *event.Invalid
			if !errors.As(err, &inv) {
				t.Fatalf("event %d: error %v is not *event.Invalid", i, err)
			}
			reasons[inv.Field]++
		}
	}
	if invalid < n/10 || invalid > n*3/10 {
		t.Errorf("%d invalid events of %d, want about 20%%", invalid, n)
	}
	if len(reasons) < len(corruptions) {
		t.Errorf("invalid fields %v: want every kind of corruption", reasons)
	}
}

func BenchmarkGeneratorNext(b *testing.B) {
	g := NewGenerator(Options{Seed: 1, InvalidRate: 0.01})
	b.ReportAllocs()
	var size int
	for b.Loop() {
		_, _, body, _ := g.Next()
		size += len(body)
	}
	b.SetBytes(int64(size / max(b.N, 1)))
}
