package contest

import (
	"fmt"
	"strings"
	"testing"
)

const rewardsHead = "id: x\ntitle: X\nwindow: {start: 2025-10-25T18:00:00Z, end: 2025-10-25T19:00:00Z}\nscoring: {model: wager}\n"

// manyKeys is a rewards section whose one mapping has n keys: before the
// budget, decoding it was quadratic (n = 50 000: ten seconds).
func manyKeys(n int) string {
	var b strings.Builder
	b.WriteString(rewardsHead + "rewards:\n")
	for i := range n {
		fmt.Fprintf(&b, "  k%d: v\n", i)
	}
	return b.String()
}

// aliasFanOut repeats a list of n scalars n times by alias.
func aliasFanOut(n int) string {
	return rewardsHead + "rewards:\n  a: &a [" + strings.Repeat("x, ", n-1) + "x]\n  b: [" + strings.Repeat("*a, ", n-1) + "*a]\n"
}

// TestParseRewardsBounded: a rewards section too big to decode cheaply is a
// lint error at the offending node; one within the bounds decodes.
func TestParseRewardsBounded(t *testing.T) {
	bad := []struct {
		name, src string
		want      lintWant
	}{
		{"50000 keys", manyKeys(50_000), lintWant{6, "rewards: a mapping of 50000 keys, at most 100 allowed"}},
		{"101 keys", manyKeys(MaxMappingKeys + 1), lintWant{6, "rewards: a mapping of 101 keys, at most 100 allowed"}},
		{"nested keys", rewardsHead + "rewards:\n  ladder: [{" + strings.Repeat("a: 1, ", 200) + "b: 2}]\n",
			lintWant{6, "rewards: a mapping of 201 keys"}},
		{"alias fan-out", aliasFanOut(600), lintWant{6, "rewards: expands to more than 100000 YAML nodes"}},
	}
	for _, tc := range bad {
		_, err := Parse("r.yml", []byte(tc.src))
		checkLint(t, "r.yml", err, []lintWant{tc.want})
	}

	c, err := Parse("r.yml", []byte(manyKeys(MaxMappingKeys)))
	if err != nil {
		t.Fatalf("100 keys: %v", err)
	}
	if len(c.Rewards) != MaxMappingKeys || c.Rewards["k99"] != "v" {
		t.Errorf("rewards %d keys, k99 = %v", len(c.Rewards), c.Rewards["k99"])
	}
	c, err = Parse("r.yml", []byte(aliasFanOut(100)))
	if err != nil {
		t.Fatalf("100×100 aliases: %v", err)
	}
	if b, _ := c.Rewards["b"].([]any); len(b) != 100 {
		t.Errorf("rewards.b has %d items, want 100", len(b))
	}
}
