package aggregator_test

import (
	"fmt"
	"sync"
	"time"
)

// ckptCover records which partitions the kill test's children have
// checkpointed ("ckpt written <p> <covered>" lines), so that the last life
// can be kept until every partition has a checkpoint for the final run to
// restore: on a loaded machine short lives may end before some worker ever
// went live, and the test would prove nothing about restoring it.
type ckptCover struct {
	mu   sync.Mutex
	n    int
	seen map[int]bool
	all  chan struct{}
}

func newCkptCover(n int) *ckptCover {
	return &ckptCover{n: n, seen: map[int]bool{}, all: make(chan struct{})}
}

func (c *ckptCover) add(line string) {
	var p int
	var covered uint64
	if _, err := fmt.Sscanf(line, "ckpt written %d %d", &p, &covered); err != nil {
		return
	}
	c.mu.Lock()
	defer c.mu.Unlock()
	if c.seen[p] || len(c.seen) == c.n {
		return
	}
	c.seen[p] = true
	if len(c.seen) == c.n {
		close(c.all)
	}
}

// wait is true once every partition has been checkpointed, false after d.
func (c *ckptCover) wait(d time.Duration) bool {
	select {
	case <-c.all:
		return true
	case <-time.After(d):
		return false
	}
}

func (c *ckptCover) missing() []int {
	c.mu.Lock()
	defer c.mu.Unlock()
	var m []int
	for p := 0; p < c.n; p++ {
		if !c.seen[p] {
			m = append(m, p)
		}
	}
	return m
}
