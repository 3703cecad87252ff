// Package rewards pays the prizes of contests and missions (CONTRACT.md §7).
//
// The payout math (ladder, proportional, tickets, min_score, reward ids) is
// pure: Compute takes a board's final standings and its rules and returns the
// payouts and, for tickets, the published draw; it does no I/O and is tested
// alone against a recomputation written from the contract's text.
//
// The stage (Stage) reads committed final snapshots from Postgres, waits the
// dispute window, computes the payouts once and stores them; grants are one
// transaction each (a balanced ledger posting and an outbox row), and a relay
// publishes the outbox to wallet.postings.<user_id> with Nats-Msg-Id set to
// the reward id. Mission step rewards arrive on the MISSIONS stream and take
// the same path. See docs/rewards.md.
package rewards
