package contest

import (
	"math"
	"sort"
	"strconv"

	"github.com/rankstream/rankstream/internal/yamlpos"
	"gopkg.in/yaml.v3"
)

// DefaultNotifyTop are the entered_top levels of a contest without
// notify_top (CONTRACT.md §5).
var defaultNotifyTop = [...]int{10, 50, 100}

// MaxNotifyTop bounds the number of notify_top levels.
const MaxNotifyTop = 16

// NotifyLevels returns the contest's entered_top levels (notify_top, or the
// default [10, 50, 100]), largest first: a user rising past several levels
// at once is told of the widest first. A fresh slice.
func (c *Contest) NotifyLevels() []int {
	src := c.NotifyTop
	if src == nil {
		src = defaultNotifyTop[:]
	}
	out := append([]int(nil), src...)
	sort.Sort(sort.Reverse(sort.IntSlice(out)))
	return out
}

// notifyTop reads notify_top: a list of distinct positions ≥ 1 (an empty
// list turns entered_top notices off); nil when absent.
func (l *linter) notifyTop(f kv) []int {
	if !f.present() {
		return nil
	}
	v := yamlpos.Deref(f.val)
	if v.Kind != yaml.SequenceNode {
		l.errAt(v, "notify_top: must be a list of positions, got %s", yamlpos.Describe(v))
		return nil
	}
	if len(v.Content) > MaxNotifyTop {
		l.errAt(v, "notify_top: at most %d levels, got %d", MaxNotifyTop, len(v.Content))
		return nil
	}
	out := []int{}
	seen := map[int64]bool{}
	for i, it := range v.Content {
		n, ok := l.integer(kv{val: yamlpos.Deref(it)}, "notify_top["+strconv.Itoa(i)+"]", 1)
		if !ok {
			continue
		}
		if n > math.MaxInt32 {
			l.errAt(it, "notify_top[%d]: too large", i)
			continue
		}
		if seen[n] {
			l.errAt(it, "notify_top[%d]: %d listed twice", i, n)
			continue
		}
		seen[n] = true
		out = append(out, int(n))
	}
	return out
}
