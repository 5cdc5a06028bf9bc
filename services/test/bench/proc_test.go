package bench_test

import (
	"net"
	"os"
	"os/exec"
	"strings"
	"testing"
	"time"

	"econdip/services/test/bench"
)

func TestProcessMeasurements(t *testing.T) {
	// Some CPU to account for.
	x := 0
	for deadline := time.Now().Add(50 * time.Millisecond); time.Now().Before(deadline); {
		x++
	}
	cpu, err := bench.CPUTime(os.Getpid())
	if err != nil || cpu <= 0 {
		t.Errorf("CPUTime = %s, %v", cpu, err)
	}
	mem, err := bench.MemoryOf(os.Getpid())
	if err != nil || mem.RSS == 0 || mem.Peak < mem.RSS {
		t.Errorf("MemoryOf = %+v, %v", mem, err)
	}
	ln, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	defer ln.Close()
	pid, err := bench.PIDListening(ln.Addr().(*net.TCPAddr).Port)
	if err != nil || pid != os.Getpid() {
		t.Errorf("PIDListening = %d, %v; want %d", pid, err, os.Getpid())
	}
	if m := bench.Machine(); !strings.Contains(m, "cores") || !strings.Contains(m, "load average") {
		t.Errorf("Machine = %q", m)
	}
	if _, err := bench.CPUTime(-1); err == nil {
		t.Error("CPUTime of no process: no error")
	}
}

func TestRunning(t *testing.T) {
	if !bench.Running(os.Getpid()) {
		t.Error("Running(this process) = false")
	}
	// A child that exits stays a zombie until it is waited for: not running.
	cmd := exec.Command("true")
	if err := cmd.Start(); err != nil {
		t.Fatal(err)
	}
	pid := cmd.Process.Pid
	for deadline := time.Now().Add(30 * time.Second); bench.Running(pid); time.Sleep(10 * time.Millisecond) {
		if time.Now().After(deadline) {
			t.Fatalf("child %d that ran true still running after 30 s", pid)
		}
	}
	if err := cmd.Wait(); err != nil {
		t.Fatal(err)
	}
	if bench.Running(pid) {
		t.Errorf("Running(%d) = true once reaped", pid)
	}
}
