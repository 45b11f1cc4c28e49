// Package queuetest holds what the queued-intake benchmarks share: posting
// deliveries over HTTP from concurrent clients and reporting the p99 of
// their answers.
package queuetest

import (
	"io"
	"net/http"
	"slices"
	"sync"
	"testing"
	"time"
)

// PostParallel sends newReq(i) for b.N deliveries from 8 concurrent
// clients (2 per GOMAXPROCS on 2 cores), fails on an answer other than
// want, and reports the answers' p99 as p99-ms and the process's CPU
// time per delivery (server and clients, both in this process) as
// cpu-µs/op: on a machine shared with other work, wall time per
// delivery moves with the load and CPU time does much less.
func PostParallel(b *testing.B, client *http.Client, want int, newReq func() *http.Request) {
	if t, ok := client.Transport.(*http.Transport); ok {
		t.MaxIdleConnsPerHost = 16
	}
	var mu sync.Mutex
	var lat []time.Duration
	b.SetParallelism(4)
	b.ReportAllocs()
	b.ResetTimer()
	cpu0 := processCPU()
	b.RunParallel(func(pb *testing.PB) {
		var mine []time.Duration
		for pb.Next() {
			req := newReq()
			start := time.Now()
			resp, err := client.Do(req)
			if err != nil {
				b.Error(err)
				return
			}
			_, _ = io.Copy(io.Discard, resp.Body)
			resp.Body.Close()
			mine = append(mine, time.Since(start))
			if resp.StatusCode != want {
				b.Errorf("status %d, want %d", resp.StatusCode, want)
				return
			}
		}
		mu.Lock()
		lat = append(lat, mine...)
		mu.Unlock()
	})
	b.StopTimer()
	if cpu := processCPU() - cpu0; cpu > 0 {
		b.ReportMetric(float64(cpu.Microseconds())/float64(b.N), "cpu-µs/op")
	}
	if len(lat) > 0 {
		slices.Sort(lat)
		b.ReportMetric(float64(lat[len(lat)*99/100].Microseconds())/1000, "p99-ms")
	}
}
