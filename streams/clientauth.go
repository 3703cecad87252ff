package streams

import (
	"bytes"
	"errors"
	"fmt"
	"os"
	"strings"

	"github.com/nats-io/nats.go"
	"github.com/rankstream/rankstream/internal/redact"
)

// ClientCredentials configure the app's own connection to an external NATS
// server (config nats.credentials, nats.tls; docs/security.md).
type ClientCredentials struct {
	// Credentials is a creds file (user JWT + nkey seed), an nkey seed file,
	// or "user:password". Empty: Token, if any.
	Credentials string
	// Token is sent when Credentials is empty (the admin token, which a
	// rankstream embedded server accepts; a server without auth ignores it).
	Token string
	// CA verifies the server's certificate; Cert and Key are the client's
	// for mutual TLS. Any set: the connection requires TLS.
	CA, Cert, Key string
}

// ErrCredentials is returned for credentials that cannot be used.
var ErrCredentials = errors.New("streams: nats credentials")

// Options are the nats.go options for c (none when c is empty). Errors
// never contain a secret.
func (c ClientCredentials) Options() ([]nats.Option, error) {
	var out []nats.Option
	switch cr := c.Credentials; {
	case cr == "":
		if c.Token != "" {
			out = append(out, nats.Token(c.Token))
		}
	case fileExists(cr):
		b, err := os.ReadFile(cr)
		if err != nil {
			return nil, fmt.Errorf("%w: %v", ErrCredentials, err)
		}
		switch {
		case bytes.Contains(b, []byte("BEGIN NATS USER JWT")):
			out = append(out, nats.UserCredentials(cr))
		case bytes.HasPrefix(bytes.TrimSpace(b), []byte("SU")):
			o, err := nats.NkeyOptionFromSeed(cr)
			if err != nil {
				return nil, fmt.Errorf("%w: nkey seed file %s: %v", ErrCredentials, cr, err)
			}
			out = append(out, o)
		default:
			return nil, fmt.Errorf("%w: %s is neither a creds file nor an nkey seed (SU…)", ErrCredentials, cr)
		}
	default:
		user, pass, ok := strings.Cut(cr, ":")
		if !ok || user == "" {
			return nil, fmt.Errorf("%w: want a creds file, an nkey seed file or user:password (no such file, no ':')", ErrCredentials)
		}
		out = append(out, nats.UserInfo(user, pass))
	}
	if c.CA != "" {
		out = append(out, nats.RootCAs(c.CA))
	}
	if c.Cert != "" || c.Key != "" {
		out = append(out, nats.ClientCert(c.Cert, c.Key))
	}
	if c.CA != "" || c.Cert != "" {
		out = append(out, nats.Secure())
	}
	return out, nil
}

func fileExists(p string) bool {
	st, err := os.Stat(p)
	return err == nil && !st.IsDir()
}

// SafeURL is URL with any password in it replaced by "xxxxx" (for logs).
func (s *Streams) SafeURL() string { return redact.URLs(s.URL()) }
