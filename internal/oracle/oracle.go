// Package oracle is an independent batch recomputation of contest standings,
// written from the text of CONTRACT.md §1 and §3 ("Exact semantics") and not
// from the pipeline's scoring code. Property tests feed the same arrivals to
// the pipeline and to Compute and compare the boards.
//
// Computation, in the order it happens:
//
//  1. Arrivals are taken in Seq order. Each is validated (§1); invalid ones
//     (bad JSON or fields, future_ts, subject tokens ≠ body) count nowhere
//     and only increase Result.Invalid.
//  2. For each contest and each window of it containing ts (recurring windows
//     may overlap, then the event is in each), the dedup key is
//     (contest, window, provider, user_id, event_id): an event_id is unique
//     per provider event (§1), and README "Duplicates" settles that a reused
//     id of another user is another event. The FIRST valid arrival with that key
//     decides; every later arrival with the key is a duplicate and never counts,
//     whatever its content, even if the first one did not count (out of scope,
//     ineligible, late, rate limited). Invalid arrivals do not take a key.
//  3. The deciding arrival counts only if it is in scope, eligible (bonus
//     funds with bonus_coefficient 0 are not), arrived ≤ end + lateness and
//     arrived ≤ ts + max_event_delay (1h when the contest leaves it 0).
//     Result.Late counts arrivals that pass every other check but arrived
//     after either bound (one per contest window); duplicates, out-of-scope
//     and ineligible arrivals are never counted as late.
//  4. Rate limit, per user per contest window (across divisions): the user's
//     remaining events in event-time order (ts, then event_id bytewise); in each
//     second of ts (Unix seconds, floor) only the first M count.
//  5. Points per event (formula or model, × bonus_coefficient, rounded half
//     away from zero, NaN/Inf → 0, then cap_per_event), then the daily cap per
//     user per contest window per calendar day of ts in the contest tz, in
//     event-time order: points = min(points, remaining), remaining =
//     max(0, cap − Σ points already granted that day). Negative points (a
//     formula can produce them) are granted unchanged by the daily cap when
//     remaining ≥ 0 and lower the day's total, giving room back.
//  6. Each counted event (even with 0 points) goes to the board of its
//     division value; scores, multipliers, rounds and finish are per board.
//
// Further interpretations:
//   - best_n and max use the HIGHEST points even when order is asc (the text
//     defines them so); order only decides which score ranks first.
//   - highest_single_multiplier and rounds are over the user's counted events
//     on that board.
//   - earliest_finish for max: the earliest (ts, then event_id) event with the
//     highest points, if those points are > 0.
//   - the contest tz is Schedule.TZ, else Contest.Location, else UTC; a cron
//     spec without CRON_TZ= is evaluated in the schedule tz.
//   - formula variables are float64; duration_ms is 0 when absent. Only the
//     contract's eight functions exist (expr builtins disabled); a formula
//     evaluation error or a non-number result gives 0 points.
//   - maxFutureSkew is used as given (pass event.DefaultMaxFutureSkew for 30s).
//   - the dedup key is (provider, user_id, event_id), as README "Duplicates"
//     decides (CONTRACT.md leaves it to event_id being unique per provider).
package oracle

import (
	"sort"
	"time"

	"github.com/rankstream/rankstream/contest"
	"github.com/rankstream/rankstream/event"
)

// Arrival is one stored message of the event stream.
type Arrival struct {
	Raw     []byte    // the event JSON as published
	Subject string    // "events.<provider>.<user_id>" it was published to (HTTP door: same form)
	Arrived time.Time // JetStream timestamp of the stored message
	Seq     uint64    // stream order (arrivals are processed in Seq order; "first arrival wins")
}

// BoardID names one leaderboard.
type BoardID struct {
	Contest  string
	Window   int64 // start, unix seconds
	Division string
}

// Standing is one user's line on a board.
type Standing struct {
	Pos           int
	User          string
	Score         int64
	MaxMultiplier float64
	Rounds        int64
	Finish        int64 // unix nanos, or -1 when no event with points > 0 makes up the score
}

// Result is the recomputed outcome.
type Result struct {
	Boards  map[BoardID][]Standing // only boards with at least one counted event
	Invalid int                    // events rejected as invalid (bad JSON/fields, future_ts, subject mismatch)
	Late    int                    // (event, contest window) pairs that arrived after end+lateness
}

// counted is one event that counts in a contest window.
type counted struct {
	ev     *event.Event
	points int64
}

// before is event-time order: ts, then event_id.
func before(a, b *event.Event) bool {
	if !a.TS.Equal(b.TS) {
		return a.TS.Before(b.TS)
	}
	return a.EventID < b.EventID
}

type windowKey struct {
	contest string
	start   int64
}

// Compute recomputes every board from scratch.
func Compute(contests []*contest.Contest, arrivals []Arrival, maxFutureSkew time.Duration) Result {
	res := Result{Boards: map[BoardID][]Standing{}}

	ordered := append([]Arrival(nil), arrivals...)
	sort.SliceStable(ordered, func(i, j int) bool { return ordered[i].Seq < ordered[j].Seq })
	var events []*event.Event // valid ones, in Seq order
	var arrived []time.Time
	for _, a := range ordered {
		ev := parseEvent(a.Raw, a.Subject, a.Arrived, maxFutureSkew)
		if ev == nil {
			res.Invalid++
			continue
		}
		events = append(events, ev)
		arrived = append(arrived, a.Arrived)
	}

	for _, c := range contests {
		r := prepare(c)
		type dedupKey struct {
			start              int64
			provider, user, id string
		}
		seen := map[dedupKey]bool{}
		// per window: the events that passed steps 2-3
		cands := map[int64][]*event.Event{}
		for i, ev := range events {
			ws := r.windows(ev.TS)
			if len(ws) == 0 {
				continue
			}
			ok := r.inScope(ev) && r.eligible(ev)
			for _, w := range ws {
				k := dedupKey{w.start.Unix(), ev.GameProvider, ev.UserID, ev.EventID}
				if seen[k] {
					continue // duplicate: the first arrival decided
				}
				seen[k] = true
				if !ok {
					continue
				}
				if arrived[i].After(w.end.Add(c.Lateness)) || arrived[i].After(ev.TS.Add(maxEventDelay(c))) {
					res.Late++
					continue
				}
				cands[k.start] = append(cands[k.start], ev)
			}
		}
		for start, evs := range cands {
			boards := scoreWindow(r, evs)
			for div, users := range boards {
				res.Boards[BoardID{Contest: c.ID, Window: start, Division: div}] = standings(r, users)
			}
		}
	}
	return res
}

// maxEventDelay is the contest's max_event_delay, 1h when unset (§3).
func maxEventDelay(c *contest.Contest) time.Duration {
	if c.MaxEventDelay <= 0 {
		return time.Hour
	}
	return c.MaxEventDelay
}

// scoreWindow applies the rate limit and the caps to one contest window's
// candidate events and groups the counted ones by division and user.
func scoreWindow(r *rules, evs []*event.Event) map[string]map[string][]counted {
	byUser := map[string][]*event.Event{}
	for _, ev := range evs {
		byUser[ev.UserID] = append(byUser[ev.UserID], ev)
	}
	boards := map[string]map[string][]counted{}
	for user, list := range byUser {
		sort.Slice(list, func(i, j int) bool { return before(list[i], list[j]) })

		// Rate limit: at most M per second of ts, in event-time order.
		if m := r.c.AntiAbuse.MaxEventsPerUserPerSec; m > 0 {
			kept := list[:0:0]
			perSec := map[int64]int{}
			for _, ev := range list {
				s := ev.TS.Unix()
				if perSec[s] < m {
					perSec[s]++
					kept = append(kept, ev)
				}
			}
			list = kept
		}

		// Points and the daily cap, in event-time order.
		used := map[string]int64{} // day in contest tz → points granted
		for _, ev := range list {
			p := r.basePoints(ev)
			if dc := r.c.Scoring.CapPerUserPerDay; dc != nil {
				day := ev.TS.In(r.loc).Format("2006-01-02")
				remaining := satSub(*dc, used[day])
				if remaining < 0 {
					remaining = 0
				}
				if p > remaining {
					p = remaining
				}
				used[day] = satAdd(used[day], p)
			}
			div := r.div(ev)
			if boards[div] == nil {
				boards[div] = map[string][]counted{}
			}
			boards[div][user] = append(boards[div][user], counted{ev, p})
		}
	}
	return boards
}

// line is a user's standing plus what ordering needs.
type line struct {
	Standing
	hasFinish bool
}

// standings scores each user on one board and orders them.
func standings(r *rules, users map[string][]counted) []Standing {
	lb := &r.c.Leaderboard
	lines := make([]line, 0, len(users))
	for user, evs := range users {
		lines = append(lines, scoreLine(lb, user, evs))
	}
	sort.Slice(lines, func(i, j int) bool { return ranksBefore(lb, lines[i], lines[j]) })
	out := make([]Standing, len(lines))
	for i, l := range lines {
		out[i] = l.Standing
		out[i].Pos = i + 1
	}
	return out
}

// scoreLine is one user's line of the board: rounds, highest multiplier,
// and the score and finish of the events that make it up.
func scoreLine(lb *contest.Leaderboard, user string, evs []counted) line {
	l := line{Standing: Standing{User: user, Rounds: int64(len(evs)), Finish: -1}}
	for i, e := range evs {
		if i == 0 || e.ev.Multiplier > l.MaxMultiplier {
			l.MaxMultiplier = e.ev.Multiplier
		}
	}
	// Events by points desc, then ts asc, then event_id asc: the order in
	// which best_n keeps them and max picks its event.
	byPoints := append([]counted(nil), evs...)
	sort.Slice(byPoints, func(i, j int) bool {
		if byPoints[i].points != byPoints[j].points {
			return byPoints[i].points > byPoints[j].points
		}
		return before(byPoints[i].ev, byPoints[j].ev)
	})
	var makeUp []counted // events that make up the score
	switch lb.Type {
	case contest.TypeSum:
		makeUp = evs
	case contest.TypeBestN:
		n := lb.N
		if n < 0 {
			n = 0
		}
		if n > len(byPoints) {
			n = len(byPoints)
		}
		makeUp = byPoints[:n]
	case contest.TypeMax:
		makeUp = byPoints[:1]
	}
	// The saturating sum goes in event-time order.
	makeUp = append([]counted(nil), makeUp...)
	sort.Slice(makeUp, func(i, j int) bool { return before(makeUp[i].ev, makeUp[j].ev) })
	for _, e := range makeUp {
		l.Score = satAdd(l.Score, e.points)
		if e.points > 0 {
			if ts := e.ev.TS.UnixNano(); !l.hasFinish || ts > l.Finish {
				l.Finish = ts
			}
			l.hasFinish = true
		}
	}
	return l
}

// ranksBefore orders two lines of a board: score (desc, or asc), the
// tiebreakers in turn, then user id.
func ranksBefore(lb *contest.Leaderboard, a, b line) bool {
	if a.Score != b.Score {
		if lb.Order == "asc" {
			return a.Score < b.Score
		}
		return a.Score > b.Score
	}
	for _, t := range lb.Tiebreakers {
		switch t {
		case contest.TieHighestSingleMultiplier:
			if a.MaxMultiplier != b.MaxMultiplier {
				return a.MaxMultiplier > b.MaxMultiplier
			}
		case contest.TieFewestRounds:
			if a.Rounds != b.Rounds {
				return a.Rounds < b.Rounds
			}
		case contest.TieMostRounds:
			if a.Rounds != b.Rounds {
				return a.Rounds > b.Rounds
			}
		case contest.TieEarliestFinish:
			if a.hasFinish != b.hasFinish {
				return a.hasFinish // with a finish sorts first
			}
			if a.hasFinish && a.Finish != b.Finish {
				return a.Finish < b.Finish
			}
		}
	}
	return a.User < b.User
}
