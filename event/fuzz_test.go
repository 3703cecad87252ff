package event

import (
	"errors"
	"reflect"
	"strings"
	"testing"
	"time"
	"unicode/utf8"

	"github.com/go-json-experiment/json"
	goccy "github.com/goccy/go-json"
)

// FuzzParse: Parse never panics, every error is an *Invalid with a reason,
// and an accepted event keeps every rule of CONTRACT.md §1.
func FuzzParse(f *testing.F) {
	f.Add([]byte(validJSON))
	f.Add([]byte(minimalJSON))
	f.Add([]byte(strings.Replace(minimalJSON, `"ts"`, `"TS"`, 1)))
	f.Add([]byte(strings.Replace(minimalJSON, `18:00:00Z`, `18:00:00,5+24:00`, 1)))
	f.Add([]byte(strings.Replace(minimalJSON, `"amount_minor":100`, `"amount_minor":1000000000000001`, 1)))
	f.Fuzz(func(t *testing.T, raw []byte) {
		checkDecodersAgree(t, raw)
		ev, err := Parse(raw)
		if err != nil {
			var inv *Invalid
			if !errors.As(err, &inv) || inv.Reason == "" {
				t.Fatalf("error %v is not an *Invalid with a reason", err)
			}
			return
		}
		switch {
		case !ValidEventID(ev.EventID), !ValidToken(ev.UserID, 1, MaxUserIDLen),
			!ValidToken(ev.GameID, 1, MaxGameRefLen), !ValidToken(ev.GameProvider, 1, MaxGameRefLen),
			!ValidToken(ev.Market, 0, MaxMarketLen), !ValidToken(ev.Brand, 0, MaxMarketLen),
			!ValidToken(ev.GameType, 0, MaxShortLen), !ValidToken(ev.Platform, 0, MaxShortLen),
			!ValidToken(ev.ASN, 0, MaxShortLen), len(ev.DeviceID) > MaxDeviceID:
			t.Fatalf("accepted an event with a bad token: %+v", ev)
		case ev.BetMinor < 0 || ev.BetMinor > MaxAmountMinor || ev.WinMinor < 0 || ev.WinMinor > MaxAmountMinor:
			t.Fatalf("accepted an amount out of range: %+v", ev)
		case ev.Multiplier < 0 || ev.DurationMS < 0, ev.TS.Location() != time.UTC:
			t.Fatalf("accepted a bad value: %+v", ev)
		case ev.Funds != FundsCash && ev.Funds != FundsBonus:
			t.Fatalf("funds %q", ev.Funds)
		}
	})
}

// FuzzParseTS: whatever ParseTS accepts, Go's RFC 3339 parser accepts too
// (after upper-casing T/Z and cutting the fraction to nanoseconds) and reads
// as the same instant.
func FuzzParseTS(f *testing.F) {
	for _, s := range []string{"2025-10-25T18:00:00Z", "2025-10-25t18:00:00.5z", "2025-10-25T18:00:00+23:59", "2025-10-25T18:00:00+24:00", "2025-10-25T18:00:00,5Z"} {
		f.Add(s)
	}
	f.Fuzz(func(t *testing.T, s string) {
		got, err := ParseTS(s)
		if err != nil {
			return
		}
		norm := strings.ToUpper(s[:11]) + s[11:]
		norm = strings.TrimSuffix(norm, "z")
		if len(norm) < len(s) {
			norm += "Z"
		}
		if i := strings.IndexByte(norm, '.'); i > 0 {
			j := i + 1
			for j < len(norm) && norm[j] >= '0' && norm[j] <= '9' {
				j++
			}
			if j-i-1 > 9 {
				norm = norm[:i+10] + norm[j:]
			}
		}
		want, err := time.Parse(time.RFC3339Nano, norm)
		if err != nil || !want.Equal(got) {
			t.Fatalf("ParseTS(%q) = %v; time.Parse(%q) = %v, %v", s, got, norm, want, err)
		}
	})
}

// checkDecodersAgree: where decodeWire takes the fast path (goccy), the exact
// decoder reads the same wire event.
func checkDecodersAgree(t *testing.T, raw []byte) {
	if !plainKeys(raw) || !utf8.Valid(raw) {
		return
	}
	var fast, exact wireEvent
	if goccy.Unmarshal(raw, &fast) != nil {
		return
	}
	if err := json.Unmarshal(raw, &exact, decodeOpts); err != nil {
		t.Fatalf("goccy decodes %q, the exact decoder fails: %v", raw, err)
	}
	if !reflect.DeepEqual(fast, exact) {
		t.Fatalf("decoders differ on %q:\n goccy %+v\n exact %+v", raw, fast, exact)
	}
}
