// Package testkit is the one kit the tests of rankstream share: real servers
// and the small helpers around them.
//
//   - nats.go: an embedded nats-server with JetStream on a free port, a
//     client connection, a cluster of n nodes;
//   - redis.go: a client of the test Redis with a key prefix of its own,
//     whose keys are deleted when the test ends;
//   - postgres.go: a fresh Postgres database per test, dropped at its end;
//   - log.go: a test logger;
//   - eventually.go: Eventually, polling with a deadline, failing with the
//     last reason;
//   - sign.go: HMAC signing of HTTP events (CONTRACT.md §2), written from
//     the contract and not from ingest's code;
//   - traffic.go: random, valid and invalid provider events;
//   - buffer.go: SyncBuffer, a bytes.Buffer for concurrent writers (logs).
//
// It imports no package of rankstream, so every package's tests can use it.
// Production code must not import it (internal/lint checks that).
package testkit
