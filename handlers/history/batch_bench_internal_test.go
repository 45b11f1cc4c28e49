//go:build unix

package history

import (
	"context"
	"fmt"
	"path/filepath"
	"syscall"
	"testing"
	"time"
)

// BenchmarkCommitBatch is the record commit per record for batches of 1,
// 2, 4 and 16 records (ns/op and allocs are per record): what the group
// commit saves when records arriving close together share a transaction.
// cpu-ns/op is the process's CPU time (user and system, getrusage) spent
// in the commits, per record: the wall time on a shared machine says
// little.
func BenchmarkCommitBatch(b *testing.B) {
	for _, k := range []int{1, 2, 4, 16} {
		b.Run(fmt.Sprint(k), func(b *testing.B) {
			s, err := OpenSQLite(context.Background(), filepath.Join(b.TempDir(), FileName))
			if err != nil {
				b.Fatal(err)
			}
			defer s.Close()
			ctx := context.Background()
			n := 0
			row := func() []any {
				var args []any
				capture := func(_ context.Context, _ string, a ...any) error { args = a; return nil }
				n++
				id := fmt.Sprintf("sha256:%032x", n)
				ev := fullEvent()
				ev.EventID = id
				if err := s.RecordOn(ctx, capture, &Record{ID: ID("website", id), Source: "website", DeliveryID: id, Mode: ModeSync,
					RulesVersion: "0bd69dbfe1aca5da6f0c52b2e1d7b071b8b7b57d0fa52ed007448257331a22d7", Outcome: OutcomeOK, Status: 200, Events: []Event{ev}}); err != nil {
					b.Fatal(err)
				}
				return args
			}
			b.ReportAllocs()
			var cpu time.Duration
			for i := 0; i < b.N; i += k {
				b.StopTimer()
				rows := make([][]any, k)
				for j := range rows {
					rows[j] = row()
				}
				b.StartTimer()
				start := cpuTime(b)
				errs, err := s.commitRecords(ctx, rows)
				cpu += cpuTime(b) - start
				if err != nil {
					b.Fatal(err)
				}
				for _, err := range errs {
					if err != nil {
						b.Fatal(err)
					}
				}
			}
			b.ReportMetric(float64(cpu.Nanoseconds())/float64(b.N), "cpu-ns/op")
		})
	}
}

// cpuTime is the process's user and system CPU time so far.
func cpuTime(b *testing.B) time.Duration {
	var ru syscall.Rusage
	if err := syscall.Getrusage(syscall.RUSAGE_SELF, &ru); err != nil {
		b.Fatal(err)
	}
	return time.Duration(ru.Utime.Nano() + ru.Stime.Nano())
}
