package contest

import (
	"math"
	"strings"
	"sync"
	"testing"

	"github.com/rankstream/rankstream/event"
)

func baseEvent() *event.Event {
	return &event.Event{
		EventID: "e1", Type: "round_end", UserID: "u1",
		Market: "DE", Brand: "X", GameID: "g_7", GameProvider: "PragmaticPlay", GameType: "slot",
		BetMinor: 100, Currency: "EUR", WinMinor: 250, Multiplier: 2.5,
		DurationMS: 1200, HasDuration: true, Funds: "cash", Platform: "ios", ASN: "mno",
	}
}

func scoringContest(t *testing.T, scoring string) *Contest {
	t.Helper()
	return parseSrc(t, "id: p\ntitle: P\nwindow: {start: 2025-10-25T18:00:00Z, end: 2025-10-25T19:00:00Z}\nscoring: "+scoring+"\n")
}

func TestInScope(t *testing.T) {
	c := parseSrc(t, `id: s
title: S
window: {start: 2025-10-25T18:00:00Z, end: 2025-10-25T19:00:00Z}
scoring: {model: wager}
scope: {markets: [DE, SE], brands: [X], providers: [Pragmatic*, Hacksaw], game_types: [slot], games: ["g_?", "vip_[a-c]*"]}
`)
	tests := []struct {
		name string
		mod  func(*event.Event)
		want bool
	}{
		{"all match", func(*event.Event) {}, true},
		{"other market", func(e *event.Event) { e.Market = "FI" }, false},
		{"no market", func(e *event.Event) { e.Market = "" }, false},
		{"second market", func(e *event.Event) { e.Market = "SE" }, true},
		{"glob is case sensitive", func(e *event.Event) { e.Market = "de" }, false},
		{"other brand", func(e *event.Event) { e.Brand = "Y" }, false},
		{"provider glob", func(e *event.Event) { e.GameProvider = "PragmaticPlayLive" }, true},
		{"provider exact", func(e *event.Event) { e.GameProvider = "Hacksaw" }, true},
		{"provider out", func(e *event.Event) { e.GameProvider = "acme" }, false},
		{"game type out", func(e *event.Event) { e.GameType = "live" }, false},
		{"game type missing", func(e *event.Event) { e.GameType = "" }, false},
		{"game ? needs one char", func(e *event.Event) { e.GameID = "g_17" }, false},
		{"game class", func(e *event.Event) { e.GameID = "vip_b_1" }, true},
		{"game class out", func(e *event.Event) { e.GameID = "vip_d_1" }, false},
	}
	for _, tt := range tests {
		ev := baseEvent()
		tt.mod(ev)
		if got := c.InScope(ev); got != tt.want {
			t.Errorf("%s: InScope = %v, want %v", tt.name, got, tt.want)
		}
	}
	open := scoringContest(t, "{model: wager}")
	ev := baseEvent()
	ev.Market, ev.Brand, ev.GameType = "", "", ""
	if !open.InScope(ev) {
		t.Errorf("no scope lists: event out of scope")
	}
	empty := parseSrc(t, "id: e\ntitle: E\nwindow: {start: 2025-10-25T18:00:00Z, end: 2025-10-25T19:00:00Z}\nscoring: {model: wager}\nscope: {markets: [], games: ['*']}\n")
	if !empty.InScope(ev) {
		t.Errorf("empty list / '*' filtered")
	}
}

func TestEligible(t *testing.T) {
	c := parseSrc(t, `id: el
title: E
window: {start: 2025-10-25T18:00:00Z, end: 2025-10-25T19:00:00Z}
eligibility: {event_types: [round_end, spin], min_bet_minor: 50, min_round_duration_ms: 800, exclude_asn: [hosting, proxy]}
scoring: {model: wager, bonus_coefficient: 0.5}
`)
	tests := []struct {
		name string
		mod  func(*event.Event)
		want string
	}{
		{"eligible", func(*event.Event) {}, ""},
		{"spin", func(e *event.Event) { e.Type = "spin" }, ""},
		{"bet type", func(e *event.Event) { e.Type = "bet" }, ReasonIneligible},
		{"bet at minimum", func(e *event.Event) { e.BetMinor = 50 }, ""},
		{"bet below minimum", func(e *event.Event) { e.BetMinor = 49 }, ReasonIneligible},
		{"duration at minimum", func(e *event.Event) { e.DurationMS = 800 }, ""},
		{"duration below", func(e *event.Event) { e.DurationMS = 799 }, ReasonIneligible},
		{"no duration", func(e *event.Event) { e.DurationMS, e.HasDuration = 0, false }, ReasonIneligible},
		{"hosting", func(e *event.Event) { e.ASN = "hosting" }, ReasonIneligible},
		{"proxy", func(e *event.Event) { e.ASN = "proxy" }, ReasonIneligible},
		{"no asn", func(e *event.Event) { e.ASN = "" }, ""},
		{"bonus counts at 0.5", func(e *event.Event) { e.Funds = "bonus" }, ""},
	}
	for _, tt := range tests {
		ev := baseEvent()
		tt.mod(ev)
		if got := c.Eligible(ev); got != tt.want {
			t.Errorf("%s: Eligible = %q, want %q", tt.name, got, tt.want)
		}
	}

	// Omitted lists and limits do not filter; event_types omitted = every type.
	open := scoringContest(t, "{model: wager}")
	for _, typ := range []string{"bet", "win", "spin", "round_end"} {
		ev := baseEvent()
		ev.Type, ev.BetMinor, ev.HasDuration, ev.DurationMS, ev.ASN, ev.Funds = typ, 0, false, 0, "hosting", "bonus"
		if got := open.Eligible(ev); got != "" {
			t.Errorf("open contest, %s: %q", typ, got)
		}
	}

	// A zero minimum duration still needs round.duration_ms.
	zero := parseSrc(t, "id: z\ntitle: Z\nwindow: {start: 2025-10-25T18:00:00Z, end: 2025-10-25T19:00:00Z}\neligibility: {min_round_duration_ms: 0}\nscoring: {model: wager}\n")
	ev := baseEvent()
	ev.HasDuration, ev.DurationMS = false, 0
	if got := zero.Eligible(ev); got != ReasonIneligible {
		t.Errorf("min 0 without duration: %q", got)
	}
	ev.HasDuration = true
	if got := zero.Eligible(ev); got != "" {
		t.Errorf("min 0 with duration 0: %q", got)
	}

	// bonus_coefficient 0 excludes bonus events only.
	nob := scoringContest(t, "{model: wager, bonus_coefficient: 0}")
	ev = baseEvent()
	if got := nob.Eligible(ev); got != "" {
		t.Errorf("cash with coefficient 0: %q", got)
	}
	ev.Funds = "bonus"
	if got := nob.Eligible(ev); got != ReasonBonusExcl {
		t.Errorf("bonus with coefficient 0: %q, want %q", got, ReasonBonusExcl)
	}
	ev.Funds = "" // default cash
	if got := nob.Eligible(ev); got != "" {
		t.Errorf("default funds with coefficient 0: %q", got)
	}
}

// pointsCase is one event (baseEvent changed by mod) scored under scoring.
type pointsCase struct {
	name, scoring string
	mod           func(*event.Event)
	want          int64
}

func setAmounts(bet, win int64, mult float64) func(*event.Event) {
	return func(e *event.Event) { e.BetMinor, e.WinMinor, e.Multiplier = bet, win, mult }
}

func bonusFunds(e *event.Event) { e.Funds = "bonus" }

func both(a, b func(*event.Event)) func(*event.Event) { return func(e *event.Event) { a(e); b(e) } }

// pointsModelCases: the models, caps, rounding, bonus coefficients and clamps.
func pointsModelCases() []pointsCase {
	set, bonus := setAmounts, bonusFunds
	return []pointsCase{
		{"wager", "{model: wager}", set(150, 0, 0), 150},
		{"win_amount", "{model: win_amount}", set(100, 12345, 123.45), 12345},
		{"multiplier_log 1", "{model: multiplier_log}", set(100, 100, 1), 100},
		{"multiplier_log 3", "{model: multiplier_log}", set(100, 300, 3), 200},
		{"multiplier_log 2.5", "{model: multiplier_log}", set(100, 250, 2.5), 181}, // 100·log2(3.5) = 180.7
		{"multiplier_log 0", "{model: multiplier_log}", set(100, 0, 0), 0},
		{"multiplier_log bonus", "{model: multiplier_log, bonus_coefficient: 0.5}", both(set(100, 250, 2.5), bonus), 91}, // 181·0.5 = 90.5
		{"contract formula", `{formula: "min(multiplier, 50) * 100"}`, set(100, 250, 2.5), 250},
		{"contract formula capped", `{formula: "min(multiplier, 50) * 100"}`, set(100, 100000, 1000), 5000},
		{"contract formula cap_per_event", `{formula: "min(multiplier, 50) * 100", cap_per_event: 4000}`, set(100, 100000, 1000), 4000},
		{"cap_per_event not reached", `{formula: "min(multiplier, 50) * 100", cap_per_event: 4000}`, set(100, 250, 2.5), 250},
		{"cap_per_event 0", `{model: wager, cap_per_event: 0}`, set(100, 0, 0), 0},
		{"half up", `{formula: "bet / 4"}`, set(10, 0, 0), 3},              // 2.5
		{"half down negative", `{formula: "-bet / 4"}`, set(10, 0, 0), -3}, // -2.5
		{"below half", `{formula: "bet / 4"}`, set(9, 0, 0), 2},            // 2.25
		{"1.5", `{formula: "bet / 2"}`, set(3, 0, 0), 2},
		{"-1.5", `{formula: "-bet / 2"}`, set(3, 0, 0), -2},
		{"-0.4", `{formula: "-bet / 10"}`, set(4, 0, 0), 0},
		{"negative not capped upward", `{formula: "-bet", cap_per_event: 5}`, set(10, 0, 0), -10},
		{"bonus coefficient rounds after", `{formula: "bet", bonus_coefficient: 0.5}`, both(set(5, 0, 0), bonus), 3},
		{"bonus coefficient negative half", `{formula: "-bet", bonus_coefficient: 0.5}`, both(set(5, 0, 0), bonus), -3},
		{"bonus coefficient for cash ignored", `{formula: "bet", bonus_coefficient: 0.5}`, set(5, 0, 0), 5},
		{"bonus coefficient 2", `{model: wager, bonus_coefficient: 2, cap_per_event: 150}`, both(set(100, 0, 0), bonus), 150},
		{"bonus before cap", `{model: wager, bonus_coefficient: 0.5, cap_per_event: 60}`, both(set(100, 0, 0), bonus), 50},
		{"bonus default 1", `{model: wager}`, both(set(100, 0, 0), bonus), 100},
		{"log(0) is -Inf", `{formula: "log(win)"}`, set(100, 0, 0), 0},
		{"NaN", `{formula: "log(win - bet)"}`, set(100, 0, 0), 0},
		{"Inf", `{formula: "bet / win"}`, set(100, 0, 0), 0},
		{"NaN times bonus", `{formula: "log(win - bet)", bonus_coefficient: 0.5}`, both(set(100, 0, 0), bonus), 0},
		{"huge clamps to 10^15", `{formula: "bet * 1e300"}`, set(100, 0, 0), MaxEventPoints},
		{"huge negative clamps to -10^15", `{formula: "-bet * 1e300"}`, set(100, 0, 0), -MaxEventPoints},
		{"-1e30 clamps", `{formula: "-1e30"}`, set(100, 0, 0), -MaxEventPoints},
		{"10^15 + 0.4 clamps", `{formula: "1e15 + 0.4"}`, set(100, 0, 0), MaxEventPoints},
		{"just below 10^15", `{formula: "1e15 - 1.5"}`, set(100, 0, 0), MaxEventPoints - 1}, // 999999999999998.5 rounds away
		{"+Inf is 0", `{formula: "bet / 0"}`, set(100, 0, 0), 0},
		{"-Inf is 0", `{formula: "-bet / 0"}`, set(100, 0, 0), 0},
		{"NaN of 0/0", `{formula: "0 / (bet - bet)"}`, set(100, 0, 0), 0},
		{"wager exact at 10^15", `{model: wager}`, set(999_999_999_999_999, 0, 0), 999_999_999_999_999},
		{"win_amount exact odd", `{model: win_amount}`, set(1, 999_999_999_999_999, 0), 999_999_999_999_999},
		{"wager bonus exact half", `{model: wager, bonus_coefficient: 0.5}`, both(set(999_999_999_999_999, 0, 0), bonus), 500_000_000_000_000},
		{"win_amount bonus 0.1", `{model: win_amount, bonus_coefficient: 0.1}`, both(set(1, 25, 0), bonus), 3}, // 0.1 is a bit above 1/10: 2.5000…01
		{"wager bonus 3 clamps", `{model: wager, bonus_coefficient: 3}`, both(set(999_999_999_999_999, 0, 0), bonus), MaxEventPoints},
	}
}

// pointsFormulaCases: the formula language's functions and operators.
func pointsFormulaCases() []pointsCase {
	set := setAmounts
	return []pointsCase{
		{"huge capped", `{formula: "bet * 1e300", cap_per_event: 7}`, set(100, 0, 0), 7},
		{"log natural", `{formula: "log(win) * 1000"}`, set(1, 3, 3), 1099},
		{"log2", `{formula: "log2(bet)"}`, set(1024, 0, 0), 10},
		{"abs", `{formula: "abs(win - bet)"}`, set(100, 30, 0.3), 70},
		{"floor", `{formula: "floor(multiplier) * 10"}`, set(100, 250, 2.5), 20},
		{"ceil", `{formula: "ceil(multiplier) * 10"}`, set(100, 250, 2.5), 30},
		{"round half away", `{formula: "round(multiplier) * 10"}`, set(100, 250, 2.5), 30},
		{"round negative half away", `{formula: "round(-multiplier) * 10"}`, set(100, 250, 2.5), -30},
		{"min variadic", `{formula: "min(bet, win, 7, multiplier)"}`, set(100, 250, 2.5), 3},
		{"max variadic", `{formula: "max(bet, win, 7, multiplier)"}`, set(100, 250, 2.5), 250},
		{"int arguments", `{formula: "min(7 % 4, bet) + max(2 * 3, 1)"}`, set(100, 0, 0), 9},
		{"duration_ms", `{formula: "duration_ms / 100"}`, func(e *event.Event) { e.DurationMS = 1250 }, 13},
		{"duration_ms absent is 0", `{formula: "duration_ms + 1"}`, func(e *event.Event) { e.DurationMS, e.HasDuration = 0, false }, 1},
		{"ternary mixed", `{formula: "bet > 50 ? 1 : 2.5"}`, set(10, 0, 0), 3},
		{"let", `{formula: "let m = min(multiplier, 50); m * m"}`, set(100, 250, 2.5), 6},
		{"power", `{formula: "multiplier ** 2"}`, set(100, 300, 3), 9},
	}
}

func TestPoints(t *testing.T) {
	for _, tt := range append(pointsModelCases(), pointsFormulaCases()...) {
		t.Run(tt.name, func(t *testing.T) {
			c := scoringContest(t, tt.scoring)
			ev := baseEvent()
			tt.mod(ev)
			if got := c.Points(ev); got != tt.want {
				t.Errorf("Points = %d, want %d", got, tt.want)
			}
		})
	}
}

func TestPointsHandBuilt(t *testing.T) {
	// A Contest not made by Parse: the formula is compiled on use.
	c := &Contest{Scoring: Scoring{Formula: "min(multiplier, 50) * 100", BonusCoefficient: 1}}
	ev := baseEvent()
	if got := c.Points(ev); got != 250 {
		t.Errorf("Points = %d", got)
	}
	bad := &Contest{Scoring: Scoring{Formula: "nope(", BonusCoefficient: 1}}
	if got := bad.Points(ev); got != 0 {
		t.Errorf("bad formula Points = %d", got)
	}
	if got := (&Contest{}).Points(ev); got != 0 {
		t.Errorf("no rule Points = %d", got)
	}
}

func TestPointsConcurrent(t *testing.T) {
	c := scoringContest(t, `{formula: "min(multiplier, 50) * 100 + floor(bet / 10)", bonus_coefficient: 0.5}`)
	var wg sync.WaitGroup
	for g := 0; g < 8; g++ {
		wg.Add(1)
		go func(g int) {
			defer wg.Done()
			for i := 0; i < 200; i++ {
				ev := baseEvent()
				ev.Multiplier = float64(i % 60)
				ev.BetMinor = int64(i)
				want := math.Min(float64(i%60), 50)*100 + math.Floor(float64(i)/10)
				if g%2 == 1 {
					ev.Funds = "bonus"
					want *= 0.5
				}
				if got := c.Points(ev); got != int64(math.Round(want)) {
					t.Errorf("Points = %d, want %v", got, want)
					return
				}
			}
		}(g)
	}
	wg.Wait()
}

func TestDivision(t *testing.T) {
	ev := baseEvent()
	want := map[string]string{
		"": "", "market": "DE", "brand": "X", "provider": "PragmaticPlay",
		"game_type": "slot", "game": "g_7", "platform": "ios",
	}
	for div, w := range want {
		lb := ""
		if div != "" {
			lb = "\nleaderboard: {divisions: " + div + "}"
		}
		c := parseSrc(t, "id: d\ntitle: D\nwindow: {start: 2025-10-25T18:00:00Z, end: 2025-10-25T19:00:00Z}\nscoring: {model: wager}"+lb+"\n")
		if got := c.Division(ev); got != w {
			t.Errorf("Division(%q) = %q, want %q", div, got, w)
		}
	}
}

func TestCompileFormula(t *testing.T) {
	good := []string{
		"min(multiplier, 50) * 100", "bet", "win / 100", "1", "round(log2(multiplier + 1) * 100)",
		"bet > 0 ? win / bet : 0", "max(0, min(win - bet, 10000))", "ceil(duration_ms / 1000)",
	}
	for _, s := range good {
		if _, err := compileFormula(s); err != nil {
			t.Errorf("%q: %v", s, err)
		}
	}
	bad := map[string]string{
		"":                     "empty",
		"multiplier >= 10":     "bool",
		"'x'":                  "string",
		"[bet, win]":           "expected float64",
		"{a: 1}":               "expected float64",
		"user_id":              "unknown name user_id",
		"len('abc')":           "unknown name len",
		"int(bet)":             "unknown name int",
		"sqrt(bet)":            "unknown name sqrt",
		"min(bet)":             "not enough arguments",
		"abs(bet, win)":        "too many arguments",
		"log()":                "not enough arguments",
		"bet +":                "unexpected token",
		"bet > 0 ? 1 : 'x'":    "must return a number",
		"bet > 0 ? 1 : nil":    "must return a number",
		"bet % 2":              "invalid operation",
		"Bet":                  "unknown name Bet",
		"min(multiplier, 'a')": "cannot use",
	}
	for s, want := range bad {
		_, err := compileFormula(s)
		if err == nil || !strings.Contains(err.Error(), want) {
			t.Errorf("%q: error %v, want it to contain %q", s, err, want)
		}
		if err != nil && strings.Contains(err.Error(), "\n") {
			t.Errorf("%q: multi-line error %q", s, err)
		}
	}
}
