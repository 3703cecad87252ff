package readmodel

import (
	"context"
	"fmt"
	"strconv"

	"github.com/rankstream/rankstream/contest"
	"github.com/redis/go-redis/v9"
)

// expireBoard sets the board's keys to expire at m.ExpireAt (if set). The
// contest's window index is not expired (other windows are in it); Release
// removes the window from it.
func expireBoard(ctx context.Context, pipe redis.Pipeliner, k keys, m BoardMeta) {
	if m.ExpireAt.IsZero() {
		return
	}
	for _, key := range []string{k.z, k.u, k.m, k.divisions} {
		pipe.ExpireAt(ctx, key, m.ExpireAt)
	}
}

// Release drops every key of one window of a contest (its boards of the
// given divisions, its division index, its entry in the window index) in
// one transaction: the window is finished and past retention; its
// snapshots in Postgres keep the record.
func (w *Writer) Release(ctx context.Context, contestID string, window int64, divisions []string) error {
	_, err := w.rdb.TxPipelined(ctx, func(pipe redis.Pipeliner) error {
		for _, d := range divisions {
			k := keysOf(w.prefix, contest.BoardID{Contest: contestID, Window: window, Division: d})
			pipe.Del(ctx, k.z, k.u, k.m)
		}
		pipe.Del(ctx, divisionsKey(w.prefix, contestID, window))
		pipe.ZRem(ctx, windowsKey(w.prefix, contestID), strconv.FormatInt(window, 10))
		return nil
	})
	if err != nil {
		w.m.WriteErrors.WithLabelValues(opRelease).Inc()
		return fmt.Errorf("readmodel: release %s/%d: %w", contestID, window, err)
	}
	w.m.WriteBatches.WithLabelValues(opRelease).Inc()
	return nil
}

const opRelease = "release"
