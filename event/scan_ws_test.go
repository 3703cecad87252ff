package event

import (
	"math/rand/v2"
	"testing"
)

// wsSwitch is ws as it was (a four-way switch on every byte): the reference.
func wsSwitch(b []byte, i int) int {
	for i < len(b) {
		switch b[i] {
		case ' ', '\t', '\n', '\r':
			i++
		default:
			return i
		}
	}
	return i
}

// ws stops where the switch did: every byte value after runs of every
// whitespace byte, and random runs of whitespace and near-whitespace bytes.
func TestWSAgrees(t *testing.T) {
	check := func(b []byte, i int) {
		t.Helper()
		s := scanner{b: b, i: i}
		s.ws()
		if want := wsSwitch(b, i); s.i != want {
			t.Fatalf("ws(%q, %d) = %d, want %d", b, i, s.i, want)
		}
	}
	for c := 0; c < 256; c++ {
		for _, pre := range []string{"", " ", "\t", "\n", "\r", " \t\n\r"} {
			b := append([]byte(pre), byte(c), 'x')
			check(b, 0)
			check(b, len(b))
		}
	}
	alphabet := []byte{' ', '\t', '\n', '\r', 0x00, 0x08, 0x0b, 0x0c, 0x1f, '!', '"', '{', 0x80, 0xff}
	rng := rand.New(rand.NewPCG(1, 2))
	for range 20000 {
		b := make([]byte, rng.IntN(12))
		for k := range b {
			b[k] = alphabet[rng.IntN(len(alphabet))]
		}
		check(b, rng.IntN(len(b)+1))
	}
}
