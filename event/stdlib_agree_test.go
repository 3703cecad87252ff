package event

import (
	"bytes"
	"encoding/json"
	"errors"
	"fmt"
	"reflect"
	"regexp"
	"strings"
	"testing"
	"unicode/utf8"
)

// The scanner and the decoders are checked against each other
// (FuzzScanAgrees); this checks Parse against a reference of its own built
// on encoding/json's token stream (a third JSON reader, which shares no code
// with either): Parse rejects as bad_json exactly the inputs encoding/json
// finds invalid or not an object, and on every other input reads the same
// fields, so that it accepts the same events (the same Event) and rejects
// the others with the same reason and field. What is read is checked;
// the rules applied to it are flatEvent.validate in both (parse_test's
// cases check those).
//
// The reference applies the contract decoder's rules where encoding/json's
// own decoding differs: names match exactly (encoding/json's struct
// decoding folds case), a name given twice merges objects and the last
// scalar wins, null is the zero value (a required field given null is
// missing), and a known name of the wrong JSON type is invalid_field at its
// path, the first in document order. Inputs that encoding/json reads more
// leniently than RFC 8259 + UTF-8 (invalid UTF-8, escaped lone surrogates,
// which it replaces with U+FFFD) are left out of the bad_json comparison.

// refKind is what the contract decoder reads a known name as.
type refKind int

const (
	refString refKind = iota // a string (required ones: absent when null)
	refRaw                   // any JSON value, kept raw (numbers)
	refObject                // an object of known names
)

type refField struct {
	kind refKind
	bit  uint32 // presence bit of a required string (flatEvent.has), 0 if optional
	str  func(*flatEvent) *string
	raw  func(*flatEvent) *[]byte
	sub  map[string]refField
}

func refStr(bit uint32, p func(*flatEvent) *string) refField {
	return refField{kind: refString, bit: bit, str: p}
}

func refNum(p func(*flatEvent) *[]byte) refField { return refField{kind: refRaw, raw: p} }

var refTop = map[string]refField{
	"event_id": refStr(fEventID, func(f *flatEvent) *string { return &f.eventID }),
	"ts":       refStr(fTS, func(f *flatEvent) *string { return &f.ts }),
	"type":     refStr(fType, func(f *flatEvent) *string { return &f.typ }),
	"user_id":  refStr(fUserID, func(f *flatEvent) *string { return &f.userID }),
	"market":   refStr(0, func(f *flatEvent) *string { return &f.market }),
	"brand":    refStr(0, func(f *flatEvent) *string { return &f.brand }),
	"funds":    refStr(fFunds, func(f *flatEvent) *string { return &f.funds }),
	"trace_id": refStr(0, func(f *flatEvent) *string { return &f.traceID }),
	"game": {kind: refObject, sub: map[string]refField{
		"id":       refStr(fGameID, func(f *flatEvent) *string { return &f.gameID }),
		"provider": refStr(fGameProvider, func(f *flatEvent) *string { return &f.gameProvider }),
		"type":     refStr(0, func(f *flatEvent) *string { return &f.gameType }),
	}},
	"bet": {kind: refObject, sub: map[string]refField{
		"amount_minor": refNum(func(f *flatEvent) *[]byte { return (*[]byte)(&f.betAmount) }),
		"currency":     refStr(fBetCurrency, func(f *flatEvent) *string { return &f.currency }),
	}},
	"win": {kind: refObject, sub: map[string]refField{
		"amount_minor": refNum(func(f *flatEvent) *[]byte { return (*[]byte)(&f.winAmount) }),
		"multiplier":   refNum(func(f *flatEvent) *[]byte { return (*[]byte)(&f.winMult) }),
	}},
	"round": {kind: refObject, sub: map[string]refField{
		"id":          refStr(0, func(f *flatEvent) *string { return &f.roundID }),
		"status":      refStr(0, func(f *flatEvent) *string { return &f.roundStatus }),
		"duration_ms": refNum(func(f *flatEvent) *[]byte { return (*[]byte)(&f.roundDur) }),
	}},
	"device": {kind: refObject, sub: map[string]refField{
		"platform": refStr(0, func(f *flatEvent) *string { return &f.devPlatform }),
		"asn":      refStr(0, func(f *flatEvent) *string { return &f.devASN }),
		"id":       refStr(0, func(f *flatEvent) *string { return &f.devID }),
	}},
}

// refReader decodes an event from encoding/json's tokens into a flatEvent.
type refReader struct {
	dec     *json.Decoder
	f       flatEvent
	badPath string // the first known name of a wrong JSON type
}

// object reads the members of an object whose '{' was read.
func (r *refReader) object(schema map[string]refField, path string) error {
	for r.dec.More() {
		tok, err := r.dec.Token()
		if err != nil {
			return err
		}
		name, isName := tok.(string)
		if !isName {
			return fmt.Errorf("token %v where a name goes", tok)
		}
		fd, known := schema[name]
		if !known {
			if err := r.skip(); err != nil {
				return err
			}
			continue
		}
		if err := r.member(fd, path+"."+name); err != nil {
			return err
		}
		if r.badPath != "" { // the decoder stops at the first type error
			return nil
		}
	}
	_, err := r.dec.Token() // '}'
	return err
}

// member reads the value of a known name.
func (r *refReader) member(fd refField, path string) error {
	tok, err := r.dec.Token()
	if err != nil {
		return err
	}
	delim, isDelim := tok.(json.Delim)
	switch fd.kind {
	case refString:
		switch v := tok.(type) {
		case string:
			*fd.str(&r.f) = v
			r.f.has |= fd.bit
			return nil
		case nil:
			*fd.str(&r.f) = ""
			r.f.has &^= fd.bit
			return nil
		}
	case refRaw:
		switch v := tok.(type) {
		case json.Number:
			*fd.raw(&r.f) = []byte(v)
		case string:
			*fd.raw(&r.f) = []byte(`"s"`)
		case bool:
			*fd.raw(&r.f) = []byte("true")
		case nil:
			*fd.raw(&r.f) = nil
		default:
			*fd.raw(&r.f) = []byte(string(delim) + map[json.Delim]string{'{': "}", '[': "]"}[delim])
			return r.rest(delim)
		}
		return nil
	case refObject:
		switch {
		case isDelim && delim == '{':
			return r.object(fd.sub, path)
		case tok == nil: // the zero value: every member of the object
			for _, sub := range fd.sub {
				if sub.kind == refString {
					*sub.str(&r.f) = ""
					r.f.has &^= sub.bit
				} else {
					*sub.raw(&r.f) = nil
				}
			}
			return nil
		}
	}
	if isDelim { // the decoder reads a wrong-typed object or array whole first
		if err := r.rest(delim); err != nil {
			return err
		}
	}
	r.badPath = strings.TrimPrefix(path, ".")
	return nil
}

// skip reads one value.
func (r *refReader) skip() error {
	tok, err := r.dec.Token()
	if err != nil {
		return err
	}
	if d, ok := tok.(json.Delim); ok {
		return r.rest(d)
	}
	return nil
}

// rest reads the rest of an object or array whose opening delim was read.
func (r *refReader) rest(d json.Delim) error {
	for r.dec.More() {
		if d == '{' {
			if _, err := r.dec.Token(); err != nil { // the name
				return err
			}
		}
		if err := r.skip(); err != nil {
			return err
		}
	}
	_, err := r.dec.Token()
	return err
}

// refParse is the reference's answer: bad (not a JSON object), else the
// Event and error that validating what it read gives. As the contract's
// decoder, it stops at the first known name of a wrong JSON type (after
// reading its value, when an object or array), so a syntax error after it
// is not seen (invalid_field, not bad_json).
func refParse(raw []byte) (ev Event, err error, bad bool) {
	trimmed := bytes.TrimLeft(raw, " \t\r\n")
	if len(trimmed) == 0 || trimmed[0] != '{' {
		return Event{}, nil, true
	}
	r := &refReader{dec: json.NewDecoder(bytes.NewReader(trimmed))}
	r.dec.UseNumber()
	if _, err := r.dec.Token(); err != nil { // '{'
		return Event{}, nil, true
	}
	err = r.object(refTop, "")
	if r.badPath != "" {
		return Event{}, &Invalid{Reason: ReasonInvalidField, Field: r.badPath}, false
	}
	if err != nil || !json.Valid(raw) { // a syntax error, or more after the object
		return Event{}, nil, true
	}
	err = r.f.validate(&ev)
	return ev, err, false
}

// lenient: inputs encoding/json reads and the contract's decoder rejects.
var escapedSurrogate = regexp.MustCompile(`\\u[dD][89abcdefABCDEF]`)

func lenient(raw []byte) bool { return !utf8.Valid(raw) || escapedSurrogate.Match(raw) }

func checkAgreesWithStdlib(t *testing.T, raw []byte) {
	t.Helper()
	got, gerr := Parse(raw)
	var inv *Invalid
	if !errors.As(gerr, &inv) && gerr != nil {
		t.Fatalf("Parse(%q): error %v is not an *Invalid", raw, gerr)
	}
	if lenient(raw) {
		return
	}
	want, werr, bad := refParse(raw)
	if bad {
		if inv == nil || inv.Reason != ReasonBadJSON {
			t.Fatalf("Parse(%q) = %v; encoding/json finds it not a JSON object", raw, gerr)
		}
		return
	}
	if inv != nil && inv.Reason == ReasonBadJSON {
		t.Fatalf("Parse(%q) = %v; encoding/json reads it as an object", raw, gerr)
	}
	var winv *Invalid
	errors.As(werr, &winv)
	switch {
	case (gerr == nil) != (werr == nil):
		t.Fatalf("Parse(%q) = %+v, %v; reference %+v, %v", raw, got, gerr, want, werr)
	case gerr != nil && (inv.Reason != winv.Reason || inv.Field != winv.Field):
		t.Fatalf("Parse(%q) rejects %s %s; reference %s %s", raw, inv.Reason, inv.Field, winv.Reason, winv.Field)
	case gerr == nil && !reflect.DeepEqual(got, want):
		t.Fatalf("Parse(%q) = %+v; reference %+v", raw, got, want)
	}
}

// agreeSeeds: the scanner's seeds and Parse's cases, with names given twice,
// null, wrong types and case variants.
func agreeSeeds() []string {
	seeds := append([]string{}, scanSeeds...)
	for _, c := range append(invalidShapeCases(), invalidAmountCases()...) {
		if c.old == "" {
			seeds = append(seeds, c.new)
		} else {
			seeds = append(seeds, strings.Replace(minimalJSON, c.old, c.new, 1))
		}
	}
	for _, r := range [][2]string{
		{`"bet"`, `"game":null,"bet"`},
		{`"bet"`, `"game":{"type":"live"},"bet"`},
		{`"bet"`, `"bet":{"currency":"USD"},"bet"`},
		{`"type":"spin"`, `"type":"spin","type":null`},
		{`"type":"spin"`, `"market":{"x":[1]},"type":"spin"`},
		{`"type":"spin"`, `"market":"DE","market":null,"type":"spin"`},
		{`"type":"spin"`, `"trace_id":"t","Trace_ID":5,"type":"spin"`},
		{`"bet"`, `"win":{"multiplier":[1,2]},"bet"`},
		{`"bet"`, `"round":{"duration_ms":{"a":1}},"round":{"id":"r"},"bet"`},
		{`"bet"`, `"device":{"platform":"ios","id":"d é"},"bet"`},
	} {
		seeds = append(seeds, strings.Replace(minimalJSON, r[0], r[1], 1))
	}
	return seeds
}

func TestParseAgreesWithStdlibOnSeeds(t *testing.T) {
	for _, s := range agreeSeeds() {
		checkAgreesWithStdlib(t, []byte(s))
	}
}

// FuzzParseAgreesWithStdlib: Parse and the encoding/json reference accept
// and reject the same inputs, with the same fields.
func FuzzParseAgreesWithStdlib(f *testing.F) {
	for _, s := range agreeSeeds() {
		f.Add([]byte(s))
	}
	f.Fuzz(func(t *testing.T, raw []byte) { checkAgreesWithStdlib(t, raw) })
}
