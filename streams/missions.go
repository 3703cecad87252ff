package streams

import (
	"context"
	"fmt"
	"strconv"

	"github.com/nats-io/nats.go/jetstream"
)

// Missions is the stream of mission step completions (docs/missions.md):
// one message per step (or completion) with a reward, subject
// missions.<mission>.<user>, Nats-Msg-Id = reward_id. The rewards stage
// consumes it.
const Missions = "MISSIONS"

// MissionsAll matches every mission completion subject.
const MissionsAll = "missions.>"

// MissionProgressBucket is the JetStream key-value bucket holding each
// user's mission progress, written by the scorers and read by the query API.
// Key: u.<user> (MissionProgressUserKey), one value per user: a JSON array
// of the progress documents of the user's mission windows. Keys of the
// first layout, <mission>.<window start unix>.<user> (MissionProgressKey),
// are no longer written; the release of a freed window still purges them.
const MissionProgressBucket = "MISSION_PROGRESS"

// MissionSubject is the subject of user's completions of mission.
func MissionSubject(mission, user string) string { return "missions." + mission + "." + user }

// MissionProgressUserKey is the key of user's progress value.
func MissionProgressUserKey(user string) string { return "u." + user }

// Headers of a key-value purge marker published as a message (what
// jetstream.KeyValue.Purge sends): the key then reads as absent.
const (
	HeaderKVOperation = "KV-Operation"
	KVOperationPurge  = "PURGE"
	HeaderRollup      = "Nats-Rollup"
	RollupSubject     = "sub"
)

// MissionProgressKey is the key of user's progress in one mission window
// in the bucket's first layout (see MissionProgressBucket).
func MissionProgressKey(mission string, window int64, user string) string {
	return mission + "." + strconv.FormatInt(window, 10) + "." + user
}

// MissionProgressSubject is the subject a progress value is published on
// (the bucket's own subject for the key), so that a scorer can publish it
// asynchronously like its standings.
func MissionProgressSubject(key string) string {
	return "$KV." + MissionProgressBucket + "." + key
}

func missionsConfig(opts Options) jetstream.StreamConfig {
	return jetstream.StreamConfig{
		Name:        Missions,
		Description: "mission step completions with their reward, Nats-Msg-Id = reward_id",
		Subjects:    []string{MissionsAll},
		Storage:     jetstream.FileStorage,
		Retention:   jetstream.LimitsPolicy,
		Duplicates:  opts.DedupWindow,
		Replicas:    opts.Replicas,
		AllowDirect: true,
	}
}

// EnsureMissionProgress creates (or updates) the mission progress bucket
// with replicas copies (0 means 1) and returns it. One value per key is kept.
func EnsureMissionProgress(ctx context.Context, js jetstream.JetStream, replicas int) (jetstream.KeyValue, error) {
	if replicas <= 0 {
		replicas = 1
	}
	kv, err := js.CreateOrUpdateKeyValue(ctx, jetstream.KeyValueConfig{
		Bucket:      MissionProgressBucket,
		Description: "mission progress per mission window and user",
		History:     1,
		Storage:     jetstream.FileStorage,
		Replicas:    replicas,
	})
	if err != nil {
		return nil, fmt.Errorf("streams: ensure %s: %w", MissionProgressBucket, err)
	}
	return kv, nil
}
