//go:build !unix

package queue

// lockFile is a no-op where flock is not available: run one process per
// data directory.
func lockFile(string) (func(), error) { return func() {}, nil }
