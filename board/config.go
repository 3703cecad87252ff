package board

// config holds a tree's node sizes. Tests use small nodes to force splits and
// merges at several levels with few entries.
type config struct {
	// leafCap is the number of entry slots of a leaf (at most what
	// leafWords holds); a leaf holds at most leafCap-1 entries between
	// operations.
	leafCap int
	// innerCap is the number of child slots of an inner node; an inner node
	// holds at most innerCap-1 children between operations.
	innerCap int
	// compactMin is the number of dead arena bytes below which the arena is
	// never rewritten.
	compactMin int
}

// defaultConfig returns the node sizes used by New.
func defaultConfig(nwords int) config {
	return config{leafCap: leafWords / (nwords + 1), innerCap: 128, compactMin: 1 << 16}
}

// minLeaf is the fewest entries a non-root leaf keeps. It is high (3/8)
// because score updates take entries out of leaves all over the board but
// add them mostly near the top; a low bound would let the board's tail
// thin out.
func (c config) minLeaf() int { return max(1, c.leafCap*3/8) }

// minInner is the fewest children a non-root inner node keeps.
func (c config) minInner() int { return max(2, c.innerCap/4) }

// mergeLeaves is the largest entry total of two siblings that are merged
// rather than evened out.
func (c config) mergeLeaves() int { return c.leafCap * 7 / 8 }

// mergeInners is the largest child total of two inner siblings that are
// merged rather than evened out.
func (c config) mergeInners() int { return c.innerCap * 3 / 4 }

// shareRoom is the free room a sibling needs to take entries from a full leaf
// instead of splitting it.
func (c config) shareRoom() int { return max(1, c.leafCap/8) }
