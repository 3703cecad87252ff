// Package readmodel is the Redis read side of the leaderboards: rankers write
// the standings of their boards with a Writer, the query API reads them with a
// Reader. Nothing else touches these keys.
//
// A board is (contest, window start in Unix seconds, division). Standings are
// ordered by a sort key of NWords int64 words ascending, then by user id
// ascending; word 0 encodes the score (order "desc": -score, "asc": score).
//
// Layout, with p the configured prefix (e.g. "rs:"):
//
//	{p}b:{contest}:{win}:{div}:z   sorted set; every member has score 0 and is
//	                               EncodeMember(key, user), so Redis's memcmp
//	                               order of equal scores is the board order and
//	                               ZRANK is the 0-based position
//	{p}b:{contest}:{win}:{div}:u   hash user -> member
//	{p}b:{contest}:{win}:{div}:m   hash meta: nwords, order, updated_at
//	                               (RFC 3339, nanoseconds), status
//	{p}c:{contest}:w               sorted set of the window starts with boards
//	                               (score and member = start)
//	{p}c:{contest}:{win}:d         set of the divisions of a window
//
// Every write of a board goes through one MULTI/EXEC transaction (Apply) or a
// RENAME of fully written temporary keys (Replace), so a reader never sees a
// user twice, a user missing, or a count that disagrees with the rows.
//
// The keys of one board do not share a cluster hash slot: the package targets
// a single Redis (or a primary with replicas), not Redis Cluster.
package readmodel
