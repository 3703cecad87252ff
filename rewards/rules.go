package rewards

import (
	"fmt"
	"math/big"
	"regexp"
	"sort"
	"strconv"
	"strings"
	"time"

	"gopkg.in/yaml.v3"

	"github.com/rankstream/rankstream/contest"
)

// Distributions.
const (
	Ladder       = "ladder"
	Proportional = "proportional"
	Tickets      = "tickets"
)

// Kinds of what the wallet credits.
const (
	KindCash      = "cash"
	KindBonus     = "bonus"
	KindFreespins = "freespins"
	KindPoints    = "points"
)

var (
	kinds         = []string{KindCash, KindBonus, KindFreespins, KindPoints}
	distributions = []string{Ladder, Proportional, Tickets}
	currencyRE    = regexp.MustCompile(`^[A-Z]{2,8}$`)
	ranksRE       = regexp.MustCompile(`^([1-9][0-9]{0,8})(?:-([1-9][0-9]{0,8}))?$`)
)

// Rules is a contest's validated rewards block (CONTRACT.md §7).
type Rules struct {
	Currency     string
	TotalMinor   int64 // the pool of each board
	Distribution string
	Ladder       []LadderRule
	Proportional ProportionalRule
	Tickets      TicketsRule
	// MinScore, when set, keeps entries below it from winning (desc boards).
	MinScore *int64
	Kind     string
	// Desc is the board order (from the contest's leaderboard).
	Desc          bool
	DisputeWindow time.Duration
	ClaimWindow   time.Duration
	AutoGrant     bool
}

// LadderRule pays positions From..To each floor(total × Share).
type LadderRule struct {
	From, To int
	Share    *big.Rat
}

// ProportionalRule: the first Places entries (0: all) with score > 0 share
// the pool by score, each capped at CapPerPlace (0: no cap).
type ProportionalRule struct {
	Places      int
	CapPerPlace int64
}

// TicketsRule: an entry holds floor(score / PointsPerTicket) tickets; the
// prizes are drawn in order.
type TicketsRule struct {
	PointsPerTicket int64
	Prizes          []Prize
}

// Prize is Count prizes of AmountMinor each.
type Prize struct {
	Count       int
	AmountMinor int64
}

// DefaultClaimWindow applies when claim_window is omitted.
const DefaultClaimWindow = 72 * time.Hour

// ParseRules validates the rewards block of c, reading it from c.Source so
// that every problem carries its file:line. (nil, nil) when the contest has
// no rewards (or an empty block). Errors are contest.LintErrors.
func ParseRules(c *contest.Contest) (*Rules, error) {
	if len(c.Rewards) == 0 {
		return nil, nil
	}
	n := rewardsNode(c.Source)
	if n == nil {
		return nil, fmt.Errorf("rewards: %s: rewards block not found in the contest source", c.File)
	}
	l := &linter{file: c.File}
	r := l.rules(n, c.Leaderboard.Order != "asc")
	if len(l.errs) > 0 {
		sort.SliceStable(l.errs, func(i, j int) bool {
			a, b := l.errs[i], l.errs[j]
			return a.Line < b.Line || (a.Line == b.Line && a.Col < b.Col)
		})
		return nil, l.errs
	}
	return r, nil
}

func (l *linter) rules(n *yaml.Node, desc bool) *Rules {
	r := &Rules{Kind: KindCash, Desc: desc, ClaimWindow: DefaultClaimWindow}
	fs := l.fields(n, "rewards", "pool", "distribution", "ladder", "proportional", "tickets",
		"min_score", "kind", "dispute_window", "claim_window", "auto_grant")
	if fs == nil {
		return r
	}
	if v, ok := fs["pool"]; ok {
		l.pool(v, r)
	} else {
		l.errAt(n, "rewards: missing required field \"pool\"")
	}
	if v, ok := fs["kind"]; ok {
		if s, ok := l.str(v, "rewards.kind"); ok && !contains(kinds, s) {
			l.errAt(v, "rewards.kind: must be one of %s, got %q", strings.Join(kinds, ", "), s)
		} else {
			r.Kind = s
		}
	}
	if v, ok := fs["min_score"]; ok {
		if m, ok := l.integer(v, "rewards.min_score", -1<<63); ok {
			r.MinScore = &m
			if !desc {
				l.errAt(v, "rewards.min_score: only for desc boards (leaderboard.order is asc)")
			}
		}
	}
	if v, ok := fs["dispute_window"]; ok {
		r.DisputeWindow, _ = l.duration(v, "rewards.dispute_window")
	}
	if v, ok := fs["claim_window"]; ok {
		if d, ok := l.duration(v, "rewards.claim_window"); ok {
			if d == 0 {
				l.errAt(v, "rewards.claim_window: must be > 0")
			}
			r.ClaimWindow = d
		}
	}
	if v, ok := fs["auto_grant"]; ok {
		r.AutoGrant, _ = l.boolean(v, "rewards.auto_grant")
	}
	l.distribution(n, fs, r)
	return r
}

func (l *linter) pool(n *yaml.Node, r *Rules) {
	fs := l.fields(n, "rewards.pool", "currency", "total_minor")
	if fs == nil {
		return
	}
	if v, ok := fs["currency"]; ok {
		if s, ok := l.str(v, "rewards.pool.currency"); ok {
			if !currencyRE.MatchString(s) {
				l.errAt(v, "rewards.pool.currency: must be 2..8 of [A-Z], got %q", s)
			}
			r.Currency = s
		}
	} else {
		l.errAt(n, "rewards.pool: missing required field \"currency\"")
	}
	if v, ok := fs["total_minor"]; ok {
		r.TotalMinor, _ = l.integer(v, "rewards.pool.total_minor", 0)
	} else {
		l.errAt(n, "rewards.pool: missing required field \"total_minor\"")
	}
}

// distribution reads the distribution and its own section; a section of
// another distribution is an error.
func (l *linter) distribution(n *yaml.Node, fs map[string]*yaml.Node, r *Rules) {
	v, ok := fs["distribution"]
	if !ok {
		l.errAt(n, "rewards: missing required field \"distribution\"")
		return
	}
	s, ok := l.str(v, "rewards.distribution")
	if !ok {
		return
	}
	if !contains(distributions, s) {
		l.errAt(v, "rewards.distribution: must be one of %s, got %q", strings.Join(distributions, ", "), s)
		return
	}
	r.Distribution = s
	for _, d := range distributions {
		if sec, ok := fs[d]; ok && d != s {
			l.errAt(sec, "rewards.%s: given but distribution is %s", d, s)
		}
	}
	sec, ok := fs[s]
	switch {
	case s == Ladder && ok:
		l.ladder(sec, r)
	case s == Ladder:
		l.errAt(v, "rewards: distribution ladder needs a ladder list")
	case s == Proportional:
		if !r.Desc {
			l.errAt(v, "rewards.distribution: proportional is for desc boards only")
		}
		if ok {
			l.proportional(sec, r)
		}
	case s == Tickets && ok:
		l.tickets(sec, r)
	case s == Tickets:
		l.errAt(v, "rewards: distribution tickets needs a tickets section")
	}
}

func (l *linter) ladder(n *yaml.Node, r *Rules) {
	if n.Kind != yaml.SequenceNode || len(n.Content) == 0 {
		l.errAt(n, "rewards.ladder: must be a non-empty list")
		return
	}
	sum := new(big.Rat)
	for i, item := range n.Content {
		p := fmt.Sprintf("rewards.ladder[%d]", i)
		fs := l.fields(item, p, "ranks", "share")
		if fs == nil {
			continue
		}
		rk, ok1 := fs["ranks"]
		sh, ok2 := fs["share"]
		if !ok1 || !ok2 {
			l.errAt(item, "%s: needs ranks and share", p)
			continue
		}
		from, to, ok := l.ranks(rk, p)
		share, ok3 := l.share(sh, p+".share")
		if !ok || !ok3 {
			continue
		}
		for _, o := range r.Ladder {
			if from <= o.To && o.From <= to {
				l.errAt(rk, "%s.ranks: %q overlaps ranks %d-%d", p, rk.Value, o.From, o.To)
			}
		}
		r.Ladder = append(r.Ladder, LadderRule{From: from, To: to, Share: share})
		sum.Add(sum, new(big.Rat).Mul(share, new(big.Rat).SetInt64(int64(to-from+1))))
	}
	if sum.Cmp(new(big.Rat).SetInt64(1)) > 0 {
		l.errAt(n, "rewards.ladder: shares × positions add up to %s > 1", sum.FloatString(4))
	}
}

func (l *linter) ranks(n *yaml.Node, p string) (int, int, bool) {
	m := ranksRE.FindStringSubmatch(n.Value)
	if n.Kind != yaml.ScalarNode || m == nil {
		l.errAt(n, "%s.ranks: must be \"a\" or \"a-b\" with 1 <= a <= b, got %q", p, n.Value)
		return 0, 0, false
	}
	from, _ := strconv.Atoi(m[1])
	to := from
	if m[2] != "" {
		to, _ = strconv.Atoi(m[2])
	}
	if to < from {
		l.errAt(n, "%s.ranks: %q ends before it starts", p, n.Value)
		return 0, 0, false
	}
	return from, to, true
}

func (l *linter) proportional(n *yaml.Node, r *Rules) {
	fs := l.fields(n, "rewards.proportional", "places", "cap_per_place_minor")
	if fs == nil {
		return
	}
	if v, ok := fs["places"]; ok {
		if p, ok := l.integer(v, "rewards.proportional.places", 1); ok {
			r.Proportional.Places = int(min(p, 1<<31-1))
		}
	}
	if v, ok := fs["cap_per_place_minor"]; ok {
		r.Proportional.CapPerPlace, _ = l.integer(v, "rewards.proportional.cap_per_place_minor", 1)
	}
}

func (l *linter) tickets(n *yaml.Node, r *Rules) {
	fs := l.fields(n, "rewards.tickets", "points_per_ticket", "prizes")
	if fs == nil {
		return
	}
	if v, ok := fs["points_per_ticket"]; ok {
		r.Tickets.PointsPerTicket, _ = l.integer(v, "rewards.tickets.points_per_ticket", 1)
	} else {
		l.errAt(n, "rewards.tickets: missing required field \"points_per_ticket\"")
	}
	v, ok := fs["prizes"]
	if !ok || v.Kind != yaml.SequenceNode || len(v.Content) == 0 {
		l.errAt(n, "rewards.tickets.prizes: must be a non-empty list")
		return
	}
	total := new(big.Int)
	for i, item := range v.Content {
		p := fmt.Sprintf("rewards.tickets.prizes[%d]", i)
		pf := l.fields(item, p, "count", "amount_minor")
		if pf == nil {
			continue
		}
		c, okc := pf["count"]
		a, oka := pf["amount_minor"]
		if !okc || !oka {
			l.errAt(item, "%s: needs count and amount_minor", p)
			continue
		}
		cnt, ok1 := l.integer(c, p+".count", 1)
		amt, ok2 := l.integer(a, p+".amount_minor", 1)
		if ok1 && ok2 {
			r.Tickets.Prizes = append(r.Tickets.Prizes, Prize{Count: int(min(cnt, 1<<31-1)), AmountMinor: amt})
			total.Add(total, new(big.Int).Mul(big.NewInt(cnt), big.NewInt(amt)))
		}
	}
	if r.TotalMinor > 0 && total.Cmp(big.NewInt(r.TotalMinor)) > 0 {
		l.errAt(v, "rewards.tickets.prizes: add up to %s > pool total_minor %d", total, r.TotalMinor)
	}
}
