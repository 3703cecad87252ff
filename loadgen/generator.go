package loadgen

import (
	"encoding/hex"
	"encoding/json"
	"math"
	"math/rand/v2"
	"strconv"
	"time"

	"github.com/rankstream/rankstream/event"
)

// recentSize is how many earlier events a duplicate may repeat. Kept small so a
// duplicate re-sends a recent event, well inside the JetStream duplicate window
// at any realistic rate.
const recentSize = 1024

// maxMultiplier caps the heavy tail of win multipliers.
const maxMultiplier = 1000

// Generator is the deterministic event generator used by Run: the same Options
// (Seed, lists, rates and the times returned by Now) give the same events in the
// same order. It is not safe for concurrent use.
type Generator struct {
	opts      Options
	rng       *rand.Rand
	users     *rand.Zipf
	gameTypes []string
	seq       int64 // number of fresh (non-duplicate) events made
	recent    []item
	recentAt  int
}

// item is one generated event.
type item struct {
	provider string
	subject  string
	msgID    string
	body     []byte
	valid    bool
}

// NewGenerator returns a generator for opts with defaults filled in. It does
// not check the door fields and does not reject bad values; Run does.
func NewGenerator(opts Options) *Generator {
	o, _ := opts.withDefaults() // Run reports the error; the filled copy is still usable
	return newGenerator(o)
}

// newGenerator takes options that already went through withDefaults.
func newGenerator(o Options) *Generator {
	rng := rand.New(rand.NewPCG(uint64(o.Seed), uint64(o.Seed)^0x9e3779b97f4a7c15))
	g := &Generator{
		opts: o,
		rng:  rng,
		// P(rank k) ∝ (k+20)^-1.1: a long tail of casual players and a head of
		// heavy players, without one user taking a large share of all traffic.
		users:     rand.NewZipf(rng, 1.1, 20, uint64(o.Users-1)),
		gameTypes: make([]string, len(o.Games)),
		recent:    make([]item, 0, recentSize),
	}
	for i := range o.Games {
		switch i % 10 {
		case 7, 8:
			g.gameTypes[i] = "live"
		case 9:
			g.gameTypes[i] = "crash"
		default:
			g.gameTypes[i] = "slot"
		}
	}
	return g
}

// Next returns the next event: its NATS subject (events.<provider>.<user_id>),
// its message id (the event_id, also for duplicates), its JSON body and whether
// it is meant to pass validation. The body must not be modified: a duplicate
// shares the body of the event it repeats.
func (g *Generator) Next() (subject string, msgID string, body []byte, valid bool) {
	it := g.next()
	return it.subject, it.msgID, it.body, it.valid
}

func (g *Generator) next() item {
	if len(g.recent) > 0 && g.opts.DuplicateRate > 0 && g.rng.Float64() < g.opts.DuplicateRate {
		return g.recent[g.rng.IntN(len(g.recent))]
	}
	ev := g.fresh()
	valid := true
	if g.opts.InvalidRate > 0 && g.rng.Float64() < g.opts.InvalidRate {
		g.corrupt(&ev)
		valid = false
	}
	it := item{
		provider: ev.provider,
		subject:  event.Subject(ev.provider, ev.subjectUser),
		msgID:    ev.eventID,
		body:     ev.appendJSON(make([]byte, 0, 640)),
		valid:    valid,
	}
	if len(g.recent) < recentSize {
		g.recent = append(g.recent, it)
	} else {
		g.recent[g.recentAt] = it
		g.recentAt = (g.recentAt + 1) % recentSize
	}
	return it
}

// genEvent is the wire form of a generated event. Empty strings are left out,
// which is how a corrupted event loses a required field.
type genEvent struct {
	eventID, ts, typ, userID, market, brand string
	gameID, provider, gameType              string
	bet                                     int64
	currency                                string
	hasWin                                  bool
	win                                     int64
	hasMult                                 bool
	mult                                    float64
	roundID, roundStatus                    string
	duration                                int64
	funds, platform, asn, traceID           string

	subjectUser string // user id of the subject, kept when user_id is corrupted
}

func (g *Generator) fresh() genEvent {
	r := g.rng
	o := g.opts
	n := g.seq
	g.seq++
	seed := strconv.FormatInt(o.Seed, 10)
	num := strconv.FormatInt(n, 10)

	rank := g.users.Uint64()
	user := "u_" + strconv.FormatUint(rank+1, 10)
	// A user has a home market and brand.
	home := rank * 0x9e3779b97f4a7c15 >> 32

	ts := o.Now().Add(-time.Duration(r.Int64N(int64(2 * time.Second))))
	gi := r.IntN(len(o.Games))
	ev := genEvent{
		eventID:     "lg-" + seed + "-" + num,
		ts:          ts.UTC().Format("2006-01-02T15:04:05.000Z07:00"),
		userID:      user,
		subjectUser: user,
		market:      o.Markets[home%uint64(len(o.Markets))],
		brand:       o.Brands[(home/7)%uint64(len(o.Brands))],
		gameID:      o.Games[gi],
		provider:    o.Providers[r.IntN(len(o.Providers))],
		gameType:    g.gameTypes[gi],
		bet:         g.betAmount(),
		currency:    "EUR",
		roundID:     "r-" + seed + "-" + num,
		roundStatus: "completed",
		duration:    200 + r.Int64N(4801),
		funds:       "cash",
		traceID:     g.traceID(),
	}
	switch p := r.IntN(100); {
	case p < 80:
		ev.typ = "round_end"
	case p < 90:
		ev.typ = "spin"
	case p < 95:
		ev.typ = "bet"
	default:
		ev.typ = "win"
	}
	if ev.typ != "bet" {
		ev.hasWin = true
		// round_end and spin lose most of the time; a win event always wins.
		if ev.typ == "win" || r.IntN(100) < 40 {
			m := g.multiplier()
			ev.win = int64(math.Round(float64(ev.bet) * m))
			if ev.gameType == "crash" {
				// Crash games report the cash-out multiplier.
				ev.hasMult = true
				ev.mult = math.Round(m*100) / 100
			}
		}
	}
	if r.Float64() < o.BonusRate {
		ev.funds = "bonus"
	}
	switch p := r.IntN(100); {
	case p < 40:
		ev.platform = "ios"
	case p < 85:
		ev.platform = "android"
	default:
		ev.platform = "web"
	}
	switch p := r.IntN(100); {
	case p < 95:
		ev.asn = "mno"
	case p < 98:
		ev.asn = "hosting"
	default:
		ev.asn = "proxy"
	}
	return ev
}

// betAmount is 10..10000 minor units, log-distributed and skewed to small bets.
func (g *Generator) betAmount() int64 {
	u := g.rng.Float64()
	u *= u // more weight on small bets
	v := math.Exp(math.Log(10) + u*(math.Log(10000)-math.Log(10)))
	b := int64(v)
	if b >= 100 {
		b = b / 10 * 10 // real stakes are round numbers
	}
	return min(max(b, 10), 10000)
}

// multiplier is a Pareto-distributed win multiplier (x_m 0.2, alpha 1.1):
// mostly below 2x, now and then 100x and more, capped at 1000x.
func (g *Generator) multiplier() float64 {
	u := g.rng.Float64()
	m := 0.2 / math.Pow(1-u, 1/1.1)
	return min(m, maxMultiplier)
}

func (g *Generator) traceID() string {
	var b [16]byte
	for i := 0; i < 16; i += 8 {
		v := g.rng.Uint64()
		for j := range 8 {
			b[i+j] = byte(v >> (8 * j))
		}
	}
	return hex.EncodeToString(b[:])
}

// corruptions each make an event fail CONTRACT §1 validation in one way.
var corruptions = []func(*genEvent){
	func(e *genEvent) { e.typ = "jackpot" },
	func(e *genEvent) { e.bet = -e.bet },
	func(e *genEvent) { e.currency = "eur" },
	func(e *genEvent) { e.ts = "yesterday evening" },
	func(e *genEvent) { e.gameID = "" },
	func(e *genEvent) { e.userID = "" },
	func(e *genEvent) { e.funds = "credit" },
	func(e *genEvent) { e.duration = -1 },
	func(e *genEvent) { e.hasWin, e.win = true, -1 },
	func(e *genEvent) { e.market = "D E" },
	func(e *genEvent) { e.eventID += "#bad" },
}

func (g *Generator) corrupt(e *genEvent) {
	corruptions[g.rng.IntN(len(corruptions))](e)
}

// appendJSON appends the event as one JSON object.
func (e *genEvent) appendJSON(b []byte) []byte {
	b = append(b, '{')
	first := true
	str := func(k, v string) {
		if v == "" {
			return
		}
		if !first {
			b = append(b, ',')
		}
		first = false
		b = appendJSONString(b, k)
		b = append(b, ':')
		b = appendJSONString(b, v)
	}
	num := func(k string, v int64) {
		if !first {
			b = append(b, ',')
		}
		first = false
		b = appendJSONString(b, k)
		b = append(b, ':')
		b = strconv.AppendInt(b, v, 10)
	}
	obj := func(k string, fill func()) {
		if !first {
			b = append(b, ',')
		}
		b = appendJSONString(b, k)
		b = append(b, ':', '{')
		first = true
		fill()
		b = append(b, '}')
		first = false
	}
	str("event_id", e.eventID)
	str("ts", e.ts)
	str("type", e.typ)
	str("user_id", e.userID)
	str("market", e.market)
	str("brand", e.brand)
	obj("game", func() {
		str("id", e.gameID)
		str("provider", e.provider)
		str("type", e.gameType)
	})
	obj("bet", func() {
		num("amount_minor", e.bet)
		str("currency", e.currency)
	})
	if e.hasWin {
		obj("win", func() {
			num("amount_minor", e.win)
			if e.hasMult {
				b = append(b, `,"multiplier":`...)
				b = strconv.AppendFloat(b, e.mult, 'f', -1, 64)
			}
		})
	}
	obj("round", func() {
		str("id", e.roundID)
		str("status", e.roundStatus)
		num("duration_ms", e.duration)
	})
	str("funds", e.funds)
	obj("device", func() {
		str("platform", e.platform)
		str("asn", e.asn)
	})
	str("trace_id", e.traceID)
	return append(b, '}')
}

// appendJSONString appends s as a JSON string. Generated values are plain
// ASCII; anything else (from user-supplied lists) goes through encoding/json.
func appendJSONString(b []byte, s string) []byte {
	for i := 0; i < len(s); i++ {
		if c := s[i]; c < 0x20 || c >= 0x7f || c == '"' || c == '\\' || c == '<' || c == '>' || c == '&' {
			q, _ := json.Marshal(s) // a string always marshals
			return append(b, q...)
		}
	}
	b = append(b, '"')
	b = append(b, s...)
	return append(b, '"')
}
