package notifier_test

import (
	"fmt"
	"sort"
	"strings"
	"testing"

	"github.com/prometheus/client_golang/prometheus"
	dto "github.com/prometheus/client_model/go"
)

// stageQuantiles reports, from the app's own histograms, where an event's
// time goes on its way to a push: event → SCORES (scored), → ranker board
// (ranked), → every ranker sink written (visible), → live message published
// (push); and how long one tick's write to each sink takes. Quantiles are
// interpolated within the histogram buckets (bucket bounds in
// aggregator/latency.go).
func stageQuantiles(b *testing.B, reg *prometheus.Registry) {
	mfs, err := reg.Gather()
	if err != nil {
		b.Logf("gather: %v", err)
		return
	}
	var lines []string
	for _, mf := range mfs {
		name := mf.GetName()
		short, ok := stageNames[name]
		if !ok {
			continue
		}
		for _, m := range mf.GetMetric() {
			h := m.GetHistogram()
			if h == nil || h.GetSampleCount() == 0 {
				continue
			}
			label := short
			for _, lp := range m.GetLabel() {
				label += "_" + lp.GetValue()
			}
			p50, p99 := histQuantile(h, 0.5)*1000, histQuantile(h, 0.99)*1000
			lines = append(lines, fmt.Sprintf("%s n=%d p50/p99 %.1f/%.1f ms", label, h.GetSampleCount(), p50, p99))
			if strings.HasPrefix(label, "stage_") || label == "push" {
				b.ReportMetric(p99, label+"_p99_ms")
			}
		}
	}
	sort.Strings(lines)
	// One line: a benchmark's log is cut after a few lines.
	b.Logf("stage histograms (whole run, all events): %s", strings.Join(lines, "; "))
}

var stageNames = map[string]string{
	"rankstream_event_latency_seconds":          "stage",
	"rankstream_notifier_event_to_push_seconds": "push",
	"rankstream_ranker_sink_seconds":            "sink",
	"rankstream_ranker_tick_seconds":            "ranker_tick",
	"rankstream_notifier_tick_seconds":          "notifier_tick",
}

// histQuantile is the q-quantile of h, linear within its bucket.
func histQuantile(h *dto.Histogram, q float64) float64 {
	want := q * float64(h.GetSampleCount())
	lo, below := 0.0, uint64(0)
	for _, bk := range h.GetBucket() {
		n, up := bk.GetCumulativeCount(), bk.GetUpperBound()
		if float64(n) >= want {
			if n == below {
				return up
			}
			return lo + (up-lo)*(want-float64(below))/float64(n-below)
		}
		lo, below = up, n
	}
	return lo
}
