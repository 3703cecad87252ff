package contest

import (
	"errors"
	"fmt"
	"math/rand"
	"reflect"
	"testing"
)

func allStandings(u *UserWindow) map[string]Standing {
	out := map[string]Standing{}
	u.Standings(func(d string, st Standing) { out[d] = st })
	return out
}

// A window snapshotted at any point and restored goes on exactly like the
// original, whatever order the events arrive in.
func TestUserWindowCodecRoundTrip(t *testing.T) {
	for _, typ := range []string{TypeSum, TypeBestN, TypeMax} {
		for seed := int64(0); seed < 20; seed++ {
			r := rand.New(rand.NewSource(seed))
			c := stateContest(typ, 3, 2)
			orig := NewUserWindow(c)
			var restored *UserWindow
			cut := r.Intn(40)
			for i := 0; i < 40; i++ {
				cd := Candidate{
					TS:         int64(r.Intn(6)) * 1e9,
					EventID:    fmt.Sprintf("e%02d", i),
					Base:       int64(r.Intn(40)),
					Multiplier: float64(r.Intn(10)) / 3,
					Division:   []string{"", "DE"}[r.Intn(2)],
					Day:        int64(r.Intn(2)),
				}
				orig.Add(cd)
				if restored != nil {
					restored.Add(cd)
				}
				if i == cut {
					data := orig.AppendBinary([]byte("x"))
					u, rest, err := UnmarshalUserWindow(c, append(data[1:], 7))
					if err != nil {
						t.Fatal(err)
					}
					if len(rest) != 1 || rest[0] != 7 {
						t.Fatalf("rest %v", rest)
					}
					if !reflect.DeepEqual(allStandings(u), allStandings(orig)) {
						t.Fatalf("%s seed %d: restored %v, original %v", typ, seed, allStandings(u), allStandings(orig))
					}
					restored = u
				}
			}
			if !reflect.DeepEqual(allStandings(restored), allStandings(orig)) {
				t.Fatalf("%s seed %d: after more events restored %v, original %v", typ, seed, allStandings(restored), allStandings(orig))
			}
		}
	}
}

func TestUnmarshalUserWindowTruncated(t *testing.T) {
	c := stateContest(TypeSum, 0, 0)
	u := NewUserWindow(c)
	u.Add(Candidate{TS: 1, EventID: "a", Base: 3})
	data := u.AppendBinary(nil)
	for i := 0; i < len(data); i++ {
		if _, _, err := UnmarshalUserWindow(c, data[:i]); !errors.Is(err, ErrBadState) {
			t.Fatalf("truncated at %d: err %v", i, err)
		}
	}
}
