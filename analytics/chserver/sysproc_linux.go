package chserver

import "syscall"

func sysProcAttr() *syscall.SysProcAttr {
	return &syscall.SysProcAttr{
		// Own process group: Ctrl-C on our terminal must not reach the server
		// before we have shut it down cleanly.
		Setpgid: true,
		// A parent killed without a chance to call Stop must not leave an
		// orphan server holding the data folder and ports.
		Pdeathsig: syscall.SIGTERM,
	}
}
