package testkit

import (
	"io"
	"log/slog"
	"os"
)

// LogEnv names the environment variable that turns test logs on:
// RANKSTREAM_TEST_LOG=debug (or info, warn, error) writes them to stderr.
const LogEnv = "RANKSTREAM_TEST_LOG"

// Logger is the logger of code under test: silent unless LogEnv names a
// level, then text on stderr at that level. It never writes through a
// testing.T, so a goroutine that logs after its test has ended is harmless.
func Logger() *slog.Logger {
	var lvl slog.Level
	if v := os.Getenv(LogEnv); v == "" || lvl.UnmarshalText([]byte(v)) != nil {
		return slog.New(slog.NewTextHandler(io.Discard, nil))
	}
	return slog.New(slog.NewTextHandler(os.Stderr, &slog.HandlerOptions{Level: lvl}))
}
