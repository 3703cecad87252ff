package event

import (
	"encoding/binary"
	"math/bits"
	"sync/atomic"
)

// internTable shares the strings of short, low-cardinality tokens (market,
// brand, game ids, currency, device tokens) across events, so decoding an
// event does not allocate them again: a direct-mapped cache of
// internSlots entries, lock-free, safe for concurrent use; a collision only
// costs an allocation. It is the one piece of package state, a cache that
// never changes what Parse returns.
type internTable struct {
	slots [internSlots]atomic.Pointer[internEntry]
}

// internEntry is one interned token, never changed once stored.
type internEntry struct {
	s     string
	w0    uint64 // the first 8 bytes of s, zero-padded (word)
	chars bool   // every byte of s is of [A-Za-z0-9_-] (ValidToken's charset)
}

const (
	internSlots  = 4096
	internMaxLen = MaxGameRefLen // longer values are copied, not interned
)

var tokens internTable

// intern returns b as a string, shared with earlier calls for the same
// bytes, and whether every byte of b is of [A-Za-z0-9_-] (what
// validChars would say of it apart from its length; kept in the entry, so
// a token seen before is not checked again). The slot is found by a hash
// of b's words, not of each byte.
func intern(b []byte) (string, bool) {
	if len(b) == 0 {
		return "", true
	}
	if len(b) > internMaxLen {
		return string(b), tokenChars(b)
	}
	w0 := word(b)
	slot := internSlot(internHash(b, w0))
	if e := slot.Load(); e != nil && e.w0 == w0 && len(e.s) == len(b) && (len(b) <= 8 || e.s[8:] == string(b[8:])) {
		return e.s, e.chars
	}
	e := &internEntry{s: string(b), w0: w0, chars: tokenChars(b)}
	slot.Store(e)
	return e.s, e.chars
}

// internSlot is the slot of a token whose internHash is h.
func internSlot(h uint64) *atomic.Pointer[internEntry] {
	return &tokens.slots[(h*0x9e3779b97f4a7c15)>>(64-internBits)]
}

// internHash is a hash of b's words and its length, whose first word is w0
// (no more for a token of up to 8 bytes).
func internHash(b []byte, w0 uint64) uint64 {
	h := w0 ^ uint64(len(b))<<56
	if len(b) > 8 {
		return hashRest(b, h)
	}
	return h
}

// hashRest folds the words of b after the first into h.
func hashRest(b []byte, h uint64) uint64 {
	for i := 8; i < len(b); i += 8 {
		h = bits.RotateLeft64(h*0x9e3779b97f4a7c15, 29) ^ word(b[i:])
	}
	return h
}

// internBits is log2(internSlots).
const internBits = 12

// word is the first 8 bytes of b as a little-endian word, zero-padded when
// b is shorter. It reads past len(b) only within cap(b) and masks what it
// read there.
func word(b []byte) uint64 {
	switch {
	case len(b) >= 8:
		return binary.LittleEndian.Uint64(b)
	case cap(b) >= 8:
		return binary.LittleEndian.Uint64(b[:8]) & (1<<(8*len(b)) - 1)
	}
	var w uint64
	for i := len(b) - 1; i >= 0; i-- {
		w = w<<8 | uint64(b[i])
	}
	return w
}

// tokenChars reports whether every byte of b is of [A-Za-z0-9_-].
func tokenChars(b []byte) bool {
	for _, c := range b {
		if charClass[c]&classToken == 0 {
			return false
		}
	}
	return true
}
