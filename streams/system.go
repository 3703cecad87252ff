package streams

import (
	"errors"
	"fmt"
	"time"

	"github.com/nats-io/nats.go"
	"github.com/rankstream/rankstream/internal/redact"
)

// ErrNoSystemAccount is returned by ConnectSystem when no system account
// credentials are configured (config nats.system_credentials).
var ErrNoSystemAccount = errors.New("streams: no system account credentials (nats.system_credentials)")

// ConnectSystem opens a second connection to the external server as a user
// of its system account (Options.System, with the TLS of Options.Client), for
// the monitoring requests $SYS.REQ.SERVER.PING.* that list the subscription
// interest of every server of the cluster. On an embedded server (no URL)
// there is nothing to connect: the server is asked directly.
func (s *Streams) ConnectSystem() (*nats.Conn, error) {
	if s.Opts.URL == "" {
		return nil, fmt.Errorf("%w: embedded server, asked directly", ErrNoSystemAccount)
	}
	if s.Opts.System == "" {
		return nil, ErrNoSystemAccount
	}
	cc := s.Opts.Client
	cc.Credentials, cc.Token = s.Opts.System, ""
	copts, err := cc.Options()
	if err != nil {
		return nil, fmt.Errorf("streams: system credentials: %w", err)
	}
	nc, err := nats.Connect(s.Opts.URL, append([]nats.Option{nats.Name(s.Opts.Name + "-system"),
		nats.MaxReconnects(-1), nats.ReconnectWait(250 * time.Millisecond)}, copts...)...)
	if err != nil {
		return nil, fmt.Errorf("streams: system account connect %s: %w", redact.URLs(s.Opts.URL), err)
	}
	return nc, nil
}
