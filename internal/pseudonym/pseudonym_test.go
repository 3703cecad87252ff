package pseudonym

import (
	"regexp"
	"testing"
)

func TestPseudonymStableKeyedAndShaped(t *testing.T) {
	f, g := New("key-one-0123456789"), New("key-two-0123456789")
	a := f.Apply("u_123")
	if a != f.Apply("u_123") {
		t.Fatal("not stable")
	}
	if a == "u_123" || a == f.Apply("u_124") || a == g.Apply("u_123") {
		t.Fatalf("pseudonym %q leaks or collides", a)
	}
	if !regexp.MustCompile(`^p_[a-z2-7]{16}$`).MatchString(a) {
		t.Fatalf("pseudonym %q is not id-shaped", a)
	}
	var none Func = New("")
	if none.Apply("u_1") != "u_1" {
		t.Fatal("no key must show ids")
	}
}
