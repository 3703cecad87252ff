package streams

import (
	"log/slog"

	"github.com/nats-io/nats.go/jetstream"
)

// keepLimits returns want with the limits of the existing stream have kept
// where want would lower them or sets none: replicas, byte and message
// limits an operator set on the stream are never shortened or dropped by a
// restart. MaxAge is retention.events and is applied, with a warning when it
// deletes more than before.
func keepLimits(have, want jetstream.StreamConfig, log *slog.Logger) jetstream.StreamConfig {
	if log == nil {
		log = slog.Default()
	}
	if have.Replicas > want.Replicas {
		want.Replicas = have.Replicas
	}
	if keepHave(want.MaxBytes, have.MaxBytes) {
		log.Info("keeping the stream's larger byte limit", "stream", have.Name, "max_bytes", have.MaxBytes, "configured", want.MaxBytes)
		want.MaxBytes = have.MaxBytes
	}
	if keepHave(want.MaxMsgs, have.MaxMsgs) {
		log.Info("keeping the stream's larger message limit", "stream", have.Name, "max_msgs", have.MaxMsgs, "configured", want.MaxMsgs)
		want.MaxMsgs = have.MaxMsgs
	}
	if want.MaxAge != have.MaxAge && (have.MaxAge == 0 || (want.MaxAge > 0 && want.MaxAge < have.MaxAge)) {
		log.Warn("stream age limit shortened: older events are deleted and cannot be replayed",
			"stream", have.Name, "max_age", want.MaxAge, "was", have.MaxAge)
	}
	return want
}

// keepHave reports whether the stream's limit have (≤ 0: none) stays: it is
// set and want (≤ 0: none) is not above it.
func keepHave(want, have int64) bool {
	return have > 0 && (want <= 0 || want < have)
}
