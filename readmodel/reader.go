package readmodel

import (
	"context"
	"errors"
	"fmt"
	"sort"
	"strconv"
	"time"

	"github.com/rankstream/rankstream/contest"
	"github.com/redis/go-redis/v9"
)

// Reader answers board queries from Redis. It is safe for concurrent use.
// Every method reads one consistent view of a board (one MULTI/EXEC or one
// script). A board never written reads as empty, not as an error.
type Reader struct {
	rdb    redis.UniversalClient
	prefix string
}

// NewReader returns a Reader of the keys under prefix.
func NewReader(rdb redis.UniversalClient, prefix string) *Reader {
	return &Reader{rdb: rdb, prefix: prefix}
}

// parseMeta decodes the meta hash; an empty hash is the zero BoardMeta.
func parseMeta(id contest.BoardID, vals map[string]string) (BoardMeta, error) {
	var m BoardMeta
	if len(vals) == 0 {
		return m, nil
	}
	nw, err := strconv.Atoi(vals[fieldNWords])
	if err != nil || nw < 1 {
		return m, fmt.Errorf("%w: board %s: nwords %q", ErrCorrupt, id, vals[fieldNWords])
	}
	m.NWords, m.Order, m.Status = nw, vals[fieldOrder], vals[fieldStatus]
	if s := vals[fieldUpdatedAt]; s != "" {
		t, err := time.Parse(time.RFC3339Nano, s)
		if err != nil {
			return m, fmt.Errorf("%w: board %s: updated_at %q", ErrCorrupt, id, s)
		}
		m.UpdatedAt = t
	}
	return m, nil
}

// decodeRows turns members starting at 1-based position first into rows.
func decodeRows(id contest.BoardID, members []string, first int, meta BoardMeta) ([]Row, error) {
	rows := make([]Row, 0, len(members))
	for i, s := range members {
		w0, user, ok := decodeString(s, meta.NWords)
		if !ok {
			return nil, fmt.Errorf("%w: board %s: member of %d bytes at position %d (nwords %d)",
				ErrCorrupt, id, len(s), first+i, meta.NWords)
		}
		rows = append(rows, Row{Pos: first + i, User: user, Score: meta.Score(w0)})
	}
	return rows, nil
}

// Meta returns a board's meta; ok is false for a board never written.
func (r *Reader) Meta(ctx context.Context, id contest.BoardID) (meta BoardMeta, ok bool, err error) {
	vals, err := r.rdb.HGetAll(ctx, keysOf(r.prefix, id).m).Result()
	if err != nil {
		return BoardMeta{}, false, fmt.Errorf("readmodel: meta %s: %w", id, err)
	}
	meta, err = parseMeta(id, vals)
	return meta, len(vals) > 0, err
}

// Top returns at most n rows from the 0-based offset, the number of users on
// the board and its meta, all from one MULTI/EXEC so they agree.
func (r *Reader) Top(ctx context.Context, id contest.BoardID, offset, n int) (rows []Row, total int64, meta BoardMeta, err error) {
	if offset < 0 || n < 0 {
		return nil, 0, BoardMeta{}, fmt.Errorf("readmodel: top %s: negative offset %d or count %d", id, offset, n)
	}
	k := keysOf(r.prefix, id)
	var (
		metaCmd *redis.MapStringStringCmd
		cardCmd *redis.IntCmd
		rngCmd  *redis.StringSliceCmd
	)
	if _, err := r.rdb.TxPipelined(ctx, func(p redis.Pipeliner) error {
		metaCmd = p.HGetAll(ctx, k.m)
		cardCmd = p.ZCard(ctx, k.z)
		if n > 0 {
			rngCmd = p.ZRange(ctx, k.z, int64(offset), int64(offset)+int64(n)-1)
		}
		return nil
	}); err != nil {
		return nil, 0, BoardMeta{}, fmt.Errorf("readmodel: top %s: %w", id, err)
	}
	meta, err = parseMeta(id, metaCmd.Val())
	if err != nil {
		return nil, 0, BoardMeta{}, err
	}
	rows = []Row{}
	if rngCmd != nil && len(rngCmd.Val()) > 0 {
		if rows, err = decodeRows(id, rngCmd.Val(), offset+1, meta); err != nil {
			return nil, 0, BoardMeta{}, err
		}
	}
	return rows, cardCmd.Val(), meta, nil
}

// Around returns positions pos-k … pos+k (1-based), clipped to the board.
func (r *Reader) Around(ctx context.Context, id contest.BoardID, pos, k int) ([]Row, error) {
	if pos < 1 || k < 0 {
		return nil, fmt.Errorf("readmodel: around %s: position %d, radius %d", id, pos, k)
	}
	from := max(pos-k, 1)
	rows, _, _, err := r.Top(ctx, id, from-1, pos+k-from+1)
	if err != nil {
		return nil, fmt.Errorf("readmodel: around: %w", err)
	}
	return rows, nil
}

// meScript reads a user's member, its rank, the member just above and the meta
// in one atomic step. It answers false when the user is not on the board.
var meScript = redis.NewScript(`
local m = redis.call('HGET', KEYS[1], ARGV[1])
if not m then return false end
local rank = redis.call('ZRANK', KEYS[2], m)
if not rank then return false end
local above = ''
if rank > 0 then above = redis.call('ZRANGE', KEYS[2], rank - 1, rank - 1)[1] or '' end
local meta = redis.call('HMGET', KEYS[3], 'nwords', 'order')
return {m, rank, above, meta[1] or '', meta[2] or ''}
`)

// Me returns the user's row, or nil when the user is not on the board.
func (r *Reader) Me(ctx context.Context, id contest.BoardID, user string) (*Row, error) {
	me, _, err := r.MeAbove(ctx, id, user)
	return me, err
}

// MeAbove returns the user's row and the row at the position above it (nil at
// position 1), read atomically; both nil when the user is not on the board.
func (r *Reader) MeAbove(ctx context.Context, id contest.BoardID, user string) (me, above *Row, err error) {
	k := keysOf(r.prefix, id)
	res, err := meScript.Run(ctx, r.rdb, []string{k.u, k.z, k.m}, user).Slice()
	if errors.Is(err, redis.Nil) {
		return nil, nil, nil
	}
	if err != nil {
		return nil, nil, fmt.Errorf("readmodel: me %s %q: %w", id, user, err)
	}
	if len(res) != 5 {
		return nil, nil, fmt.Errorf("%w: board %s: me script answered %d values", ErrCorrupt, id, len(res))
	}
	member, _ := res[0].(string)
	rank, _ := res[1].(int64)
	aboveMember, _ := res[2].(string)
	nwords, _ := res[3].(string)
	order, _ := res[4].(string)
	meta, err := parseMeta(id, map[string]string{fieldNWords: nwords, fieldOrder: order})
	if err != nil {
		return nil, nil, err
	}
	pos := int(rank) + 1
	rows, err := decodeRows(id, []string{member}, pos, meta)
	if err != nil {
		return nil, nil, err
	}
	me = &rows[0]
	if aboveMember != "" {
		rows, err := decodeRows(id, []string{aboveMember}, pos-1, meta)
		if err != nil {
			return nil, nil, err
		}
		above = &rows[0]
	}
	return me, above, nil
}

// Windows lists the window starts (Unix seconds, ascending) that have boards
// of the contest.
func (r *Reader) Windows(ctx context.Context, contestID string) ([]int64, error) {
	vals, err := r.rdb.ZRange(ctx, windowsKey(r.prefix, contestID), 0, -1).Result()
	if err != nil {
		return nil, fmt.Errorf("readmodel: windows of %s: %w", contestID, err)
	}
	out := make([]int64, 0, len(vals))
	for _, v := range vals {
		w, err := strconv.ParseInt(v, 10, 64)
		if err != nil {
			return nil, fmt.Errorf("%w: contest %s: window %q", ErrCorrupt, contestID, v)
		}
		out = append(out, w)
	}
	return out, nil
}

// Divisions lists, sorted, the divisions that have boards in a window.
func (r *Reader) Divisions(ctx context.Context, contestID string, window int64) ([]string, error) {
	vals, err := r.rdb.SMembers(ctx, divisionsKey(r.prefix, contestID, window)).Result()
	if err != nil {
		return nil, fmt.Errorf("readmodel: divisions of %s/%d: %w", contestID, window, err)
	}
	sort.Strings(vals)
	return vals, nil
}
