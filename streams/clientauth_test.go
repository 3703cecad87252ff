package streams

import (
	"context"
	"errors"
	"os"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"github.com/nats-io/nats-server/v2/server"
	"github.com/nats-io/nkeys"

	"github.com/rankstream/rankstream/internal/tlstest"
)

// An external server with a user/password and an nkey user: the app
// connects with nats.credentials in both forms; wrong ones are refused with
// an error that shows no secret.
func TestClientCredentialsOnExternalServer(t *testing.T) {
	kp, err := nkeys.CreateUser()
	if err != nil {
		t.Fatal(err)
	}
	pub, _ := kp.PublicKey()
	seed, _ := kp.Seed()
	dir := t.TempDir()
	seedFile := filepath.Join(dir, "app.nk")
	os.WriteFile(seedFile, seed, 0o600)
	ns, err := server.NewServer(&server.Options{Host: "127.0.0.1", Port: -1, JetStream: true, StoreDir: t.TempDir(),
		NoSigs: true, Users: []*server.User{{Username: "app", Password: "app-password"}},
		Nkeys: []*server.NkeyUser{{Nkey: pub}}})
	if err != nil {
		t.Fatal(err)
	}
	go ns.Start()
	defer ns.Shutdown()
	if !ns.ReadyForConnections(10 * time.Second) {
		t.Fatal("server not ready")
	}
	ctx, cancel := context.WithTimeout(context.Background(), 30*time.Second)
	defer cancel()
	for _, cr := range []string{"app:app-password", seedFile} {
		s, err := Open(ctx, Options{URL: ns.ClientURL(), Partitions: 4, Client: ClientCredentials{Credentials: cr}}, nil)
		if err != nil {
			t.Fatalf("credentials %q: %v", cr, err)
		}
		s.Close()
	}
	_, err = Open(ctx, Options{URL: ns.ClientURL(), Partitions: 4, Client: ClientCredentials{Credentials: "app:wrong-secret"}}, nil)
	if err == nil || strings.Contains(err.Error(), "wrong-secret") {
		t.Fatalf("wrong password: %v (must fail without showing it)", err)
	}
	_, err = Open(ctx, Options{URL: ns.ClientURL(), Partitions: 4, Client: ClientCredentials{Credentials: "no-colon-no-file"}}, nil)
	if !errors.Is(err, ErrCredentials) || strings.Contains(err.Error(), "no-colon-no-file") {
		t.Fatalf("unusable credentials: %v", err)
	}
}

// A NATS server that requires TLS: the app connects with nats.tls.ca (and a
// client certificate), and fails without the CA.
func TestClientTLSOnExternalServer(t *testing.T) {
	certs := tlstest.New(t)
	tc, err := server.GenTLSConfig(&server.TLSConfigOpts{CertFile: certs.Cert, KeyFile: certs.Key, CaFile: certs.CA, Verify: true})
	if err != nil {
		t.Fatal(err)
	}
	ns, err := server.NewServer(&server.Options{Host: "127.0.0.1", Port: -1, JetStream: true, StoreDir: t.TempDir(),
		NoSigs: true, TLS: true, TLSVerify: true, TLSConfig: tc})
	if err != nil {
		t.Fatal(err)
	}
	go ns.Start()
	defer ns.Shutdown()
	if !ns.ReadyForConnections(10 * time.Second) {
		t.Fatal("server not ready")
	}
	ctx, cancel := context.WithTimeout(context.Background(), 30*time.Second)
	defer cancel()
	url := strings.Replace(ns.ClientURL(), "nats://", "tls://", 1)
	s, err := Open(ctx, Options{URL: url, Partitions: 4, Client: ClientCredentials{CA: certs.CA, Cert: certs.Cert, Key: certs.Key}}, nil)
	if err != nil {
		t.Fatalf("TLS connect: %v", err)
	}
	s.Close()
	if _, err := Open(ctx, Options{URL: url, Partitions: 4}, nil); err == nil {
		t.Fatal("connected to a TLS server without trusting its CA")
	}
	if _, err := Open(ctx, Options{URL: url, Partitions: 4, Client: ClientCredentials{CA: certs.CA}}, nil); err == nil {
		t.Fatal("connected without the client certificate the server requires")
	}
}
