//go:build !leadhook.lambda

package main

import (
	"context"
	"errors"
	"flag"
	"fmt"
	"io"
	"strings"

	"github.com/leadhook/leadhook/handlers/queue"
)

// retry-dead is a subcommand of `leadhook deliveries` (see
// deliveriesCommands).

const retryDeadDoc = `Usage: leadhook deliveries retry-dead [--source S] [--data-dir DIR | --store-url URL]

Queue the dead-lettered deliveries again: every one, or those of source S. Each
becomes a new job whose maximum age starts now; the running server's workers
(or the next one started) process it on the rules in force, e.g. after a rule
was fixed. Prints how many were queued. It may run beside the server.

Flags:
  --source S         only the dead letters of source S
  --data-dir DIR     the embedded store's directory (LEADHOOK_DATA_DIR)
  --store-url URL    the shared PostgreSQL store (LEADHOOK_STORE_URL)`

func runRetryDead(ctx context.Context, env *Env, args []string) int {
	fs := flag.NewFlagSet("leadhook deliveries retry-dead", flag.ContinueOnError)
	fs.SetOutput(io.Discard)
	source := fs.String("source", "", "")
	dataDir := fs.String("data-dir", env.Getenv("LEADHOOK_DATA_DIR"), "")
	storeURL := fs.String("store-url", env.Getenv("LEADHOOK_STORE_URL"), "")
	if err := fs.Parse(args); err != nil {
		if errors.Is(err, flag.ErrHelp) {
			fmt.Fprintln(env.Stdout, retryDeadDoc)
			return 0
		}
		fmt.Fprintf(env.Stderr, "leadhook deliveries retry-dead: %v\n", err)
		return 2
	}
	if fs.NArg() > 0 {
		fmt.Fprintf(env.Stderr, "leadhook deliveries retry-dead: unexpected argument %q\n", fs.Arg(0))
		return 2
	}
	if strings.TrimSpace(*storeURL) == "" && strings.TrimSpace(*dataDir) == "" {
		fmt.Fprintln(env.Stderr, "leadhook deliveries retry-dead: no store: set --data-dir/LEADHOOK_DATA_DIR or --store-url/LEADHOOK_STORE_URL")
		return 2
	}
	q, err := queue.Open(ctx, queue.Options{URL: strings.TrimSpace(*storeURL), DataDir: strings.TrimSpace(*dataDir), ClientOnly: true})
	if err != nil {
		fmt.Fprintf(env.Stderr, "leadhook deliveries retry-dead: %v\n", err)
		return 1
	}
	defer q.Close()
	if _, err := q.History(ctx); err != nil { // the records say queued again
		fmt.Fprintf(env.Stderr, "leadhook deliveries retry-dead: %v\n", err)
		return 1
	}
	n, err := q.RetryDead(ctx, strings.TrimSpace(*source))
	if err != nil {
		fmt.Fprintf(env.Stderr, "leadhook deliveries retry-dead: %v (%d queued before the error)\n", err, n)
		return 1
	}
	fmt.Fprintf(env.Stdout, "%d dead-lettered deliveries queued again\n", n)
	return 0
}
