package main

import (
	"cmp"
	"context"
	"errors"
	"fmt"
	"io"
	"log/slog"
	"maps"
	"os"
	"os/signal"
	"slices"
	"sort"
	"strconv"
	"strings"
	"syscall"
	"time"

	"github.com/leadhook/leadhook/deskera"
	"github.com/leadhook/leadhook/handlers"
	"github.com/leadhook/leadhook/rules"
	"github.com/leadhook/leadhook/rules/engine"
)

// sweepFlags are the sweep command's own flags; the rest are serve's.
type sweepFlags struct {
	dryRun   bool
	resume   bool
	pageSize int
	seed     int
	help     bool
}

// splitSweepFlags takes --dry-run, --resume, --page-size N and --seed N out
// of args and leaves the configuration flags (shared with serve) for
// parseConfig.
func splitSweepFlags(args []string) (sweepFlags, []string, error) {
	var f sweepFlags
	var rest []string
	bools := map[string]*bool{"dry-run": &f.dryRun, "resume": &f.resume}
	ints := map[string]*int{"page-size": &f.pageSize, "seed": &f.seed}
	for i := 0; i < len(args); i++ {
		name, val, hasVal := strings.Cut(strings.TrimLeft(args[i], "-"), "=")
		if !strings.HasPrefix(args[i], "-") {
			rest = append(rest, args[i])
			continue
		}
		switch name {
		case "dry-run", "resume":
			b, err := strconv.ParseBool(cmp.Or(val, "true"))
			if err != nil {
				return f, nil, fmt.Errorf("--%s=%q: want true or false", name, val)
			}
			*bools[name] = b
		case "page-size", "seed":
			if !hasVal {
				if i+1 >= len(args) {
					return f, nil, fmt.Errorf("--%s needs a number", name)
				}
				i++
				val = args[i]
			}
			n, err := strconv.Atoi(val)
			if err != nil || n < 0 || (name == "page-size" && (n < 1 || n > 1000)) {
				return f, nil, fmt.Errorf("--%s %q: want a whole number (page size 1..1000)", name, val)
			}
			*ints[name] = n
		case "h", "help":
			f.help = true
		default:
			rest = append(rest, args[i])
		}
	}
	return f, rest, nil
}

func sweepUsage(w io.Writer) {
	fmt.Fprintln(w, `Usage: leadhook sweep [--dry-run] [--resume] [--page-size N] [--seed N] [configuration flags]

Re-score every contact of the configured Deskera with the rules file's scores and
thresholds and relabel the ones whose label changes, in bulk; sweep.rules in the
rules file reassign owners in the same bulk PATCHes. Progress goes to
standard error, a summary table to standard output. Exit 0 when the sweep
completed, 1 when it failed (the summary says how far it got), 2 on a usage or
configuration error.

  --dry-run       list contacts and report what would change; change nothing
  --resume        continue a sweep that failed, from its last completed page
                  (state kept in LEADHOOK_DATA_DIR; the summary counts both runs)
  --page-size N   contacts per page (default: the rules file's sweep.page_size)
  --seed N        sandbox only: add N generated contacts first (to try the sweep)`+"\n\n"+bulkDeskeraUsage)
}

// bulkDeskeraUsage ends the usage of the bulk commands (sweep, reassign).
const bulkDeskeraUsage = `Deskera is configured as for serve (DESKERA_* variables or flags, see leadhook --help);
without credentials it refuses to run unless LEADHOOK_SANDBOX=1 asks for the in-memory sandbox.`

// runSweep is `leadhook sweep [--dry-run]`.
func runSweep(ctx context.Context, env *Env, args []string) int {
	sf, rest, err := splitSweepFlags(args)
	if sf.help {
		sweepUsage(env.Stdout)
		return 0
	}
	ctx, stop, s := startSweepRun(ctx, env, "sweep", sf, rest, err, "leadhook sweep")
	if s == nil {
		return 2
	}
	defer stop()
	return s.run(ctx)
}

// startSweepRun is the start both sweep and reassign share: the
// configuration from the flags left after the command's own (err: those
// were wrong), signals that stop the run, the wiring and its state file
// (job names the run's parameters for --resume). It prints what went
// wrong and returns a nil run (exit 2).
func startSweepRun(ctx context.Context, env *Env, command string, sf sweepFlags, rest []string, err error, job string) (context.Context, context.CancelFunc, *sweepRun) {
	var cfg *Config
	if err == nil {
		cfg, err = parseConfig(command, rest, env)
	}
	if err != nil {
		fmt.Fprintf(env.Stderr, "leadhook %s: %v (see leadhook %s --help)\n", command, err, command)
		return ctx, nil, nil
	}
	ctx, stop := signal.NotifyContext(ctx, syscall.SIGTERM, syscall.SIGINT)
	s, err := newSweepRun(ctx, env, cfg, sf, command)
	if err == nil {
		err = s.openState(job)
	}
	if err != nil {
		stop()
		fmt.Fprintf(env.Stderr, "leadhook %s: %v\n", command, err)
		return ctx, nil, nil
	}
	return ctx, stop, s
}

// sweepRun is one sweep with its wiring.
type sweepRun struct {
	env     *Env
	cfg     *Config
	flags   sweepFlags
	command string // sweep or reassign
	state   *jobState
	resume  *engine.SweepCheckpoint
	set     *rules.Set
	app     *app
	metrics *handlers.Metrics
	crm     *labelRecorder
	engine  *engine.Engine
}

func newSweepRun(ctx context.Context, env *Env, cfg *Config, sf sweepFlags, command string) (*sweepRun, error) {
	set, err := rules.LoadFile(cfg.Rules, cfg.loadOptions()...)
	if err != nil {
		return nil, fmt.Errorf("%w\n(run leadhook validate %s for details)", err, cfg.Rules)
	}
	if command == "sweep" && len(set.Thresholds()) == 0 {
		return nil, fmt.Errorf("%s has no thresholds: the sweep maps each contact's score to a label by them; add e.g. thresholds: {Hot lead: 60, Warm lead: 30}", cfg.Rules)
	}
	log := handlers.NewLogger(env.Stderr, max(cfg.LogLevel, slog.LevelWarn)) // warnings and errors only: stderr carries the progress
	// A sweep that falls into the empty sandbox reports success and
	// relabels nothing: without credentials only LEADHOOK_SANDBOX=1 runs.
	if err := cfg.requireCredentials(); err != nil {
		return nil, err
	}
	s := &sweepRun{env: env, cfg: cfg, flags: sf, command: command, set: set, app: &app{cfg: cfg, log: log}, metrics: handlers.NewMetrics()}
	client, err := s.app.newDeskera(s.metrics)
	if err != nil {
		return nil, err
	}
	if s.app.sandbox != nil {
		if command == "sweep" {
			fmt.Fprintln(env.Stderr, "leadhook sweep: SANDBOX: no Deskera credentials are set, so this sweeps the in-memory sandbox (set DESKERA_ACCESS_TOKEN to sweep a real account)")
		} else {
			fmt.Fprintf(env.Stderr, "leadhook %s: SANDBOX: no Deskera credentials are set, so this works on the in-memory sandbox (set DESKERA_ACCESS_TOKEN for a real account)\n", command)
		}
		s.app.sandbox.SeedContacts(sf.seed)
	} else if sf.seed > 0 {
		return nil, errors.New("--seed only applies to the sandbox (Deskera credentials are set)")
	}
	s.crm = &labelRecorder{Client: client, dry: sf.dryRun, before: map[deskera.ID]deskera.ID{}, planned: map[deskera.ID]string{}}
	if s.engine, err = engine.NewEngine(s.crm, engine.WithLogger(log), engine.WithClock(env.now)); err != nil {
		return nil, err
	}
	return s, nil
}

func (s *sweepRun) run(ctx context.Context) int {
	start := time.Now()
	if err := s.prepare(ctx); err != nil {
		fmt.Fprintf(s.env.Stderr, "leadhook sweep: %v\n", err)
		return 1
	}
	prog := newProgress(s.env.Stderr)
	res, err := s.engine.Sweep(ctx, s.set, s.options(prog))
	prog.done()
	labels, _ := s.crm.Client.ListLabels(context.WithoutCancel(ctx))
	printSweep(s.env.Stdout, res, s.moves(res, labels), s.calls(), time.Since(start))
	if err != nil {
		s.failed(err)
		return 1
	}
	return s.finished()
}

// openState sets up the state file and, with --resume, the checkpoint to
// continue from. job names the run's parameters.
func (s *sweepRun) openState(job string) error {
	s.state = newJobState(s.cfg.DataDir, s.command, job)
	if !s.flags.resume {
		return nil
	}
	if s.flags.dryRun {
		return errors.New("--resume and --dry-run do not go together (a dry run changes nothing, so there is nothing to resume)")
	}
	cp, err := s.state.load()
	if err != nil {
		return err
	}
	if cp == nil {
		fmt.Fprintf(s.env.Stderr, "leadhook %s: nothing to resume (no state in %s); starting from the first page\n", s.command, s.cfg.DataDir)
		return nil
	}
	s.resume = cp
	fmt.Fprintf(s.env.Stderr, "leadhook %s: resuming after page %d (%d contacts seen, %d calls made so far)\n", s.command, cp.Page, cp.Result.Scanned, cp.Calls)
	return nil
}

// options are the engine options of the run: checkpoints go to the state
// file (not in a dry run), progress to stderr.
func (s *sweepRun) options(prog *progress) engine.SweepOptions {
	o := engine.SweepOptions{DryRun: s.flags.dryRun, PageSize: s.flags.pageSize, Progress: prog.update, Resume: s.resume}
	if !s.flags.dryRun && s.state != nil && s.state.path != "" {
		o.Checkpoint = s.state.save
	}
	return o
}

// failed explains a failed run and how to go on.
func (s *sweepRun) failed(err error) {
	fmt.Fprintf(s.env.Stderr, "leadhook %s: failed: %v\n", s.command, err)
	if _, temp := deskera.Temporary(err); temp {
		fmt.Fprintf(s.env.Stderr, "leadhook %s: Deskera was temporarily unavailable; run it again later (it is safe to repeat)\n", s.command)
	}
	switch {
	case s.flags.dryRun:
	case s.state != nil && s.state.path != "":
		fmt.Fprintf(s.env.Stderr, "leadhook %s: add --resume to continue from the last completed page (state: %s)\n", s.command, s.state.path)
	default:
		fmt.Fprintf(s.env.Stderr, "leadhook %s: running it again skips the contacts already changed, but its summary then counts only the rest; set LEADHOOK_DATA_DIR to be able to --resume\n", s.command)
	}
}

// finished removes the state of a completed run.
func (s *sweepRun) finished() int {
	if s.flags.dryRun || s.state == nil {
		return 0
	}
	if err := s.state.done(); err != nil {
		fmt.Fprintf(s.env.Stderr, "leadhook %s: %v\n", s.command, err)
		return 1
	}
	return 0
}

// prepare resolves the labels. In a dry run the labels still to be
// created are only planned (the recorder answers placeholder ids).
func (s *sweepRun) prepare(ctx context.Context) error {
	if err := s.engine.Prepare(ctx, s.set); err != nil {
		return err
	}
	if len(s.crm.planned) > 0 {
		names := make([]string, 0, len(s.crm.planned))
		for _, n := range s.crm.planned {
			names = append(names, strconv.Quote(n))
		}
		sort.Strings(names)
		fmt.Fprintf(s.env.Stderr, "leadhook sweep: dry run: labels %s do not exist yet; a real sweep creates them\n", strings.Join(names, ", "))
	}
	return nil
}

// move is one from -> to label pair and its count.
type move struct {
	from, to string
	n        int
}

// moves counts the relabelled contacts per (old label, new label) from
// the bulk updates made (or planned).
func (s *sweepRun) moves(res *engine.SweepResult, labels []deskera.Label) []move {
	if res == nil {
		return nil
	}
	names := map[deskera.ID]string{}
	for _, l := range labels {
		names[l.ID] = l.Name
	}
	for id, n := range s.crm.planned {
		names[id] = n + " (new)"
	}
	name := func(id deskera.ID) string {
		if n, ok := names[id]; ok {
			return n
		}
		return fmt.Sprintf("label %d", id)
	}
	counts := map[[2]string]int{}
	for _, c := range res.Calls {
		b, ok := c.Body.(*deskera.BulkUpdateContact)
		if !ok || c.Op != "contacts.bulk_update" || b.LabelID == 0 {
			continue
		}
		for _, id := range b.IDs {
			counts[[2]string{name(s.crm.before[id]), name(b.LabelID)}]++
		}
	}
	out := make([]move, 0, len(counts))
	for k, n := range counts {
		out = append(out, move{from: k[0], to: k[1], n: n})
	}
	sort.Slice(out, func(i, j int) bool {
		if out[i].n != out[j].n {
			return out[i].n > out[j].n
		}
		return out[i].from+out[i].to < out[j].from+out[j].to
	})
	return out
}

// calls counts the Deskera calls made, by operation, from the metrics.
func (s *sweepRun) calls() map[string]int {
	out := map[string]int{}
	mfs, err := s.metrics.Registry.Gather()
	if err != nil {
		return out
	}
	for _, mf := range mfs {
		if mf.GetName() != "leadhook_deskera_requests_total" {
			continue
		}
		for _, m := range mf.GetMetric() {
			for _, l := range m.GetLabel() {
				if l.GetName() == "op" {
					out[l.GetValue()] += int(m.GetCounter().GetValue())
				}
			}
		}
	}
	return out
}

// labelRecorder remembers every listed contact's label, to report moves
// as from -> to; in a dry run it plans label creations instead of making
// them (placeholder ids -1, -2, ...).
type labelRecorder struct {
	*deskera.Client
	dry     bool
	before  map[deskera.ID]deskera.ID
	planned map[deskera.ID]string
}

func (r *labelRecorder) CreateLabel(ctx context.Context, l *deskera.LabelRequest) (deskera.ID, error) {
	if !r.dry {
		return r.Client.CreateLabel(ctx, l)
	}
	id := deskera.ID(-1 - len(r.planned))
	r.planned[id] = l.Name
	return id, nil
}

func (r *labelRecorder) WalkContacts(ctx context.Context, opts *deskera.ListContactsOptions, fn func([]deskera.Contact) error) error {
	return r.Client.WalkContacts(ctx, opts, func(cs []deskera.Contact) error {
		for _, c := range cs {
			r.before[c.ID] = c.LabelID
		}
		return fn(cs)
	})
}

// progress reports sweep progress on stderr: one updating line on a
// terminal, else a line for the first page and then every few seconds.
type progress struct {
	name    string // the command, first on the line
	w       io.Writer
	tty     bool
	last    time.Time
	every   time.Duration
	any     bool
	pending string // the latest line not printed yet (non-terminal)
}

func newProgress(w io.Writer) *progress {
	p := &progress{name: "sweep", w: w, every: 5 * time.Second}
	if f, ok := w.(*os.File); ok {
		if st, err := f.Stat(); err == nil && st.Mode()&os.ModeCharDevice != 0 {
			p.tty = true
		}
	}
	return p
}

func (p *progress) update(sp engine.SweepProgress) {
	line := fmt.Sprintf("sweep: page %d, %d contacts seen, %d to relabel", sp.Pages, sp.Scanned, sp.Changed)
	if p.name == "reassign" {
		line = fmt.Sprintf("reassign: page %d, %d contacts seen, %d to reassign", sp.Pages, sp.Scanned, sp.Reassigned)
	} else if sp.Reassigned > 0 {
		line += fmt.Sprintf(", %d to reassign", sp.Reassigned)
	}
	if p.tty {
		fmt.Fprintf(p.w, "\r\033[K%s", line)
		p.any = true
		return
	}
	p.pending = line
	if sp.Pages == 1 || time.Since(p.last) >= p.every {
		fmt.Fprintln(p.w, line)
		p.last, p.pending = time.Now(), ""
	}
}

func (p *progress) done() {
	switch {
	case p.tty && p.any:
		fmt.Fprintln(p.w)
	case p.pending != "":
		fmt.Fprintln(p.w, p.pending)
	}
}

// printSweep prints the summary table.
func printSweep(w io.Writer, res *engine.SweepResult, moves []move, calls map[string]int, d time.Duration) {
	if res == nil {
		fmt.Fprintln(w, "sweep did not start")
		return
	}
	mode := ""
	if res.DryRun {
		mode = " (dry run: nothing was changed)"
	}
	fmt.Fprintf(w, "sweep finished in %s%s\n\n", d.Round(time.Millisecond), mode)
	rows := [][2]string{
		{"contacts seen", strconv.Itoa(res.Scanned)}, {"pages", strconv.Itoa(res.Pages)},
		{"skipped by sweep.when", strconv.Itoa(res.Skipped)}, {"kept (keep_labels)", strconv.Itoa(res.Kept)},
		{"below every threshold", strconv.Itoa(res.NoLabel)}, {"label unchanged", strconv.Itoa(res.Unchanged)},
		{relabelled(res.DryRun), strconv.Itoa(res.Changed)}, {"expression errors", strconv.Itoa(len(res.Errors))},
	}
	if res.Matched > 0 {
		rows = append(rows, [2]string{"matched by sweep.rules", strconv.Itoa(res.Matched)}, [2]string{reassigned(res.DryRun), strconv.Itoa(res.Reassigned)})
	}
	for _, r := range rows {
		fmt.Fprintf(w, "  %-24s %8s\n", r[0], r[1])
	}
	if len(moves) > 0 {
		fmt.Fprintf(w, "\n  %-20s %-20s %8s\n", "from", "to", "contacts")
		for _, m := range moves {
			fmt.Fprintf(w, "  %-20s %-20s %8d\n", m.from, m.to, m.n)
		}
	}
	printOwners(w, res)
	printCalls(w, res, calls, "sweep")
	for i, e := range res.Errors {
		if i == 10 {
			fmt.Fprintf(w, "  ... and %d more\n", len(res.Errors)-10)
			break
		}
		fmt.Fprintf(w, "  error: %s\n", e)
	}
}

func reassigned(dry bool) string {
	if dry {
		return "would be reassigned"
	}
	return "reassigned"
}

func relabelled(dry bool) string {
	if dry {
		return "would be relabelled"
	}
	return "relabelled"
}

func printCalls(w io.Writer, res *engine.SweepResult, calls map[string]int, what string) {
	total, parts := 0, []string{}
	for _, op := range slices.Sorted(maps.Keys(calls)) {
		total += calls[op]
		parts = append(parts, fmt.Sprintf("%s %d", op, calls[op]))
	}
	fmt.Fprintf(w, "\n  API calls made: %d", total)
	if len(parts) > 0 {
		fmt.Fprintf(w, " (%s)", strings.Join(parts, ", "))
	}
	fmt.Fprintln(w)
	if res.DryRun {
		writes := 0
		for _, c := range res.Calls {
			if c.Method != "GET" {
				writes++
			}
		}
		fmt.Fprintf(w, "  bulk updates a real %s would send: %d\n", what, writes)
	}
}
