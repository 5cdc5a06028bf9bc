package chserver

import (
	"bytes"
	"context"
	"io"
	"log/slog"
	"os"
	"path/filepath"
	"slices"
	"strings"
	"syscall"
	"testing"
	"time"
)

// supervise starts a supervised server on dir; its log goes to the test's
// output and to logPath, which the test reads.
func supervise(t *testing.T, dir, logPath string) *Supervised {
	t.Helper()
	logFile, err := os.Create(logPath)
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { logFile.Close() })
	ctx, cancel := context.WithTimeout(t.Context(), 90*time.Second)
	defer cancel()
	sv, err := Supervise(ctx, Options{Dir: dir, Logger: slog.New(slog.NewTextHandler(io.MultiWriter(logFile, t.Output()), nil))})
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { _ = sv.Stop() })
	return sv
}

func readLog(t *testing.T, path string) string {
	t.Helper()
	raw, err := os.ReadFile(path)
	if err != nil {
		t.Fatal(err)
	}
	return string(raw)
}

// serversOf lists the live processes whose command line names the config
// file of the server in dir: what Stop must leave none of.
func serversOf(dir string) []string {
	config := filepath.Join(dir, "config", "config.xml")
	paths, _ := filepath.Glob("/proc/[0-9]*/cmdline")
	var out []string
	for _, p := range paths {
		raw, err := os.ReadFile(p)
		if err == nil && bytes.Contains(raw, []byte(config)) {
			out = append(out, filepath.Base(filepath.Dir(p)))
		}
	}
	return out
}

func waitFor(t *testing.T, timeout time.Duration, what string, cond func() bool) {
	t.Helper()
	deadline := time.Now().Add(timeout)
	for !cond() {
		if time.Now().After(deadline) {
			t.Fatalf("%s: not within %s", what, timeout)
		}
		time.Sleep(50 * time.Millisecond)
	}
}

// A server killed with SIGKILL is started again on its folder and ports,
// with its data, and the exit is logged with the pid and the signal.
func TestSupervisedServerComesBackAfterKill(t *testing.T) {
	if _, _, err := FindBinary(); err != nil {
		t.Skip(err)
	}
	dir := t.TempDir()
	logPath := filepath.Join(t.TempDir(), "supervise.log")
	sv := supervise(t, dir, logPath)
	conn := connect(t, sv.Addr)
	if err := conn.Exec(t.Context(), "CREATE TABLE t (a UInt32, b String) ENGINE = MergeTree ORDER BY a"); err != nil {
		t.Fatal(err)
	}
	batch, err := conn.PrepareBatch(t.Context(), "INSERT INTO t (a, b)")
	if err != nil {
		t.Fatal(err)
	}
	want := []row{{1, "kept"}}
	if err := batch.Append(want[0].A, want[0].B); err != nil {
		t.Fatal(err)
	}
	if err := batch.Send(); err != nil {
		t.Fatal(err)
	}

	first := sv.Pid()
	killed := time.Now()
	if err := syscall.Kill(first, syscall.SIGKILL); err != nil {
		t.Fatal(err)
	}
	waitFor(t, 60*time.Second, "the server started again", func() bool { return sv.Restarts() == 1 && sv.Pid() != 0 })
	t.Logf("back %s after the kill", time.Since(killed).Round(time.Millisecond))
	if sv.Pid() == first {
		t.Errorf("pid %d after the restart, the killed one's", first)
	}
	// The connection opened before the kill works again: same address.
	var got []row
	waitFor(t, 10*time.Second, "the old connection reads again", func() bool {
		rows, err := conn.Query(t.Context(), "SELECT a, b FROM t ORDER BY a")
		if err != nil {
			return false
		}
		defer rows.Close()
		got = got[:0]
		for rows.Next() {
			var r row
			if rows.Scan(&r.A, &r.B) == nil {
				got = append(got, r)
			}
		}
		return rows.Err() == nil
	})
	if !slices.Equal(got, want) {
		t.Errorf("rows after the restart = %v, want %v", got, want)
	}
	log := readLog(t, logPath)
	if !strings.Contains(log, "clickhouse exited on its own") || !strings.Contains(log, "signal: killed") || !strings.Contains(log, "clickhouse started again") {
		t.Errorf("the exit and the restart are not logged with the signal:\n%s", log)
	}

	if err := sv.Stop(); err != nil {
		t.Errorf("Stop: %v", err)
	}
	if left := serversOf(dir); len(left) > 0 {
		t.Errorf("processes left after Stop: %v", left)
	}
	if sv.Restarts() != 1 {
		t.Errorf("%d restarts, want 1", sv.Restarts())
	}
}

// Stop while the server is down, waiting to be started again or starting,
// starts nothing afterwards and leaves no process behind.
func TestSupervisedStopDuringRestartLeavesNothing(t *testing.T) {
	if _, _, err := FindBinary(); err != nil {
		t.Skip(err)
	}
	for _, tc := range []struct {
		name  string
		delay time.Duration
		stop  func(sv *Supervised) bool // when to call Stop after the kill
	}{
		// The restart waits an hour: Stop comes during the wait.
		{"during the delay", time.Hour, func(*Supervised) bool { return true }},
		// No delay: Stop comes while the new process starts (its pid file is written).
		{"while starting", time.Millisecond, func(sv *Supervised) bool {
			_, err := os.Stat(filepath.Join(sv.Dir, pidFileName))
			return err == nil
		}},
	} {
		t.Run(tc.name, func(t *testing.T) {
			defer func(d time.Duration) { minRestartDelay = d }(minRestartDelay)
			minRestartDelay = tc.delay
			dir := t.TempDir()
			logPath := filepath.Join(t.TempDir(), "supervise.log")
			sv := supervise(t, dir, logPath)
			if err := syscall.Kill(sv.Pid(), syscall.SIGKILL); err != nil {
				t.Fatal(err)
			}
			waitFor(t, 10*time.Second, "the exit noticed", func() bool { return sv.Pid() == 0 })
			waitFor(t, 10*time.Second, "the moment to stop", func() bool { return tc.stop(sv) })
			done := make(chan error, 1)
			go func() { done <- sv.Stop() }()
			select {
			case <-done:
			case <-time.After(30 * time.Second):
				t.Fatal("Stop did not return within 30 s")
			}
			if left := serversOf(dir); len(left) > 0 {
				t.Errorf("processes left after Stop: %v\n%s", left, readLog(t, logPath))
			}
			// Stop may come just after a start ended: then it stopped that server.
			if sv.Restarts() > 1 || (tc.delay == time.Hour && sv.Restarts() > 0) {
				t.Errorf("%d servers started again around Stop:\n%s", sv.Restarts(), readLog(t, logPath))
			}
		})
	}
}
