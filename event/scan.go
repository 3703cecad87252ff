package event

import (
	"encoding/binary"
	"math/bits"

	"github.com/go-json-experiment/json/jsontext"
)

// scanWire is the allocation-light fast path of Parse: a scanner for the
// plain subset of JSON that providers send (ASCII, no escapes in the fields
// rankstream reads, each known name once per object). It fills f as flatten
// fills it from what the decoders of decodeWire read, with the strings
// rankstream keeps as their own small allocations (event_id, user_id, round, device.id, trace_id) or
// interned (the short tokens of intern.go), and the rest (ts, numbers)
// read in place without a copy.
//
// It returns false, with f in an undefined state, whenever the input is
// outside that subset — invalid JSON, null, a wrong JSON type, a duplicate
// known name, an escape or non-ASCII byte where it matters, nesting deeper
// than maxSkipDepth — and the caller then decodes with decodeWire, whose
// answer (and error) is the one returned. FuzzScanAgrees checks that where
// scanWire answers, decodeWire reads the same wire event.
//
// With view, event_id and user_id are views of raw instead (ParseView).
func scanWire(raw []byte, f *flatEvent, view bool) bool {
	s := scanner{b: raw, view: view}
	if !s.object(topKeys, f, 0) {
		return false
	}
	s.ws()
	f.has = s.seen & presentBits // a known name read is a string read
	f.chars = s.chars
	return s.i == len(s.b)
}

// maxSkipDepth bounds the nesting of unknown values the scanner skips.
const maxSkipDepth = 32

type scanner struct {
	b    []byte
	i    int
	seen uint32 // known names already read (duplicate check)
	// chars: the tokens read whose bytes are all of [A-Za-z0-9_-] (their
	// f… bits; flatEvent.chars)
	chars uint32
	view  bool // ownStr reads views (ParseView)
}

// Field numbers of the known names (keyTable), and their bits in
// scanner.seen.
const (
	iEventID = iota
	iTS
	iType
	iUserID
	iMarket
	iBrand
	iGame
	iBet
	iWin
	iRound
	iFunds
	iDevice
	iTraceID
	iGameID
	iGameProvider
	iGameType
	iBetAmount
	iBetCurrency
	iWinAmount
	iWinMultiplier
	iRoundID
	iRoundStatus
	iRoundDuration
	iDevPlatform
	iDevASN
	iDevID
)

const (
	fEventID       = 1 << iEventID
	fTS            = 1 << iTS
	fType          = 1 << iType
	fUserID        = 1 << iUserID
	fMarket        = 1 << iMarket
	fBrand         = 1 << iBrand
	fGame          = 1 << iGame
	fBet           = 1 << iBet
	fWin           = 1 << iWin
	fRound         = 1 << iRound
	fFunds         = 1 << iFunds
	fDevice        = 1 << iDevice
	fTraceID       = 1 << iTraceID
	fGameID        = 1 << iGameID
	fGameProvider  = 1 << iGameProvider
	fGameType      = 1 << iGameType
	fBetAmount     = 1 << iBetAmount
	fBetCurrency   = 1 << iBetCurrency
	fWinAmount     = 1 << iWinAmount
	fWinMultiplier = 1 << iWinMultiplier
	fRoundID       = 1 << iRoundID
	fRoundStatus   = 1 << iRoundStatus
	fRoundDuration = 1 << iRoundDuration
	fDevPlatform   = 1 << iDevPlatform
	fDevASN        = 1 << iDevASN
	fDevID         = 1 << iDevID
)

// once marks bit as seen; false when it was already.
func (s *scanner) once(bit uint32) bool {
	if s.seen&bit != 0 {
		return false
	}
	s.seen |= bit
	return true
}

// value reads the value of the known name of field number n (s at the
// value).
func (s *scanner) value(n int, f *flatEvent) bool {
	switch n {
	case iEventID:
		return s.ownStr(&f.eventID)
	case iTS:
		return s.viewStr(&f.ts)
	case iType:
		return s.enumStr(&f.typ, TypeRoundEnd, TypeBet, TypeWin, TypeSpin)
	case iUserID:
		return s.ownStr(&f.userID)
	case iMarket:
		return s.tokenStr(&f.market, fMarket)
	case iBrand:
		return s.tokenStr(&f.brand, fBrand)
	case iFunds:
		return s.enumStr(&f.funds, FundsCash, FundsBonus)
	case iTraceID:
		return s.plainStr(&f.traceID)
	case iGame:
		return s.object(gameKeys, f, 0)
	case iBet:
		return s.object(betKeys, f, 0)
	case iWin:
		return s.object(winKeys, f, 0)
	case iRound:
		return s.object(roundKeys, f, 0)
	case iDevice:
		return s.object(deviceKeys, f, 0)
	case iGameID:
		return s.tokenStr(&f.gameID, fGameID)
	case iGameProvider:
		return s.tokenStr(&f.gameProvider, fGameProvider)
	case iGameType:
		return s.tokenStr(&f.gameType, fGameType)
	case iBetAmount:
		return s.number(&f.betAmount)
	case iBetCurrency:
		return s.tokenStr(&f.currency, fBetCurrency)
	case iWinAmount:
		return s.number(&f.winAmount)
	case iWinMultiplier:
		return s.number(&f.winMult)
	case iRoundID:
		return s.plainStr(&f.roundID)
	case iRoundStatus:
		return s.plainStr(&f.roundStatus)
	case iRoundDuration:
		return s.number(&f.roundDur)
	case iDevPlatform:
		return s.tokenStr(&f.devPlatform, fDevPlatform)
	case iDevASN:
		return s.tokenStr(&f.devASN, fDevASN)
	case iDevID:
		return s.plainStr(&f.devID)
	}
	return false
}

// ws skips JSON whitespace. Every whitespace byte is at most ' ', so one
// comparison ends the common case (no whitespace: the next byte is a
// quote, a brace, a digit, …); the four-way test is left to the bytes
// below it.
func (s *scanner) ws() {
	for s.i < len(s.b) {
		c := s.b[s.i]
		if c > ' ' || c != ' ' && c != '\t' && c != '\n' && c != '\r' {
			return
		}
		s.i++
	}
}

// object reads {"name": value, …}: the value of each name of t into f,
// every other value skipped at depth (t nil: every value is skipped).
func (s *scanner) object(t *keyTable, f *flatEvent, depth int) bool {
	s.ws()
	if s.i >= len(s.b) || s.b[s.i] != '{' {
		return false
	}
	s.i++
	s.ws()
	if s.i < len(s.b) && s.b[s.i] == '}' {
		s.i++
		return true
	}
	for {
		n, ok := -1, false
		if t != nil {
			n, ok = s.key(t)
		} else {
			_, ok = s.rawString()
		}
		if !ok {
			return false
		}
		if s.i < len(s.b) && s.b[s.i] == ':' {
			s.i++
		} else if !s.eatAfterWS(':') {
			return false
		}
		s.ws()
		if n >= 0 {
			if !s.once(1<<n) || !s.value(n, f) {
				return false
			}
		} else if !s.skip(depth) {
			return false
		}
		if s.i < len(s.b) && s.b[s.i] <= ' ' {
			s.ws()
		}
		if s.i >= len(s.b) {
			return false
		}
		switch s.b[s.i] {
		case ',':
			s.i++
			s.ws()
		case '}':
			s.i++
			return true
		default:
			return false
		}
	}
}

// eatAfterWS consumes c after whitespace: false, with s past the
// whitespace, when the next byte is another. The member loop of object
// tests the byte at s.i itself first (the common case: no whitespace).
func (s *scanner) eatAfterWS(c byte) bool {
	s.ws()
	if s.i < len(s.b) && s.b[s.i] == c {
		s.i++
		return true
	}
	return false
}

// rawString reads a string of printable ASCII without escapes and returns
// its content (a view of the input). It looks at 8 bytes at a time
// (specialBytes) and stops at the first byte that ends the string or makes
// it unreadable here, as a byte-by-byte scan would (rawStringBytes, the
// reference its test compares with).
func (s *scanner) rawString() ([]byte, bool) {
	b := s.b[s.i:]
	if len(b) == 0 || b[0] != '"' {
		return nil, false
	}
	b = b[1:]
	j := 0
	for ; j+8 <= len(b); j += 8 {
		if m := specialBytes(binary.LittleEndian.Uint64(b[j : j+8])); m != 0 {
			return s.stringEnd(b, j+bits.TrailingZeros64(m)/8)
		}
	}
	for ; j < len(b); j++ {
		if c := b[j]; c == '"' || c == '\\' || c < 0x20 || c >= 0x7f {
			return s.stringEnd(b, j)
		}
	}
	return nil, false
}

// stringEnd ends the string whose content starts b (s.i at its opening
// quote) at its first special byte b[j]: a closing quote, or anything else
// (an escape, a control or non-ASCII byte) that the scanner leaves to the
// decoder.
func (s *scanner) stringEnd(b []byte, j int) ([]byte, bool) {
	if b[j] != '"' {
		return nil, false
	}
	s.i += j + 2
	return b[:j], true
}

// Masks of specialBytes: every byte 0x01, 0x7f or 0x80.
const (
	bytes01 = 0x0101010101010101
	bytes7f = 0x7f7f7f7f7f7f7f7f
	bytes80 = 0x8080808080808080
)

// specialBytes has the high bit of each byte of x (8 input bytes, the
// first in the low byte) set that is '"', '\\', below 0x20 or 0x7f and
// above, and no other bit: exact per byte, as no sum carries into the next
// byte.
func specialBytes(x uint64) uint64 {
	low := x & bytes7f
	high := (x | (low + bytes01)) & bytes80 // ≥ 0x7f
	ctl := ^((low + 0x6060606060606060) | x) & bytes80
	return high | ctl | zeroBytes(x^('"'*bytes01)) | zeroBytes(x^('\\'*bytes01))
}

// zeroBytes has the high bit of each zero byte of v set, and no other bit.
func zeroBytes(v uint64) uint64 {
	return ^(((v & bytes7f) + bytes7f) | v) & bytes80
}

// ownStr reads a string into its own allocation (a view of the input with
// s.view).
func (s *scanner) ownStr(dst *string) bool {
	v, ok := s.rawString()
	if ok {
		if s.view {
			*dst = viewString(v)
		} else {
			*dst = string(v)
		}
	}
	return ok
}

// viewStr reads a string that is only parsed, never kept (ts): a view of
// the input, no copy.
func (s *scanner) viewStr(dst *string) bool {
	v, ok := s.rawString()
	if ok {
		*dst = viewString(v)
	}
	return ok
}

// enumStr reads a string; one of the allowed values becomes that constant,
// anything else a view (only quoted in the error validate returns).
func (s *scanner) enumStr(dst *string, allowed ...string) bool {
	v, ok := s.rawString()
	if !ok {
		return false
	}
	*dst = viewString(v)
	for _, a := range allowed {
		if string(v) == a {
			*dst = a
			break
		}
	}
	return true
}

// tokenStr reads a short token (market, brand, types, device tokens),
// interned; bit (its field's) goes into s.chars when every byte is of
// [A-Za-z0-9_-].
func (s *scanner) tokenStr(dst *string, bit uint32) bool {
	v, ok := s.rawString()
	if ok {
		var chars bool
		*dst, chars = intern(v)
		if chars {
			s.chars |= bit
		}
	}
	return ok
}

// plainStr reads a string into its own allocation (kept, high cardinality).
func (s *scanner) plainStr(dst *string) bool {
	v, ok := s.rawString()
	if ok {
		*dst = string(v)
	}
	return ok
}

// number reads a JSON number (RFC 8259 grammar) as a view of the input.
func (s *scanner) number(dst *jsontext.Value) bool {
	start := s.i
	if !s.skipNumber() {
		return false
	}
	*dst = jsontext.Value(s.b[start:s.i:s.i])
	return true
}
