package main

import (
	"bytes"
	"context"
	"encoding/json"
	"fmt"
	"net/http"
	"strconv"
	"strings"
	"sync"
	"time"
)

// getJSON GETs url and decodes its JSON answer into v.
func getJSON(ctx context.Context, url string, v any) error {
	ctx, cancel := context.WithTimeout(ctx, 5*time.Second)
	defer cancel()
	req, err := http.NewRequestWithContext(ctx, http.MethodGet, url, nil)
	if err != nil {
		return err
	}
	resp, err := http.DefaultClient.Do(req)
	if err != nil {
		return err
	}
	defer resp.Body.Close()
	if resp.StatusCode != http.StatusOK {
		return fmt.Errorf("GET %s: %s", url, resp.Status)
	}
	return json.NewDecoder(resp.Body).Decode(v)
}

// stubCalls reads the CRM stub's call counters (nil stub: none).
func stubCalls(stub *proc) (map[string]int, error) {
	if stub == nil {
		return nil, nil
	}
	var m map[string]int
	if err := getJSON(context.Background(), "http://"+stub.addr+"/_stats", &m); err != nil {
		return nil, fmt.Errorf("crm stub stats: %w", err)
	}
	return m, nil
}

// subCalls is after - before per operation (zero counts left out) and the
// total.
func subCalls(after, before map[string]int) (map[string]int, int) {
	out, total := map[string]int{}, 0
	for k, v := range after {
		if d := v - before[k]; d > 0 {
			out[k], total = d, total+d
		}
	}
	return out, total
}

// allocCounts are a server's cumulative heap allocations.
type allocCounts struct {
	Objects uint64 `json:"objects"`
	Bytes   uint64 `json:"bytes"`
}

// allocs reads /debug/allocs at where ("{addr}": the server's own port,
// "{debug}": its admin listener; "": not measured).
func (p *proc) allocs(where string) (allocCounts, error) {
	var a allocCounts
	addr := strings.NewReplacer("{addr}", p.addr, "{debug}", p.debug).Replace(where)
	if addr == "" {
		return a, nil
	}
	if err := getJSON(context.Background(), "http://"+addr+"/debug/allocs", &a); err != nil {
		return a, fmt.Errorf("allocations: %w", err)
	}
	return a, nil
}

// burstResult is one duplicate burst: N concurrent deliveries of one new
// email and the CRM calls they cost.
type burstResult struct {
	N, OK int
	Calls map[string]int
	Total int
}

// runBurst sends n distinct deliveries of one new lead at once (each on its own
// connection, released together) and counts the stub's calls for them.
func runBurst(ctx context.Context, url string, l *leads, n int, stub *proc) (burstResult, error) {
	res := burstResult{N: n}
	email := leadEmail("burst-"+strconv.FormatInt(time.Now().UnixNano(), 36), 1)
	before, err := stubCalls(stub)
	if err != nil {
		return res, err
	}
	client := &http.Client{Timeout: 30 * time.Second, Transport: &http.Transport{MaxIdleConnsPerHost: n, MaxConnsPerHost: n}}
	defer client.CloseIdleConnections()
	// Open the n connections first (n concurrent GET /readyz), so that
	// the deliveries, released together, do not wait for dials: the burst
	// measures concurrent deliveries, not connection set-up.
	if i := strings.Index(url, "/hooks/"); i > 0 {
		warm(ctx, client, url[:i]+"/readyz", n)
	}
	start := make(chan struct{})
	var wg sync.WaitGroup
	var mu sync.Mutex
	for i := range n {
		// Distinct deliveries (the idempotency store would collapse
		// identical bodies) with the same contact data.
		body := l.enc.tagged(email, "b"+strconv.Itoa(i))
		sig := signature(l.secret, body)
		req, err := http.NewRequestWithContext(ctx, http.MethodPost, url, nil)
		if err != nil {
			return res, err
		}
		req.Header = l.header.Clone()
		req.Header.Set(sigHeader, sig)
		wg.Go(func() {
			<-start
			req.Body = readCloser{bytes.NewReader(body)}
			req.ContentLength = int64(len(body))
			resp, err := client.Do(req)
			if err != nil {
				return
			}
			resp.Body.Close()
			if resp.StatusCode/100 == 2 {
				mu.Lock()
				res.OK++
				mu.Unlock()
			}
		})
	}
	close(start)
	wg.Wait()
	after, err := stubCalls(stub)
	if err != nil {
		return res, err
	}
	res.Calls, res.Total = subCalls(after, before)
	return res, nil
}

// warm sends n concurrent GETs of url on client, leaving n idle
// connections in its pool.
func warm(ctx context.Context, client *http.Client, url string, n int) {
	var wg sync.WaitGroup
	for range n {
		wg.Go(func() {
			req, err := http.NewRequestWithContext(ctx, http.MethodGet, url, nil)
			if err != nil {
				return
			}
			if resp, err := client.Do(req); err == nil {
				resp.Body.Close()
			}
		})
	}
	wg.Wait()
}

type readCloser struct{ *bytes.Reader }

func (readCloser) Close() error { return nil }
