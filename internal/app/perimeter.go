package app

import (
	"crypto/tls"
	"errors"
	"fmt"

	"github.com/rankstream/rankstream/auth"
	"github.com/rankstream/rankstream/streams"
)

// embeddedAuth turns on the embedded server's authentication (before it
// starts) when players or providers need it (docs/security.md):
//   - providers configured: user <provider> with its secret as password may
//     publish events.<provider>.> only, and anonymous connections publish
//     nothing (they may listen to lb.> unless nats.auth is players);
//   - nats.auth players without providers: anonymous connections publish
//     events (the older open door).
//
// The app connects with a random token of its own, operators and other
// rankstream processes with the admin token.
func (a *App) embeddedAuth(opts *Options, tk *auth.Tokens) {
	players := opts.Live.NATSPlayerAuth
	if opts.Streams.URL != "" {
		if players {
			a.log.Warn("nats.auth applies to the embedded server only; configure the external server's accounts")
		}
		return
	}
	if opts.Streams.Auth != nil || (!players && len(opts.Providers) == 0) {
		return
	}
	au := &streams.Auth{AdminToken: opts.AdminToken, Providers: opts.Providers, Logger: a.base}
	switch {
	case len(opts.Providers) == 0:
		au.Anonymous = streams.ProviderPermissions()
	case !players:
		au.Anonymous = streams.ListenerPermissions()
	}
	if players {
		au.Player = tk.Player
	}
	if opts.AdminToken == "" {
		a.log.Warn("embedded nats-server authenticates providers but no admin_token is set: " +
			"other rankstream processes and operator commands cannot connect to it")
	}
	opts.Streams.Auth = au
}

// setupTLS loads the HTTP certificate (config http.tls) so that a bad one
// stops New instead of the running server.
func (a *App) setupTLS() error {
	if a.opts.TLSCert == "" && a.opts.TLSKey == "" {
		return nil
	}
	if a.opts.TLSCert == "" || a.opts.TLSKey == "" {
		return errors.New("app: http.tls: set both cert and key")
	}
	cert, err := tls.LoadX509KeyPair(a.opts.TLSCert, a.opts.TLSKey)
	if err != nil {
		return fmt.Errorf("app: http.tls: %w", err)
	}
	a.srv.TLSConfig = &tls.Config{Certificates: []tls.Certificate{cert}, MinVersion: tls.VersionTLS12}
	return nil
}

// serveHTTP serves HTTPS when a certificate is configured, else plain HTTP.
func (a *App) serveHTTP() error {
	if a.opts.TLSCert != "" {
		return a.srv.ServeTLS(a.listener, "", "")
	}
	return a.srv.Serve(a.listener)
}

// BaseURL is the HTTP server's URL: https:// with TLS.
func (a *App) BaseURL() string {
	if a.opts.TLSCert != "" {
		return "https://" + a.Addr()
	}
	return "http://" + a.Addr()
}
