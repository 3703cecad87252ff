package testkit

import (
	"strings"
	"sync"
	"testing"
)

// TestSyncBufferKeepsConcurrentWrites: every write of many goroutines is
// kept whole (run with -race: no data race between writers and a reader).
func TestSyncBufferKeepsConcurrentWrites(t *testing.T) {
	var b SyncBuffer
	var wg sync.WaitGroup
	for range 8 {
		wg.Add(1)
		go func() {
			defer wg.Done()
			for range 100 {
				b.Write([]byte("line\n"))
				_ = b.String()
			}
		}()
	}
	wg.Wait()
	if n := strings.Count(b.String(), "line\n"); n != 800 {
		t.Fatalf("%d lines kept, want 800", n)
	}
}
