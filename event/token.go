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
	for i := 0; i < len(s); i++ {
		c := s[i]
		switch {
		case c >= 'a' && c <= 'z', c >= 'A' && c <= 'Z', c >= '0' && c <= '9', c == '_', c == '-':
		case idChars && (c == '.' || c == ':'):
		default:
			return false
		}
	}
	return true
}
