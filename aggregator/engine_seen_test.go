package aggregator

import (
	"fmt"
	"maps"
	"math/rand"
	"slices"
	"testing"
)

// firstSeen decides and records as the two map operations it replaced
// (a lookup, then the key added to seen and to its ts bucket), through
// random keys with duplicates, ts in and out of order, prunes and
// checkpoint round trips.
func TestFirstSeenAgrees(t *testing.T) {
	for seed := int64(0); seed < 20; seed++ {
		r := rand.New(rand.NewSource(seed))
		ps := newPartState(0)
		refSeen := map[string]struct{}{}
		refByTS := map[int64][]string{}
		now := int64(0)
		for i := 0; i < 5000; i++ {
			now += int64(r.Intn(int(seenBucket / 4)))
			ts := now - r.Int63n(3*seenBucket)
			key := fmt.Sprintf("p:u:e%d", r.Intn(3000))
			_, dup := refSeen[key]
			if !dup {
				refSeen[key] = struct{}{}
				b := floorDivI(ts, seenBucket)
				refByTS[b] = append(refByTS[b], key)
			}
			if got := ps.firstSeen(key, ts); got == dup {
				t.Fatalf("seed %d step %d: firstSeen(%s) %v, duplicate %v", seed, i, key, got, dup)
			}
			switch r.Intn(200) {
			case 0: // prune
				horizon := floorDivI(now-2*seenBucket, seenBucket)
				ps.dropSeen(horizon)
				for b, ids := range refByTS {
					if b < horizon {
						for _, id := range ids {
							delete(refSeen, id)
						}
						delete(refByTS, b)
					}
				}
			case 1: // the checkpoint's form of the buckets, as restored
				byTS := make(map[int64]*seenIDs, len(ps.seenByTS))
				for b, ids := range ps.seenByTS {
					byTS[b] = &seenIDs{ids: slices.Clone(ids.ids)}
				}
				ps.seenByTS, ps.seenCur = byTS, nil
			}
			if !maps.Equal(ps.seen, refSeen) {
				t.Fatalf("seed %d step %d: seen set differs", seed, i)
			}
			if len(ps.seenByTS) != len(refByTS) {
				t.Fatalf("seed %d step %d: %d buckets, want %d", seed, i, len(ps.seenByTS), len(refByTS))
			}
			for b, ids := range refByTS {
				if got := ps.seenByTS[b]; got == nil || !slices.Equal(got.ids, ids) {
					t.Fatalf("seed %d step %d: bucket %d differs", seed, i, b)
				}
			}
		}
	}
}
