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
	if !s.object(func(key []byte) bool { return s.topField(key, f) }) {
		return false
	}
	s.ws()
	f.has = s.seen & presentBits // a known name read is a string read
	return s.i == len(s.b)
}

// maxSkipDepth bounds the nesting of unknown values the scanner skips.
const maxSkipDepth = 32

type scanner struct {
	b    []byte
	i    int
	seen uint32 // known names already read (duplicate check)
	view bool   // ownStr reads views (ParseView)
}

// Bits of scanner.seen, one per known name.
const (
	fEventID = 1 << iota
	fTS
	fType
	fUserID
	fMarket
	fBrand
	fGame
	fBet
	fWin
	fRound
	fFunds
	fDevice
	fTraceID
	fGameID
	fGameProvider
	fGameType
	fBetAmount
	fBetCurrency
	fWinAmount
	fWinMultiplier
	fRoundID
	fRoundStatus
	fRoundDuration
	fDevPlatform
	fDevASN
	fDevID
)

// once marks bit as seen; false when it was already.
func (s *scanner) once(bit uint32) bool {
	if s.seen&bit != 0 {
		return false
	}
	s.seen |= bit
	return true
}

func (s *scanner) topField(key []byte, f *flatEvent) bool {
	switch string(key) {
	case "event_id":
		return s.once(fEventID) && s.ownStr(&f.eventID)
	case "ts":
		return s.once(fTS) && s.viewStr(&f.ts)
	case "type":
		return s.once(fType) && s.enumStr(&f.typ, TypeRoundEnd, TypeBet, TypeWin, TypeSpin)
	case "user_id":
		return s.once(fUserID) && s.ownStr(&f.userID)
	case "market":
		return s.once(fMarket) && s.tokenStr(&f.market)
	case "brand":
		return s.once(fBrand) && s.tokenStr(&f.brand)
	case "funds":
		return s.once(fFunds) && s.enumStr(&f.funds, FundsCash, FundsBonus)
	case "trace_id":
		return s.once(fTraceID) && s.plainStr(&f.traceID)
	case "game":
		return s.once(fGame) && s.object(func(k []byte) bool { return s.gameField(k, f) })
	case "bet":
		return s.once(fBet) && s.object(func(k []byte) bool { return s.betField(k, f) })
	case "win":
		return s.once(fWin) && s.object(func(k []byte) bool { return s.winField(k, f) })
	case "round":
		return s.once(fRound) && s.object(func(k []byte) bool { return s.roundField(k, f) })
	case "device":
		return s.once(fDevice) && s.object(func(k []byte) bool { return s.deviceField(k, f) })
	}
	return s.skip(0)
}

func (s *scanner) gameField(key []byte, f *flatEvent) bool {
	switch string(key) {
	case "id":
		return s.once(fGameID) && s.tokenStr(&f.gameID)
	case "provider":
		return s.once(fGameProvider) && s.tokenStr(&f.gameProvider)
	case "type":
		return s.once(fGameType) && s.tokenStr(&f.gameType)
	}
	return s.skip(0)
}

func (s *scanner) betField(key []byte, f *flatEvent) bool {
	switch string(key) {
	case "amount_minor":
		return s.once(fBetAmount) && s.number(&f.betAmount)
	case "currency":
		return s.once(fBetCurrency) && s.tokenStr(&f.currency)
	}
	return s.skip(0)
}

func (s *scanner) winField(key []byte, f *flatEvent) bool {
	switch string(key) {
	case "amount_minor":
		return s.once(fWinAmount) && s.number(&f.winAmount)
	case "multiplier":
		return s.once(fWinMultiplier) && s.number(&f.winMult)
	}
	return s.skip(0)
}

func (s *scanner) roundField(key []byte, f *flatEvent) bool {
	switch string(key) {
	case "id":
		return s.once(fRoundID) && s.plainStr(&f.roundID)
	case "status":
		return s.once(fRoundStatus) && s.plainStr(&f.roundStatus)
	case "duration_ms":
		return s.once(fRoundDuration) && s.number(&f.roundDur)
	}
	return s.skip(0)
}

func (s *scanner) deviceField(key []byte, f *flatEvent) bool {
	switch string(key) {
	case "platform":
		return s.once(fDevPlatform) && s.tokenStr(&f.devPlatform)
	case "asn":
		return s.once(fDevASN) && s.tokenStr(&f.devASN)
	case "id":
		return s.once(fDevID) && s.plainStr(&f.devID)
	}
	return s.skip(0)
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

// object reads {"key": value, …}, calling field with s positioned at each
// value (after the colon and whitespace); field must consume the value.
func (s *scanner) object(field func(key []byte) bool) bool {
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
		key, ok := s.rawString()
		if !ok {
			return false
		}
		s.ws()
		if s.i >= len(s.b) || s.b[s.i] != ':' {
			return false
		}
		s.i++
		s.ws()
		if !field(key) {
			return false
		}
		s.ws()
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

// rawString reads a string of printable ASCII without escapes and returns
// its content (a view of the input). It looks at 8 bytes at a time
// (specialBytes) and stops at the first byte that ends the string or makes
// it unreadable here, as a byte-by-byte scan would (rawStringBytes, the
// reference its test compares with).
func (s *scanner) rawString() ([]byte, bool) {
	if s.i >= len(s.b) || s.b[s.i] != '"' {
		return nil, false
	}
	start := s.i + 1
	j := start
	for ; j+8 <= len(s.b); j += 8 {
		if m := specialBytes(binary.LittleEndian.Uint64(s.b[j:])); m != 0 {
			j += bits.TrailingZeros64(m) / 8
			return s.stringEnd(start, j)
		}
	}
	for ; j < len(s.b); j++ {
		if c := s.b[j]; c == '"' || c == '\\' || c < 0x20 || c >= 0x7f {
			return s.stringEnd(start, j)
		}
	}
	return nil, false
}

// stringEnd ends the string that started at start at its first special
// byte j: a closing quote, or anything else (an escape, a control or
// non-ASCII byte) that the scanner leaves to the decoder.
func (s *scanner) stringEnd(start, j int) ([]byte, bool) {
	if s.b[j] != '"' {
		return nil, false
	}
	s.i = j + 1
	return s.b[start:j], true
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

// tokenStr reads a short token (market, brand, types, device tokens), interned.
func (s *scanner) tokenStr(dst *string) bool {
	v, ok := s.rawString()
	if ok {
		*dst = intern(v)
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
