package event

// DedupKey is the identity of a provider event (CONTRACT.md §1: event_id is
// unique per provider event; README "Duplicates"): provider, user and
// event_id. The scorer counts each key at most once per contest window (the
// first arrival in stream order wins), and the HTTP door publishes with it
// as Nats-Msg-Id so that JetStream's duplicate window never merges two
// providers' (or users') events that share an event_id. Provider and user
// ids cannot hold ':', so the key is unambiguous.
//
// The key holds the user, the partition key of EVENTS, so every scorer
// decides it from its own partition alone: live, a restart and replay see
// the same stream order and agree.
func DedupKey(provider, user, eventID string) string {
	return provider + ":" + user + ":" + eventID
}

// DedupKeyLen is len(DedupKey(provider, user, eventID)).
func DedupKeyLen(provider, user, eventID string) int {
	return len(provider) + 1 + len(user) + 1 + len(eventID)
}

// AppendDedupKey appends DedupKey(provider, user, eventID) to dst, for a
// caller that keeps keys in memory of its own (the scorer packs them).
func AppendDedupKey(dst []byte, provider, user, eventID string) []byte {
	dst = append(dst, provider...)
	dst = append(dst, ':')
	dst = append(dst, user...)
	dst = append(dst, ':')
	return append(dst, eventID...)
}
