package reliability

import (
	"bytes"
	"fmt"
	"os"
	"os/exec"
	"path/filepath"
	"strconv"
	"strings"
	"syscall"
	"testing"
	"time"

	"econdip/analytics/chtest"
	"econdip/services/test/reliability/faultkit"
)

func TestMain(m *testing.M) {
	code := chtest.Run(m, "econdip_test_reliability")
	faultkit.RemoveBinary()
	os.Exit(code)
}

// ingestEnv is the configuration of an econdip process working against the
// test's NATS and ClickHouse database; dataDir holds its reference files.
func ingestEnv(natsURL, database, dataDir string) []string {
	return faultkit.Env(natsURL, chtest.Addr(), database, dataDir,
		"ECONDIP_INGEST_ADDR=off", // no health port: restarts must not wait for one
	)
}

// runEcondip runs one econdip command to its end and returns its standard
// output and error output.
func runEcondip(tb testing.TB, env []string, args ...string) (stdout, stderr string, err error) {
	tb.Helper()
	cmd := exec.Command(faultkit.Binary(tb), args...)
	cmd.Env = env
	var out, errOut bytes.Buffer
	cmd.Stdout, cmd.Stderr = &out, &errOut
	cmd.SysProcAttr = &syscall.SysProcAttr{Pdeathsig: syscall.SIGKILL}
	err = cmd.Run()
	return out.String(), errOut.String(), err
}

// ingestLogIn is the log file of a test's ingest processes in dir; its last
// lines are shown when the test fails.
func ingestLogIn(t *testing.T, dir string) string {
	logPath := filepath.Join(dir, "ingest.log")
	t.Cleanup(func() {
		if t.Failed() {
			t.Logf("ingest log (last lines):\n%s", faultkit.LogTail(logPath, 40))
		}
	})
	return logPath
}

// cpuUse is where the machine's CPU time went during a test: this process
// (the publisher and, when embedded, NATS), the econdip children, and the
// rest of the machine (ClickHouse, and anything else running).
type cpuUse struct {
	self, children, clickhouse, machine time.Duration
}

func (c cpuUse) String() string {
	return fmt.Sprintf("CPU: test process (publisher, NATS) %.0fs, econdip processes %.0fs, ClickHouse %.0fs, rest of the machine %.0fs",
		c.self.Seconds(), c.children.Seconds(), c.clickhouse.Seconds(), (c.machine - c.self - c.children - c.clickhouse).Seconds())
}

// cpuSample is the CPU time used so far by this process, its ClickHouse
// children (the package's server, a child of the test binary) and the
// whole machine.
type cpuSample struct{ self, clickhouse, machine time.Duration }

func cpuNow() cpuSample {
	var c cpuSample
	var ru syscall.Rusage
	if err := syscall.Getrusage(syscall.RUSAGE_SELF, &ru); err == nil {
		c.self = time.Duration(ru.Utime.Nano() + ru.Stime.Nano())
	}
	c.clickhouse = clickhouseCPU()
	raw, err := os.ReadFile("/proc/stat")
	if err != nil {
		return c
	}
	line, _, _ := strings.Cut(string(raw), "\n")
	f := strings.Fields(line) // cpu user nice system idle iowait irq softirq steal ...
	var busy int64
	for i, v := range f[1:] {
		if i == 3 || i == 4 { // idle, iowait
			continue
		}
		var n int64
		fmt.Sscan(v, &n)
		busy += n
	}
	c.machine = time.Duration(busy) * 10 * time.Millisecond // USER_HZ is 100 on Linux
	return c
}

// since is the CPU used between two samples; children is what the test's
// econdip processes used.
func (c cpuSample) since(before cpuSample, children time.Duration) cpuUse {
	return cpuUse{self: c.self - before.self, children: children, clickhouse: c.clickhouse - before.clickhouse, machine: c.machine - before.machine}
}

// clickhouseCPU is the CPU time of the ClickHouse servers this process started.
func clickhouseCPU() time.Duration {
	dirs, _ := filepath.Glob("/proc/[0-9]*/stat")
	me := strconv.Itoa(os.Getpid())
	var total int64
	for _, d := range dirs {
		raw, err := os.ReadFile(d)
		if err != nil {
			continue
		}
		s := string(raw)
		end := strings.LastIndexByte(s, ')')
		if end < 0 || !strings.Contains(s[:end], "clickhouse") {
			continue
		}
		f := strings.Fields(s[end+1:]) // state ppid ... utime(12) stime(13)
		if len(f) < 13 || f[1] != me {
			continue
		}
		u, _ := strconv.ParseInt(f[11], 10, 64)
		st, _ := strconv.ParseInt(f[12], 10, 64)
		total += u + st
	}
	return time.Duration(total) * 10 * time.Millisecond
}
