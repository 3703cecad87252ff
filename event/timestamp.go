package event

import (
	"errors"
	"time"
)

var errTS = errors.New("not an RFC 3339 timestamp")

// ParseTS parses an RFC 3339 date-time exactly (CONTRACT.md §1):
// YYYY-MM-DD, 'T' or 't', hh:mm:ss, an optional fraction of one or more
// digits after '.', then 'Z', 'z' or an offset ±hh:mm with hh ≤ 23 and
// mm ≤ 59. Days are checked against the month (leap years included). A leap
// second (:60) is refused: Go's time cannot hold it. Digits of the fraction
// beyond nanoseconds are dropped. The result is in UTC.
func ParseTS(s string) (time.Time, error) {
	// 2006-01-02T15:04:05 is 19 bytes; the shortest zone is 1 byte.
	if len(s) < 20 || s[4] != '-' || s[7] != '-' || (s[10] != 'T' && s[10] != 't') || s[13] != ':' || s[16] != ':' {
		return time.Time{}, errTS
	}
	year, ok1 := digits(s[0:4])
	month, ok2 := digits(s[5:7])
	day, ok3 := digits(s[8:10])
	hour, ok4 := digits(s[11:13])
	minute, ok5 := digits(s[14:16])
	sec, ok6 := digits(s[17:19])
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
	offset, ok := zoneOffset(rest)
	if !ok {
		return time.Time{}, errTS
	}
	t := time.Date(year, time.Month(month), day, hour, minute, sec, nsec, time.UTC)
	return t.Add(-time.Duration(offset) * time.Second), nil
}

// zoneOffset reads "Z", "z" or ±hh:mm (hh ≤ 23, mm ≤ 59) as seconds east of UTC.
func zoneOffset(z string) (int, bool) {
	if z == "Z" || z == "z" {
		return 0, true
	}
	if len(z) != 6 || (z[0] != '+' && z[0] != '-') || z[3] != ':' {
		return 0, false
	}
	h, ok1 := digits(z[1:3])
	m, ok2 := digits(z[4:6])
	if !ok1 || !ok2 || h > 23 || m > 59 {
		return 0, false
	}
	off := h*3600 + m*60
	if z[0] == '-' {
		off = -off
	}
	return off, true
}

func digits(s string) (int, bool) {
	n := 0
	for i := 0; i < len(s); i++ {
		if s[i] < '0' || s[i] > '9' {
			return 0, false
		}
		n = n*10 + int(s[i]-'0')
	}
	return n, true
}

func daysIn(year, month int) int {
	switch month {
	case 2:
		if year%4 == 0 && (year%100 != 0 || year%400 == 0) {
			return 29
		}
		return 28
	case 4, 6, 9, 11:
		return 30
	}
	return 31
}
