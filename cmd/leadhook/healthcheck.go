package main

import (
	"context"
	"fmt"
	"net"
	"net/http"
	"time"
)

// runHealthcheck GETs /healthz on the local server (for a container
// HEALTHCHECK where no curl exists): exit 0 when it answers 200.
func runHealthcheck(ctx context.Context, env *Env, args []string) int {
	cfg, code := loadConfig("healthcheck", "GET /healthz on the local server at --addr (for a container HEALTHCHECK where no curl exists):\n"+
		"exit 0 when it answers 200, 1 otherwise, 2 on a configuration error.", args, env)
	if code >= 0 {
		return code
	}
	_, port, _ := net.SplitHostPort(cfg.Addr)
	url := "http://" + net.JoinHostPort("127.0.0.1", port) + "/healthz"
	ctx, cancel := context.WithTimeout(ctx, 3*time.Second)
	defer cancel()
	req, err := http.NewRequestWithContext(ctx, http.MethodGet, url, nil)
	if err != nil {
		fmt.Fprintf(env.Stderr, "leadhook: healthcheck: %v\n", err)
		return 1
	}
	resp, err := http.DefaultClient.Do(req)
	if err != nil {
		fmt.Fprintf(env.Stderr, "leadhook: healthcheck: %v\n", err)
		return 1
	}
	defer resp.Body.Close()
	if resp.StatusCode != http.StatusOK {
		fmt.Fprintf(env.Stderr, "leadhook: healthcheck: %s answered %s\n", url, resp.Status)
		return 1
	}
	fmt.Fprintln(env.Stdout, "ok")
	return 0
}
