package aggregator

import "github.com/prometheus/client_golang/prometheus"

// stateMetrics fills the state-size metrics of m.
func (m *Metrics) stateMetrics() {
	m.CheckpointStateBytes = prometheus.NewGauge(prometheus.GaugeOpts{Name: "rankstream_scorer_checkpoint_state_bytes",
		Help: "Bytes of the latest checkpoint of every partition this process wrote, summed."})
	m.CheckpointWriteSeconds = prometheus.NewHistogram(prometheus.HistogramOpts{Name: "rankstream_scorer_checkpoint_write_seconds",
		Help: "Time to put one partition checkpoint into the object store.", Buckets: prometheus.ExponentialBuckets(0.0005, 2, 16)})
	m.ReleasedWindows = prometheus.NewCounter(prometheus.CounterOpts{Name: "rankstream_ranker_released_windows_total",
		Help: "Finished windows whose boards, read-model keys and SCORES standings were released (retention.finished_windows)."})
	m.ScorerState = prometheus.NewGaugeVec(prometheus.GaugeOpts{Name: "rankstream_scorer_state",
		Help: "What the scorers hold: seen_ids (event ids kept for dedup), user_windows, candidates (unfolded or pinned events)."}, []string{"kind"})
}

// stateGauges keeps one worker's share of the state gauges (deltas, so
// several workers add up).
type stateGauges struct {
	seen, windows, cands int
	ckpt                 map[int]int // partition → bytes of its latest checkpoint
}

// report sets the worker's share of the state gauges after a prune.
func (g *stateGauges) report(m *Metrics, e *Engine) {
	seen, windows, cands := e.StateSize()
	m.ScorerState.WithLabelValues("seen_ids").Add(float64(seen - g.seen))
	m.ScorerState.WithLabelValues("user_windows").Add(float64(windows - g.windows))
	m.ScorerState.WithLabelValues("candidates").Add(float64(cands - g.cands))
	g.seen, g.windows, g.cands = seen, windows, cands
}

// written accounts for a partition checkpoint of n bytes.
func (g *stateGauges) written(m *Metrics, p, n int) {
	if g.ckpt == nil {
		g.ckpt = map[int]int{}
	}
	m.CheckpointStateBytes.Add(float64(n - g.ckpt[p]))
	g.ckpt[p] = n
}
