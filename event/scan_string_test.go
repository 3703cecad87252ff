package event

import (
	"encoding/binary"
	"math/rand/v2"
	"testing"
)

// rawStringBytes is rawString byte by byte: the reference.
func rawStringBytes(b []byte, i int) (content []byte, next int, ok bool) {
	if i >= len(b) || b[i] != '"' {
		return nil, i, false
	}
	for j := i + 1; j < len(b); j++ {
		switch c := b[j]; {
		case c == '"':
			return b[i+1 : j], j + 1, true
		case c == '\\' || c < 0x20 || c >= 0x7f:
			return nil, i, false
		}
	}
	return nil, i, false
}

func special(c byte) bool { return c == '"' || c == '\\' || c < 0x20 || c >= 0x7f }

// Every byte value at every position of a word, among neighbours of every
// kind: specialBytes marks exactly the special bytes.
func TestSpecialBytesExact(t *testing.T) {
	fills := []byte{'a', 0x00, 0x1f, 0x20, '"', '\\', 0x7e, 0x7f, 0x80, 0xff}
	for _, fill := range fills {
		for pos := 0; pos < 8; pos++ {
			for c := 0; c < 256; c++ {
				var w [8]byte
				for k := range w {
					w[k] = fill
				}
				w[pos] = byte(c)
				got := specialBytes(binary.LittleEndian.Uint64(w[:]))
				for k := range w {
					want := special(w[k])
					if has := got>>(8*k+7)&1 == 1; has != want {
						t.Fatalf("word %x: byte %d (%#x) marked %v, want %v", w, k, w[k], has, want)
					}
				}
				if got&^bytes80 != 0 {
					t.Fatalf("word %x: bits outside the high ones: %x", w, got)
				}
			}
		}
	}
}

// rawString agrees with the byte-by-byte scan on random inputs of every
// length around the 8-byte steps, mostly plain with some special bytes.
func TestRawStringAgrees(t *testing.T) {
	r := rand.New(rand.NewPCG(1, 2))
	alphabet := []byte("abcXYZ019_-:. \"\\\x00\x1f\x7f\x80\xc3\xff")
	for n := 0; n < 200_000; n++ {
		b := make([]byte, 1+r.IntN(40))
		b[0] = '"'
		for k := 1; k < len(b); k++ {
			b[k] = 'a' + byte(r.IntN(26))
			if r.IntN(12) == 0 {
				b[k] = alphabet[r.IntN(len(alphabet))]
			}
		}
		s := scanner{b: b}
		got, ok := s.rawString()
		want, next, wok := rawStringBytes(b, 0)
		if ok != wok || string(got) != string(want) || (ok && s.i != next) || (!ok && s.i != 0) {
			t.Fatalf("%q: got %q %v at %d, want %q %v at %d", b, got, ok, s.i, want, wok, next)
		}
	}
}
