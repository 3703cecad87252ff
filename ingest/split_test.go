package ingest

import (
	"bytes"
	"encoding/json"
	"testing"
)

var splitSeeds = []string{
	`[]`, ` [ ] `, `[{}]`, `[ {"a":1} , {"b":"x,]}"} ]`, "[\n\t{\"a\":[1,2,{\"c\":\"\\\"]\"}]}\r\n,{}]",
	`[1,"two",null,true,[3,[4]],{"k":{"l":[]}}]`, `["\\\\",  "\\"" ]`, `[{"event_id":"e,1","ts":"2026-01-01T00:00:00Z"}]`,
	`[{]`, `[1,]`, `[`, `["unterminated]`, `[{"a":1}]x`, `[{"a":"\u00e9\ud83d\ude00"}]`,
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
