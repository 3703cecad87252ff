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

// BenchmarkParseDecoded is Parse through the decoders (the path before the
// scanner, now taken only outside its plain subset): the baseline of
// BenchmarkParse.
func BenchmarkParseDecoded(b *testing.B) {
	raw := []byte(validJSON)
	b.ReportAllocs()
	for b.Loop() {
		if _, err := parseDecoded(raw); err != nil {
			b.Fatal(err)
		}
	}
}
