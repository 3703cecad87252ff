package main

import (
	"github.com/nats-io/nats.go"

	"github.com/rankstream/rankstream/config"
	"github.com/rankstream/rankstream/streams"
)

// natsClient are the credentials and TLS this process uses on a NATS server
// it did not start: nats.credentials, else the admin token (which a
// rankstream embedded server with auth accepts; a server without auth
// ignores it).
func natsClient(cfg *config.Config) streams.ClientCredentials {
	return streams.ClientCredentials{Credentials: cfg.NATS.Credentials, Token: cfg.AdminToken,
		CA: cfg.NATS.TLS.CA, Cert: cfg.NATS.TLS.Cert, Key: cfg.NATS.TLS.Key}
}

// natsClientOptions are natsClient's nats.go options.
func natsClientOptions(cfg *config.Config) ([]nats.Option, error) {
	return natsClient(cfg).Options()
}

// loadgenNATSAuth: the admin token or nats.credentials when set, else the
// NATS user of the one provider loadgen plays (CONTRACT.md §8).
func loadgenNATSAuth(cfg *config.Config, providers []string) ([]nats.Option, error) {
	if cfg.AdminToken == "" && cfg.NATS.Credentials == "" && len(providers) == 1 {
		if secret, ok := cfg.Providers[providers[0]]; ok {
			return []nats.Option{nats.UserInfo(providers[0], secret)}, nil
		}
	}
	return natsClientOptions(cfg)
}
