package auth

import (
	"strings"
	"testing"
)

var testHash = HashParams{MemoryKiB: 64, Time: 1, Threads: 1}

func TestPasswordHash(t *testing.T) {
	h, err := HashPassword("correct horse", testHash)
	if err != nil {
		t.Fatal(err)
	}
	if !strings.HasPrefix(h, "$argon2id$v=19$m=64,t=1,p=1$") {
		t.Fatalf("hash %q", h)
	}
	h2, _ := HashPassword("correct horse", testHash)
	if h == h2 {
		t.Fatal("two hashes of one password are equal: no salt")
	}
	for pw, want := range map[string]bool{"correct horse": true, "correct hors": false, "": false} {
		if ok, err := CheckPassword(pw, h); err != nil || ok != want {
			t.Errorf("%q: %v %v", pw, ok, err)
		}
	}
	for _, bad := range []string{"", "$bcrypt$x", "$argon2id$v=19$m=64,t=1,p=1$!!$abc", "$argon2id$v=18$m=64,t=1,p=1$c2FsdA$abc"} {
		if _, err := CheckPassword("x", bad); err == nil {
			t.Errorf("malformed hash %q accepted", bad)
		}
	}
}

func TestDefaultHashParamsVerify(t *testing.T) {
	h, err := HashPassword("pw-default", DefaultHashParams)
	if err != nil {
		t.Fatal(err)
	}
	if ok, err := CheckPassword("pw-default", h); !ok || err != nil {
		t.Fatalf("%v %v", ok, err)
	}
}
