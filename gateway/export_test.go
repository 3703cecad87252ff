package gateway

// NoPool makes every connection's own goroutine write its messages (the
// path before the write pool), for tests that compare the two.
func NoPool(o *Options) { o.noPool = true }
