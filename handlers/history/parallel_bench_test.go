package history_test

import (
	"context"
	"fmt"
	"path/filepath"
	"sync/atomic"
	"testing"

	"github.com/leadhook/leadhook/handlers/history"
)

// BenchmarkRecordParallel is many deliveries recording at once on the
// embedded store (the group commit's case).
func BenchmarkRecordParallel(b *testing.B) {
	s, err := history.OpenSQLite(context.Background(), filepath.Join(b.TempDir(), history.FileName))
	if err != nil {
		b.Fatal(err)
	}
	defer s.Close()
	var n atomic.Int64
	b.SetParallelism(32)
	b.ReportAllocs()
	b.RunParallel(func(pb *testing.PB) {
		for pb.Next() {
			r := rec("web", fmt.Sprint(n.Add(1)), history.ModeSync, history.OutcomeOK)
			if err := s.Record(context.Background(), r); err != nil {
				b.Error(err)
				return
			}
		}
	})
}
