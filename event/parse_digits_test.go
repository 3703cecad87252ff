package event

import (
	"bytes"
	"math"
	"math/rand/v2"
	"strconv"
	"testing"

	"github.com/go-json-experiment/json/jsontext"
)

// slowNonNegInt and slowNonNegFloat are nonNegInt and nonNegFloat without
// the plainDigits fast path: the reference.
func slowNonNegInt(raw jsontext.Value) (int64, bool, bool) {
	kind, ok := rawKind(raw)
	if !ok || kind != "number" || bytes.ContainsAny(raw, ".eE") {
		return 0, ok, false
	}
	n, err := strconv.ParseInt(string(raw), 10, 64)
	return n, true, err == nil && n >= 0
}

func slowNonNegFloat(raw jsontext.Value) (float64, bool, bool) {
	kind, ok := rawKind(raw)
	if !ok || kind != "number" {
		return 0, ok, false
	}
	f, err := strconv.ParseFloat(string(raw), 64)
	return f, true, err == nil && !math.IsInf(f, 0) && !math.IsNaN(f) && f >= 0
}

// The fast path gives what the full checks give, on numbers of every length
// around its 15-digit bound, with leading zeros, signs, fractions and
// exponents.
func TestPlainDigitsAgree(t *testing.T) {
	r := rand.New(rand.NewPCG(3, 4))
	inputs := []string{"0", "00", "007", "1", "-0", "-1", "1.0", "1e3", "999999999999999", "1000000000000000",
		"9007199254740993", "9223372036854775807", "9223372036854775808", "123456789012345678901", "null", `"5"`}
	for n := 0; n < 100_000; n++ {
		b := make([]byte, 1+r.IntN(20))
		for k := range b {
			b[k] = '0' + byte(r.IntN(10))
		}
		if r.IntN(5) == 0 {
			b[r.IntN(len(b))] = "-.eE+x"[r.IntN(6)]
		}
		inputs = append(inputs, string(b))
	}
	for _, in := range inputs {
		raw := jsontext.Value(in)
		n, has, err := nonNegInt(raw, "f")
		wn, present, valid := slowNonNegInt(raw)
		if has != (present && valid) || (err == nil) != (!present || valid) || (has && n != wn) {
			t.Fatalf("nonNegInt(%s) = %d %v %v, want %d (present %v, valid %v)", in, n, has, err, wn, present, valid)
		}
		f, fhas, ferr := nonNegFloat(raw, "f")
		wf, fpresent, fvalid := slowNonNegFloat(raw)
		if fhas != (fpresent && fvalid) || (ferr == nil) != (!fpresent || fvalid) || (fhas && math.Float64bits(f) != math.Float64bits(wf)) {
			t.Fatalf("nonNegFloat(%s) = %v %v %v, want %v (present %v, valid %v)", in, f, fhas, ferr, wf, fpresent, fvalid)
		}
	}
}
