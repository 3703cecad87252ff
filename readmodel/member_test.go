package readmodel

import (
	"bytes"
	"math"
	"math/rand/v2"
	"reflect"
	"slices"
	"testing"
)

func TestMemberRoundTrip(t *testing.T) {
	for _, tc := range []struct {
		key  []int64
		user string
	}{
		{[]int64{0}, "u"},
		{[]int64{-5, 7, math.MaxInt64}, "user_1"},
		{[]int64{math.MinInt64, -1}, ""},
		{[]int64{42}, "ü-ß:\x00odd"},
	} {
		b := EncodeMember(tc.key, tc.user)
		if len(b) != 8*len(tc.key)+len(tc.user) {
			t.Errorf("len %d", len(b))
		}
		key, user := DecodeMember(b, len(tc.key))
		if !reflect.DeepEqual(key, tc.key) || user != tc.user {
			t.Errorf("DecodeMember(EncodeMember(%v, %q)) = %v, %q", tc.key, tc.user, key, user)
		}
		w0, u, ok := decodeString(string(b), len(tc.key))
		if !ok || w0 != tc.key[0] || u != tc.user {
			t.Errorf("decodeString = %d %q %v", w0, u, ok)
		}
	}
	if key, _ := DecodeMember([]byte{1, 2, 3}, 1); key != nil {
		t.Errorf("short member decoded to %v", key)
	}
	if _, _, ok := decodeString("short", 1); ok {
		t.Error("short member decoded")
	}
}

// TestMemberOrder checks that bytewise order of members is the board order:
// key words numerically, then the user id.
func TestMemberOrder(t *testing.T) {
	rng := rand.New(rand.NewPCG(1, 2))
	special := []int64{math.MinInt64, math.MinInt64 + 1, -1 << 32, -1, 0, 1, 1 << 32, math.MaxInt64 - 1, math.MaxInt64}
	word := func() int64 {
		if rng.IntN(3) == 0 {
			return special[rng.IntN(len(special))]
		}
		return rng.Int64N(11) - 5
	}
	type entry struct {
		key  []int64
		user string
	}
	entries := make([]entry, 2000)
	for i := range entries {
		entries[i] = entry{key: []int64{word(), word()}, user: string(rune('a' + rng.IntN(4)))}
		if rng.IntN(2) == 0 {
			entries[i].user += "x"
		}
	}
	byKey := slices.Clone(entries)
	slices.SortStableFunc(byKey, func(a, b entry) int {
		if c := slices.Compare(a.key, b.key); c != 0 {
			return c
		}
		return bytes.Compare([]byte(a.user), []byte(b.user))
	})
	byBytes := slices.Clone(entries)
	slices.SortStableFunc(byBytes, func(a, b entry) int {
		return bytes.Compare(EncodeMember(a.key, a.user), EncodeMember(b.key, b.user))
	})
	for i := range byKey {
		if !reflect.DeepEqual(byKey[i], byBytes[i]) {
			t.Fatalf("position %d: numeric order %v, byte order %v", i, byKey[i], byBytes[i])
		}
	}
}
