package streams

import (
	"context"
	"regexp"
	"strings"
	"time"

	"github.com/nats-io/nats.go/jetstream"
)

// WatchBucket is the KV bucket in which rankstream processes share the live
// subscribers they see (docs/live-push.md, "Who is watched"): one key per
// (contest, user), so the process that pushes learns of players connected
// anywhere. A key lives WatchTTL after its last write.
const WatchBucket = "RANKSTREAM_WATCH"

// DefaultWatchTTL is the life of a watch key after its last write.
const DefaultWatchTTL = 30 * time.Second

// AnyContestKey is the contest token of a watch key for a player subscribed
// to lb.*.user.<id>: '=' is no contest id character, so it never collides.
const AnyContestKey = "="

// idToken matches contest and user ids ([A-Za-z0-9_-], CONTRACT.md §1, §3).
var idToken = regexp.MustCompile(`^[A-Za-z0-9_-]{1,128}$`)

// WatchKey is the key of (contestID, user); contestID "*" is every contest.
// ok is false when either is not an id (a wildcard, a stray token): such a
// subscription watches nobody.
func WatchKey(contestID, user string) (key string, ok bool) {
	if !idToken.MatchString(user) {
		return "", false
	}
	if contestID == "*" {
		return AnyContestKey + "." + user, true
	}
	if !idToken.MatchString(contestID) {
		return "", false
	}
	return contestID + "." + user, true
}

// ParseWatchKey is the inverse of WatchKey.
func ParseWatchKey(key string) (contestID, user string, ok bool) {
	c, u, ok := strings.Cut(key, ".")
	if !ok || !idToken.MatchString(u) {
		return "", "", false
	}
	if c == AnyContestKey {
		return "*", u, true
	}
	if !idToken.MatchString(c) {
		return "", "", false
	}
	return c, u, true
}

// EnsureWatch creates (or updates) the watch bucket; ttl 0 is
// DefaultWatchTTL.
func EnsureWatch(ctx context.Context, js jetstream.JetStream, ttl time.Duration, replicas int) (jetstream.KeyValue, error) {
	if ttl == 0 {
		ttl = DefaultWatchTTL
	}
	return ensureKV(ctx, js, jetstream.KeyValueConfig{
		Bucket:      WatchBucket,
		Description: "live subscribers (contest.user) seen by the rankstream processes",
		TTL:         ttl,
		History:     1,
		Storage:     jetstream.MemoryStorage,
		Replicas:    replicas,
	})
}
