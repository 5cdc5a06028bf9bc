//go:build unix

package chserver

import (
	"errors"
	"os"
	"runtime"
	"strconv"
	"strings"
	"syscall"
)

// clickhouseRunning reports whether pid is a live process that is plausibly a
// ClickHouse server; after a reboot a stale pid file can name a reused pid.
func clickhouseRunning(pid int) bool {
	err := syscall.Kill(pid, 0)
	if err != nil && !errors.Is(err, syscall.EPERM) {
		return false
	}
	if runtime.GOOS != "linux" {
		return true
	}
	cmdline, err := os.ReadFile("/proc/" + strconv.Itoa(pid) + "/cmdline")
	if err != nil {
		return true
	}
	// A zombie has an empty command line and is as good as gone.
	return strings.Contains(string(cmdline), "clickhouse")
}

func killGroup(pid int) {
	_ = syscall.Kill(-pid, syscall.SIGKILL)
	_ = syscall.Kill(pid, syscall.SIGKILL)
}

// killGroupLeftovers ends what is left of the process group of a server that
// has exited and been reaped. Only the group is signalled: the pid itself
// may belong to another process by now, but a group id is not reused while
// a member lives.
func killGroupLeftovers(pgid int) { _ = syscall.Kill(-pgid, syscall.SIGKILL) }
