// Package aggregator turns the EVENTS stream into standings: scorer shards
// (one state per user partition) apply the contest rules and emit absolute
// standings to the compacted SCORES stream; the ranker keeps every board in an
// order-statistic tree and writes changes to the Redis read model. The
// contests in force are a contest.Registry.
package aggregator
