package contest

import (
	"fmt"

	"gopkg.in/yaml.v3"
)

// Bounds on a section that is decoded into plain Go values (rewards):
// yaml.v3 checks a mapping's keys for duplicates pairwise, so decoding one
// mapping of n keys costs n² (50 000 keys, 600 KB, take ten seconds), and
// aliases repeat that work for every use. Rewards sections have a handful of
// keys per mapping (CONTRACT.md §7); their lists may be long.
const (
	// MaxMappingKeys is the most keys one decoded mapping may have.
	MaxMappingKeys = 100
	// MaxDecodedNodes is the most YAML nodes a decoded section may expand
	// to, aliases counted at every use.
	MaxDecodedNodes = 100_000
)

// decodeBudget checks n against MaxMappingKeys and MaxDecodedNodes before it
// is decoded. It returns the offending node and a message, or nil. The walk
// stops as soon as the budget is spent, so it is cheap however big the
// expansion.
func decodeBudget(n *yaml.Node) (*yaml.Node, string) {
	left := MaxDecodedNodes
	var walk func(n *yaml.Node, depth int) (*yaml.Node, string)
	walk = func(n *yaml.Node, depth int) (*yaml.Node, string) {
		if left--; left < 0 {
			return n, fmt.Sprintf("expands to more than %d YAML nodes (aliases counted at every use)", MaxDecodedNodes)
		}
		if depth > maxAliasDepth {
			return n, "nested too deeply"
		}
		switch n.Kind {
		case yaml.AliasNode:
			if n.Alias == nil {
				return nil, ""
			}
			return walk(n.Alias, depth+1)
		case yaml.MappingNode:
			if k := len(n.Content) / 2; k > MaxMappingKeys {
				return n, fmt.Sprintf("a mapping of %d keys, at most %d allowed", k, MaxMappingKeys)
			}
		}
		for _, c := range n.Content {
			if at, msg := walk(c, depth+1); at != nil {
				return at, msg
			}
		}
		return nil, ""
	}
	return walk(n, 0)
}

// maxAliasDepth bounds the nesting decodeBudget follows (an alias of an
// enclosing node would otherwise recurse forever; yaml.v3 refuses those).
const maxAliasDepth = 1000
