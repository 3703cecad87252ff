package auth

import (
	_ "embed"
	"errors"
	"fmt"
	"strings"
	"unicode/utf8"
)

// MinNewPassword is the least length (characters) of a password chosen at
// registration; login accepts whatever was registered before the policy.
const MinNewPassword = 10

// ErrWeakPassword wraps every refusal of the password policy.
var ErrWeakPassword = errors.New("weak password")

//go:embed common_passwords.txt
var commonPasswordsFile string

var commonPasswords = func() map[string]bool {
	m := map[string]bool{}
	for _, l := range strings.Split(commonPasswordsFile, "\n") {
		if l = strings.TrimSpace(l); l != "" && !strings.HasPrefix(l, "#") {
			m[strings.ToLower(l)] = true
		}
	}
	return m
}()

// CheckNewPassword applies the registration policy: at least MinNewPassword
// characters, not a common password, not the login, more than three
// different characters.
func CheckNewPassword(login, pw string) error {
	n := utf8.RuneCountInString(pw)
	switch {
	case n < MinNewPassword:
		return fmt.Errorf("%w: at least %d characters", ErrWeakPassword, MinNewPassword)
	case len(pw) > MaxPassword:
		return fmt.Errorf("%w: at most %d bytes", ErrWeakPassword, MaxPassword)
	case commonPasswords[strings.ToLower(pw)]:
		return fmt.Errorf("%w: a commonly used password", ErrWeakPassword)
	case len(login) >= 4 && strings.Contains(strings.ToLower(pw), strings.ToLower(login)):
		return fmt.Errorf("%w: it contains the login", ErrWeakPassword)
	case distinctRunes(pw) <= 3:
		return fmt.Errorf("%w: too few different characters", ErrWeakPassword)
	}
	return nil
}

func distinctRunes(s string) int {
	seen := map[rune]bool{}
	for _, r := range s {
		seen[r] = true
	}
	return len(seen)
}
