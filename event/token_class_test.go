package event

import "testing"

// refChar is the charset rule spelled out (the reference of charClass).
func refChar(c byte, idChars bool) bool {
	switch {
	case c >= 'a' && c <= 'z', c >= 'A' && c <= 'Z', c >= '0' && c <= '9', c == '_', c == '-':
		return true
	case idChars && (c == '.' || c == ':'):
		return true
	}
	return false
}

// Every byte, alone and among valid ones, in tokens and event ids.
func TestValidCharsEveryByte(t *testing.T) {
	for c := 0; c < 256; c++ {
		for _, s := range []string{string([]byte{byte(c)}), "a" + string([]byte{byte(c)}) + "Z9"} {
			if got, want := ValidToken(s, 1, 64), refChar(byte(c), false); got != want {
				t.Fatalf("ValidToken(%q) = %v, want %v", s, got, want)
			}
			if got, want := ValidEventID(s), refChar(byte(c), true); got != want {
				t.Fatalf("ValidEventID(%q) = %v, want %v", s, got, want)
			}
		}
	}
	if ValidToken("", 1, 4) || !ValidToken("", 0, 4) || ValidToken("abcde", 1, 4) {
		t.Fatal("length bounds")
	}
}
