package gateway

// NoPool makes every connection's own goroutine write its messages (the
// path before the write pool), for tests that compare the two.
func NoPool(o *Options) { o.noPool = true }

// PoolCounts is how many connections g's write pool took from its urgent
// list, and how often a worker found a connection being written.
func PoolCounts(g *Gateway) (urgent, busy int64) {
	return g.pool.urgentPops.Load(), g.pool.busy.Load()
}
