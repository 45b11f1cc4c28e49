// Command leadhook turns inbound web forms, emails and CRM webhooks into
// actions on the Deskera CRM, decided by rules in a YAML file.
//
// Usage: leadhook [command] [flags]. `serve` is the default command;
// `leadhook --help` lists the commands, flags and environment variables.
package main

import (
	"context"
	"errors"
	"flag"
	"fmt"
	"io"
	"maps"
	"os"
	"runtime"
	"slices"
	"strings"
	"time"

	"github.com/gin-gonic/gin"
)

// version is set at build time: -ldflags '-X main.version=v1.2.3'.
var version = "dev"

func main() {
	gin.SetMode(gin.ReleaseMode) // no debug banner on stdout, where the JSON logs go
	os.Exit(run(context.Background(), os.Args[1:], &Env{
		Stdin:     os.Stdin,
		Stdout:    os.Stdout,
		Stderr:    os.Stderr,
		LookupEnv: os.LookupEnv,
		Version:   version,
	}))
}

// Env is what a command may use of the outside world.
type Env struct {
	Stdout, Stderr io.Writer
	// Stdin is read by commands that take - (eval); nil means os.Stdin.
	Stdin     io.Reader
	LookupEnv func(string) (string, bool)
	Version   string
	// Now is the clock of sweep and reassign (the time stored scores
	// decay to); nil means time.Now.
	Now func() time.Time
}

// now is the command's clock.
func (e *Env) now() time.Time {
	if e.Now != nil {
		return e.Now()
	}
	return time.Now()
}

// Getenv returns the variable's value ("" when unset).
func (e *Env) Getenv(name string) string {
	v, _ := e.LookupEnv(name)
	return v
}

// command is one subcommand (of leadhook, or of leadhook deliveries): its
// one line of help, and run, which gets the arguments after the command
// name and returns the exit code. Add a command by adding an entry to
// commands() (or deliveriesCommands()).
type command struct {
	summary string
	run     func(ctx context.Context, env *Env, args []string) int
}

// commandNames are the names of cmds, sorted.
func commandNames(cmds map[string]command) []string {
	return slices.Sorted(maps.Keys(cmds))
}

func commands() map[string]command {
	return map[string]command{
		"serve":       {"serve HTTP (default; on the embedded sandbox without Deskera credentials)", runServe},
		"healthcheck": {"GET /healthz on the local server; exit 0 when healthy (container HEALTHCHECK)", runHealthcheck},
		"version":     {"print the version", runVersion},
		"lambda":      {"serve AWS Lambda invocations (default when AWS_LAMBDA_RUNTIME_API is set)", runLambda},
		"validate":    {"check rules files: every problem as file:line: rule \"name\": message (--format json)", runValidate},
		"test":        {"run rule test files (*_test.yaml, *.test.yaml): matched rules, score, actions, CRM state", runTest},
		"eval":        {"explain what the rules do with a raw payload, sub-expression by sub-expression (a dry run: reads Deskera when configured, never writes)", runEval},
		"sweep":       {"re-score every contact and relabel in bulk against the configured Deskera (--dry-run, --resume)", runSweep},
		"reassign":    {"hand one owner's contacts to a pool or owner by bulk PATCH (--from-owner ID --pool NAME, --dry-run, --resume)", runReassign},
		"deliveries":  {"the delivery history and the queue: list, show ID, replay ID... [--dry-run], retry-dead [--source S]", runDeliveries},
		"rules":       {"rules diff live.yaml candidate.yaml [--deliveries N]: what a candidate file would change on stored deliveries", runRules},
	}
}

// run dispatches to a subcommand and returns the exit code.
func run(ctx context.Context, args []string, env *Env) int {
	cmds := commands()
	name := defaultCommand(cmds, env)
	if len(args) > 0 {
		switch first := args[0]; {
		case first == "help" || isHelp(first):
			usage(env.Stdout, cmds)
			return 0
		case !strings.HasPrefix(first, "-"):
			if _, ok := cmds[first]; !ok {
				fmt.Fprintf(env.Stderr, "leadhook: unknown command %q (see leadhook --help)\n", first)
				return 2
			}
			name, args = first, args[1:]
		}
	}
	return cmds[name].run(ctx, env, args)
}

// defaultCommand is lambda inside AWS Lambda (when that command is
// built in), serve otherwise.
func defaultCommand(cmds map[string]command, env *Env) string {
	if _, ok := cmds["lambda"]; ok && env.Getenv("AWS_LAMBDA_RUNTIME_API") != "" {
		return "lambda"
	}
	return "serve"
}

func usage(w io.Writer, cmds map[string]command) {
	fmt.Fprintln(w, "leadhook: CRM lead automation for Deskera (web forms, email and webhooks in; rules decide; contacts out)")
	fmt.Fprintln(w, "\nUsage: leadhook [command] [flags]")
	fmt.Fprintln(w, "\nCommands:")
	for _, n := range commandNames(cmds) {
		fmt.Fprintf(w, "  %-12s %s\n", n, cmds[n].summary)
	}
	fmt.Fprintln(w, "\nFlags (each mirrors an environment variable; a flag wins over its variable):")
	printSettings(w)
	fmt.Fprintln(w, "\nWithout DESKERA_ACCESS_TOKEN or the DESKERA_CLIENT_ID/SECRET/REFRESH_TOKEN trio, leadhook runs on")
	fmt.Fprintln(w, "an in-memory sandbox Deskera served under /sandbox/ (x-access-token: test-token).")
}

// configUsage prints the usage of a command configured by settings()
// (serve, healthcheck, lambda): its synopsis, what it does and the flags.
func configUsage(w io.Writer, name, doc string) {
	fmt.Fprintf(w, "Usage: leadhook %s [flags]\n\n%s\n\nFlags (each mirrors an environment variable; a flag wins over its variable):\n", name, doc)
	printSettings(w)
}

// loadConfig parses a settings()-configured command's arguments. code is
// -1 to go on, 0 after printing the usage (-h/--help, on stdout), 2 after
// printing a configuration error.
func loadConfig(name, doc string, args []string, env *Env) (cfg *Config, code int) {
	cfg, err := parseConfig(name, args, env)
	switch {
	case errors.Is(err, flag.ErrHelp):
		configUsage(env.Stdout, name, doc)
		return nil, 0
	case err != nil:
		fmt.Fprintf(env.Stderr, "leadhook: %v\n", err)
		return nil, 2
	}
	return cfg, -1
}

// isHelp reports whether a is one of the flag package's help flags.
func isHelp(a string) bool {
	return a == "-h" || a == "--h" || a == "-help" || a == "--help"
}

func runVersion(_ context.Context, env *Env, args []string) int {
	if len(args) > 0 && isHelp(args[0]) {
		fmt.Fprintln(env.Stdout, "Usage: leadhook version\n\nPrint the version, the Go version and the platform.")
		return 0
	}
	fmt.Fprintf(env.Stdout, "leadhook %s (%s %s/%s)\n", env.Version, runtime.Version(), runtime.GOOS, runtime.GOARCH)
	return 0
}
