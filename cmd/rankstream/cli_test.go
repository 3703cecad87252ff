package main

import (
	"strings"
	"testing"
)

// TestCLIHelpAndBadUsage (CONTRACT.md §8): every command and subcommand
// answers --help / -h with its usage on stdout and exit 0; a bad flag or
// argument exits 2 with the usage on stderr and nothing on stdout.
func TestCLIHelpAndBadUsage(t *testing.T) {
	commands := [][]string{{"run"}, {"loadgen"}, {"replay"}, {"simulate"}, {"health"}, {"contest"}, {"contest", "lint"}}
	for _, cmd := range commands {
		name := strings.Join(cmd, " ")
		for _, h := range []string{"--help", "-h", "-help"} {
			code, out, errOut := runCLI(append(append([]string(nil), cmd...), h)...)
			if code != 0 || !strings.HasPrefix(out, "usage: rankstream "+name) || errOut != "" {
				t.Errorf("%s %s: exit %d, stdout %q, stderr %q; want 0 and the usage on stdout", name, h, code, out, errOut)
			}
		}
		code, out, _ := runCLI("help", cmd[0])
		if code != 0 || !strings.HasPrefix(out, "usage: rankstream "+cmd[0]) {
			t.Errorf("help %s: exit %d, stdout %q", cmd[0], code, out)
		}
	}
	bad := [][]string{
		{"run", "--no-such-flag"}, {"run", "stray"}, {"run", "--config"},
		{"loadgen", "--rate", "fast"}, {"loadgen", "--duration", "x"}, {"loadgen", "extra"},
		{"replay"}, {"replay", "--contest"}, {"replay", "--bogus"}, {"replay", "--contest", "c", "stray"},
		{"replay", "--top", "many", "--contest", "c"},
		{"simulate"}, {"simulate", "--rules", "r.yml"}, {"simulate", "--from", "x", "--bogus"},
		{"contest"}, {"contest", "check"}, {"contest", "--bogus"},
		{"contest", "lint"}, {"contest", "lint", "--bogus", "f.yml"},
		{"health", "--bogus"}, {"health", "stray"}, {"health", "--timeout", "soon"},
	}
	for _, args := range bad {
		code, out, errOut := runCLI(args...)
		prefix := "usage: rankstream " + args[0]
		if code != 2 || out != "" || !strings.Contains(errOut, prefix) || !strings.HasPrefix(errOut, "rankstream ") {
			t.Errorf("%q: exit %d, stdout %q, stderr %q; want 2 and an error with the usage on stderr", args, code, out, errOut)
		}
	}
	// The top level: no command or an unknown one is a usage error; help is not.
	for _, args := range [][]string{{}, {"frobnicate"}, {"--bogus"}} {
		if code, out, errOut := runCLI(args...); code != 2 || out != "" || !strings.Contains(errOut, "usage:") {
			t.Errorf("%q: exit %d, stdout %q, stderr %q", args, code, out, errOut)
		}
	}
	for _, args := range [][]string{{"help"}, {"--help"}, {"-h"}, {"help", "help"}} {
		if code, out, errOut := runCLI(args...); code != 0 || !strings.Contains(out, "usage:") || errOut != "" {
			t.Errorf("%q: exit %d, stdout %q, stderr %q", args, code, out, errOut)
		}
	}
}
