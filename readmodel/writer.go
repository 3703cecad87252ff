package readmodel

import (
	"context"
	"crypto/rand"
	"encoding/hex"
	"fmt"
	"log/slog"
	"strconv"
	"time"

	"github.com/prometheus/client_golang/prometheus"
	"github.com/redis/go-redis/v9"

	"github.com/rankstream/rankstream/contest"
)

// replaceChunk is the number of standings per pipeline while Replace fills
// the temporary keys.
const replaceChunk = 1000

// tempTTL bounds the life of Replace's temporary keys if the writer dies
// before renaming them.
const tempTTL = time.Hour

// Writer writes boards to Redis. It is safe for concurrent use, but two
// concurrent writes of the same board must not carry conflicting OldKeys: one
// owner (the board's ranker) writes each board.
type Writer struct {
	rdb    redis.UniversalClient
	prefix string
	log    *slog.Logger
	m      *Metrics
}

// NewWriter returns a Writer of the keys under prefix. The metrics are
// registered on reg (nil: not registered).
func NewWriter(rdb redis.UniversalClient, prefix string, logger *slog.Logger, reg prometheus.Registerer) *Writer {
	if logger == nil {
		logger = slog.Default()
	}
	return &Writer{rdb: rdb, prefix: prefix, log: logger.With("component", "readmodel"), m: NewMetrics(reg)}
}

// Metrics returns the writer's metrics.
func (w *Writer) Metrics() *Metrics { return w.m }

func checkMeta(id contest.BoardID, m BoardMeta) error {
	if id.Contest == "" {
		return fmt.Errorf("%w: board %s: empty contest id", ErrInvalid, id)
	}
	if m.NWords < 1 {
		return fmt.Errorf("%w: board %s: nwords %d < 1", ErrInvalid, id, m.NWords)
	}
	if m.Order != "" && m.Order != OrderAsc && m.Order != OrderDesc {
		return fmt.Errorf("%w: board %s: order %q", ErrInvalid, id, m.Order)
	}
	return nil
}

func checkKey(id contest.BoardID, what, user string, key []int64, nwords int) error {
	if len(key) != nwords {
		return fmt.Errorf("%w: board %s: %s of user %q has %d words, want %d", ErrInvalid, id, what, user, len(key), nwords)
	}
	return nil
}

func checkChange(c *BoardChange) error {
	if err := checkMeta(c.ID, c.Meta); err != nil {
		return err
	}
	for _, u := range c.Upserts {
		if err := checkKey(c.ID, "key", u.User, u.Key, c.Meta.NWords); err != nil {
			return err
		}
		if u.OldKey != nil {
			if err := checkKey(c.ID, "old key", u.User, u.OldKey, c.Meta.NWords); err != nil {
				return err
			}
		}
	}
	for _, d := range c.Deletes {
		if err := checkKey(c.ID, "old key of a delete", d.User, d.OldKey, c.Meta.NWords); err != nil {
			return err
		}
	}
	return nil
}

// metaArgs are the HSET field/value pairs of m; zero UpdatedAt and empty
// Status are left out so that they keep their stored value.
func metaArgs(m BoardMeta) []any {
	order := m.Order
	if order == "" {
		order = OrderDesc
	}
	args := []any{fieldNWords, strconv.Itoa(m.NWords), fieldOrder, order}
	if !m.UpdatedAt.IsZero() {
		args = append(args, fieldUpdatedAt, m.UpdatedAt.UTC().Format(time.RFC3339Nano))
	}
	if m.Status != "" {
		args = append(args, fieldStatus, m.Status)
	}
	return args
}

// registerBoard adds the board to its contest's window and division indexes.
func registerBoard(ctx context.Context, pipe redis.Pipeliner, k keys, id contest.BoardID) {
	pipe.ZAdd(ctx, k.windows, redis.Z{Score: float64(id.Window), Member: strconv.FormatInt(id.Window, 10)})
	pipe.SAdd(ctx, k.divisions, id.Division)
}

// Apply writes the changes of several boards in one MULTI/EXEC transaction:
// for each board the old members of changed and deleted users are removed, the
// new ones added, the user hash and the meta updated. A reader never sees a user
// twice or missing. Every change is checked first; an invalid one (ErrInvalid)
// fails the whole call with nothing written.
func (w *Writer) Apply(ctx context.Context, changes []BoardChange) error {
	for i := range changes {
		if err := checkChange(&changes[i]); err != nil {
			return err
		}
	}
	if len(changes) == 0 {
		return nil
	}
	t0 := time.Now()
	var upserts, deletes int
	_, err := w.rdb.TxPipelined(ctx, func(pipe redis.Pipeliner) error {
		var buf []byte
		for i := range changes {
			c := &changes[i]
			k := keysOf(w.prefix, c.ID)
			var rem []any
			add := make([]redis.Z, 0, len(c.Upserts))
			hset := make([]any, 0, 2*len(c.Upserts))
			for _, u := range c.Upserts {
				buf = AppendMember(buf[:0], u.Key, u.User)
				member := string(buf)
				if u.OldKey != nil {
					buf = AppendMember(buf[:0], u.OldKey, u.User)
					if old := string(buf); old != member {
						rem = append(rem, old)
					}
				}
				add = append(add, redis.Z{Member: member})
				hset = append(hset, u.User, member)
			}
			var hdel []string
			for _, d := range c.Deletes {
				rem = append(rem, string(AppendMember(buf[:0], d.OldKey, d.User)))
				hdel = append(hdel, d.User)
			}
			// Removals first: a user deleted and re-added in one change keeps
			// the new member.
			if len(rem) > 0 {
				pipe.ZRem(ctx, k.z, rem...)
			}
			if len(hdel) > 0 {
				pipe.HDel(ctx, k.u, hdel...)
			}
			if len(add) > 0 {
				pipe.ZAdd(ctx, k.z, add...)
				pipe.HSet(ctx, k.u, hset...)
			}
			pipe.HSet(ctx, k.m, metaArgs(c.Meta)...)
			registerBoard(ctx, pipe, k, c.ID)
			expireBoard(ctx, pipe, k, c.Meta)
			upserts += len(c.Upserts)
			deletes += len(c.Deletes)
		}
		return nil
	})
	w.m.WriteSeconds.WithLabelValues(opApply).Observe(time.Since(t0).Seconds())
	if err != nil {
		w.m.WriteErrors.WithLabelValues(opApply).Inc()
		return fmt.Errorf("readmodel: apply %d boards: %w", len(changes), err)
	}
	w.m.WriteBatches.WithLabelValues(opApply).Inc()
	w.m.Entries.WithLabelValues("upsert").Add(float64(upserts))
	w.m.Entries.WithLabelValues("delete").Add(float64(deletes))
	return nil
}

// Replace atomically replaces a whole board with the standings entries yields
// (each user at most once): they are written into temporary keys, then renamed
// over the board's keys in one transaction, so readers see either the old board
// or the new one. An error leaves the old board untouched; ctx cancels the
// fill between chunks.
func (w *Writer) Replace(ctx context.Context, id contest.BoardID, meta BoardMeta, entries func(yield func(user string, key []int64) bool)) error {
	if err := checkMeta(id, meta); err != nil {
		return err
	}
	t0 := time.Now()
	n, err := w.replace(ctx, id, meta, entries)
	w.m.WriteSeconds.WithLabelValues(opReplace).Observe(time.Since(t0).Seconds())
	if err != nil {
		w.m.WriteErrors.WithLabelValues(opReplace).Inc()
		return err
	}
	w.m.WriteBatches.WithLabelValues(opReplace).Inc()
	w.m.Entries.WithLabelValues("replace").Add(float64(n))
	w.log.Debug("board replaced", "board", id, "entries", n, "took", time.Since(t0))
	return nil
}

func (w *Writer) replace(ctx context.Context, id contest.BoardID, meta BoardMeta, entries func(yield func(user string, key []int64) bool)) (n int, err error) {
	k := keysOf(w.prefix, id)
	suffix, err := randomSuffix()
	if err != nil {
		return 0, err
	}
	tz, tu := k.z+":tmp:"+suffix, k.u+":tmp:"+suffix
	defer func() {
		if err != nil {
			w.dropTemp(ctx, tz, tu)
		}
	}()

	pipe := w.rdb.Pipeline()
	var (
		buf    []byte
		add    = make([]redis.Z, 0, replaceChunk)
		hset   = make([]any, 0, 2*replaceChunk)
		badKey error
	)
	flush := func() error {
		if len(add) == 0 {
			return nil
		}
		if err := ctx.Err(); err != nil {
			return fmt.Errorf("readmodel: replace %s: %w", id, err)
		}
		pipe.ZAdd(ctx, tz, add...)
		pipe.HSet(ctx, tu, hset...)
		pipe.Expire(ctx, tz, tempTTL)
		pipe.Expire(ctx, tu, tempTTL)
		if _, err := pipe.Exec(ctx); err != nil {
			return fmt.Errorf("readmodel: replace %s: fill: %w", id, err)
		}
		add, hset = add[:0], hset[:0]
		return nil
	}
	var fillErr error
	entries(func(user string, key []int64) bool {
		if err := checkKey(id, "key", user, key, meta.NWords); err != nil {
			badKey = err
			return false
		}
		buf = AppendMember(buf[:0], key, user)
		member := string(buf)
		add = append(add, redis.Z{Member: member})
		hset = append(hset, user, member)
		n++
		if len(add) == replaceChunk {
			if fillErr = flush(); fillErr != nil {
				return false
			}
		}
		return true
	})
	switch {
	case badKey != nil:
		return 0, badKey
	case fillErr != nil:
		return 0, fillErr
	}
	if err := flush(); err != nil {
		return 0, err
	}

	if err := w.checkCount(ctx, id, tz, tu, n); err != nil {
		return 0, err
	}
	if err := w.swap(ctx, k, id, meta, tz, tu, n); err != nil {
		return 0, err
	}
	return n, nil
}

// checkCount checks that the n entries filled into the temporary keys are n
// members and n users: a user yielded twice would leave two members for one
// hash field.
func (w *Writer) checkCount(ctx context.Context, id contest.BoardID, tz, tu string, n int) error {
	if n == 0 {
		return nil
	}
	var zc, hc *redis.IntCmd
	if _, err := w.rdb.Pipelined(ctx, func(p redis.Pipeliner) error {
		zc, hc = p.ZCard(ctx, tz), p.HLen(ctx, tu)
		return nil
	}); err != nil {
		return fmt.Errorf("readmodel: replace %s: count: %w", id, err)
	}
	if zc.Val() != int64(n) || hc.Val() != int64(n) {
		return fmt.Errorf("%w: board %s: %d entries but %d members and %d users (a user given twice?)",
			ErrInvalid, id, n, zc.Val(), hc.Val())
	}
	return nil
}

// swap puts the temporary keys in the board's place (or deletes the board
// when it has no entries) with its meta, in one transaction.
func (w *Writer) swap(ctx context.Context, k keys, id contest.BoardID, meta BoardMeta, tz, tu string, n int) error {
	if _, err := w.rdb.TxPipelined(ctx, func(pipe redis.Pipeliner) error {
		if n > 0 {
			pipe.Rename(ctx, tz, k.z)
			pipe.Persist(ctx, k.z)
			pipe.Rename(ctx, tu, k.u)
			pipe.Persist(ctx, k.u)
		} else {
			pipe.Del(ctx, k.z, k.u)
		}
		pipe.HSet(ctx, k.m, metaArgs(meta)...)
		registerBoard(ctx, pipe, k, id)
		expireBoard(ctx, pipe, k, meta)
		return nil
	}); err != nil {
		return fmt.Errorf("readmodel: replace %s: swap: %w", id, err)
	}
	return nil
}

// dropTemp deletes Replace's temporary keys, also after ctx was cancelled.
func (w *Writer) dropTemp(ctx context.Context, tz, tu string) {
	ctx, cancel := context.WithTimeout(context.WithoutCancel(ctx), 5*time.Second)
	defer cancel()
	if err := w.rdb.Del(ctx, tz, tu).Err(); err != nil {
		w.log.Warn("cannot delete temporary keys; they expire", "keys", []string{tz, tu}, "ttl", tempTTL, "err", err)
	}
}

func randomSuffix() (string, error) {
	var b [8]byte
	if _, err := rand.Read(b[:]); err != nil {
		return "", fmt.Errorf("readmodel: random suffix: %w", err)
	}
	return hex.EncodeToString(b[:]), nil
}
