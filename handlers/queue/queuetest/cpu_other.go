//go:build !unix

package queuetest

import "time"

// processCPU is 0 where getrusage is not: no cpu-µs/op is reported.
func processCPU() time.Duration { return 0 }
