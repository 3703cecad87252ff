package board

import (
	"flag"
	"math"
	"math/rand/v2"
	"os"
	"runtime"
	"slices"
	"strconv"
	"strings"
)

// benchSizes returns the board sizes to benchmark: 1M always, 10M when
// RANKSTREAM_BENCH_10M=1 or the -bench pattern names 10M (building 10M
// entries takes a while).
func benchSizes() []int {
	sizes := []int{1_000_000}
	pattern := ""
	if f := flag.Lookup("test.bench"); f != nil {
		pattern = f.Value.String()
	}
	if os.Getenv("RANKSTREAM_BENCH_10M") == "1" || strings.Contains(pattern, "10M") {
		sizes = append(sizes, 10_000_000)
	}
	return sizes
}

// sizeName names a benchmark size: 1M, 10M.
func sizeName(n int) string {
	if n%1_000_000 == 0 {
		return "n=" + strconv.Itoa(n/1_000_000) + "M"
	}
	return "n=" + strconv.Itoa(n)
}

// benchOps is the number of distinct pre-drawn operations; benchmarks cycle
// through them.
const benchOps = 1 << 20

// fixture is a leaderboard workload: n users with realistic ids and skewed
// scores, a stream of score increases of random users and a stream of rank
// lookups of random users. The streams carry the user ids laid out in stream
// order, as ids decoded from incoming messages would be, so that neither the
// board nor the Redis client pays a cache miss to fetch the id.
type fixture struct {
	users  []string // "u_1000000", "u_1000001", ...
	scores []int64  // initial score of each user
	// opIDs and opScores are the first benchOps updates: the user and its
	// new score. Pass p of the stream adds p*passBump to every score, which
	// keeps each user's scores increasing.
	opIDs    []string
	opScores []int64
	passBump int64
	// lookupIDs are the users of rank queries.
	lookupIDs []string
}

// newFixture draws a deterministic workload of n users. Initial scores are
// 1e6*u^4 for uniform u: a long tail of few high scores and many low ones,
// which tie often (about a sixth of the users score below 1000). Increases
// are 1 + 1000*u^3 (mostly small, mean 250).
func newFixture(n int) *fixture {
	rng := rand.New(rand.NewPCG(uint64(n), 42))
	id := func(i int) string { return "u_" + strconv.Itoa(1_000_000+i) }
	f := &fixture{
		users:     make([]string, n),
		scores:    make([]int64, n),
		opIDs:     make([]string, benchOps),
		opScores:  make([]int64, benchOps),
		lookupIDs: make([]string, benchOps),
	}
	f.users = packed(n, id)
	for i := range n {
		f.scores[i] = int64(1e6 * math.Pow(rng.Float64(), 4))
	}
	cur := slices.Clone(f.scores)
	opUsers := make([]int, benchOps)
	for j := range benchOps {
		u := rng.IntN(n)
		opUsers[j] = u
		cur[u] += 1 + int64(1000*math.Pow(rng.Float64(), 3))
		f.opScores[j] = cur[u]
	}
	for u, s := range cur {
		f.passBump = max(f.passBump, s-f.scores[u]+1)
	}
	f.opIDs = packed(benchOps, func(j int) string { return id(opUsers[j]) })
	f.lookupIDs = packed(benchOps, func(int) string { return id(rng.IntN(n)) })
	return f
}

// packed returns the n strings id(0..n-1) sliced out of one string.
func packed(n int, id func(int) string) []string {
	var sb strings.Builder
	ends := make([]int, n)
	for i := range n {
		sb.WriteString(id(i))
		ends[i] = sb.Len()
	}
	all := sb.String()
	out := make([]string, n)
	start := 0
	for i, end := range ends {
		out[i] = all[start:end]
		start = end
	}
	return out
}

// op returns update number seq of the stream: a user and its new score.
func (f *fixture) op(seq int) (user string, score int64) {
	j := seq & (benchOps - 1)
	return f.opIDs[j], f.opScores[j] + int64(seq/benchOps)*f.passBump
}

// heapAlloc returns the live heap after a full collection.
func heapAlloc() uint64 {
	var ms runtime.MemStats
	runtime.GC()
	runtime.GC()
	runtime.ReadMemStats(&ms)
	return ms.HeapAlloc
}
