//go:build !unix

package chserver

import (
	"os"
	"syscall"
)

// ClickHouse servers run only on Unix; these keep the package compiling elsewhere.

func sysProcAttr() *syscall.SysProcAttr { return nil }

func clickhouseRunning(pid int) bool {
	p, err := os.FindProcess(pid)
	if err != nil {
		return false
	}
	_ = p.Release()
	return true
}

func killGroup(pid int) {
	if p, err := os.FindProcess(pid); err == nil {
		_ = p.Kill()
	}
}

func killGroupLeftovers(int) {}
