package streams

import (
	"context"
	"strings"
	"testing"
	"time"

	"github.com/nats-io/nats.go"
	"github.com/nats-io/nats.go/jetstream"
)

// openEmbedded opens the streams on an embedded server of their own with
// the given partitions; the 20 s context and the streams end with the test.
func openEmbedded(t *testing.T, partitions int) (context.Context, *Streams) {
	t.Helper()
	ctx, cancel := context.WithTimeout(context.Background(), 20*time.Second)
	t.Cleanup(cancel)
	s, err := Open(ctx, Options{Port: -1, StoreDir: t.TempDir(), Partitions: partitions}, nil)
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(s.Close)
	return ctx, s
}

func TestOpenEmbeddedPartitionsEvents(t *testing.T) {
	ctx, s := openEmbedded(t, 8)
	seen := map[string]int{}
	for _, u := range []string{"u_1", "u_2", "u_3", "u_1", "alice"} {
		m := nats.NewMsg("events.acme." + u)
		m.Data = []byte(`{}`)
		if _, err := s.JS.PublishMsg(ctx, m); err != nil {
			t.Fatal(err)
		}
	}
	cons, err := s.JS.OrderedConsumer(ctx, Events, jetstream.OrderedConsumerConfig{})
	if err != nil {
		t.Fatal(err)
	}
	for i := 0; i < 5; i++ {
		msg, err := cons.Next(jetstream.FetchMaxWait(5 * time.Second))
		if err != nil {
			t.Fatal(err)
		}
		p, prov, user, ok := ParseEventSubject(msg.Subject())
		if !ok || prov != "acme" || p < 0 || p >= 8 {
			t.Fatalf("bad stored subject %q", msg.Subject())
		}
		key := user
		if prev, ok := seen[key]; ok && prev != p {
			t.Fatalf("user %s on partitions %d and %d", user, prev, p)
		}
		seen[key] = p
	}
	// Same user always same partition; the set of users is complete.
	if len(seen) != 4 {
		t.Fatalf("users seen %v", seen)
	}
}

func TestEnsureRefusesPartitionChange(t *testing.T) {
	ctx, s := openEmbedded(t, 8)
	s2 := &Streams{Opts: s.Opts, NC: s.NC, JS: s.JS}
	s2.Opts.Partitions = 16
	if err := s2.Ensure(ctx); err == nil {
		t.Fatal("expected partition change to be refused")
	}
}

func TestScoreSubjectRoundTrip(t *testing.T) {
	cases := []struct {
		c    string
		w    int64
		div  string
		user string
	}{{"t_1", 1700000000, "", "u_1"}, {"x-y", 0, "DE", "abc-_"},
		{"c", 1, "live.casino", "u"}, {"c", 1, "a b", "u"}, {"c", 1, "Köln", "u"}, {"c", 1, "*", "u"}, {"c", 1, ">", "u"}, {"c", 1, "~", "u"}}
	for _, tc := range cases {
		for _, subj := range []string{ScoreSubject(4, 3, tc.c, tc.w, tc.div, tc.user), LegacyScoreSubject(tc.c, tc.w, tc.div, tc.user)} {
			toks := strings.Split(subj, ".")
			if (len(toks) != 7 && len(toks) != 5) || strings.ContainsAny(subj, " *>") {
				t.Fatalf("division %q gives subject %q: not seven (or five, legacy) safe tokens", tc.div, subj)
			}
			c, w, d, u, ok := ParseScoreSubject(subj)
			if !ok || c != tc.c || w != tc.w || d != tc.div || u != tc.user {
				t.Fatalf("round trip %q: %v %v %v %v %v", subj, c, w, d, u, ok)
			}
		}
	}
	for _, bad := range []string{"scores.a.b", "scores.4.3.c.1.D.u.x", "scores.4.3.c.1.D.u.x.y", "scores.c.x.D.u", "events.c.1.D.u", "", "scores"} {
		if _, _, _, _, ok := ParseScoreSubject(bad); ok {
			t.Fatalf("%q accepted", bad)
		}
	}
	subj := ScoreSubject(4, 3, "t_1", 1700000000, "DE", "u_1")
	if n := testing.AllocsPerRun(100, func() { ParseScoreSubject(subj) }); n != 0 {
		t.Errorf("ParseScoreSubject allocates %v times per call", n)
	}
}

// TestScoresFiltersApart: the filters a ranker combines on one consumer
// (cut markers, legacy subjects, its groups, other generations) never match
// the same subject, so JetStream takes them together, and each matches what
// it names.
func TestScoresFiltersApart(t *testing.T) {
	filters := []string{ScoresCutFilter, ScoresLegacyFilter, ScoresGroupFilter(4, 0), ScoresGroupFilter(4, 3), ScoresGenerationFilter(1)}
	subjects := map[string]string{
		"scores.~cut.7":                        ScoresCutFilter,
		LegacyScoreSubject("4", 0, "x", "u"):   ScoresLegacyFilter, // a contest named like a group count
		ScoreSubject(4, 0, "c", 1, "", "u"):    ScoresGroupFilter(4, 0),
		ScoreSubject(4, 3, "1", 1, "a.b", "u"): ScoresGroupFilter(4, 3),
		ScoreSubject(1, 0, "c", 1, "", "u"):    ScoresGenerationFilter(1),
		ScoreSubject(4, 1, "c", 1, "", "u"):    "",
	}
	for subj, want := range subjects {
		var got []string
		for _, f := range filters {
			if subjectMatches(f, subj) {
				got = append(got, f)
			}
		}
		if (want == "" && len(got) != 0) || (want != "" && (len(got) != 1 || got[0] != want)) {
			t.Errorf("%s matched %v, want only %q", subj, got, want)
		}
	}
	meta, added := WithScoreGeneration(map[string]string{"other": "x"}, 4)
	meta, _ = WithScoreGeneration(meta, 1)
	if _, again := WithScoreGeneration(meta, 4); !added || again || meta["other"] != "x" || meta[ScoresGenerationsMeta] != "1,4" {
		t.Fatalf("generations %v", meta)
	}
}

// subjectMatches is NATS token matching of a filter with '*' only.
func subjectMatches(filter, subj string) bool {
	f, s := strings.Split(filter, "."), strings.Split(subj, ".")
	if len(f) != len(s) {
		return false
	}
	for i := range f {
		if f[i] != "*" && f[i] != s[i] {
			return false
		}
	}
	return true
}
