package aggregator

// A Go map never gives back the table it grew to, and ranging over a map
// that holds anything walks all of that table. A catch-up leaves every
// standing (and mission progress value) it changed pending until it goes
// live: hundreds of thousands of entries. Once flushed, the emptied map
// would make every later flush that has one entry to publish walk the whole
// table (measured: 4 ms a flush after 128k entries, 65 ms after 1M, on the
// loaded 2-core host — more than the 50 ms flush interval). So a map that
// was flushed empty from at least regrowAt entries is replaced by a new one.

// regrowAt is the number of entries from which an emptied map is replaced.
const regrowAt = 4096

// regrown returns m, or a new empty map when m is empty after a flush that
// started with held ≥ regrowAt entries.
func regrown[K comparable, V any](m map[K]V, held int) map[K]V {
	if len(m) == 0 && held >= regrowAt {
		return make(map[K]V)
	}
	return m
}
