package main

import (
	"context"
	"errors"
	"fmt"
	"io"
	"sort"
	"strconv"
	"strings"
	"time"

	"github.com/leadhook/leadhook/rules"
	"github.com/leadhook/leadhook/rules/engine"
)

// reassignFlags are the reassign command's own flags; the rest are serve's.
type reassignFlags struct {
	sweepFlags
	target rules.ReassignTarget
}

// splitReassignFlags takes the reassign flags out of args and leaves the
// configuration flags for parseConfig.
func splitReassignFlags(args []string) (reassignFlags, []string, error) {
	var f reassignFlags
	var own []string
	var rest []string
	for i := 0; i < len(args); i++ {
		name, val, hasVal := strings.Cut(strings.TrimLeft(args[i], "-"), "=")
		switch {
		case !strings.HasPrefix(args[i], "-"):
			rest = append(rest, args[i])
			continue
		case name != "from-owner" && name != "to-owner" && name != "pool" && name != "when":
			own = append(own, args[i])
			if (name == "page-size" || name == "seed") && !hasVal && i+1 < len(args) {
				i++
				own = append(own, args[i])
			}
			continue
		}
		if !hasVal {
			if i+1 >= len(args) {
				return f, nil, fmt.Errorf("--%s needs a value", name)
			}
			i++
			val = args[i]
		}
		switch name {
		case "from-owner", "to-owner":
			n, err := strconv.ParseInt(val, 10, 64)
			if err != nil || n <= 0 {
				return f, nil, fmt.Errorf("--%s %q: want a Deskera user id (a positive whole number)", name, val)
			}
			if name == "from-owner" {
				f.target.FromOwner = n
			} else {
				f.target.ToOwner = n
			}
		case "pool":
			f.target.Pool = val
		case "when":
			f.target.When = val
		}
	}
	sf, more, err := splitSweepFlags(own)
	f.sweepFlags = sf
	return f, append(rest, more...), err
}

// check reports a missing or contradictory target (flags only; the pool
// and the expression are checked against the rules file by the engine).
func (f *reassignFlags) check() error {
	switch t := f.target; {
	case t.FromOwner == 0:
		return errors.New("--from-owner ID is required (the owner whose contacts are handed over)")
	case t.Pool == "" && t.ToOwner == 0:
		return errors.New("give --pool NAME (an owners pool of the rules file) or --to-owner ID")
	case t.Pool != "" && t.ToOwner != 0:
		return errors.New("give --pool or --to-owner, not both")
	case t.FromOwner == t.ToOwner:
		return fmt.Errorf("--from-owner and --to-owner are both %d", t.FromOwner)
	}
	return nil
}

// job describes the run, for the state file.
func (f *reassignFlags) job() string {
	j := "leadhook reassign --from-owner " + strconv.FormatInt(f.target.FromOwner, 10)
	if f.target.Pool != "" {
		j += " --pool " + strconv.Quote(f.target.Pool)
	} else {
		j += " --to-owner " + strconv.FormatInt(f.target.ToOwner, 10)
	}
	if f.target.When != "" {
		j += " --when " + strconv.Quote(f.target.When)
	}
	return j
}

func reassignUsage(w io.Writer) {
	fmt.Fprintln(w, `Usage: leadhook reassign --from-owner ID (--pool NAME | --to-owner ID) [--when EXPR]
                         [--dry-run] [--resume] [--page-size N] [--seed N] [configuration flags]

Hand every contact of one owner (a rep who left) to an owner pool of the rules file,
routed per contact exactly as new leads are, or to one owner. Contacts are listed page
by page and changed with one bulk PATCH per new owner per chunk (sweep.chunk_size), not
one PATCH per contact. Progress goes to standard error, one line per page; a summary
(contacts seen, changed per new owner, calls made) to standard output. Exit 0 when it
completed, 1 when it failed (the summary says how far it got), 2 on a usage or
configuration error.

  --from-owner ID  the owner whose contacts are handed over (required)
  --pool NAME      an owners pool of the rules file to route them to, or
  --to-owner ID    the one owner to give them to
  --when EXPR      only contacts for which this expression over contact is true,
                   e.g. 'contact.label != "Customer"'
  --dry-run        list contacts and report what would change; change nothing
  --resume         continue a reassign that failed, from its last completed page
                   (state kept in LEADHOOK_DATA_DIR; the summary counts both runs)
  --page-size N    contacts per page (default: the rules file's sweep.page_size)
  --seed N         sandbox only: add N generated contacts first (owner 17826)`+"\n\n"+bulkDeskeraUsage)
}

// runReassign is `leadhook reassign`.
func runReassign(ctx context.Context, env *Env, args []string) int {
	rf, rest, err := splitReassignFlags(args)
	if rf.help {
		reassignUsage(env.Stdout)
		return 0
	}
	if err == nil {
		err = rf.check()
	}
	ctx, stop, s := startSweepRun(ctx, env, "reassign", rf.sweepFlags, rest, err, rf.job())
	if s == nil {
		return 2
	}
	defer stop()
	return s.reassign(ctx, rf.target)
}

func (s *sweepRun) reassign(ctx context.Context, t rules.ReassignTarget) int {
	start := time.Now()
	prog := newProgress(s.env.Stderr)
	prog.name, prog.every = "reassign", 0 // a line per page
	res, err := s.engine.Reassign(ctx, s.set, t, s.options(prog))
	prog.done()
	if res == nil { // refused before it started: a usage error
		fmt.Fprintf(s.env.Stderr, "leadhook reassign: %v\n", err)
		return 2
	}
	printReassign(s.env.Stdout, res, t, s.calls(), s.resume != nil, time.Since(start))
	if err != nil {
		s.failed(err)
		return 1
	}
	return s.finished()
}

// printReassign prints the reassign summary.
func printReassign(w io.Writer, res *engine.SweepResult, t rules.ReassignTarget, calls map[string]int, resumed bool, d time.Duration) {
	mode := ""
	if res.DryRun {
		mode = " (dry run: nothing was changed)"
	}
	fmt.Fprintf(w, "reassign finished in %s%s\n\n", d.Round(time.Millisecond), mode)
	verb := "reassigned"
	if res.DryRun {
		verb = "would be reassigned"
	}
	rows := [][2]string{
		{"contacts seen", strconv.Itoa(res.Scanned)}, {"pages", strconv.Itoa(res.Pages)},
		{fmt.Sprintf("owned by %d, matching", t.FromOwner), strconv.Itoa(res.Matched)},
		{verb, strconv.Itoa(res.Reassigned)},
		{"routed to their own owner", strconv.Itoa(res.Matched - res.Reassigned)},
		{"expression errors", strconv.Itoa(len(res.Errors))},
	}
	for _, r := range rows {
		fmt.Fprintf(w, "  %-28s %8s\n", r[0], r[1])
	}
	printOwners(w, res)
	printCalls(w, res, calls, "reassign")
	if resumed {
		fmt.Fprintf(w, "  calls in all, with the run(s) resumed: %d\n", res.CallCount)
	}
	for i, e := range res.Errors {
		if i == 10 {
			fmt.Fprintf(w, "  ... and %d more\n", len(res.Errors)-10)
			break
		}
		fmt.Fprintf(w, "  error: %s\n", e)
	}
}

// printOwners prints the contacts changed per new owner, most first.
func printOwners(w io.Writer, res *engine.SweepResult) {
	if res == nil || len(res.ByOwner) == 0 {
		return
	}
	owners := make([]string, 0, len(res.ByOwner))
	for o := range res.ByOwner {
		owners = append(owners, o)
	}
	sort.Slice(owners, func(i, j int) bool {
		a, b := res.ByOwner[owners[i]], res.ByOwner[owners[j]]
		return a > b || a == b && owners[i] < owners[j]
	})
	fmt.Fprintf(w, "\n  %-20s %8s\n", "new owner", "contacts")
	for _, o := range owners {
		fmt.Fprintf(w, "  %-20s %8d\n", o, res.ByOwner[o])
	}
}
