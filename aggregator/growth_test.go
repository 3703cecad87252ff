package aggregator_test

import "testing"

// series is one quantity of a state sample.
type series[S any] struct {
	what string
	f    func(S) int
}

// checkFlat fails when a series' mean over the last third of samples is
// more than 10 % over its mean over the first third (state that keeps
// growing after the horizon); with nonZero also when the first is 0.
func checkFlat[S any](t *testing.T, samples []S, nonZero bool, ss ...series[S]) {
	t.Helper()
	k := len(samples) / 3
	if k == 0 {
		t.Fatalf("%d samples: too few to tell growth", len(samples))
	}
	mean := func(part []S, f func(S) int) float64 {
		var sum float64
		for _, s := range part {
			sum += float64(f(s))
		}
		return sum / float64(len(part))
	}
	for _, m := range ss {
		first, last := mean(samples[:k], m.f), mean(samples[len(samples)-k:], m.f)
		if (nonZero && first == 0) || last > 1.1*first {
			t.Errorf("%s grew after the horizon: mean %.0f, then %.0f", m.what, first, last)
		}
	}
}
