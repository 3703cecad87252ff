package streams

import (
	"context"
	"strings"
	"time"

	"github.com/nats-io/nats.go/jetstream"
)

// LiveNoticeAll matches every notice subject (CONTRACT.md §5).
const LiveNoticeAll = "lb.*.user.*.notice"

// LiveNoticeSubject is lb.<contest>.user.<user_id>.notice: one player's
// one-off notices.
func LiveNoticeSubject(contestID, user string) string {
	return "lb." + contestID + ".user." + user + ".notice"
}

// ParseNoticeSubject splits a notice subject.
func ParseNoticeSubject(subj string) (contestID, user string, ok bool) {
	parts := strings.Split(subj, ".")
	if len(parts) == 5 && parts[0] == "lb" && parts[2] == "user" && parts[3] != "" && parts[4] == "notice" {
		return parts[1], parts[3], true
	}
	return "", "", false
}

// NoticeBucket is the KV bucket holding, per (board, user), which notices
// were sent, so that a restarted notifier (or the next lease holder) does
// not send them again.
const NoticeBucket = "RANKSTREAM_NOTICES"

// DefaultNoticeTTL is how long a (board, user) record lives after its last
// write: longer than any window plus its lateness in practice.
const DefaultNoticeTTL = 40 * 24 * time.Hour

// EnsureNotices creates (or updates) the notice bucket.
func EnsureNotices(ctx context.Context, js jetstream.JetStream, ttl time.Duration, replicas int) (jetstream.KeyValue, error) {
	if ttl <= 0 {
		ttl = DefaultNoticeTTL
	}
	return ensureKV(ctx, js, jetstream.KeyValueConfig{
		Bucket:      NoticeBucket,
		Description: "notices sent per (contest, window, division, user)",
		TTL:         ttl,
		History:     1,
		Storage:     jetstream.FileStorage,
		Replicas:    replicas,
	})
}
