package deploy

import (
	"fmt"
	"maps"
	"net"
	"os"
	"os/exec"
	"path"
	"path/filepath"
	"slices"
	"strconv"
	"strings"
	"testing"

	"github.com/moby/buildkit/frontend/dockerfile/instructions"
	"github.com/moby/buildkit/frontend/dockerfile/linter"
	"github.com/moby/buildkit/frontend/dockerfile/parser"
	"github.com/moby/patternmatcher"
	"github.com/moby/patternmatcher/ignorefile"
	"golang.org/x/mod/modfile"
)

// dockerfile is a Dockerfile as BuildKit reads it.
type dockerfile struct {
	stages   []instructions.Stage
	metaArgs []instructions.ArgCommand
	warnings []string // parser and build-check (linter) warnings
}

func parseDockerfile(src string) (*dockerfile, error) {
	res, err := parser.Parse(strings.NewReader(src))
	if err != nil {
		return nil, fmt.Errorf("parse: %w", err)
	}
	df := &dockerfile{}
	for _, w := range res.Warnings {
		df.warnings = append(df.warnings, w.Short)
	}
	lint := linter.New(&linter.Config{Warn: func(rule, _, _, msg string, loc []parser.Range) {
		line := 0
		if len(loc) > 0 {
			line = loc[0].Start.Line
		}
		df.warnings = append(df.warnings, fmt.Sprintf("line %d: %s: %s", line, rule, msg))
	}})
	df.stages, df.metaArgs, err = instructions.Parse(res.AST, lint)
	if err != nil {
		return nil, fmt.Errorf("instructions: %w", err)
	}
	return df, nil
}

// commands returns a stage's commands of type T.
func commandsOf[T instructions.Command](s *instructions.Stage) []T {
	var out []T
	for _, c := range s.Commands {
		if v, ok := c.(T); ok {
			out = append(out, v)
		}
	}
	return out
}

func lastOf[T instructions.Command](s *instructions.Stage) (T, bool) {
	cs := commandsOf[T](s)
	if len(cs) == 0 {
		var zero T
		return zero, false
	}
	return cs[len(cs)-1], true
}

// checkDockerfile returns what is wrong with a Dockerfile for leadhook.
func checkDockerfile(src string, bin binary) problems {
	var p problems
	df, err := parseDockerfile(src)
	if err != nil {
		p.addf("%v", err)
		return p
	}
	for _, w := range df.warnings {
		p.addf("build check: %s", w)
	}
	if len(df.stages) < 2 {
		p.addf("not multi-stage: %d stage(s)", len(df.stages))
		return p
	}
	final := &df.stages[len(df.stages)-1]
	if b := final.BaseName; !strings.HasPrefix(b, "gcr.io/distroless/static") && b != "scratch" {
		p.addf("final base %q is not distroless static or scratch", b)
	}
	binPath := checkBuildStage(&p, df, final)
	checkRuntime(&p, final, binPath, bin)
	checkGoVersion(&p, df)
	return p
}

// checkBuildStage checks the stage the final one copies the binary from and
// returns the binary's path in the final image.
func checkBuildStage(p *problems, df *dockerfile, final *instructions.Stage) string {
	var from *instructions.CopyCommand
	for _, c := range commandsOf[*instructions.CopyCommand](final) {
		if c.From != "" {
			from = c
		}
	}
	if from == nil || len(from.SourcePaths) != 1 {
		p.addf("final stage copies no binary from a build stage (COPY --from=...)")
		return ""
	}
	idx := slices.IndexFunc(df.stages, func(s instructions.Stage) bool { return strings.EqualFold(s.Name, from.From) })
	if idx < 0 {
		p.addf("COPY --from=%s names no stage", from.From)
		return ""
	}
	var build string
	for _, r := range commandsOf[*instructions.RunCommand](&df.stages[idx]) {
		if line := strings.Join(r.CmdLine, " "); strings.Contains(line, "go build") {
			build = line
		}
	}
	if build == "" {
		p.addf("stage %q has no RUN go build", from.From)
		return ""
	}
	for _, want := range []string{"CGO_ENABLED=0", "-trimpath", "-s -w", "-X main.version=", "./cmd/leadhook"} {
		if !strings.Contains(build, want) {
			p.addf("go build lacks %s: %s", want, build)
		}
	}
	if !hasTag(build, "nomsgpack") {
		p.addf("go build lacks -tags nomsgpack: %s", build)
	}
	if out := flagValue(build, "-o"); out != from.SourcePaths[0] {
		p.addf("go build writes %q but the final stage copies %q", out, from.SourcePaths[0])
	}
	dest := from.DestPath
	if strings.HasSuffix(dest, "/") {
		dest += path.Base(from.SourcePaths[0])
	}
	return dest
}

// hasTag reports whether a go build command line sets a build tag.
func hasTag(line, tag string) bool {
	v := flagValue(line, "-tags")
	return slices.Contains(strings.FieldsFunc(v, func(r rune) bool { return r == ',' || r == ' ' }), tag)
}

// flagValue returns the value of a flag in a command line ("-o x" or "-o=x").
func flagValue(line, name string) string {
	f := strings.Fields(line)
	for i, w := range f {
		if w == name && i+1 < len(f) {
			return strings.Trim(f[i+1], `"'`)
		}
		if v, ok := strings.CutPrefix(w, name+"="); ok {
			return strings.Trim(v, `"'`)
		}
	}
	return ""
}

// checkRuntime checks the final stage: user, port, health check,
// entrypoint, labels, environment and rules file.
func checkRuntime(p *problems, final *instructions.Stage, binPath string, bin binary) {
	checkUser(p, final)
	env := map[string]string{}
	for _, e := range commandsOf[*instructions.EnvCommand](final) {
		for _, kv := range e.Env {
			env[kv.Key] = kv.Value
		}
	}
	var keys []string
	for k := range env {
		keys = append(keys, k)
	}
	slices.Sort(keys)
	for _, v := range unknownVars(keys, bin, nil) {
		p.addf("ENV %s is not a variable leadhook reads (leadhook --help)", v)
	}
	for _, k := range keys {
		if secretVar(k) {
			p.addf("ENV %s bakes a secret into the image", k)
		}
	}
	checkPort(p, final, env["LEADHOOK_ADDR"])
	checkEntrypoint(p, final, binPath, bin)
	checkLabels(p, final)
	checkRules(p, final, env["LEADHOOK_RULES"])
}

func checkUser(p *problems, final *instructions.Stage) {
	u, ok := lastOf[*instructions.UserCommand](final)
	if !ok {
		p.addf("final stage has no USER: the container runs as root")
		return
	}
	uid, _, _ := strings.Cut(u.User, ":")
	n, err := strconv.Atoi(uid)
	switch {
	case err != nil:
		p.addf("USER %q is not numeric: Kubernetes runAsNonRoot cannot verify it", u.User)
	case n == 0:
		p.addf("USER %q is root: the container must run as a non-root user", u.User)
	}
}

func checkPort(p *problems, final *instructions.Stage, addr string) {
	want := "8080"
	if addr != "" {
		if _, port, err := net.SplitHostPort(addr); err == nil {
			want = port
		}
	}
	var ports []string
	for _, e := range commandsOf[*instructions.ExposeCommand](final) {
		for _, port := range e.Ports {
			ports = append(ports, strings.TrimSuffix(port, "/tcp"))
		}
	}
	if !slices.Contains(ports, want) || want != "8080" {
		p.addf("EXPOSE %v: want 8080, where LEADHOOK_ADDR (%q) listens", ports, addr)
	}
}

func checkEntrypoint(p *problems, final *instructions.Stage, binPath string, bin binary) {
	ep, ok := lastOf[*instructions.EntrypointCommand](final)
	switch {
	case !ok:
		p.addf("no ENTRYPOINT")
	case ep.PrependShell:
		p.addf("ENTRYPOINT is shell form; distroless has no shell: use exec form")
	case len(ep.CmdLine) == 0 || ep.CmdLine[0] != binPath:
		p.addf("ENTRYPOINT %q does not run the copied binary %q", ep.CmdLine, binPath)
	}
	if cmd, ok := lastOf[*instructions.CmdCommand](final); ok {
		if cmd.PrependShell || len(cmd.CmdLine) == 0 || !bin.commands[cmd.CmdLine[0]] {
			p.addf("CMD %q is not an exec-form leadhook command (commands: %v)", cmd.CmdLine, slices.Sorted(maps.Keys(bin.commands)))
		}
	}
	hc, ok := lastOf[*instructions.HealthCheckCommand](final)
	if !ok {
		p.addf("no HEALTHCHECK")
		return
	}
	test := hc.Health.Test
	switch {
	case len(test) == 0 || test[0] != "CMD":
		p.addf("HEALTHCHECK %q is not exec form (CMD [...]): distroless has no shell", test)
	case len(test) < 3 || test[1] != binPath || !bin.commands[test[2]]:
		p.addf("HEALTHCHECK %q does not run a leadhook command through %q (commands: %v)", test[1:], binPath, slices.Sorted(maps.Keys(bin.commands)))
	}
}

func checkLabels(p *problems, final *instructions.Stage) {
	labels := map[string]string{}
	for _, l := range commandsOf[*instructions.LabelCommand](final) {
		for _, kv := range l.Labels {
			labels[kv.Key] = strings.Trim(kv.Value, `"'`)
		}
	}
	if !strings.HasPrefix(labels["org.opencontainers.image.source"], "https://") {
		p.addf("label org.opencontainers.image.source missing or not a URL")
	}
	if v := labels["org.opencontainers.image.version"]; !strings.Contains(v, "${VERSION}") && !strings.Contains(v, "$VERSION") {
		p.addf("label org.opencontainers.image.version %q is not the VERSION build argument", v)
	}
}

// checkRules checks that LEADHOOK_RULES names the documented path and that
// a COPY puts a rules file there.
func checkRules(p *problems, final *instructions.Stage, rules string) {
	const want = "/etc/leadhook/rules.yaml"
	if rules != want {
		p.addf("ENV LEADHOOK_RULES=%q, want the documented %s", rules, want)
	}
	for _, c := range commandsOf[*instructions.CopyCommand](final) {
		if c.From == "" && c.DestPath == want {
			return
		}
	}
	p.addf("no COPY puts a rules file at %s", want)
}

func checkGoVersion(p *problems, df *dockerfile) {
	data, err := os.ReadFile(filepath.Join(repoRoot, "go.mod"))
	if err != nil {
		p.addf("read go.mod: %v", err)
		return
	}
	mf, err := modfile.ParseLax("go.mod", data, nil)
	if err != nil || mf.Go == nil {
		p.addf("parse go.mod: %v", err)
		return
	}
	for _, a := range df.metaArgs {
		for _, kv := range a.Args {
			if kv.Key == "GO_VERSION" && kv.Value != nil && versionLess(*kv.Value, mf.Go.Version) {
				p.addf("ARG GO_VERSION=%s is older than go.mod's go %s", *kv.Value, mf.Go.Version)
			}
			if kv.Key == "GO_VERSION" {
				return
			}
		}
	}
	p.addf("no ARG GO_VERSION before the first FROM")
}

// versionLess compares dotted numeric versions ("1.26.8" < "1.27").
func versionLess(a, b string) bool {
	as, bs := strings.Split(a, "."), strings.Split(b, ".")
	for i := 0; i < max(len(as), len(bs)); i++ {
		var x, y int
		if i < len(as) {
			x, _ = strconv.Atoi(as[i])
		}
		if i < len(bs) {
			y, _ = strconv.Atoi(bs[i])
		}
		if x != y {
			return x < y
		}
	}
	return false
}

func TestDockerfile(t *testing.T) {
	src := readRepoFile(t, "Dockerfile")
	tests := []struct {
		name string
		src  string
		want []string // substrings of expected problems; none for the shipped file
	}{
		{name: "shipped Dockerfile", src: src},
		{name: "single stage", src: "FROM golang:1.26.8\nRUN CGO_ENABLED=0 go build ./cmd/leadhook\n", want: []string{"not multi-stage"}},
		{name: "root user", src: mutate(t, src, "USER 65532:65532", "USER root"), want: []string{"not numeric"}},
		{name: "uid 0", src: mutate(t, src, "USER 65532:65532", "USER 0"), want: []string{"is root"}},
		{name: "no user", src: mutate(t, src, "USER 65532:65532\n", ""), want: []string{"no USER"}},
		{name: "cgo", src: mutate(t, src, "CGO_ENABLED=0", "CGO_ENABLED=1"), want: []string{"lacks CGO_ENABLED=0"}},
		{name: "no nomsgpack", src: mutate(t, src, "-tags nomsgpack", "-tags netgo"), want: []string{"lacks -tags nomsgpack"}},
		{name: "no trimpath", src: mutate(t, src, "-trimpath ", ""), want: []string{"lacks -trimpath"}},
		{name: "no version stamp", src: mutate(t, src, " -X main.version=${VERSION}", ""), want: []string{"lacks -X main.version="}},
		{name: "binary moved", src: mutate(t, src, "-o /out/leadhook", "-o /out/server"), want: []string{"writes \"/out/server\""}},
		{name: "shell healthcheck", src: mutate(t, src, `CMD ["/usr/local/bin/leadhook", "healthcheck"]`, "CMD /usr/local/bin/leadhook healthcheck"), want: []string{"not exec form"}},
		{name: "unknown healthcheck command", src: mutate(t, src, `leadhook", "healthcheck"]`, `leadhook", "ping"]`), want: []string{"does not run a leadhook command"}},
		{name: "shell entrypoint", src: mutate(t, src, `ENTRYPOINT ["/usr/local/bin/leadhook"]`, "ENTRYPOINT /usr/local/bin/leadhook"), want: []string{"shell form"}},
		{name: "unknown cmd", src: mutate(t, src, `CMD ["serve"]`, `CMD ["server"]`), want: []string{"CMD [\"server\"]"}},
		{name: "wrong port", src: mutate(t, src, "EXPOSE 8080", "EXPOSE 80"), want: []string{"EXPOSE [80]"}},
		{name: "renamed variable", src: mutate(t, src, "LEADHOOK_RULES=/etc", "LEADHOOK_RULES_FILE=/etc"), want: []string{"LEADHOOK_RULES_FILE is not a variable"}},
		{name: "rules elsewhere", src: mutate(t, src, "COPY rules.example.yaml /etc/leadhook/rules.yaml", "COPY rules.example.yaml /rules.yaml"), want: []string{"no COPY puts a rules file"}},
		{name: "baked secret", src: mutate(t, src, "ENV LEADHOOK_ADDR=:8080", "ENV DESKERA_CLIENT_SECRET=x LEADHOOK_ADDR=:8080"), want: []string{"bakes a secret"}},
		{name: "no source label", src: mutate(t, src, "org.opencontainers.image.source=", "org.example.source="), want: []string{"image.source"}},
		{name: "fat base", src: mutate(t, src, "FROM gcr.io/distroless/static-debian13:nonroot", "FROM debian:trixie"), want: []string{"not distroless"}},
		{name: "old go", src: mutate(t, src, "ARG GO_VERSION=1.26.8", "ARG GO_VERSION=1.22"), want: []string{"older than go.mod"}},
		{name: "build check warning", src: mutate(t, src, "AS build", "as build"), want: []string{"FromAsCasing"}},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			t.Parallel()
			assertProblems(t, checkDockerfile(tt.src, built.server), tt.want)
		})
	}
}

func TestVersionLess(t *testing.T) {
	tests := []struct {
		a, b string
		want bool
	}{
		{"1.26.8", "1.26.8", false},
		{"1.26", "1.26.8", true},
		{"1.25.9", "1.26", true},
		{"1.27", "1.26.8", false},
	}
	for _, tt := range tests {
		t.Run(tt.a+"<"+tt.b, func(t *testing.T) {
			if got := versionLess(tt.a, tt.b); got != tt.want {
				t.Errorf("versionLess(%q, %q) = %v, want %v", tt.a, tt.b, got, tt.want)
			}
		})
	}
}

// TestDockerignore checks that the build context keeps everything the
// Dockerfile copies and every package ./cmd/leadhook compiles, and leaves
// out the repository metadata and build output.
func TestDockerignore(t *testing.T) {
	f, err := os.Open(filepath.Join(repoRoot, ".dockerignore"))
	if err != nil {
		t.Fatal(err)
	}
	defer f.Close()
	patterns, err := ignorefile.ReadAll(f)
	if err != nil {
		t.Fatal(err)
	}
	pm, err := patternmatcher.New(patterns)
	if err != nil {
		t.Fatal(err)
	}
	df, err := parseDockerfile(readRepoFile(t, "Dockerfile"))
	if err != nil {
		t.Fatal(err)
	}
	var kept []string
	for _, s := range df.stages {
		for _, c := range commandsOf[*instructions.CopyCommand](&s) {
			if c.From == "" {
				kept = append(kept, c.SourcePaths...)
			}
		}
	}
	kept = append(kept, buildInputs(t)...)
	for _, name := range kept {
		if name == "." {
			continue
		}
		if _, err := os.Stat(filepath.Join(repoRoot, name)); err != nil {
			t.Errorf("the build needs %s: %v", name, err)
		}
		if ex, _ := pm.MatchesOrParentMatches(name); ex {
			t.Errorf(".dockerignore excludes %s, which the image build needs", name)
		}
	}
	for _, name := range []string{".git", "bin/leadhook", "dist/leadhook-lambda-arm64.zip", "bootstrap", ".aws-sam/build"} {
		if ex, _ := pm.MatchesOrParentMatches(name); !ex {
			t.Errorf(".dockerignore does not exclude %s", name)
		}
	}
}

// buildInputs lists the repository files `go build ./cmd/leadhook` reads:
// the Go and embedded files of every package of this module it compiles.
func buildInputs(t *testing.T) []string {
	t.Helper()
	cmd := exec.Command("go", "list", "-deps", "-tags", "nomsgpack", "-f",
		`{{if .Module}}{{if .Module.Main}}{{range .GoFiles}}{{$.Dir}}/{{.}}
{{end}}{{range .EmbedFiles}}{{$.Dir}}/{{.}}
{{end}}{{end}}{{end}}`, "./cmd/leadhook")
	cmd.Dir = repoRoot
	out, err := cmd.Output()
	if err != nil {
		t.Fatalf("go list: %v", err)
	}
	root, err := filepath.Abs(repoRoot)
	if err != nil {
		t.Fatal(err)
	}
	files := []string{"go.mod", "go.sum"}
	for _, line := range strings.Fields(string(out)) {
		rel, err := filepath.Rel(root, line)
		if err != nil {
			t.Fatal(err)
		}
		files = append(files, filepath.ToSlash(rel))
	}
	if len(files) < 3 {
		t.Fatalf("go list found no files of ./cmd/leadhook")
	}
	return files
}
