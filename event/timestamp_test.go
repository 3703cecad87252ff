package event

import (
	"fmt"
	"math/rand/v2"
	"testing"
	"time"
)

// parseTSDate, zoneOffsetDigits and digitsLoop are ParseTS as it was (a
// digit loop per field, time.Date then Add of the offset): the reference.
func parseTSDate(s string) (time.Time, error) {
	// 2006-01-02T15:04:05 is 19 bytes; the shortest zone is 1 byte.
	if len(s) < 20 || s[4] != '-' || s[7] != '-' || (s[10] != 'T' && s[10] != 't') || s[13] != ':' || s[16] != ':' {
		return time.Time{}, errTS
	}
	year, ok1 := digitsLoop(s[0:4])
	month, ok2 := digitsLoop(s[5:7])
	day, ok3 := digitsLoop(s[8:10])
	hour, ok4 := digitsLoop(s[11:13])
	minute, ok5 := digitsLoop(s[14:16])
	sec, ok6 := digitsLoop(s[17:19])
	if !(ok1 && ok2 && ok3 && ok4 && ok5 && ok6) || month < 1 || month > 12 || day < 1 ||
		day > daysIn(year, month) || hour > 23 || minute > 59 || sec > 59 {
		return time.Time{}, errTS
	}
	rest := s[19:]
	nsec := 0
	if rest[0] == '.' {
		n := 1
		for n < len(rest) && rest[n] >= '0' && rest[n] <= '9' {
			if n <= 9 {
				nsec = nsec*10 + int(rest[n]-'0')
			}
			n++
		}
		if n == 1 {
			return time.Time{}, errTS
		}
		for d := n; d <= 9; d++ {
			nsec *= 10
		}
		rest = rest[n:]
	}
	offset, ok := zoneOffsetDigits(rest)
	if !ok {
		return time.Time{}, errTS
	}
	t := time.Date(year, time.Month(month), day, hour, minute, sec, nsec, time.UTC)
	return t.Add(-time.Duration(offset) * time.Second), nil
}

// zoneOffset reads "Z", "z" or ±hh:mm (hh ≤ 23, mm ≤ 59) as seconds east of UTC.
func zoneOffsetDigits(z string) (int, bool) {
	if z == "Z" || z == "z" {
		return 0, true
	}
	if len(z) != 6 || (z[0] != '+' && z[0] != '-') || z[3] != ':' {
		return 0, false
	}
	h, ok1 := digitsLoop(z[1:3])
	m, ok2 := digitsLoop(z[4:6])
	if !ok1 || !ok2 || h > 23 || m > 59 {
		return 0, false
	}
	off := h*3600 + m*60
	if z[0] == '-' {
		off = -off
	}
	return off, true
}

func digitsLoop(s string) (int, bool) {
	n := 0
	for i := 0; i < len(s); i++ {
		if s[i] < '0' || s[i] > '9' {
			return 0, false
		}
		n = n*10 + int(s[i]-'0')
	}
	return n, true
}

// randomTS is an RFC 3339-like string with every field drawn around and
// beyond its range (years 0000…9999, months 00…13, days 00…32, 24 h, 60 min
// and s, 0…12 fraction digits, Z/z or an offset up to 24:60), at times
// with one byte replaced.
func randomTS(rng *rand.Rand) string {
	s := fmt.Sprintf("%04d-%02d-%02dT%02d:%02d:%02d", rng.IntN(10000), rng.IntN(14), rng.IntN(33),
		rng.IntN(25), rng.IntN(61), rng.IntN(61))
	if rng.IntN(4) == 0 {
		s = fmt.Sprintf("%04d-%02d-%02dT%02d:%02d:%02d", []int{0, 1, 1600, 1900, 1970, 2000, 2024, 2100, 9999}[rng.IntN(9)],
			1+rng.IntN(12), 28+rng.IntN(4), rng.IntN(24), rng.IntN(60), rng.IntN(60))
	}
	if n := rng.IntN(14) - 1; n >= 0 {
		s += "."
		for range n {
			s += string(rune('0' + rng.IntN(10)))
		}
	}
	switch rng.IntN(4) {
	case 0:
		s += "Z"
	case 1:
		s += "z"
	default:
		s += fmt.Sprintf("%c%02d:%02d", "+-"[rng.IntN(2)], rng.IntN(25), rng.IntN(61))
	}
	if rng.IntN(5) == 0 {
		b := []byte(s)
		b[rng.IntN(len(b))] = "0123456789:-.+Tt Zz/\x00\xff"[rng.IntN(22)]
		s = string(b)
	}
	return s
}

// ParseTS returns the same Time value (==: wall, ext and location) and the
// same acceptance as the time.Date path, on random strings.
func TestParseTSAgreesWithDate(t *testing.T) {
	rng := rand.New(rand.NewPCG(3, 4))
	accepted := 0
	for range 300000 {
		s := randomTS(rng)
		got, err := ParseTS(s)
		want, werr := parseTSDate(s)
		if (err == nil) != (werr == nil) || got != want {
			t.Fatalf("ParseTS(%q) = %#v, %v; time.Date path %#v, %v", s, got, err, want, werr)
		}
		if err == nil {
			accepted++
		}
	}
	if accepted < 50000 {
		t.Fatalf("only %d accepted: the generator misses the valid cases", accepted)
	}
}
