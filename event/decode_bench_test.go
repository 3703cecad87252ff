package event

import (
	"testing"

	"github.com/go-json-experiment/json"
)

// BenchmarkDecodeWire is the decoder Parse uses, on a typical event (plain
// keys: the goccy fast path); BenchmarkDecodeExact is the exact decoder
// alone on the same input, the baseline of the ratio in BENCHMARKS.md.
func BenchmarkDecodeWire(b *testing.B) {
	raw := []byte(validJSON)
	b.ReportAllocs()
	for b.Loop() {
		var w wireEvent
		if err := decodeWire(raw, &w); err != nil {
			b.Fatal(err)
		}
	}
}

func BenchmarkDecodeExact(b *testing.B) {
	raw := []byte(validJSON)
	b.ReportAllocs()
	for b.Loop() {
		var w wireEvent
		if err := json.Unmarshal(raw, &w, decodeOpts); err != nil {
			b.Fatal(err)
		}
	}
}
