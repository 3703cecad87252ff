package testkit

import (
	"io"
	"log/slog"
	"os"
)

// LogEnv names the environment variable that turns test logs on:
// RANKSTREAM_TEST_LOG=debug (or info, warn, error; any other non-empty value
// means info) writes them to stderr.
const LogEnv = "RANKSTREAM_TEST_LOG"

// Logger is the logger of code under test: silent unless LogEnv is set, then
// text on stderr at its level. It never writes through a testing.T, so a
// goroutine that logs after its test has ended is harmless.
func Logger() *slog.Logger {
	v := os.Getenv(LogEnv)
	if v == "" {
		return slog.New(slog.NewTextHandler(io.Discard, nil))
	}
	lvl := slog.LevelInfo
	_ = lvl.UnmarshalText([]byte(v)) // not a level name: info
	return slog.New(slog.NewTextHandler(os.Stderr, &slog.HandlerOptions{Level: lvl}))
}
