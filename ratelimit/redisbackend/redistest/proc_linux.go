package redistest

import (
	"os/exec"
	"syscall"
)

// dieWithParent makes the server exit when the test process dies, even by SIGKILL (a test
// binary killed on a timeout must not leave servers behind).
func dieWithParent(cmd *exec.Cmd) {
	cmd.SysProcAttr = &syscall.SysProcAttr{Pdeathsig: syscall.SIGKILL}
}
