// Package faultkit is test support for econdip's fault-injection tests
// (services/test/reliability) and cluster tests (services/test/cluster/...): they run
// the real econdip binary as child processes, publish a generated load,
// inject a fault in its middle, and end with the same check, that
// ClickHouse holds exactly the events JetStream acknowledged, each once in
// every figure.
//
//   - Generator makes valid lead and deal events and remembers what they add
//     up to; Publisher publishes them asynchronously, sends again whatever
//     went unanswered (same message id), and keeps every acknowledgement;
//     RunLoad drives the two at a given rate.
//   - Binary builds econdip once per test binary; StartProc runs it as a
//     child process that a test can stop, kill and watch; Env and
//     ProcessEnv give a child only the configuration the test means.
//   - WaitDrained waits for the ingest consumers to acknowledge everything;
//     CheckExactlyOnce and CheckStates compare ClickHouse (a database, or one
//     replica's own tables) with the acknowledgements and the generator.
//
// Only tests import it. A package that calls Binary removes the build in
// its TestMain with RemoveBinary.
package faultkit

import (
	"os"
	"strconv"
	"strings"
	"testing"
	"time"
)

// Deadline is now+limit, or earlier to leave the test's -timeout a margin
// of 30 s for its cleanup.
func Deadline(t *testing.T, limit time.Duration) time.Time {
	end := time.Now().Add(limit)
	if d, ok := t.Deadline(); ok && d.Add(-30*time.Second).Before(end) {
		end = d.Add(-30 * time.Second)
	}
	return end
}

// EnvInt reads a positive whole number from the environment variable name,
// for runs by hand; def when it is unset or not one.
func EnvInt(name string, def int) int {
	if n, err := strconv.Atoi(os.Getenv(name)); err == nil && n > 0 {
		return n
	}
	return def
}

// LogTail returns the last n lines of a child's log, for a failure message.
func LogTail(path string, n int) string {
	raw, err := os.ReadFile(path)
	if err != nil {
		return err.Error()
	}
	lines := strings.Split(strings.TrimRight(string(raw), "\n"), "\n")
	return strings.Join(lines[max(0, len(lines)-n):], "\n")
}

// ReadFile returns the content of a file the test needs, a log for
// instance, and fails the test when it cannot be read.
func ReadFile(tb testing.TB, path string) string {
	tb.Helper()
	raw, err := os.ReadFile(path)
	if err != nil {
		tb.Fatal(err)
	}
	return string(raw)
}
