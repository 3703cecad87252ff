package event

import (
	"unicode/utf8"

	"github.com/go-json-experiment/json"
	goccy "github.com/goccy/go-json"
)

// decodeWire decodes raw into w with field names matched exactly
// (CONTRACT.md §1). The exact decoder (go-json-experiment/json) is about
// 2.5× slower than goccy/go-json, which matches names case-insensitively
// and cannot be told not to. Every field name of wireEvent is lower-case
// ASCII, so on an input whose object keys are all free of upper-case ASCII,
// non-ASCII bytes and escapes, a case-insensitive match is an exact one and
// goccy decodes it alike: that input (nearly every real event) takes goccy.
// Anything else — such a key anywhere, invalid UTF-8, or an input goccy
// refuses — is decoded by the exact decoder, whose answer (and error) is the
// one returned.
func decodeWire(raw []byte, w *wireEvent) error {
	if plainKeys(raw) && utf8.Valid(raw) {
		if goccy.Unmarshal(raw, w) == nil {
			return nil
		}
		*w = wireEvent{}
	}
	return json.Unmarshal(raw, w, decodeOpts)
}

// plainKeys reports whether every object key in raw consists of bytes other
// than 'A'-'Z', '\\' and bytes ≥ 0x80, and raw holds no null. It is false
// for input it cannot scan (unterminated strings, unbalanced brackets,
// nesting deeper than 64).
func plainKeys(raw []byte) bool {
	var objects uint64 // bit d: the container at depth d is an object
	depth := 0
	expectKey := false
	for i := 0; i < len(raw); i++ {
		switch raw[i] {
		case '"':
			j := i + 1
			plain := true
			for ; j < len(raw) && raw[j] != '"'; j++ {
				c := raw[j]
				if c == '\\' || c >= 0x80 || (c >= 'A' && c <= 'Z') {
					plain = false
					if c == '\\' {
						j++
					}
				}
			}
			if j >= len(raw) {
				return false
			}
			if expectKey && !plain {
				return false
			}
			expectKey = false
			i = j
		case '{', '[':
			depth++
			if depth >= 64 {
				return false
			}
			if raw[i] == '{' {
				objects |= 1 << depth
				expectKey = true
			} else {
				objects &^= 1 << depth
			}
		case '}', ']':
			depth--
			if depth < 0 { // unbalanced: the exact decoder reports it
				return false
			}
			expectKey = false
		case ',':
			expectKey = depth > 0 && objects&(1<<depth) != 0
		case 'n': // null (outside a string nothing else holds an n): goccy
			// leaves a value given before it as it was, the exact decoder
			// makes it zero ("market":"DE","market":null)
			return false
		}
	}
	return true
}
