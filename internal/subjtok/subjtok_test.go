package subjtok

import (
	"strings"
	"testing"
)

func TestRoundTrip(t *testing.T) {
	for _, v := range []string{"", "DE", "g_1-x", "live.casino", "a b", "Köln", "*", ">", "a:b", "~", "~x", "ü.*>", "\x00"} {
		tok := Encode(v)
		if strings.ContainsAny(tok, ". *>:\t\r\n") || tok == "" {
			t.Errorf("Encode(%q) = %q: not a safe token", v, tok)
		}
		got, err := Decode(tok)
		if err != nil || got != v {
			t.Errorf("Decode(Encode(%q)) = %q, %v", v, got, err)
		}
	}
	if Encode("DE") != "DE" || Encode("") != "~" {
		t.Errorf("plain values must stay readable")
	}
}

func TestDistinct(t *testing.T) {
	seen := map[string]string{}
	for _, v := range []string{"", "~", "fg", "~fg", "Zmc", "~Zmc", "a.b", "a b", "a-b"} {
		tok := Encode(v)
		if prev, ok := seen[tok]; ok {
			t.Fatalf("%q and %q both encode to %q", prev, v, tok)
		}
		seen[tok] = v
	}
}

func TestDecodeRejects(t *testing.T) {
	for _, tok := range []string{"", "a.b", "~!!", "~REU"} { // "~REU" is "DE", which Encode keeps plain
		if _, err := Decode(tok); err == nil {
			t.Errorf("Decode(%q) accepted", tok)
		}
	}
}
