package rewards

import (
	"math/big"
	"net/http"

	"github.com/rankstream/rankstream/auth"
	"github.com/rankstream/rankstream/contest"
	"github.com/rankstream/rankstream/internal/httpjson"
)

// PrizeRange is what each position From..To of a ladder board wins.
type PrizeRange struct {
	From        int   `json:"from"`
	To          int   `json:"to"`
	AmountMinor int64 `json:"amount_minor"`
}

// Prizes describes a contest's payout rules for players: the pool of each
// board and, for a ladder, the prize of each position (proportional and
// tickets prizes depend on the final standings).
type Prizes struct {
	Contest      string       `json:"contest"`
	Distribution string       `json:"distribution"`
	Kind         string       `json:"kind"`
	Currency     string       `json:"currency"`
	PoolMinor    int64        `json:"pool_minor"`
	MinScore     *int64       `json:"min_score,omitempty"`
	Places       []PrizeRange `json:"places,omitempty"`
	// Zone is which positions win now (Rules.Zone); null for tickets.
	Zone *contest.PrizeZone `json:"zone"`
}

// PrizesOf returns the prizes of rules r of a contest.
func PrizesOf(contestID string, r *Rules) Prizes {
	p := Prizes{Contest: contestID, Distribution: r.Distribution, Kind: r.Kind, Currency: r.Currency,
		PoolMinor: r.TotalMinor, MinScore: r.MinScore, Zone: r.Zone()}
	for _, lr := range r.Ladder {
		p.Places = append(p.Places, PrizeRange{From: lr.From, To: lr.To,
			AmountMinor: floorMul(big.NewInt(r.TotalMinor), lr.Share.Num(), lr.Share.Denom())})
	}
	return p
}

// prizes answers GET /v1/rewards/prizes/{contest} from the contest in force.
func (a *API) prizes(w http.ResponseWriter, r *http.Request) {
	id := r.PathValue("contest")
	if a.o.Contest == nil {
		auth.WriteError(w, http.StatusNotFound, "unknown contest")
		return
	}
	c := a.o.Contest(id)
	if c == nil {
		auth.WriteError(w, http.StatusNotFound, "unknown contest")
		return
	}
	rules, err := ParseRules(c)
	if err != nil || rules == nil {
		auth.WriteError(w, http.StatusNotFound, "this contest has no rewards")
		return
	}
	httpjson.Write(w, http.StatusOK, PrizesOf(id, rules))
}
