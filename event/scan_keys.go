package event

import "encoding/binary"

// keyTable holds the names rankstream reads in one object of the event
// (the event itself, game, bet, win, round, device), matched in place: a
// name's first two bytes pick its only candidate (slot), and one masked
// compare of the next 16 input bytes with that name and its closing quote
// decides. A match is exactly that name: the name's bytes are plain ASCII
// and the quote ends the string there, as rawString would have ended it.
// A mismatch is any other name (its first two bytes would have picked it
// otherwise), read by rawString and skipped.
type keyTable struct {
	slot [keySlots]uint8 // by keyHash: index into keys; 0 is a name that never matches
	keys [keysMax]knownKey
	n    int // keys used
}

// knownKey is one name and its closing quote as little-endian words,
// masked to its length.
type knownKey struct {
	w0, w1, m0, m1 uint64
	n              int    // bytes of the name and its closing quote
	field          int    // the name's field number (scanner.seen's bit index)
	name           string // for a name read by rawString (near the input's end)
}

const (
	keySlots = 64
	keysMax  = 16 // names of one table, and the never-matching one
)

// keyHash is the slot of a name by its first two bytes (for a one-byte
// name the second is the closing quote). newKeyTable refuses a collision
// within one table, so any change of the names that needs another hash
// fails at package init, in every test.
func keyHash(w0 uint64) uint8 { return uint8(w0+4*(w0>>8)) & (keySlots - 1) }

// name is one entry of newKeyTable: a name and its field number.
type name struct {
	s     string
	field int
}

func newKeyTable(names ...name) *keyTable {
	t := &keyTable{n: 1}
	t.keys[0].w0 = 1 // w0&m0 (0) never equals 1: keys[0] never matches
	for _, nm := range names {
		var b [16]byte
		k := knownKey{n: len(nm.s) + 1, field: nm.field, name: nm.s}
		if k.n > len(b) || len(nm.s) < 1 {
			panic("event: key table: name length " + nm.s)
		}
		copy(b[:], nm.s+`"`)
		var m [16]byte
		for i := range k.n {
			m[i] = 0xff
		}
		k.w0, k.w1 = binary.LittleEndian.Uint64(b[:8]), binary.LittleEndian.Uint64(b[8:])
		k.m0, k.m1 = binary.LittleEndian.Uint64(m[:8]), binary.LittleEndian.Uint64(m[8:])
		h := keyHash(k.w0)
		if t.slot[h] != 0 || t.n == keysMax {
			panic("event: key table: hash collision or too many names at " + nm.s)
		}
		t.slot[h] = uint8(t.n)
		t.keys[t.n] = k
		t.n++
	}
	return t
}

var (
	topKeys = newKeyTable(name{"event_id", iEventID}, name{"ts", iTS}, name{"type", iType},
		name{"user_id", iUserID}, name{"market", iMarket}, name{"brand", iBrand}, name{"game", iGame},
		name{"bet", iBet}, name{"win", iWin}, name{"round", iRound}, name{"funds", iFunds},
		name{"device", iDevice}, name{"trace_id", iTraceID})
	gameKeys   = newKeyTable(name{"id", iGameID}, name{"provider", iGameProvider}, name{"type", iGameType})
	betKeys    = newKeyTable(name{"amount_minor", iBetAmount}, name{"currency", iBetCurrency})
	winKeys    = newKeyTable(name{"amount_minor", iWinAmount}, name{"multiplier", iWinMultiplier})
	roundKeys  = newKeyTable(name{"id", iRoundID}, name{"status", iRoundStatus}, name{"duration_ms", iRoundDuration})
	deviceKeys = newKeyTable(name{"platform", iDevPlatform}, name{"asn", iDevASN}, name{"id", iDevID})
)

// key reads the name of an object member at s.i and returns its field
// number in t, or -1 for a name t does not hold; false when there is no
// string rawString reads.
func (s *scanner) key(t *keyTable) (int, bool) {
	if b := s.b[s.i:]; len(b) >= 17 && b[0] == '"' {
		w0, w1 := binary.LittleEndian.Uint64(b[1:9]), binary.LittleEndian.Uint64(b[9:17])
		k := &t.keys[t.slot[keyHash(w0)]&(keysMax-1)]
		if (w0&k.m0^k.w0)|(w1&k.m1^k.w1) == 0 {
			s.i += 1 + k.n
			return k.field, true
		}
		_, ok := s.rawString()
		return -1, ok // no name of t: its first two bytes would have picked it
	}
	return s.keyNearEnd(t)
}

// keyNearEnd is key for a name too near the input's end for the 16-byte
// compare: read, then compared with each name of t.
func (s *scanner) keyNearEnd(t *keyTable) (int, bool) {
	got, ok := s.rawString()
	if !ok {
		return 0, false
	}
	for _, k := range t.keys[1:t.n] {
		if string(got) == k.name {
			return k.field, true
		}
	}
	return -1, true
}
