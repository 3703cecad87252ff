package ingest

import (
	"bytes"
	"encoding/json"
	"fmt"
	"io"
	"testing"
	"testing/iotest"
)

var splitSeeds = []string{
	`[]`, ` [ ] `, `[{}]`, `[ {"a":1} , {"b":"x,]}"} ]`, "[\n\t{\"a\":[1,2,{\"c\":\"\\\"]\"}]}\r\n,{}]",
	`[1,"two",null,true,[3,[4]],{"k":{"l":[]}}]`, `["\\\\",  "\\"" ]`, `[{"event_id":"e,1","ts":"2026-01-01T00:00:00Z"}]`,
	`[{]`, `[1,]`, `[`, `["unterminated]`, `[{"a":1}]x`, `[{"a":"\u00e9\ud83d\ude00"}]`,
	// the one-pass validator's edges: numbers, literals, escapes, separators
	`[0,-0,1.5,-2e10,3E+4,5e-6,0.0e0]`, `[01]`, `[-]`, `[1.]`, `[1.e5]`, `[1e]`, `[1e+]`, `[.5]`, `[+1]`, `[-01]`,
	`[true,false,null]`, `[tru]`, `[nul]`, `[truex]`, `[True]`, `["\u12G4"]`, `["\u123"]`, `["\x"]`, "[\"a\x01\"]",
	"[\"\xff\xfe\x7f\"]", `[{"a" : 1 , "b":[ ] ,"c":{ }}]`, `[{"a"}]`, `[{"a":}]`, `[{1:2}]`, `[{"a":1,}]`, `[,1]`,
	`[1 2]`, `[{"a":1}{"b":2}]`, `[[]]]`, `[[[]]`, ` [1] `, "[1]\n", `[1]]`, `[}`, `["\`, `[1`, `[{"a":1`,
}

// checkSplit: splitArray gives exactly the elements, bytes and errors
// encoding/json gives for the same body.
func checkSplit(t *testing.T, body []byte) {
	t.Helper()
	var want []json.RawMessage
	wantErr := json.Unmarshal(body, &want)
	got, herr := splitArray(body)
	if wantErr != nil {
		if herr == nil || !herr.notJSON || herr.msg != "body is not JSON: "+wantErr.Error() {
			t.Fatalf("%q: got %v, want the error %v", body, herr, wantErr)
		}
		return
	}
	if herr != nil {
		t.Fatalf("%q: unexpected error %v", body, herr)
	}
	if len(got) != len(want) {
		t.Fatalf("%q: %d elements, want %d", body, len(got), len(want))
	}
	for i := range want {
		if !bytes.Equal(got[i], want[i]) {
			t.Fatalf("%q: element %d is %q, want %q", body, i, got[i], want[i])
		}
	}
}

func TestSplitArrayMatchesEncodingJSON(t *testing.T) {
	for _, s := range splitSeeds {
		checkSplit(t, []byte(s))
	}
}

// TestSplitArrayNesting: encoding/json's nesting limit (10000) holds.
func TestSplitArrayNesting(t *testing.T) {
	for _, depth := range []int{maxNestingDepth - 1, maxNestingDepth, maxNestingDepth + 1} {
		for _, open := range []string{"[", `[{"a":`} {
			var b bytes.Buffer
			b.WriteString(open)
			for range depth - 1 - len(open)/5 {
				b.WriteByte('[')
			}
			for range depth - 1 - len(open)/5 {
				b.WriteByte(']')
			}
			if open != "[" {
				b.WriteByte('}')
			}
			b.WriteByte(']')
			checkSplit(t, b.Bytes())
		}
	}
}

func FuzzSplitArray(f *testing.F) {
	for _, s := range splitSeeds {
		f.Add([]byte(s))
	}
	f.Fuzz(func(t *testing.T, body []byte) {
		if len(body) == 0 || body[0] != '[' {
			return // splitBatch only hands it arrays
		}
		checkSplit(t, body)
	})
}

// splitBench is a batch of 500 events as loadgen sends them.
func splitBench(testing.TB) []byte {
	var buf bytes.Buffer
	buf.WriteByte('[')
	for i := range 500 {
		if i > 0 {
			buf.WriteByte(',')
		}
		fmt.Fprintf(&buf, `{"event_id":"e-%d","ts":"2026-12-02T00:00:00.123Z","type":"round_end","user_id":"u_%d","game":{"id":"g_1","provider":"acme","type":"slot"},"bet":{"amount_minor":100,"currency":"EUR"},"win":{"amount_minor":%d},"multiplier":2.5}`, i, i%97, i*3)
	}
	buf.WriteByte(']')
	return buf.Bytes()
}

// BenchmarkSplitBatch: the batch split of the HTTP door (one json.Valid,
// then the top-level commas); BenchmarkSplitBatchDecode is what it replaced.
func BenchmarkSplitBatch(b *testing.B) {
	body := splitBench(b)
	b.ReportAllocs()
	for b.Loop() {
		if _, herr := splitArray(body); herr != nil {
			b.Fatal(herr)
		}
	}
}

func BenchmarkSplitBatchDecode(b *testing.B) {
	body := splitBench(b)
	b.ReportAllocs()
	for b.Loop() {
		var raws []json.RawMessage
		if err := json.Unmarshal(body, &raws); err != nil {
			b.Fatal(err)
		}
	}
}

// BenchmarkReadBody: a 500-event batch read into one buffer of its
// Content-Length; BenchmarkReadBodyReadAll is the io.ReadAll it replaced.
func BenchmarkReadBody(b *testing.B) {
	body := splitBench(b)
	b.ReportAllocs()
	for b.Loop() {
		got, err := readBody(bytes.NewReader(body), int64(len(body)))
		if err != nil || len(got) != len(body) {
			b.Fatal(err)
		}
	}
}

func BenchmarkReadBodyReadAll(b *testing.B) {
	body := splitBench(b)
	b.ReportAllocs()
	for b.Loop() {
		got, err := io.ReadAll(io.LimitReader(bytes.NewReader(body), MaxBodyBytes+1))
		if err != nil || len(got) != len(body) {
			b.Fatal(err)
		}
	}
}

// TestReadBody: the same bytes and errors as io.ReadAll of the limited
// body, whatever Content-Length says.
func TestReadBody(t *testing.T) {
	body := splitBench(nil)
	for _, cl := range []int64{-1, 0, 1, int64(len(body)) - 1, int64(len(body)), int64(len(body)) + 1, MaxBodyBytes, MaxBodyBytes + 1} {
		for _, src := range [][]byte{body, body[:10], nil, bytes.Repeat([]byte{'x'}, MaxBodyBytes+10)} {
			want, werr := io.ReadAll(io.LimitReader(iotest.HalfReader(bytes.NewReader(src)), MaxBodyBytes+1))
			got, gerr := readBody(iotest.HalfReader(bytes.NewReader(src)), cl)
			if !bytes.Equal(got, want) || (gerr == nil) != (werr == nil) {
				t.Fatalf("content-length %d, %d bytes: got %d bytes (%v), want %d (%v)", cl, len(src), len(got), gerr, len(want), werr)
			}
		}
	}
	errAt := iotest.TimeoutReader(bytes.NewReader(body)) // fails on its second read
	if _, err := readBody(errAt, int64(len(body))); err == nil {
		t.Fatal("a read error was lost")
	}
}
