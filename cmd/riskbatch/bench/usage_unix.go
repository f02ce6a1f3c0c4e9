//go:build unix

package bench

import (
	"os"
	"runtime"
	"syscall"
	"time"
)

// processUsage reads the CPU time and peak RSS of an exited child from the
// rusage wait4 returned.
func processUsage(ps *os.ProcessState) (cpu time.Duration, maxRSS int64, ok bool) {
	ru, isRU := ps.SysUsage().(*syscall.Rusage)
	if !isRU || ru == nil {
		return 0, 0, false
	}
	cpu = time.Duration(ru.Utime.Nano() + ru.Stime.Nano())
	maxRSS = int64(ru.Maxrss)
	if runtime.GOOS != "darwin" {
		maxRSS *= 1024 // Linux and the BSDs report KiB; macOS bytes
	}
	return cpu, maxRSS, true
}

// selfCPU is the CPU time this process has used so far.
func selfCPU() time.Duration {
	var ru syscall.Rusage
	if err := syscall.Getrusage(syscall.RUSAGE_SELF, &ru); err != nil {
		return 0
	}
	return time.Duration(ru.Utime.Nano() + ru.Stime.Nano())
}
