package queue_test

import (
	"fmt"
	"net/http"
	"sync"
	"testing"

	"github.com/leadhook/leadhook/handlers"
	"github.com/leadhook/leadhook/handlers/queue"
)

// BenchmarkEnqueueParallel is the embedded store's group commit alone
// (no HTTP): 1, 8 and 32 goroutines enqueueing 600-byte deliveries.
func BenchmarkEnqueueParallel(b *testing.B) {
	for _, n := range []int{1, 8, 32} {
		b.Run(fmt.Sprint(n), func(b *testing.B) {
			q, err := queue.Open(b.Context(), queue.Options{DataDir: b.TempDir()})
			if err != nil {
				b.Fatal(err)
			}
			defer q.Close()
			b.ReportAllocs()
			var seq int
			var mu sync.Mutex
			b.ResetTimer()
			var wg sync.WaitGroup
			per := b.N / n
			for range n {
				wg.Add(1)
				go func() {
					defer wg.Done()
					for range per {
						mu.Lock()
						seq++
						i := seq
						mu.Unlock()
						d := &handlers.QueuedDelivery{Source: "form", DeliveryID: fmt.Sprint("d", i), Method: http.MethodPost, Path: "/hooks/form", Body: make([]byte, 600)}
						if _, err := q.Enqueue(b.Context(), d); err != nil {
							b.Error(err)
							return
						}
					}
				}()
			}
			wg.Wait()
		})
	}
}
