package streams

import "testing"

func TestParseEventSubjectCases(t *testing.T) {
	for _, c := range []struct {
		subj           string
		p              int
		provider, user string
		ok             bool
	}{
		{"events.3.acme.u_1", 3, "acme", "u_1", true},
		{"events.0..u", 0, "", "u", true},
		{"events.3.acme", 0, "", "", false},
		{"events.3.acme.u.x", 0, "", "", false},
		{"events.x.acme.u", 0, "", "", false},
		{"scores.3.acme.u", 0, "", "", false},
		{"events", 0, "", "", false},
		{"", 0, "", "", false},
	} {
		p, prov, user, ok := ParseEventSubject(c.subj)
		if p != c.p || prov != c.provider || user != c.user || ok != c.ok {
			t.Errorf("%q: got %d %q %q %v, want %d %q %q %v", c.subj, p, prov, user, ok, c.p, c.provider, c.user, c.ok)
		}
	}
	if n := testing.AllocsPerRun(100, func() { ParseEventSubject("events.12.acme.u_1") }); n != 0 {
		t.Errorf("ParseEventSubject allocates %v times per call", n)
	}
}
