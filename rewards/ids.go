package rewards

import (
	"crypto/sha256"
	"encoding/hex"
	"time"
)

// Contexts of a reward.
const (
	ContextContest = "contest"
	ContextMission = "mission"
)

// StepCompletion is the step of a mission's completion reward.
const StepCompletion = "completion"

// WindowString is a window start as it appears in ids, seeds and messages:
// RFC 3339 in UTC, whole seconds.
func WindowString(start time.Time) string { return start.UTC().Format(time.RFC3339) }

// ContestRewardID is rw_ + the first 32 hex digits of
// SHA-256("contest|<contest>|<window start>|<division>|<user_id>").
func ContestRewardID(contestID string, window time.Time, division, user string) string {
	return hashID("contest|" + contestID + "|" + WindowString(window) + "|" + division + "|" + user)
}

// MissionRewardID is rw_ + the first 32 hex digits of
// SHA-256("mission|<mission>|<window start>|<user_id>|<step>").
func MissionRewardID(mission string, window time.Time, user, step string) string {
	return hashID("mission|" + mission + "|" + WindowString(window) + "|" + user + "|" + step)
}

func hashID(s string) string {
	sum := sha256.Sum256([]byte(s))
	return "rw_" + hex.EncodeToString(sum[:])[:32]
}
