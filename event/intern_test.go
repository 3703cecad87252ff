package event

import (
	"math/rand/v2"
	"testing"
)

// TestInternAgrees: intern returns the bytes it is given and whether they
// are all of the token charset, for tokens of every length up to past
// internMaxLen, read at every offset of a buffer (so the word loads meet
// every cap, ends of buffers included), with the table shared by equal
// and colliding tokens.
func TestInternAgrees(t *testing.T) {
	rng := rand.New(rand.NewPCG(1, 2))
	alphabet := []byte("abcXYZ019_-.:é\"\\ \x00\x7f")
	for round := range 20000 {
		n := rng.IntN(internMaxLen + 3)
		if round%2 == 0 {
			n = rng.IntN(9) // short tokens: the word masks
		}
		buf := make([]byte, n+rng.IntN(10))
		for i := range buf {
			buf[i] = alphabet[rng.IntN(len(alphabet))]
			if round%3 != 0 { // mostly tokens of the charset, so that some repeat
				buf[i] = alphabet[rng.IntN(9)]
			}
		}
		at := rng.IntN(len(buf) - n + 1)
		b := buf[at : at+n]
		got, chars := intern(b)
		if got != string(b) || chars != ValidToken(string(b), 0, len(b)) {
			t.Fatalf("intern(%q) = %q, %v; want chars %v", b, got, chars, ValidToken(string(b), 0, len(b)))
		}
		if len(b) > 0 {
			b[0] ^= 1 // the table's entry is its own: changing the input changes nothing
			if got == string(b) {
				t.Fatalf("intern(%q) shares the caller's bytes", b)
			}
		}
	}
}

// A slot holding another token with the same first word (a prefix padded
// with zero bytes, or a longer token) is not taken for b: a collision, as
// two tokens of one slot are.
func TestInternTellsCollisionsApart(t *testing.T) {
	for _, pair := range [][2]string{{"DE", "DE\x00"}, {"DE\x00", "DE"}, {"abcdefgh", "abcdefghX"}, {"abcdefghX", "abcdefghY"}, {"\x00", "\x00\x00"}} {
		b, other := []byte(pair[0]), pair[1]
		internSlot(internHash(b, word(b))).Store(&internEntry{s: other, w0: word([]byte(other)), chars: true})
		if got, chars := intern(b); got != pair[0] || chars != ValidToken(pair[0], 0, len(b)) {
			t.Fatalf("intern(%q) = %q, %v with %q in its slot", b, got, chars, other)
		}
	}
}

func TestWord(t *testing.T) {
	buf := []byte("abcdefghij")
	for n := 0; n <= 8; n++ {
		for at := 0; at+n <= len(buf); at++ {
			var want uint64
			for i := n - 1; i >= 0; i-- {
				want = want<<8 | uint64(buf[at+i])
			}
			full, exact := buf[at:at+n], buf[at:at+n:at+n]
			if got := word(full); got != want {
				t.Fatalf("word(%q, cap %d) = %#x, want %#x", full, cap(full), got, want)
			}
			if got := word(exact); got != want {
				t.Fatalf("word(%q, cap %d) = %#x, want %#x", exact, cap(exact), got, want)
			}
		}
	}
}
