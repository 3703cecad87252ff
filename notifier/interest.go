package notifier

import (
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"time"

	"github.com/nats-io/nats-server/v2/server"
	"github.com/nats-io/nats.go"

	"github.com/rankstream/rankstream/streams"
)

// Interest sources: who subscribes to lb.<contest>.user.<id>, as NATS itself
// knows it (CONTRACT.md §5: every subscriber, authenticated or not, on any
// server). One poll is one request; docs/live-push.md lists the costs.

// Names of the interest sources (the source label of the metrics).
const (
	// SourceSubsz asks the embedded server directly (server.Subsz).
	SourceSubsz = "subsz"
	// SourceSysSubsz asks every server of an external cluster through the
	// system account ($SYS.REQ.SERVER.PING.SUBSZ).
	SourceSysSubsz = "sys_subsz"
	// SourceAccountConnz is the fallback without system account
	// credentials: $SYS.REQ.ACCOUNT.PING.CONNZ, which every account may ask,
	// lists the connections of the app's own account only.
	SourceAccountConnz = "account_connz"
)

// Monitoring subjects of nats-server (events.go).
const (
	SysSubszSubject     = "$SYS.REQ.SERVER.PING.SUBSZ"
	AccountConnzSubject = "$SYS.REQ.ACCOUNT.PING.CONNZ"
)

// DefaultMaxSubs bounds the subscriptions (connections, for account CONNZ)
// one poll lists per server.
const DefaultMaxSubs = 100_000

// DefaultPingWait bounds how long a cluster-wide poll waits for answers.
const DefaultPingWait = time.Second

// ErrNoAnswer is returned when no server answered a monitoring request (the
// connection is not in the system account, or the server's system account
// and events are off).
var ErrNoAnswer = errors.New("notifier: no server answered the interest request")

// InterestPoll is the result of one poll.
type InterestPoll struct {
	Interest []streams.Interest
	// Servers that answered, and subscriptions listed over all of them.
	Servers, Subs int
	// Truncated is how many subscriptions the servers did not list (over
	// MaxSubs).
	Truncated int
}

// InterestSource lists the live rank subscriptions; Poll does one request,
// bounded by ctx.
type InterestSource interface {
	Name() string
	Poll(ctx context.Context) (InterestPoll, error)
}

// interestOf turns subscribed subjects into interest: lb.<contest>.user.<id>
// and lb.*.user.<id>, the user (and contest) being ids; wildcards such as the
// gateway's lb.*.user.* watch nobody.
func interestOf(p *InterestPoll, subject string) {
	c, u, ok := streams.ParseLiveSubject(subject)
	if !ok || u == "" {
		return
	}
	if _, ok := streams.WatchKey(c, u); ok {
		p.Interest = append(p.Interest, streams.Interest{Contest: c, User: u})
	}
}

// ServerSource polls an embedded server's Subsz (its local client
// subscriptions, every account).
type ServerSource struct {
	Server  *server.Server
	MaxSubs int // default DefaultMaxSubs
}

// Name is SourceSubsz.
func (s *ServerSource) Name() string { return SourceSubsz }

// Poll lists the server's subscriptions.
func (s *ServerSource) Poll(context.Context) (InterestPoll, error) {
	limit := orDefault(s.MaxSubs, DefaultMaxSubs)
	sz, err := s.Server.Subsz(&server.SubszOptions{Subscriptions: true, Limit: limit})
	if err != nil {
		return InterestPoll{}, fmt.Errorf("notifier: subsz: %w", err)
	}
	p := InterestPoll{Servers: 1, Subs: len(sz.Subs), Truncated: max(sz.Total-len(sz.Subs), 0)}
	for _, sd := range sz.Subs {
		interestOf(&p, sd.Subject)
	}
	return p, nil
}

// PingSource polls every server of a cluster over NATS: with a system
// account connection SUBSZ ($SYS.REQ.SERVER.PING.SUBSZ, every account),
// without one the account CONNZ ($SYS.REQ.ACCOUNT.PING.CONNZ, the
// connection's own account).
type PingSource struct {
	NC *nats.Conn
	// System: NC is a system account user (SUBSZ); false: account CONNZ.
	System  bool
	MaxSubs int           // default DefaultMaxSubs
	Wait    time.Duration // default DefaultPingWait
}

// Name is SourceSysSubsz or SourceAccountConnz.
func (s *PingSource) Name() string {
	if s.System {
		return SourceSysSubsz
	}
	return SourceAccountConnz
}

// pingReply is one server's answer (server.ServerAPIResponse).
type pingReply struct {
	Server struct {
		Name string `json:"name"`
	} `json:"server"`
	Data struct {
		Total int `json:"total"`
		Subs  []struct {
			Subject string `json:"subject"`
		} `json:"subscriptions_list"`
		Conns []struct {
			Subs []string `json:"subscriptions_list"`
		} `json:"connections"`
	} `json:"data"`
	Error *struct {
		Code        int    `json:"code"`
		Description string `json:"description"`
	} `json:"error"`
}

// Poll asks every server and merges the answers.
func (s *PingSource) Poll(ctx context.Context) (InterestPoll, error) {
	limit := orDefault(s.MaxSubs, DefaultMaxSubs)
	subject, body := AccountConnzSubject, fmt.Sprintf(`{"subscriptions":true,"limit":%d}`, limit)
	if s.System {
		subject = SysSubszSubject
	}
	replies, err := s.ping(ctx, subject, []byte(body))
	if err != nil {
		return InterestPoll{}, err
	}
	var p InterestPoll
	for _, r := range replies {
		if r.Error != nil {
			return InterestPoll{}, fmt.Errorf("notifier: %s: server %s: %d %s", subject, r.Server.Name, r.Error.Code, r.Error.Description)
		}
		p.Servers++
		p.Truncated += max(r.Data.Total-len(r.Data.Subs)-len(r.Data.Conns), 0)
		for _, sd := range r.Data.Subs {
			p.Subs++
			interestOf(&p, sd.Subject)
		}
		for _, c := range r.Data.Conns {
			for _, sub := range c.Subs {
				p.Subs++
				interestOf(&p, sub)
			}
		}
	}
	return p, nil
}

// pingQuiet ends the wait this long after the last answer when the number
// of servers is not known.
const pingQuiet = 200 * time.Millisecond

// ping sends one request and gathers the answers: until every server the
// connection knows of answered, pingQuiet passed after the last answer, or
// Wait passed.
func (s *PingSource) ping(ctx context.Context, subject string, body []byte) ([]pingReply, error) {
	wait := s.Wait
	if wait <= 0 {
		wait = DefaultPingWait
	}
	ctx, cancel := context.WithTimeout(ctx, wait)
	defer cancel()
	sub, err := s.NC.SubscribeSync(s.NC.NewRespInbox())
	if err != nil {
		return nil, fmt.Errorf("notifier: %s: %w", subject, err)
	}
	defer func() { _ = sub.Unsubscribe() }()
	if err := s.NC.PublishRequest(subject, sub.Subject, body); err != nil {
		return nil, fmt.Errorf("notifier: %s: %w", subject, err)
	}
	expect := max(len(s.NC.Servers()), 1)
	var out []pingReply
	for len(out) < expect {
		m, err := nextReply(ctx, sub, len(out) > 0)
		if err != nil {
			break
		}
		var r pingReply
		if err := json.Unmarshal(m.Data, &r); err != nil {
			return nil, fmt.Errorf("notifier: %s: bad answer: %w", subject, err)
		}
		out = append(out, r)
	}
	if len(out) == 0 {
		return nil, fmt.Errorf("%w: %s within %s", ErrNoAnswer, subject, wait)
	}
	return out, nil
}

// nextReply waits for the next answer, at most pingQuiet once one came.
func nextReply(ctx context.Context, sub *nats.Subscription, quiet bool) (*nats.Msg, error) {
	if quiet {
		var cancel context.CancelFunc
		ctx, cancel = context.WithTimeout(ctx, pingQuiet)
		defer cancel()
	}
	return sub.NextMsgWithContext(ctx)
}

func orDefault(v, d int) int {
	if v <= 0 {
		return d
	}
	return v
}
