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
	hi, ok1 := digits2(s, 0)
	lo, ok2 := digits2(s, 2)
	year := hi*100 + lo
	month, ok3 := digits2(s, 5)
	day, ok4 := digits2(s, 8)
	hour, ok5 := digits2(s, 11)
	minute, ok6 := digits2(s, 14)
	sec, ok7 := digits2(s, 17)
	if !(ok1 && ok2 && ok3 && ok4 && ok5 && ok6 && ok7) || month < 1 || month > 12 || day < 1 ||
		day > daysIn(year, month) || hour > 23 || minute > 59 || sec > 59 {
		return time.Time{}, errTS
	}
	rest := s[19:]
	nsec := 0
	if rest[0] == '.' {
		n := 1
		for n < len(rest) && rest[n]-'0' <= 9 {
			if n <= 9 {
				nsec = nsec*10 + int(rest[n]-'0')
			}
			n++
		}
		if n == 1 {
			return time.Time{}, errTS
		}
		if n < 10 { // fewer than 9 fraction digits
			nsec *= fracScale[n]
		}
		rest = rest[n:]
	}
	offset, ok := zoneOffset(rest)
	if !ok {
		return time.Time{}, errTS
	}
	// What time.Date(…, time.UTC).Add(-offset s) gives, without its
	// normalisation (every field is in range here): the same Time value.
	unix := daysSinceEpoch(year, month, day)*86400 + int64(hour*3600+minute*60+sec-offset)
	return time.Unix(unix, int64(nsec)).UTC(), nil
}

// fracScale[n] is 10^(10-n): what a fraction of n-1 digits (1 ≤ n < 10) is
// multiplied by to be nanoseconds.
var fracScale = [10]int{0, 1e9, 1e8, 1e7, 1e6, 1e5, 1e4, 1e3, 1e2, 1e1}

// daysSinceEpoch is the number of days from 1970-01-01 to the proleptic
// Gregorian date year-month-day (days from civil, H. Hinnant), year 0…9999.
func daysSinceEpoch(year, month, day int) int64 {
	y := int64(year)
	if month <= 2 {
		y--
	}
	era := y
	if era < 0 {
		era -= 399
	}
	era /= 400
	yoe := y - era*400
	m := int64(month)
	mp := (m + 9) % 12 // March = 0
	doy := (153*mp+2)/5 + int64(day) - 1
	doe := yoe*365 + yoe/4 - yoe/100 + doy
	return era*146097 + doe - 719468
}

// zoneOffset reads "Z", "z" or ±hh:mm (hh ≤ 23, mm ≤ 59) as seconds east of UTC.
func zoneOffset(z string) (int, bool) {
	if z == "Z" || z == "z" {
		return 0, true
	}
	if len(z) != 6 || (z[0] != '+' && z[0] != '-') || z[3] != ':' {
		return 0, false
	}
	h, ok1 := digits2(z, 1)
	m, ok2 := digits2(z, 4)
	if !ok1 || !ok2 || h > 23 || m > 59 {
		return 0, false
	}
	off := h*3600 + m*60
	if z[0] == '-' {
		off = -off
	}
	return off, true
}

// digits2 reads the two decimal digits at s[i:i+2] (a byte below '0'
// wraps above 9 in the subtraction).
func digits2(s string, i int) (int, bool) {
	a, b := s[i]-'0', s[i+1]-'0'
	return int(a)*10 + int(b), a <= 9 && b <= 9
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
