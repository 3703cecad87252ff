package streams

import (
	"crypto/rand"
	"crypto/subtle"
	"encoding/hex"
	"errors"
	"fmt"
	"log/slog"
	"strings"
	"time"

	"github.com/nats-io/nats-server/v2/server"
)

// Live push subjects (CONTRACT.md §5). Contest and user ids are
// [A-Za-z0-9_-], so they are always single subject tokens.
const (
	// LiveTopAll matches every contest's top subject.
	LiveTopAll = "lb.*.top"
	// LiveUserAll matches every user subject of every contest.
	LiveUserAll = "lb.*.user.*"
)

// LiveTopSubject is lb.<contest>.top: the contest's top 10.
func LiveTopSubject(contestID string) string { return "lb." + contestID + ".top" }

// LiveUserSubject is lb.<contest>.user.<user_id>: one player's rank.
func LiveUserSubject(contestID, user string) string {
	return "lb." + contestID + ".user." + user
}

// ParseLiveSubject splits a live subject; user is "" for a top subject.
func ParseLiveSubject(subj string) (contestID, user string, ok bool) {
	parts := strings.Split(subj, ".")
	switch {
	case len(parts) == 3 && parts[0] == "lb" && parts[2] == "top":
		return parts[1], "", true
	case len(parts) == 4 && parts[0] == "lb" && parts[2] == "user" && parts[3] != "":
		return parts[1], parts[3], true
	}
	return "", "", false
}

// Usernames the authenticator gives connections (visible in /connz and logs).
const (
	AppUser        = "rankstream-app"
	AdminUser      = "rankstream-admin"
	AnonymousUser  = "anonymous"
	PlayerUserPref = "player:"
)

// AppInboxPrefix is the inbox prefix of the app's own connection when Auth is
// on, so that anonymous connections allowed to subscribe to _INBOX.> (for
// their publish acks) never see the app's JetStream replies and deliveries.
const AppInboxPrefix = "_RS_APP_INBOX"

// ErrPlayerToken is what a Player verifier wraps for a refused token.
var ErrPlayerToken = errors.New("streams: player token refused")

// Auth turns on authentication of the embedded server (Options.Auth). Nil keeps
// the server open to every connection with full rights, as before.
//
// A connection presents a token (nats.Token):
//   - AppToken: rankstream's own connection, full rights;
//   - AdminToken (when set): operators (replay, the nats CLI), full rights;
//   - a token Player accepts: a player, who may subscribe to lb.*.top and
//     lb.*.user.<own id> only and publish nothing; the connection is closed
//     when the token expires;
//   - user/password of a provider in Providers: publish events.<provider>.>;
//   - no credentials at all: Anonymous permissions, or refused when nil.
type Auth struct {
	// AppToken authenticates the app's own connection. Empty: Open generates
	// a random one.
	AppToken string
	// AdminToken authenticates operator connections; empty: none.
	AdminToken string
	// Player verifies a player token and returns the player's user id and the
	// token's expiry (zero: none). Nil: no player connections.
	Player func(token string) (userID string, expires time.Time, err error)
	// Anonymous are the permissions of a connection without credentials; nil
	// refuses it. ProviderPermissions suits provider integrations.
	Anonymous *server.Permissions
	// Providers maps a provider id to its secret: user <provider> with the
	// secret as password may publish events.<provider>.> only (see
	// ProviderUserPermissions). Nil: no provider users.
	Providers map[string]string
	// Logger for refusals (default slog.Default()).
	Logger *slog.Logger
}

// PlayerPermissions are a player's rights: subscribe to every top subject and
// to the player's own rank and notice subjects; publish nothing (so no
// request/reply).
func PlayerPermissions(user string) *server.Permissions {
	return &server.Permissions{
		Publish:   &server.SubjectPermission{Deny: []string{">"}},
		Subscribe: &server.SubjectPermission{Allow: []string{LiveTopAll, "lb.*.user." + user, "lb.*.user." + user + ".notice"}},
	}
}

// ProviderPermissions are the rights of a provider integration: publish
// events (CONTRACT.md §2) and receive the JetStream acks on its inbox.
func ProviderPermissions() *server.Permissions {
	return &server.Permissions{
		Publish:   &server.SubjectPermission{Allow: []string{EventsIn}},
		Subscribe: &server.SubjectPermission{Allow: []string{"_INBOX.>"}},
	}
}

// ProviderUserPermissions are the rights of provider user p: publish its
// own events (CONTRACT.md §8) and receive the JetStream acks on its inbox.
func ProviderUserPermissions(p string) *server.Permissions {
	return &server.Permissions{
		Publish:   &server.SubjectPermission{Allow: []string{"events." + p + ".>"}},
		Subscribe: &server.SubjectPermission{Allow: []string{"_INBOX.>"}},
	}
}

// ListenerPermissions are those of an anonymous connection once providers
// have credentials: subscribe to the live subjects (CONTRACT.md §5),
// publish nothing.
func ListenerPermissions() *server.Permissions {
	return &server.Permissions{
		Publish:   &server.SubjectPermission{Deny: []string{">"}},
		Subscribe: &server.SubjectPermission{Allow: []string{"lb.>"}},
	}
}

// ProviderUserPref starts the username of a provider connection in /connz.
const ProviderUserPref = "provider:"

// fill copies a and generates the app token when empty.
func (a *Auth) fill() (*Auth, error) {
	cp := *a
	if cp.AppToken == "" {
		b := make([]byte, 24)
		if _, err := rand.Read(b); err != nil {
			return nil, fmt.Errorf("streams: app token: %w", err)
		}
		cp.AppToken = hex.EncodeToString(b)
	}
	if cp.Logger == nil {
		cp.Logger = slog.Default()
	}
	cp.Logger = cp.Logger.With("component", "streams-auth")
	return &cp, nil
}

// authenticator implements server.Authentication for the embedded server.
type authenticator struct{ a *Auth }

func tokenEq(a, b string) bool {
	return a != "" && subtle.ConstantTimeCompare([]byte(a), []byte(b)) == 1
}

// Check decides one client connection (server.Authentication).
func (x *authenticator) Check(c server.ClientAuthentication) bool {
	if c.Kind() != server.CLIENT {
		return false
	}
	o := c.GetOpts()
	tok := o.Token
	switch {
	case tokenEq(tok, x.a.AppToken):
		c.RegisterUser(&server.User{Username: AppUser})
		return true
	case tokenEq(tok, x.a.AdminToken):
		c.RegisterUser(&server.User{Username: AdminUser})
		return true
	case tok != "":
		if x.a.Player == nil {
			return false
		}
		user, exp, err := x.a.Player(tok)
		if err != nil || user == "" {
			x.a.Logger.Debug("player connection refused", "remote", c.RemoteAddress(), "err", err)
			return false
		}
		c.RegisterUser(&server.User{Username: PlayerUserPref + user, Permissions: PlayerPermissions(user),
			ConnectionDeadline: exp})
		return true
	case o.Username != "":
		return x.checkProvider(c, o.Username, o.Password)
	case o.Username == "" && o.Password == "" && o.Nkey == "" && o.JWT == "" && x.a.Anonymous != nil:
		c.RegisterUser(&server.User{Username: AnonymousUser, Permissions: x.a.Anonymous})
		return true
	}
	return false
}

// checkProvider admits user p when the password is p's secret.
func (x *authenticator) checkProvider(c server.ClientAuthentication, p, password string) bool {
	secret, ok := x.a.Providers[p]
	if !ok || !tokenEq(password, secret) {
		x.a.Logger.Warn("provider connection refused", "provider", p, "remote", c.RemoteAddress(), "known", ok)
		return false
	}
	c.RegisterUser(&server.User{Username: ProviderUserPref + p, Permissions: ProviderUserPermissions(p)})
	return true
}

// Interest is a live rank subscription (lb.<contest>.user.<user>) that some
// process sees (notifier/interest.go, the watch bucket).
type Interest struct {
	Contest string // "*" when the subscriber subscribed to every contest
	User    string
}
