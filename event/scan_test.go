package event

import (
	"bytes"
	"reflect"
	"strings"
	"testing"
)

// scanSeeds are inputs at the edges of the scanner's subset.
var scanSeeds = []string{
	validJSON,
	minimalJSON,
	strings.Replace(minimalJSON, `"ts"`, `"TS"`, 1),
	strings.Replace(minimalJSON, `{`, `{"x":[1,-0.5e+3,{"y":null},true,false,"a\n\"b"],`, 1),
	strings.Replace(minimalJSON, `{`, `{"user_id":"dup",`, 1),
	strings.Replace(minimalJSON, `{`, `{"game":{"id":"g0"},`, 1),
	strings.Replace(minimalJSON, `{`, `{"market":null,`, 1),
	strings.Replace(minimalJSON, `{`, `{"market":"D\u0045",`, 1),
	strings.Replace(minimalJSON, `{`, `{"x":"\u00e9",`, 1),
	strings.Replace(minimalJSON, `{`, `{"x":01,`, 1),
	strings.Replace(minimalJSON, `{`, `{"x":1.,`, 1),
	strings.Replace(minimalJSON, `"amount_minor":100`, `"amount_minor":"100"`, 1),
	strings.Replace(minimalJSON, `"amount_minor":100`, `"amount_minor":1e2`, 1),
	strings.Replace(minimalJSON, `"amount_minor":100`, `"amount_minor":-0`, 1),
	strings.Replace(minimalJSON, `"round_end"`, `"Round_end"`, 1),
	minimalJSON + " x",
	// names near the input's end (fewer than 16 bytes after them: matched
	// by keyNearEnd, not in place), known and unknown
	strings.TrimSuffix(minimalJSON, "}") + `,"funds":"bonus"}`,
	strings.TrimSuffix(minimalJSON, "}") + `,"device":{"id":"d1"}}`,
	strings.TrimSuffix(minimalJSON, "}") + `,"round":{"status":"ok"}}`,
	strings.TrimSuffix(minimalJSON, "}") + `,"funds":"bonus","z":0}`,
	strings.Replace(strings.TrimSuffix(minimalJSON, "}"), `"event_id":"e1",`, ``, 1) + `,"z":"v"}`,
	strings.Replace(strings.TrimSuffix(minimalJSON, "}"), `"event_id":"e1",`, ``, 1) + `,"event_id":"e9"}`,
	strings.Replace(minimalJSON, `"currency":"EUR"}`, `"currency":"EUR","zz":"v"}`, 1),
	"{}",
	`{"event_id":"e1"`,
}

// TestScanAgreesOnSeeds runs the agreement check of FuzzScanAgrees on the
// seeds, so plain `go test` covers it.
func TestScanAgreesOnSeeds(t *testing.T) {
	scanned := 0
	for _, s := range scanSeeds {
		if checkScanAgrees(t, []byte(s)) {
			scanned++
		}
	}
	if scanned < 5 {
		t.Fatalf("only %d seeds took the scanner's path", scanned)
	}
	var f flatEvent
	if !scanWire([]byte(validJSON), &f, false) {
		t.Fatal("the typical event does not take the scanner's path")
	}
}

// FuzzScanAgrees: wherever scanWire reads an input, decodeWire reads the
// same wire event, and Parse answers as the decoder path does.
func FuzzScanAgrees(f *testing.F) {
	for _, s := range scanSeeds {
		f.Add([]byte(s))
	}
	f.Fuzz(func(t *testing.T, raw []byte) { checkScanAgrees(t, raw) })
}

// checkScanAgrees reports whether scanWire took raw.
func checkScanAgrees(t *testing.T, raw []byte) bool {
	t.Helper()
	trimmed := bytes.TrimLeft(raw, " \t\r\n")
	if len(trimmed) == 0 || trimmed[0] != '{' {
		return false // refused by Parse before any decoding
	}
	got, gerr := Parse(raw)
	want, werr := parseDecoded(trimmed)
	if (gerr == nil) != (werr == nil) || (gerr != nil && gerr.Error() != werr.Error()) || !reflect.DeepEqual(got, want) {
		t.Fatalf("Parse(%q) = %+v, %v; decoders: %+v, %v", raw, got, gerr, want, werr)
	}
	view, verr := ParseView(raw)
	if (gerr == nil) != (verr == nil) || (gerr != nil && gerr.Error() != verr.Error()) || !reflect.DeepEqual(got, view) {
		t.Fatalf("ParseView(%q) = %+v, %v; Parse: %+v, %v", raw, view, verr, got, gerr)
	}
	var sw flatEvent
	if !scanWire(raw, &sw, false) {
		return false
	}
	var w wireEvent
	if err := decodeWire(raw, &w); err != nil {
		t.Fatalf("scanner reads %q, decoders fail: %v", raw, err)
	}
	var dw flatEvent
	w.flatten(&dw)
	checkKnownChars(t, raw, &sw)
	sw.chars = 0 // the scanner's alone: the decoders' path checks every byte
	if !reflect.DeepEqual(sw, dw) {
		t.Fatalf("scanner and decoders differ on %q:\n scan %+v\n dec  %+v", raw, sw, dw)
	}
	return true
}

// checkKnownChars: every token the scanner says is all of [A-Za-z0-9_-]
// (flatEvent.chars) is.
func checkKnownChars(t *testing.T, raw []byte, f *flatEvent) {
	t.Helper()
	for bit, v := range map[uint32]string{
		fMarket: f.market, fBrand: f.brand, fGameID: f.gameID, fGameProvider: f.gameProvider,
		fGameType: f.gameType, fBetCurrency: f.currency, fDevPlatform: f.devPlatform, fDevASN: f.devASN,
	} {
		if f.known(bit) && !ValidToken(v, 0, len(v)) {
			t.Fatalf("scanner on %q: token %q (bit %#x) known to be of the charset, it is not", raw, v, bit)
		}
	}
	if f.chars&^(fMarket|fBrand|fGameID|fGameProvider|fGameType|fBetCurrency|fDevPlatform|fDevASN) != 0 {
		t.Fatalf("scanner on %q: chars %#x holds a bit of no token", raw, f.chars)
	}
}
