package streams

import (
	"slices"
	"strconv"
	"strings"

	"github.com/rankstream/rankstream/internal/subjtok"
)

// SCORES subjects (docs/architecture.md, "SCORES subjects"). A standing is
// published on
//
//	scores.<groups>.<group>.<contest>.<window start unix>.<division>.<user>
//
// where <group> is the board's group among <groups> (aggregator.GroupOf), so a
// ranker process filters on the groups it holds. Older subjects stay
// readable: the pre-group scheme scores.<contest>.<window>.<division>.<user>
// ("legacy", five tokens) and the subjects of another group count (a
// "generation", listed in the stream's ScoresGenerationsMeta) are read by
// every ranker and dropped when not its group. Cut markers are
// scores.~cut.<partition> (three tokens). Token counts keep the filters
// apart: JetStream refuses overlapping filters on one consumer.
const (
	// ScoresCutFilter matches the cut markers.
	ScoresCutFilter = "scores.~cut.*"
	// ScoresLegacyFilter matches the standings of the pre-group scheme.
	ScoresLegacyFilter = "scores.*.*.*.*"
	// ScoresGenerationsMeta is the SCORES stream metadata key listing the
	// group counts standings were published under ("1,4").
	ScoresGenerationsMeta = "rankstream_board_groups"
)

// ScoreSubject is the compacted subject of one user's standing on one board,
// the board in group group of groups; the division value is encoded as one
// token (internal/subjtok: any value, '.', ' ', '*' included).
func ScoreSubject(groups, group int, contestID string, window int64, division, user string) string {
	return string(AppendScoreSubject(make([]byte, 0, 32+len(contestID)+len(division)+len(user)),
		groups, group, contestID, window, division, user))
}

// AppendScoreSubject appends ScoreSubject's subject to dst (a publisher
// building many subjects into one buffer allocates none of them).
func AppendScoreSubject(dst []byte, groups, group int, contestID string, window int64, division, user string) []byte {
	dst = append(dst, "scores."...)
	dst = strconv.AppendInt(dst, int64(groups), 10)
	dst = append(dst, '.')
	dst = strconv.AppendInt(dst, int64(group), 10)
	dst = append(dst, '.')
	dst = append(dst, contestID...)
	dst = append(dst, '.')
	dst = strconv.AppendInt(dst, window, 10)
	dst = append(dst, '.')
	dst = append(dst, subjtok.Encode(division)...)
	dst = append(dst, '.')
	return append(dst, user...)
}

// LegacyScoreSubject is the pre-group subject of a standing (what SCORES
// holds from before the upgrade; tests of the upgrade write it).
func LegacyScoreSubject(contestID string, window int64, division, user string) string {
	return "scores." + contestID + "." + strconv.FormatInt(window, 10) + "." + subjtok.Encode(division) + "." + user
}

// ScoresGroupFilter matches the standings of group group of groups.
func ScoresGroupFilter(groups, group int) string {
	return "scores." + strconv.Itoa(groups) + "." + strconv.Itoa(group) + ".*.*.*.*"
}

// ScoresGenerationFilter matches every standing published under groups.
func ScoresGenerationFilter(groups int) string {
	return "scores." + strconv.Itoa(groups) + ".*.*.*.*.*"
}

// ScoresWindowFilters match every standing of one window, in both schemes.
func ScoresWindowFilters(contestID string, window int64) []string {
	w := strconv.FormatInt(window, 10)
	return []string{"scores.*.*." + contestID + "." + w + ".*.*", "scores." + contestID + "." + w + ".*.*"}
}

// ParseScoreSubject is the inverse of ScoreSubject and LegacyScoreSubject.
// It runs for every standing the ranker reads: the tokens are substrings of
// subj (no allocation unless the division token is encoded).
func ParseScoreSubject(subj string) (contestID string, window int64, division, user string, ok bool) {
	var tok [7]string
	n := 0
	for rest := subj; ; n++ {
		if n == len(tok) {
			return "", 0, "", "", false
		}
		head, tail, more := strings.Cut(rest, ".")
		tok[n] = head
		if !more {
			n++
			break
		}
		rest = tail
	}
	parts := tok[:n]
	switch {
	case len(parts) == 7 && parts[0] == "scores":
		parts = parts[2:]
		parts[0] = "scores"
	case len(parts) != 5 || parts[0] != "scores":
		return "", 0, "", "", false
	}
	w, err := strconv.ParseInt(parts[2], 10, 64)
	if err != nil {
		return "", 0, "", "", false
	}
	div, err := subjtok.Decode(parts[3])
	if err != nil {
		return "", 0, "", "", false
	}
	return parts[1], w, div, parts[4], true
}

// ScoreGenerations are the group counts meta lists (ScoresGenerationsMeta).
func ScoreGenerations(meta map[string]string) []int {
	var out []int
	for _, s := range strings.Split(meta[ScoresGenerationsMeta], ",") {
		if n, err := strconv.Atoi(strings.TrimSpace(s)); err == nil && n > 0 && !slices.Contains(out, n) {
			out = append(out, n)
		}
	}
	slices.Sort(out)
	return out
}

// WithScoreGeneration is meta with groups added to ScoresGenerationsMeta; ok
// false when it is there already.
func WithScoreGeneration(meta map[string]string, groups int) (map[string]string, bool) {
	gens := ScoreGenerations(meta)
	if slices.Contains(gens, groups) {
		return meta, false
	}
	gens = append(gens, groups)
	slices.Sort(gens)
	s := make([]string, len(gens))
	for i, n := range gens {
		s[i] = strconv.Itoa(n)
	}
	out := make(map[string]string, len(meta)+1)
	for k, v := range meta {
		out[k] = v
	}
	out[ScoresGenerationsMeta] = strings.Join(s, ",")
	return out, true
}
