package event

// ValidToken reports whether s has minLen..maxLen bytes, each of
// [A-Za-z0-9_-]: the charset of CONTRACT.md for user ids, markets, brands,
// games, providers, game types, device platforms and ASN categories, contest
// ids and provider ids. It is the one check of that rule in the project.
func ValidToken(s string, minLen, maxLen int) bool {
	return validChars(s, minLen, maxLen, false)
}

// ValidEventID reports whether s is an event_id: 1..MaxEventIDLen bytes of
// [A-Za-z0-9._:-].
func ValidEventID(s string) bool {
	return validChars(s, 1, MaxEventIDLen, true)
}

func validChars(s string, minLen, maxLen int, idChars bool) bool {
	if len(s) < minLen || len(s) > maxLen {
		return false
	}
	mask := classToken
	if idChars {
		mask |= classIDExtra
	}
	for i := 0; i < len(s); i++ {
		if charClass[s[i]]&mask == 0 {
			return false
		}
	}
	return true
}

// Classes of a byte in charClass.
const (
	classToken   uint8 = 1 << iota // [A-Za-z0-9_-]
	classIDExtra                   // '.' and ':', also allowed in an event_id
)

// charClass is the class of every byte: one load a byte instead of the
// five range tests (never written after it is built).
var charClass = func() (t [256]uint8) {
	for c := 0; c < 256; c++ {
		switch {
		case c >= 'a' && c <= 'z', c >= 'A' && c <= 'Z', c >= '0' && c <= '9', c == '_', c == '-':
			t[c] = classToken
		case c == '.' || c == ':':
			t[c] = classIDExtra
		}
	}
	return t
}()
