package main

import (
	"context"
	"fmt"
	"io"
	"sort"
)

const deliveriesDoc = `Usage: leadhook deliveries <subcommand> [flags]

Look at and act on the stored deliveries of queued sources.

Subcommands:
`

// deliveriesCommands are the subcommands of `leadhook deliveries`; add
// one by adding an entry. (On merging with the delivery history's
// deliveries.go, which has list, show and replay: keep that file and add
// retry-dead, runRetryDead, to its table.)
func deliveriesCommands() map[string]command {
	return map[string]command{
		"retry-dead": {"queue the dead-lettered deliveries again (all, or --source S), on the rules in force", runRetryDead},
	}
}

func runDeliveries(ctx context.Context, env *Env, args []string) int {
	cmds := deliveriesCommands()
	if len(args) == 0 || isHelp(args[0]) || args[0] == "help" {
		w := env.Stdout
		code := 0
		if len(args) == 0 {
			w, code = env.Stderr, 2
		}
		deliveriesUsage(w, cmds)
		return code
	}
	c, ok := cmds[args[0]]
	if !ok {
		fmt.Fprintf(env.Stderr, "leadhook: unknown deliveries subcommand %q (see leadhook deliveries --help)\n", args[0])
		return 2
	}
	return c.run(ctx, env, args[1:])
}

func deliveriesUsage(w io.Writer, cmds map[string]command) {
	fmt.Fprint(w, deliveriesDoc)
	names := make([]string, 0, len(cmds))
	for n := range cmds {
		names = append(names, n)
	}
	sort.Strings(names)
	for _, n := range names {
		fmt.Fprintf(w, "  %-12s %s\n", n, cmds[n].summary)
	}
}
