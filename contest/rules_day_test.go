package contest

import (
	"math/rand/v2"
	"testing"
	"time"
)

// TestDayUTCAgreesWithCalendar: the UTC day by division is the day of the
// calendar date, for instants around and far from the epoch, whatever
// location the instant is given in.
func TestDayUTCAgreesWithCalendar(t *testing.T) {
	c := &Contest{Location: time.UTC}
	hk, err := time.LoadLocation("Asia/Hong_Kong")
	if err != nil {
		hk = time.FixedZone("X", 8*3600)
	}
	r := rand.New(rand.NewPCG(3, 4))
	for i := range 20_000 {
		sec := r.Int64N(400*365*86400) - 200*365*86400
		if i < 100 {
			sec = int64(i-50) * 43_200 // around the epoch, on and off midnight
		}
		ts := time.Unix(sec, r.Int64N(1e9)).In([]*time.Location{time.UTC, hk, time.Local}[i%3])
		y, m, d := ts.UTC().Date()
		if got, want := c.Day(ts), time.Date(y, m, d, 0, 0, 0, 0, time.UTC).Unix()/86400; got != want {
			t.Fatalf("Day(%s) = %d, want %d", ts, got, want)
		}
	}
}
