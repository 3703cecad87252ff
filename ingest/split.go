package ingest

import (
	"encoding/json"
	"net/http"
)

// splitArray splits a JSON array into its elements, each exactly the bytes
// encoding/json would give as a json.RawMessage, sharing body's storage. One
// pass both checks that the body is valid JSON, with json.Valid's grammar and
// nesting limit (FuzzSplitArray compares the two), and finds the elements:
// json.Valid's byte-at-a-time state machine alone cost more than the split
// (BenchmarkSplitBatch). An invalid body gets encoding/json's own error text.
func splitArray(body []byte) ([]json.RawMessage, *httpError) {
	raws, ok := scanArray(body)
	if !ok {
		var raws []json.RawMessage
		err := json.Unmarshal(body, &raws)
		e := fail(http.StatusBadRequest, "body is not JSON: %v", err)
		e.notJSON = true
		return nil, e
	}
	return raws, nil
}

// maxNestingDepth is encoding/json's: a body nested deeper is not valid.
const maxNestingDepth = 10000

// scanArray reports whether b is one valid JSON value surrounded by
// whitespace only and, when it is an array, returns its elements.
func scanArray(b []byte) (raws []json.RawMessage, ok bool) {
	var stackBuf [32]byte
	stack := stackBuf[:0] // '[' or '{' of each open container
	elem := 0             // where the top-level array's current element started
	i := skipSpace(b, 0)
	for {
		// A value starts at i.
		if i >= len(b) {
			return nil, false
		}
		if len(stack) == 1 && stack[0] == '[' {
			elem = i
		}
		switch c := b[i]; c {
		case '[', '{':
			if len(stack) >= maxNestingDepth {
				return nil, false
			}
			stack = append(stack, c)
			i = skipSpace(b, i+1)
			if i < len(b) && b[i] == c+2 { // ']' is '['+2, '}' is '{'+2
				stack = stack[:len(stack)-1]
				i++
				break // empty: a whole value
			}
			if c == '{' {
				if i = objectKey(b, i); i < 0 {
					return nil, false
				}
			}
			continue // its first value
		case '"':
			i = stringEnd(b, i)
		case 't':
			i = literalEnd(b, i, "true")
		case 'f':
			i = literalEnd(b, i, "false")
		case 'n':
			i = literalEnd(b, i, "null")
		default:
			i = numberEnd(b, i)
		}
		if i < 0 {
			return nil, false
		}
		// A value ended at i: what follows closes containers or starts the
		// next value.
	next:
		for {
			if len(stack) == 1 && stack[0] == '[' {
				raws = append(raws, b[elem:i])
			}
			i = skipSpace(b, i)
			if len(stack) == 0 {
				return raws, i == len(b)
			}
			if i >= len(b) {
				return nil, false
			}
			top := stack[len(stack)-1]
			switch b[i] {
			case ',':
				i = skipSpace(b, i+1)
				if top == '{' {
					if i = objectKey(b, i); i < 0 {
						return nil, false
					}
				}
				break next
			case top + 2:
				stack = stack[:len(stack)-1] // the container is a whole value
				i++
			default:
				return nil, false
			}
		}
	}
}

// objectKey reads `"key" :` and the whitespace after it from i; it returns
// where the member's value starts, or -1.
func objectKey(b []byte, i int) int {
	if i >= len(b) || b[i] != '"' {
		return -1
	}
	if i = stringEnd(b, i); i < 0 {
		return -1
	}
	i = skipSpace(b, i)
	if i >= len(b) || b[i] != ':' {
		return -1
	}
	return skipSpace(b, i+1)
}

// stringEnd is the index after the string starting at b[i] == '"', or -1.
// As encoding/json: any byte from 0x20 up but '"' and '\\' stands for itself
// (invalid UTF-8 too), escapes are \" \\ \/ \b \f \n \r \t and \uXXXX.
func stringEnd(b []byte, i int) int {
	for i++; i < len(b); {
		c := b[i]
		switch {
		case c == '"':
			return i + 1
		case c == '\\':
			if i+1 >= len(b) {
				return -1
			}
			switch b[i+1] {
			case '"', '\\', '/', 'b', 'f', 'n', 'r', 't':
				i += 2
			case 'u':
				if i+6 > len(b) || !isHex(b[i+2]) || !isHex(b[i+3]) || !isHex(b[i+4]) || !isHex(b[i+5]) {
					return -1
				}
				i += 6
			default:
				return -1
			}
		case c < 0x20:
			return -1
		default:
			i++
		}
	}
	return -1
}

func isHex(c byte) bool { return '0' <= c && c <= '9' || 'a' <= c && c <= 'f' || 'A' <= c && c <= 'F' }

func isDigit(c byte) bool { return '0' <= c && c <= '9' }

// numberEnd is the index after the number starting at b[i], or -1:
// -?(0|[1-9][0-9]*)(\.[0-9]+)?([eE][+-]?[0-9]+)?
func numberEnd(b []byte, i int) int {
	if i < len(b) && b[i] == '-' {
		i++
	}
	switch {
	case i >= len(b):
		return -1
	case b[i] == '0':
		i++
	case '1' <= b[i] && b[i] <= '9':
		for i++; i < len(b) && isDigit(b[i]); i++ {
		}
	default:
		return -1
	}
	if i < len(b) && b[i] == '.' {
		i++
		if i >= len(b) || !isDigit(b[i]) {
			return -1
		}
		for i++; i < len(b) && isDigit(b[i]); i++ {
		}
	}
	if i < len(b) && (b[i] == 'e' || b[i] == 'E') {
		i++
		if i < len(b) && (b[i] == '+' || b[i] == '-') {
			i++
		}
		if i >= len(b) || !isDigit(b[i]) {
			return -1
		}
		for i++; i < len(b) && isDigit(b[i]); i++ {
		}
	}
	return i
}

// literalEnd is the index after lit at b[i], or -1.
func literalEnd(b []byte, i int, lit string) int {
	if len(b)-i < len(lit) || string(b[i:i+len(lit)]) != lit {
		return -1
	}
	return i + len(lit)
}

// skipSpace skips JSON's insignificant whitespace from i.
func skipSpace(b []byte, i int) int {
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
