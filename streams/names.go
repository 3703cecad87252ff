// Package streams owns rankstream's JetStream topology: the embedded
// nats-server (or a connection to an external one), the EVENTS stream
// partitioned by user, the compacted SCORES stream, and the dead-letter streams.
package streams

import (
	"strconv"
	"strings"

	"github.com/rankstream/rankstream/internal/subjtok"
)

// Stream names.
const (
	Events     = "EVENTS"
	Scores     = "SCORES"
	DLQInvalid = "DLQ_INVALID"
	DLQLate    = "DLQ_LATE"
	// Wallet captures the rewards stage's postings (wallet.postings.<user_id>)
	// for the wallet to consume, deduplicated by Nats-Msg-Id = reward_id.
	Wallet = "WALLET"
)

// WalletPostings matches every wallet posting subject.
const WalletPostings = "wallet.postings.>"

// Subjects and headers.
const (
	// EventsIn is what providers publish to: events.<provider>.<user_id>.
	EventsIn = "events.*.*"
	// ScoresAll matches every score subject.
	ScoresAll = "scores.>"

	HeaderMsgID   = "Nats-Msg-Id"
	HeaderReason  = "Rankstream-Reason"
	HeaderError   = "Rankstream-Error"
	HeaderSubject = "Rankstream-Subject"
	HeaderSeq     = "Rankstream-Seq"
	HeaderContest = "Rankstream-Contest"
	HeaderWindow  = "Rankstream-Window"
)

// NoDivision is the subject token of the division of a board without
// divisions (or of an event that lacks the division field).
const NoDivision = subjtok.Empty

// PartitionFilter is the subject filter of one partition of the EVENTS stream.
func PartitionFilter(p int) string { return "events." + strconv.Itoa(p) + ".>" }

// EventsTransformDest maps events.<provider>.<user> to
// events.<partition>.<provider>.<user>, the partition hashed from the user.
func EventsTransformDest(partitions int) string {
	return "events.{{partition(" + strconv.Itoa(partitions) + ",2)}}.{{wildcard(1)}}.{{wildcard(2)}}"
}

// ParseEventSubject splits a stored event subject
// events.<partition>.<provider>.<user>.
func ParseEventSubject(subj string) (partition int, provider, user string, ok bool) {
	// strings.Cut, not Split: this runs for every message read (no allocation).
	head, rest, ok1 := strings.Cut(subj, ".")
	ps, rest, ok2 := strings.Cut(rest, ".")
	provider, user, ok3 := strings.Cut(rest, ".")
	if !ok1 || !ok2 || !ok3 || head != "events" || strings.IndexByte(user, '.') >= 0 {
		return 0, "", "", false
	}
	p, err := strconv.Atoi(ps)
	if err != nil {
		return 0, "", "", false
	}
	return p, provider, user, true
}

// DLQInvalidSubject is where partition p's invalid events go.
func DLQInvalidSubject(p int) string { return "dlq.invalid." + strconv.Itoa(p) }

// DLQLateSubject is where partition p's late events go.
func DLQLateSubject(p int) string { return "dlq.late." + strconv.Itoa(p) }
