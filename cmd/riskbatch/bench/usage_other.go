//go:build !unix

package bench

import (
	"os"
	"time"
)

// processUsage: without rusage, only the CPU time the os package reports.
func processUsage(ps *os.ProcessState) (cpu time.Duration, maxRSS int64, ok bool) {
	return ps.UserTime() + ps.SystemTime(), 0, true
}

func selfCPU() time.Duration { return 0 }
