package aggregator

// MemoryBound is share of the memory available to the process (its cgroup
// limit, else the machine's memory), for a soft memory limit
// (runtime/debug.SetMemoryLimit); 0 when neither is known.
func MemoryBound(share float64) int64 {
	avail := availableMemory()
	if avail <= 0 {
		return 0
	}
	return int64(float64(avail) * share)
}
