package bench

import "syscall"

// childSysProcAttr asks the kernel to send SIGTERM to a started kite if kitebench itself
// dies without stopping it, so no server is left behind even after a crash or SIGKILL.
func childSysProcAttr() *syscall.SysProcAttr {
	return &syscall.SysProcAttr{Pdeathsig: syscall.SIGTERM}
}
