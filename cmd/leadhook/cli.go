package main

import (
	"bytes"
	"errors"
	"flag"
	"fmt"
	"os"
	"strings"
)

// The command-line helpers of the file-based commands (validate, test,
// eval, sweep): flag sets, arguments, defaults and wording.

// readHint words a read error for the user.
func readHint(err error) string {
	switch {
	case errors.Is(err, os.ErrNotExist):
		return "no such file; give the rules file's path (or set LEADHOOK_RULES)"
	case errors.Is(err, os.ErrPermission):
		return "permission denied reading the rules file"
	}
	var pe *os.PathError
	if errors.As(err, &pe) {
		return pe.Err.Error()
	}
	return err.Error()
}

func plural(n int, noun string) string {
	if n == 1 {
		return "1 " + noun
	}
	return fmt.Sprintf("%d %ss", n, noun)
}

// defaultRules is LEADHOOK_RULES, else rules.example.yaml.
func defaultRules(env *Env) string {
	if v := strings.TrimSpace(env.Getenv("LEADHOOK_RULES")); v != "" {
		return v
	}
	return "rules.example.yaml"
}

// newFlagSet makes a flag set whose usage goes to stderr with a synopsis.
func newFlagSet(name string, env *Env, synopsis, doc string) *flag.FlagSet {
	fs := flag.NewFlagSet("leadhook "+name, flag.ContinueOnError)
	fs.SetOutput(env.Stderr)
	fs.Usage = func() {
		fmt.Fprintf(fs.Output(), "Usage: leadhook %s %s\n\n%s\n\nFlags:\n", name, synopsis, doc)
		fs.PrintDefaults()
	}
	return fs
}

// parseArgs parses flags anywhere among the arguments (validate a.yaml
// --format json works) and returns the rest. code is -1 to go on, else
// the exit code (0 for --help, 2 for a usage error).
// The usage asked for with -h/--help goes to stdout; after a usage error,
// to the flag set's output (stderr) with the error.
func parseArgs(fs *flag.FlagSet, args []string, env *Env) (rest []string, code int) {
	errw := fs.Output()
	var buf bytes.Buffer
	fs.SetOutput(&buf)
	defer fs.SetOutput(errw)
	for {
		if err := fs.Parse(args); err != nil {
			if errors.Is(err, flag.ErrHelp) {
				_, _ = env.Stdout.Write(buf.Bytes())
				return nil, 0
			}
			_, _ = errw.Write(buf.Bytes())
			return nil, 2
		}
		args = fs.Args()
		if len(args) == 0 {
			return rest, -1
		}
		rest = append(rest, args[0])
		args = args[1:]
	}
}
