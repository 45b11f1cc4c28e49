package main

import (
	"bufio"
	"context"
	"os"
	"path/filepath"
	"strconv"
	"strings"
	"testing"
)

// docCommand is one `$ leadhook ...` line of a console block, the output
// the doc shows under it and the exit code a following `$ echo $?` shows.
type docCommand struct {
	line string
	vars map[string]string
	args []string
	want []string
	exit int
}

// docBlocks returns the fenced blocks of the given info string, in order.
func docBlocks(doc, info string) []string {
	var out []string
	var cur *strings.Builder
	inFence := false
	sc := bufio.NewScanner(strings.NewReader(doc))
	for sc.Scan() {
		l := sc.Text()
		switch {
		case !inFence && strings.HasPrefix(l, "```"):
			inFence = true
			if l == "```"+info {
				cur = &strings.Builder{}
			}
		case inFence && l == "```":
			inFence = false
			if cur != nil {
				out = append(out, cur.String())
				cur = nil
			}
		case cur != nil:
			cur.WriteString(l + "\n")
		}
	}
	return out
}

// docCommands parses the leadhook commands of the console blocks; other
// shell commands (and their output) are skipped.
func docCommands(t *testing.T, doc string) []*docCommand {
	t.Helper()
	var cmds []*docCommand
	for _, block := range docBlocks(doc, "console") {
		var cur *docCommand
		lines := strings.Split(strings.TrimSuffix(block, "\n"), "\n")
		for i := 0; i < len(lines); i++ {
			l := lines[i]
			if !strings.HasPrefix(l, "$ ") {
				if cur != nil {
					cur.want = append(cur.want, l)
				}
				continue
			}
			cmd := strings.TrimPrefix(l, "$ ")
			for strings.HasSuffix(cmd, "\\") && i+1 < len(lines) {
				i++
				cmd = strings.TrimSuffix(cmd, "\\") + strings.TrimSpace(lines[i])
			}
			if cmd == "echo $?" && cur != nil && i+1 < len(lines) {
				i++
				n, err := strconv.Atoi(lines[i])
				if err != nil {
					t.Fatalf("echo $? shows %q", lines[i])
				}
				cur.exit = n
				continue
			}
			fields := strings.Fields(cmd)
			vars := map[string]string{}
			for len(fields) > 0 && strings.Contains(fields[0], "=") {
				k, v, _ := strings.Cut(fields[0], "=")
				vars[k] = v
				fields = fields[1:]
			}
			if len(fields) == 0 || fields[0] != "leadhook" {
				cur = nil // another shell command: not run here
				continue
			}
			if strings.ContainsAny(cmd, `'"`) {
				t.Fatalf("%q: quoting is not supported by this test", cmd)
			}
			cur = &docCommand{line: strings.Join(strings.Fields(cmd), " "), vars: vars, args: fields[1:]}
			cmds = append(cmds, cur)
		}
	}
	return cmds
}

// TestWritingRulesDoc runs every leadhook command of docs/writing-rules.md
// on the files the walkthrough builds (rules.yaml: the example plus its
// rule, before and after the fix; rules.test.yaml as written, then with
// the owner it says is right) and checks that the output lines the doc
// shows appear in that order (lines with "..." are cuts) and the exit code.
func TestWritingRulesDoc(t *testing.T) {
	root := repoRoot(t)
	read := func(name string) string {
		b, err := os.ReadFile(filepath.Join(root, name))
		if err != nil {
			t.Fatal(err)
		}
		return string(b)
	}
	doc, example := read("docs/writing-rules.md"), read("rules.example.yaml")
	yamls := docBlocks(doc, "yaml")
	if len(yamls) < 3 {
		t.Fatalf("docs/writing-rules.md has %d yaml blocks, want the rule, its fix and the test file", len(yamls))
	}
	rule, fix, testFile := yamls[0], yamls[1], yamls[2]
	ruleLines := strings.SplitAfter(rule, "\n")
	if len(ruleLines) < 3 || !strings.HasPrefix(strings.TrimSpace(ruleLines[2]), "when:") || !strings.HasPrefix(strings.TrimSpace(fix), "when:") {
		t.Fatalf("the rule block should be name, description, when..., and the fix when...:\n%s\n%s", rule, fix)
	}
	broken := example + "\n" + rule
	fixed := example + "\n" + strings.Join(ruleLines[:2], "") + fix
	if !strings.HasPrefix(testFile, "rules: rules.yaml\n") || !strings.Contains(testFile, "owner_id: 17826") {
		t.Fatalf("the test file block changed; update this test:\n%s", testFile)
	}
	fixedTest := strings.Replace(testFile, "owner_id: 17826", "owner_id: 19311", 1)

	steps := []struct{ cmd, rules, tests string }{
		{"leadhook validate rules.yaml", broken, testFile},
		{"leadhook validate rules.yaml", fixed, testFile},
		{"leadhook eval --rules rules.yaml --source website --received-at 2026-01-15T10:00:00Z testdata/payloads/big-budget.urlencoded", fixed, testFile},
		{"leadhook test rules.test.yaml", fixed, testFile},
		{"leadhook test -v rules.test.yaml", fixed, fixedTest},
		{"LEADHOOK_SANDBOX=1 leadhook sweep --dry-run --seed 250", fixed, fixedTest},
		{"LEADHOOK_SANDBOX=1 leadhook reassign --dry-run --from-owner 17826 --pool sales --seed 250", fixed, fixedTest},
	}
	cmds := docCommands(t, doc)
	if len(cmds) != len(steps) {
		var got []string
		for _, c := range cmds {
			got = append(got, c.line)
		}
		t.Fatalf("the doc runs %d leadhook commands, this test knows %d; add the new ones to steps:\n%s", len(cmds), len(steps), strings.Join(got, "\n"))
	}
	dir := t.TempDir()
	payload := read("testdata/payloads/big-budget.urlencoded")
	if bare := docBlocks(doc, ""); len(bare) == 0 || bare[0] != payload+"\n" {
		t.Errorf("the doc's payload block is not testdata/payloads/big-budget.urlencoded (%q)", payload)
	}
	if err := os.MkdirAll(filepath.Join(dir, "testdata", "payloads"), 0o755); err != nil {
		t.Fatal(err)
	}
	if err := os.WriteFile(filepath.Join(dir, "testdata", "payloads", "big-budget.urlencoded"), []byte(payload), 0o644); err != nil {
		t.Fatal(err)
	}
	// The sweep runs on the default rules file, as in the repository root.
	if err := os.WriteFile(filepath.Join(dir, "rules.example.yaml"), []byte(example), 0o644); err != nil {
		t.Fatal(err)
	}
	t.Chdir(dir)
	for i, st := range steps {
		c := cmds[i]
		if c.line != st.cmd {
			t.Fatalf("command %d of the doc is %q, this test expects %q", i+1, c.line, st.cmd)
		}
		t.Run(strconv.Itoa(i+1)+" "+strings.Join(c.args, " "), func(t *testing.T) {
			for name, data := range map[string]string{"rules.yaml": st.rules, "rules.test.yaml": st.tests} {
				if err := os.WriteFile(name, []byte(data), 0o644); err != nil {
					t.Fatal(err)
				}
			}
			env, out, errw := testEnv(c.vars)
			code := run(context.Background(), c.args, env)
			if code != c.exit {
				t.Errorf("exit %d, the doc says %d\nstdout:\n%s\nstderr:\n%s", code, c.exit, out, errw)
			}
			got := strings.Split(normalizeOutput(errw.String()+out.String()), "\n")
			j := 0
			for _, w := range c.want {
				if strings.Contains(w, "...") || strings.TrimSpace(w) == "" {
					continue
				}
				w = normalizeOutput(w)
				for j < len(got) && got[j] != w {
					j++
				}
				if j == len(got) {
					t.Errorf("the doc shows %q, not in the output (in this order):\n%s", w, normalizeOutput(errw.String()+out.String()))
					return
				}
				j++
			}
		})
	}
}
