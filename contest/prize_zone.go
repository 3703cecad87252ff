package contest

// PrizeZone says which standings of a live board would win a reward if the
// board were final now (CONTRACT.md §7): the positions a contest's rewards
// block pays. The rewards package builds it from its validated rules
// (rewards.Rules.Zone); the notifier (entered_prize_zone /
// left_prize_zone) and the live page use it. A nil *PrizeZone pays nothing.
type PrizeZone struct {
	// Ranges are the paid positions (ladder: each rule whose share pays
	// more than 0; proportional: 1..places). Empty with AnyPos: every
	// position may pay.
	Ranges []PrizeRange `json:"ranges"`
	// AnyPos: no position limit (proportional without places).
	AnyPos bool `json:"any_pos,omitempty"`
	// MinScore: entries below it win nothing (desc boards).
	MinScore *int64 `json:"min_score,omitempty"`
	// PositiveOnly: only scores > 0 win (proportional).
	PositiveOnly bool   `json:"positive_only,omitempty"`
	Distribution string `json:"distribution"`
	Currency     string `json:"currency"`
	Kind         string `json:"kind"`
}

// PrizeRange pays each position From..To AmountMinor (0 when the amount
// depends on the scores, as with proportional).
type PrizeRange struct {
	From        int   `json:"from"`
	To          int   `json:"to"`
	AmountMinor int64 `json:"amount_minor,omitempty"`
}

// Wins reports whether position pos with score would win a reward.
func (z *PrizeZone) Wins(pos int, score int64) bool {
	if z == nil || pos < 1 {
		return false
	}
	if z.MinScore != nil && score < *z.MinScore {
		return false
	}
	if z.PositiveOnly && score <= 0 {
		return false
	}
	if z.AnyPos {
		return true
	}
	_, ok := z.rangeOf(pos)
	return ok
}

// Prize is the fixed amount position pos wins (ladder); false when it wins
// nothing fixed.
func (z *PrizeZone) Prize(pos int) (int64, bool) {
	if z == nil {
		return 0, false
	}
	r, ok := z.rangeOf(pos)
	if !ok || r.AmountMinor <= 0 {
		return 0, false
	}
	return r.AmountMinor, true
}

// Deepest is the last paid position; 0 with AnyPos or nothing paid.
func (z *PrizeZone) Deepest() int {
	if z == nil || z.AnyPos {
		return 0
	}
	d := 0
	for _, r := range z.Ranges {
		d = max(d, r.To)
	}
	return d
}

func (z *PrizeZone) rangeOf(pos int) (PrizeRange, bool) {
	for _, r := range z.Ranges {
		if pos >= r.From && pos <= r.To {
			return r, true
		}
	}
	return PrizeRange{}, false
}
