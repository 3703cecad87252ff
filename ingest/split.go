package ingest

import (
	"encoding/json"
	"net/http"
)

// splitArray splits a JSON array into its elements, each exactly the bytes
// encoding/json would give as a json.RawMessage, sharing body's storage. It
// checks validity once (json.Valid) and then only finds the top-level commas:
// decoding into []json.RawMessage scans the body twice and copies every
// element. An invalid body gets encoding/json's own error text.
func splitArray(body []byte) ([]json.RawMessage, *httpError) {
	if !json.Valid(body) {
		var raws []json.RawMessage
		err := json.Unmarshal(body, &raws)
		e := fail(http.StatusBadRequest, "body is not JSON: %v", err)
		e.notJSON = true
		return nil, e
	}
	var raws []json.RawMessage
	depth, start, inStr := 0, 0, false
	for i := 0; i < len(body); i++ {
		c := body[i]
		if inStr {
			switch c {
			case '\\':
				i++ // the escaped byte cannot end the string
			case '"':
				inStr = false
			}
			continue
		}
		switch c {
		case '"':
			inStr = true
		case '[', '{':
			depth++
			if depth == 1 {
				start = i + 1
			}
		case ']', '}':
			depth--
			if depth == 0 {
				if el := trimJSONSpace(body[start:i]); len(el) > 0 {
					raws = append(raws, el)
				}
				return raws, nil
			}
		case ',':
			if depth == 1 {
				raws = append(raws, trimJSONSpace(body[start:i]))
				start = i + 1
			}
		}
	}
	return raws, nil // not reached for a valid array
}

// trimJSONSpace drops JSON's insignificant whitespace around a value.
func trimJSONSpace(b []byte) json.RawMessage {
	isSpace := func(c byte) bool { return c == ' ' || c == '\t' || c == '\n' || c == '\r' }
	for len(b) > 0 && isSpace(b[0]) {
		b = b[1:]
	}
	for len(b) > 0 && isSpace(b[len(b)-1]) {
		b = b[:len(b)-1]
	}
	return b
}
