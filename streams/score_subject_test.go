package streams

import (
	"testing"

	"github.com/rankstream/rankstream/internal/subjtok"
)

func TestAppendScoreSubject(t *testing.T) {
	for _, c := range []struct {
		groups, group int
		contest       string
		window        int64
		div, user     string
		want          string
	}{
		{4, 3, "t_1", 1700000000, "DE", "u_1", "scores.4.3.t_1.1700000000.DE.u_1"},
		{1, 0, "c", -5, "", "u", "scores.1.0.c.-5." + subjtok.Empty + ".u"},
		{16, 15, "c", 1, "live.casino", "u", "scores.16.15.c.1." + subjtok.Encode("live.casino") + ".u"},
	} {
		if got := ScoreSubject(c.groups, c.group, c.contest, c.window, c.div, c.user); got != c.want {
			t.Errorf("ScoreSubject = %q, want %q", got, c.want)
		}
		// Appended after what dst holds, which stays as it was.
		got := AppendScoreSubject([]byte("x|"), c.groups, c.group, c.contest, c.window, c.div, c.user)
		if string(got) != "x|"+c.want {
			t.Errorf("AppendScoreSubject = %q, want %q", got, "x|"+c.want)
		}
	}
	buf := make([]byte, 0, 256)
	if n := testing.AllocsPerRun(100, func() { buf = AppendScoreSubject(buf[:0], 4, 3, "t_1", 1, "DE", "u_1") }); n != 0 {
		t.Errorf("AppendScoreSubject into a large enough buffer allocates %v times", n)
	}
}
