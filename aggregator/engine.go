package aggregator

import (
	"errors"
	"fmt"
	"time"

	"github.com/rankstream/rankstream/contest"
	"github.com/rankstream/rankstream/event"
	"github.com/rankstream/rankstream/streams"
)

// StoredEvent is one message of the EVENTS stream as stored.
type StoredEvent struct {
	Subject string // events.<partition>.<provider>.<user>
	Data    []byte
	Seq     uint64    // stream sequence
	Time    time.Time // JetStream timestamp: the arrival time
}

// LateHit is a (contest, window) for which an event arrived after end+lateness.
type LateHit struct {
	Contest *contest.Contest
	Window  contest.Window
	// ByDelay: late because it arrived more than max_event_delay after its
	// ts (otherwise after end+lateness).
	ByDelay bool
}

// ScoreChange is a new absolute standing of a user on a board.
type ScoreChange struct {
	Board    contest.BoardID
	User     string
	Standing contest.Standing
	Removed  bool
}

// Decision is what the engine made of one stored event.
type Decision struct {
	Partition int
	Invalid   error // non-nil: the event goes to the invalid dead-letter stream
	Reason    string
	Duplicate bool
	// Late and Changes live in storage the engine reuses: valid until the
	// engine's next Apply.
	Late    []LateHit
	Changes []ScoreChange
	// Accruals counts the per-contest decisions (accruals.go); valid until
	// the engine's next Apply.
	Accruals Accruals
	// Details holds one Accrual per (contest in scope, window) when the
	// engine records them (Engine.RecordAccruals; the ETL does, the live
	// scorer does not).
	Details []Accrual
	// Missions is what the event did to the missions (missions.go).
	Missions MissionDecision
	// Flags is what the event did to the abuse flags (flags.go).
	Flags FlagDecision
	// Event is the parsed event when the engine records accruals (nil
	// for a subject it could not parse).
	Event *event.Event

	quiet bool // the engine's StateOnly: no Late, Changes or Accruals
}

// Engine is the pure scoring core: it turns stored events, in stream order,
// into standings. The live scorer and replay both use it, so they decide
// alike. Not safe for concurrent use; a partition must always be fed by the
// same Engine.
type Engine struct {
	rules  *contest.Registry
	skew   time.Duration
	parts  map[int]*partState
	detail bool         // fill Decision.Details
	accBuf Accruals     // Decision.Accruals' storage, reused (accruals.go)
	prune  PruneOptions // prune.go
	now    time.Time    // stream time: the latest JetStream timestamp applied

	// mupd is Decision.Missions.Updates' storage, reused (missions.go).
	mupd  []MissionUpdate
	quiet bool // StateOnly
	// Decision.Changes' and Decision.Late's storage, reused
	chBuf   []ScoreChange
	lateBuf []LateHit
	// seenHint is the size a partition's seen set is made at (ExpectEvents).
	seenHint int
}

// partState is the scoring state of one user partition.
type partState struct {
	id          int
	seen        map[string]struct{} // event.DedupKey of every event whose first arrival was valid
	seenByTS    map[int64]*seenIDs  // the same keys by ts bucket, for pruning (prune.go)
	seenCur     *seenIDs            // the bucket of seenByTS added to last (engine_seen.go)
	seenCurAt   int64               // … and its bucket
	pruned      time.Time           // stream time of the last prune
	users       userTable           // by user id: the user's windows (userWin, engine_users.go)
	ids         userIDs             // the memory of the user ids held (engine_users.go)
	keys        userIDs             // the memory of the seen keys (engine_users.go): a duplicate's stays too (the map may hold it)
	windows     int                 // user windows held
	many        map[uwKey]*userWin  // every node of a user with more than manyAt windows (nil: none)
	invalidMark uint64              // EVENTS seqs ≤ this are already in DLQ_INVALID
	lateMark    uint64              // … in DLQ_LATE
	last        uint64              // highest EVENTS seq of this partition applied (or covered by a restored checkpoint)
	changes     []contest.Change    // scratch of score: the changes of one Add
	hint        headHint            // the user looked up last (engine_head.go)

	// prune bookkeeping
	due  map[string]*dueQueue // by contest: the windows a prune must visit (prune_due.go)
	ends map[cwKey][]string   // users by (contest, window), when windows are freed (prune_free.go)

	// missions: by user, nil until a mission counts an event (missions.go,
	// missions_user.go); missionsFreed: users whose windows pruning freed
	// (missions_prune.go)
	missions      map[string]*userMissions
	missionsFreed []string
	// flags: nil until a contest with abuse flags counts an event (flags.go)
	flags map[uwKey]*userFlags
}

type uwKey struct {
	contest string
	window  int64
	user    string
}

// userWin is one of a user's windows, in a list per user: one table entry
// and one copy of the user id for all of a user's windows (a scorer holds
// millions), the window state inline (112 bytes a node for an idle
// window). The contest id is the state's contest's.
type userWin struct {
	window int64
	next   *userWin
	user   string // in ps.ids
	st     contest.WindowState
}

// frontDepth: a window found deeper in its user's list moves to the front,
// so that the windows in use stay near it (recurring windows add a node per
// window; replay frees none).
const frontDepth = 3

// manyAt: the nodes of a user with more windows than this are also indexed
// by key (ps.many), so that a lookup never walks more than manyAt nodes.
const manyAt = 8

// window returns the state of k, or nil.
func (ps *partState) window(k uwKey) *contest.WindowState {
	head := ps.head(k.user)
	var prev *userWin
	n, depth := head, 0
	for ; n != nil && depth < manyAt; prev, n, depth = n, n.next, depth+1 {
		if n.window != k.window || n.st.Contest().ID != k.contest {
			continue
		}
		if depth >= frontDepth {
			prev.next, n.next = n.next, head
			ps.setHead(n)
		}
		ps.settle(&n.st)
		return &n.st
	}
	if n == nil {
		return nil
	}
	if n := ps.many[k]; n != nil { // a long list: every node is indexed
		ps.settle(&n.st)
		return &n.st
	}
	return nil
}

// addWindow adds st as the state of k (not yet held) and returns it.
func (ps *partState) addWindow(k uwKey, st contest.WindowState) *contest.WindowState {
	next := ps.head(k.user)
	if next != nil {
		k.user = next.user
	} else {
		k.user = ps.ids.intern(k.user) // not the event's own
	}
	n := &userWin{window: k.window, next: next, user: k.user, st: st}
	ps.setHead(n)
	ps.windows++
	length := 0
	for m := n; m != nil && length <= manyAt+1; m = m.next {
		length++
	}
	switch {
	case length == manyAt+1: // just became long: index all of it
		if ps.many == nil {
			ps.many = map[uwKey]*userWin{}
		}
		for m := n; m != nil; m = m.next {
			ps.many[uwKey{contest: m.st.Contest().ID, window: m.window, user: k.user}] = m
		}
	case length > manyAt+1:
		ps.many[k] = n
	}
	ps.added(&n.st, k) // prune_due.go, prune_free.go
	return &n.st
}

// eachWindow calls fn for every window held.
func (ps *partState) eachWindow(fn func(k uwKey, st *contest.WindowState)) {
	ps.users.each(func(n *userWin) {
		for ; n != nil; n = n.next {
			ps.settle(&n.st)
			fn(uwKey{contest: n.st.Contest().ID, window: n.window, user: n.user}, &n.st)
		}
	})
}

// sweep calls keep for every window held and drops those it returns false for.
func (ps *partState) sweep(keep func(k uwKey, st *contest.WindowState) bool) {
	var gone []string
	ps.users.each(func(head *userWin) {
		user := head.user
		var prev *userWin
		moved := false
		for n := head; n != nil; n = n.next {
			k := uwKey{contest: n.st.Contest().ID, window: n.window, user: user}
			if keep(k, &n.st) {
				prev = n
				continue
			}
			ps.windows--
			if ps.many != nil {
				delete(ps.many, k)
			}
			n.st = contest.WindowState{} // dead to the due queue
			if prev == nil {
				head, moved = n.next, true
			} else {
				prev.next = n.next
			}
		}
		switch {
		case head == nil:
			gone = append(gone, user)
		case moved:
			ps.setHead(head) // in place: the user is held
		}
	})
	for _, user := range gone {
		ps.delUser(user)
	}
}

// NewEngine returns an engine applying rules; skew 0 means the default.
func NewEngine(rules *contest.Registry, skew time.Duration) *Engine {
	if skew == 0 {
		skew = event.DefaultMaxFutureSkew
	}
	return &Engine{rules: rules, skew: skew, parts: map[int]*partState{}, prune: PruneOptions{FoldMargin: 5 * time.Second}}
}

func (e *Engine) part(p int) *partState {
	ps := e.parts[p]
	if ps == nil {
		ps = newPartState(p)
		if e.seenHint > 0 {
			ps.seen = make(map[string]struct{}, e.seenHint)
		}
		e.parts[p] = ps
	}
	return ps
}

func newPartState(p int) *partState {
	return &partState{id: p, seen: map[string]struct{}{}, users: newUserTable()}
}

// Apply decides one stored event. Events of a partition must be applied in
// stream order.
func (e *Engine) Apply(se StoredEvent) Decision {
	p, prov, user, ok := streams.ParseEventSubject(se.Subject)
	return e.ApplyParsed(se, p, prov, user, ok)
}

// ApplyParsed is Apply for a reader that parsed se.Subject already (a
// whole-stream Lane's Delivery): p, prov, user and ok must be what
// streams.ParseEventSubject(se.Subject) returns.
func (e *Engine) ApplyParsed(se StoredEvent, p int, prov, user string, ok bool) Decision {
	d := Decision{Partition: p, Accruals: e.accrualBuf(), Changes: e.chBuf[:0], Late: e.lateBuf[:0], quiet: e.quiet}
	if !ok {
		return invalid(d, &event.Invalid{Reason: event.ReasonSubjectMismatch, Msg: "subject is not events.<provider>.<user_id>"})
	}
	var ev event.Event
	var err error
	if e.detail {
		ev, err = event.Parse(se.Data) // d.Event outlives se.Data
	} else {
		// EventID and UserID are views of se.Data: replaced below by equal
		// strings the engine owns before anything keeps them.
		ev, err = event.ParseView(se.Data)
	}
	if e.detail {
		// As far as Parse got, for the ETL's events row. A copy, so that ev
		// stays on the stack (no allocation) when detail is off.
		evc := ev
		d.Event = &evc
	}
	if err != nil {
		return invalid(d, err)
	}
	if ev.UserID != user || ev.GameProvider != prov {
		return invalid(d, &event.Invalid{Reason: event.ReasonSubjectMismatch,
			Msg: fmt.Sprintf("subject provider/user %s/%s differ from event %s/%s", prov, user, ev.GameProvider, ev.UserID)})
	}
	ev.UserID = user // equal, and the subject's own string (ParseView)
	if err := event.CheckFuture(&ev, se.Time, e.skew); err != nil {
		return invalid(d, err)
	}
	ps := e.part(p)
	ps.last = max(ps.last, se.Seq) // the scorer's worker sets it too, before it applies
	e.maybePrune(ps, se.Time)
	key := ps.keys.dedupKey(prov, user, ev.EventID)
	if !ps.firstSeen(key, ev.TS.UnixNano()) { // engine_seen.go
		d.Duplicate = true
		if !e.quiet {
			e.duplicateAccruals(&d, &ev)
		}
		if e.detail {
			e.duplicateDetails(&d, &ev)
		}
		return d
	}
	// Equal, and shared with the key the partition keeps anyway: what the
	// windows, missions and flags keep of the event id costs no allocation.
	ev.EventID = key[len(key)-len(ev.EventID):]
	for _, c := range e.rules.All() {
		e.score(&d, se, ps, c, &ev)
	}
	e.scoreMissions(&d, se, ps, &ev)
	e.chBuf, e.lateBuf = d.Changes[:0], d.Late[:0]
	return d
}

// StateOnly makes Apply build only the state: its decisions carry no Late
// hits, Changes or Accruals (Invalid, Reason and Duplicate still are set).
// Replay and verify read only the state the events leave.
func (e *Engine) StateOnly(on bool) { e.quiet = on }

func invalid(d Decision, err error) Decision {
	d.Invalid = err
	d.Reason = event.ReasonBadJSON
	var inv *event.Invalid
	if errors.As(err, &inv) {
		d.Reason = inv.Reason
	}
	return d
}

func (e *Engine) score(d *Decision, se StoredEvent, ps *partState, c *contest.Contest, ev *event.Event) {
	wins := c.WindowsAt(ev.TS)
	switch {
	case len(wins) == 0:
		d.accrual(c.ID, contest.ReasonOutsideWindow)
		if e.detail && c.InScope(ev) {
			d.detail(c, ev, time.Time{}, ResultOutsideWindow, 0)
		}
		return
	case !c.InScope(ev):
		d.accrual(c.ID, contest.ReasonOutOfScope)
		return
	}
	if r := c.Eligible(ev); r != "" {
		d.accrual(c.ID, r)
		if e.detail {
			for _, win := range wins {
				d.detail(c, ev, win.Start, contest.ReasonIneligible, 0)
			}
		}
		return
	}
	var cand contest.Candidate // built once, for the first window that counts the event
	for _, win := range wins {
		if e.rules.FrozenAt(c.ID, win.Key(), se.Time) {
			d.accrual(c.ID, contest.ReasonFrozen)
			if e.detail {
				d.detail(c, ev, win.Start, contest.ReasonFrozen, 0)
			}
			continue
		}
		k := uwKey{contest: c.ID, window: win.Key(), user: ev.UserID}
		uw := ps.window(k)
		// Past the folded horizon only if JetStream time stepped back more
		// than the fold margin: late, as the contract's bound says it is.
		byDelay := c.DelayLate(ev.TS, se.Time) || (uw != nil && ev.TS.UnixNano() < uw.FoldedBefore())
		if byDelay || se.Time.After(win.End.Add(c.Lateness)) {
			d.late(LateHit{Contest: c, Window: win, ByDelay: byDelay})
			d.accrual(c.ID, contest.ReasonLate)
			if e.detail {
				d.detail(c, ev, win.Start, contest.ReasonLate, 0)
			}
			continue
		}
		if cand.EventID == "" {
			cand = contest.Candidate{
				TS:         ev.TS.UnixNano(),
				EventID:    ev.EventID,
				Base:       c.Points(ev),
				Multiplier: ev.Multiplier,
				Division:   c.Division(ev),
				Day:        c.Day(ev.TS),
			}
		}
		if uw == nil {
			uw = ps.addWindow(k, contest.MakeWindowState(c))
		}
		changes, counted, p := ps.addCandidate(uw, cand) // prune_due.go
		result, pts := contest.ReasonRateLimited, int64(0)
		if counted {
			result, pts = contest.ReasonCounted, p
			e.flagCounted(d, ps, c, k, ev)
		}
		d.accrual(c.ID, result)
		if e.detail {
			d.detail(c, ev, win.Start, result, pts)
		}
		d.changes(k, changes)
	}
}

// late records a late hit (none in StateOnly).
func (d *Decision) late(l LateHit) {
	if !d.quiet {
		d.Late = append(d.Late, l)
	}
}

// changes records the standings of k's boards that changed (none in StateOnly).
func (d *Decision) changes(k uwKey, changes []contest.Change) {
	if d.quiet {
		return
	}
	for _, ch := range changes {
		d.Changes = append(d.Changes, ScoreChange{
			Board: contest.BoardID{Contest: k.contest, Window: k.window, Division: ch.Division},
			User:  k.user, Standing: ch.Standing, Removed: ch.Removed,
		})
	}
}

// Standings calls fn for every standing the engine holds.
func (e *Engine) Standings(fn func(id contest.BoardID, user string, st contest.Standing)) {
	e.StandingsAsOf(func(id contest.BoardID, user string, st contest.Standing, _ uint64) { fn(id, user, st) })
}

// StandingsAsOf is Standings with the EVENTS sequence each standing is
// current as of: the highest its partition has applied.
func (e *Engine) StandingsAsOf(fn func(id contest.BoardID, user string, st contest.Standing, asOf uint64)) {
	for _, ps := range e.parts {
		ps.eachWindow(func(k uwKey, uw *contest.WindowState) {
			uw.Standings(func(div string, st contest.Standing) {
				fn(contest.BoardID{Contest: k.contest, Window: k.window, Division: div}, k.user, st, ps.last)
			})
		})
	}
}

// lateError says why an event that arrived at arrived is late for l.
func lateError(arrived time.Time, l LateHit) string {
	if l.ByDelay {
		return fmt.Sprintf("arrived %s, more than max_event_delay %s after its ts",
			arrived.UTC().Format(time.RFC3339Nano), l.Contest.EventDelay())
	}
	return fmt.Sprintf("arrived %s, after window end %s + lateness %s",
		arrived.UTC().Format(time.RFC3339Nano), l.Window.End.UTC().Format(time.RFC3339), l.Contest.Lateness)
}
