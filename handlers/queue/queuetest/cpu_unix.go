//go:build unix

package queuetest

import (
	"syscall"
	"time"
)

// processCPU is this process's CPU time so far (user + system), or 0
// when it cannot be read.
func processCPU() time.Duration {
	var u syscall.Rusage
	if syscall.Getrusage(syscall.RUSAGE_SELF, &u) != nil {
		return 0
	}
	return time.Duration(u.Utime.Nano() + u.Stime.Nano())
}
