//go:build unix && !linux

package chserver

import "syscall"

func sysProcAttr() *syscall.SysProcAttr {
	// Own process group: Ctrl-C on our terminal must not reach the server
	// before we have shut it down cleanly.
	return &syscall.SysProcAttr{Setpgid: true}
}
