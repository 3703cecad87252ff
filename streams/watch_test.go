package streams

import "testing"

func TestWatchKey(t *testing.T) {
	for _, tc := range []struct {
		contest, user, key string
		ok                 bool
	}{
		{"t_1", "u-9", "t_1.u-9", true},
		{"*", "u_1", "=.u_1", true},
		{"c", "*", "", false},
		{"c", ">", "", false},
		{"c", "b@d", "", false},
		{"c", "", "", false},
		{">", "u", "", false},
		{"=", "u", "", false},
		{"a.b", "u", "", false},
	} {
		key, ok := WatchKey(tc.contest, tc.user)
		if key != tc.key || ok != tc.ok {
			t.Errorf("WatchKey(%q, %q) = %q %v, want %q %v", tc.contest, tc.user, key, ok, tc.key, tc.ok)
			continue
		}
		if !ok {
			continue
		}
		c, u, ok := ParseWatchKey(key)
		if !ok || c != tc.contest || u != tc.user {
			t.Errorf("ParseWatchKey(%q) = %q %q %v", key, c, u, ok)
		}
	}
	for _, bad := range []string{"", "c", "c.", ".u", "c.u.x", "c.*", "==.u"} {
		if _, _, ok := ParseWatchKey(bad); ok {
			t.Errorf("ParseWatchKey(%q) accepted", bad)
		}
	}
}
