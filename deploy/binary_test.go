package deploy

import (
	"archive/zip"
	"bytes"
	"context"
	"debug/buildinfo"
	"debug/elf"
	"fmt"
	"io"
	"maps"
	"net"
	"net/http"
	"os"
	"os/exec"
	"path/filepath"
	"slices"
	"strings"
	"syscall"
	"testing"
	"time"
)

// TestCommandsExist checks that the commands the artefacts run are ones
// the binary has: serve (Dockerfile CMD, Deployment args), healthcheck
// (HEALTHCHECK), version, and lambda in the Lambda build (the default
// command inside AWS Lambda).
func TestCommandsExist(t *testing.T) {
	tests := []struct {
		name string
		bin  binary
		want []string
	}{
		{name: "server build", bin: built.server, want: []string{"serve", "healthcheck", "version"}},
		{name: "lambda build", bin: built.lambda, want: []string{"serve", "healthcheck", "version", "lambda"}},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			for _, c := range tt.want {
				if !tt.bin.commands[c] {
					t.Errorf("leadhook --help lists no command %q (has %v)", c, slices.Sorted(maps.Keys(tt.bin.commands)))
				}
			}
		})
	}
}

// TestVersionStamp checks that -X main.version reaches `leadhook version`
// (the linker ignores -X for a variable that does not exist).
func TestVersionStamp(t *testing.T) {
	for _, b := range []binary{built.server, built.lambda} {
		t.Run(filepath.Base(b.path), func(t *testing.T) {
			res := run(context.Background(), b.path, nil, "version")
			if res.err != nil || res.code != 0 || !strings.Contains(res.out, testVersion) {
				t.Errorf("leadhook version: exit %d %v, output %q; want it to contain %q", res.code, res.err, res.out, testVersion)
			}
		})
	}
}

// TestContainerCommands runs what the image and the pod run: `validate`
// and `serve` with the image's environment and each shipped rules file, the HEALTHCHECK
// command against it, the Kubernetes probe paths, and a SIGTERM stop.
func TestContainerCommands(t *testing.T) {
	tests := []struct {
		name  string
		rules string
	}{
		{name: "image rules (rules.example.yaml)", rules: "rules.example.yaml"},
		{name: "kubernetes ConfigMap rules", rules: k8sDir + "/rules.yaml"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			rules, err := filepath.Abs(filepath.Join(repoRoot, tt.rules))
			if err != nil {
				t.Fatal(err)
			}
			if res := run(context.Background(), built.server.path, nil, "validate", rules); res.err != nil || res.code != 0 {
				t.Errorf("leadhook validate %s: exit %d %v: %s", tt.rules, res.code, res.err, res.out)
			}
			addr := freeAddr(t)
			env := []string{"LEADHOOK_ADDR=" + addr, "LEADHOOK_RULES=" + rules, "LEADHOOK_LOG_LEVEL=warn"}
			stop := startServe(t, env)
			for _, path := range []string{"/healthz", "/readyz"} {
				if code := waitStatus(t, "http://"+addr+path, 30*time.Second); code != http.StatusOK {
					t.Errorf("GET %s: %d, want 200", path, code)
				}
			}
			res := run(context.Background(), built.server.path, env, "healthcheck")
			if res.err != nil || res.code != 0 {
				t.Errorf("leadhook healthcheck against a healthy server: exit %d %v: %s", res.code, res.err, res.out)
			}
			stop()
		})
	}
	t.Run("healthcheck fails without a server", func(t *testing.T) {
		res := run(context.Background(), built.server.path, []string{"LEADHOOK_ADDR=" + freeAddr(t)}, "healthcheck")
		if res.err != nil || res.code == 0 {
			t.Errorf("leadhook healthcheck with nothing listening: exit %d %v, want non-zero", res.code, res.err)
		}
	})
}

// freeAddr returns a loopback address with a port nothing listens on.
func freeAddr(t *testing.T) string {
	t.Helper()
	l, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	addr := l.Addr().String()
	l.Close()
	return addr
}

// startServe starts `leadhook serve` and returns a func that stops it with
// SIGTERM and checks it exits cleanly within its shutdown timeout.
func startServe(t *testing.T, env []string) (stop func()) {
	t.Helper()
	cmd := exec.Command(built.server.path, "serve")
	cmd.Env = append([]string{"HOME=" + os.Getenv("HOME")}, env...)
	var out strings.Builder
	cmd.Stdout, cmd.Stderr = &out, &out
	if err := cmd.Start(); err != nil {
		t.Fatal(err)
	}
	done := make(chan error, 1)
	go func() { done <- cmd.Wait() }()
	stopped := false
	stop = func() {
		if stopped {
			return
		}
		stopped = true
		if err := cmd.Process.Signal(syscall.SIGTERM); err != nil {
			t.Errorf("signal serve: %v", err)
		}
		select {
		case err := <-done:
			if err != nil {
				t.Errorf("serve after SIGTERM: %v\n%s", err, out.String())
			}
		case <-time.After(25 * time.Second):
			cmd.Process.Kill()
			t.Errorf("serve did not stop within 25s of SIGTERM\n%s", out.String())
		}
	}
	t.Cleanup(stop)
	return stop
}

// waitStatus polls url until it answers, returning the status (0 when it
// never answered within d).
func waitStatus(t *testing.T, url string, d time.Duration) int {
	t.Helper()
	client := &http.Client{Timeout: 2 * time.Second}
	deadline := time.Now().Add(d)
	last := 0
	for time.Now().Before(deadline) {
		resp, err := client.Get(url)
		if err == nil {
			io.Copy(io.Discard, resp.Body)
			resp.Body.Close()
			last = resp.StatusCode
			if last == http.StatusOK {
				return last
			}
		}
		time.Sleep(100 * time.Millisecond)
	}
	return last
}

// runMake runs a Makefile target with variables.
func runMake(t *testing.T, args ...string) {
	t.Helper()
	cmd := exec.CommandContext(t.Context(), "make", append([]string{"-s"}, args...)...)
	cmd.Dir = repoRoot
	cmd.Env = makeEnv()
	if out, err := cmd.CombinedOutput(); err != nil {
		t.Fatalf("make %s: %v\n%s", strings.Join(args, " "), err, out)
	}
}

// artefact is what a built binary must be.
type artefact struct {
	machine elf.Machine
	goarch  string
	tags    string
}

// checkELF checks a binary: a static (no interpreter), stripped (no symbol
// table) ELF for the machine, built with CGO_ENABLED=0, -trimpath and tags.
func checkELF(t *testing.T, path string, want artefact) {
	t.Helper()
	f, err := elf.Open(path)
	if err != nil {
		t.Fatalf("%s: %v", path, err)
	}
	defer f.Close()
	if f.Machine != want.machine {
		t.Errorf("%s: machine %s, want %s", path, f.Machine, want.machine)
	}
	for _, prog := range f.Progs {
		if prog.Type == elf.PT_INTERP {
			t.Errorf("%s: dynamically linked (has an interpreter)", path)
		}
	}
	if f.Section(".symtab") != nil {
		t.Errorf("%s: not stripped (has .symtab)", path)
	}
	info, err := buildinfo.ReadFile(path)
	if err != nil {
		t.Fatalf("%s: build info: %v", path, err)
	}
	settings := map[string]string{}
	for _, s := range info.Settings {
		settings[s.Key] = s.Value
	}
	for k, v := range map[string]string{"CGO_ENABLED": "0", "-trimpath": "true", "-tags": want.tags, "GOARCH": want.goarch, "GOOS": "linux"} {
		if settings[k] != v {
			t.Errorf("%s: build setting %s=%q, want %q", path, k, settings[k], v)
		}
	}
	// -trimpath keeps -ldflags out of the build info; look for the string.
	data, err := os.ReadFile(path)
	if err != nil {
		t.Fatal(err)
	}
	if !bytes.Contains(data, []byte(testVersion)) {
		t.Errorf("%s: version %q not stamped (-X main.version)", path, testVersion)
	}
}

func size(t *testing.T, path string) string {
	t.Helper()
	fi, err := os.Stat(path)
	if err != nil {
		t.Fatal(err)
	}
	return fmt.Sprintf("%s: %d bytes (%.1f MiB)", filepath.Base(filepath.Dir(path))+"/"+filepath.Base(path), fi.Size(), float64(fi.Size())/(1<<20))
}

var machines = map[string]elf.Machine{"arm64": elf.EM_AARCH64, "amd64": elf.EM_X86_64}

// TestMakeArtefacts builds what the Makefile ships and checks each binary:
// `make build` (the container's binary), `make lambda` (the zips for arm64
// and amd64) and `make build-LeadhookFunction` (what `sam build` runs).
// Their sizes are logged (go test -v).
func TestMakeArtefacts(t *testing.T) {
	if testing.Short() {
		t.Skip("cross-builds the Lambda bootstrap; skipped with -short")
	}
	dir := t.TempDir()
	version := "VERSION=" + testVersion
	t.Run("make build", func(t *testing.T) {
		runMake(t, "build", "BIN_DIR="+dir+"/bin", version)
		bin := dir + "/bin/leadhook"
		checkELF(t, bin, artefact{machine: machines[hostArch(t)], goarch: hostArch(t), tags: "nomsgpack"})
		t.Log(size(t, bin))
	})
	t.Run("make lambda", func(t *testing.T) {
		runMake(t, "lambda", "DIST_DIR="+dir+"/dist", version)
		for arch, machine := range machines {
			zipPath := fmt.Sprintf("%s/dist/leadhook-lambda-%s.zip", dir, arch)
			checkLambdaZip(t, zipPath)
			boot := fmt.Sprintf("%s/dist/lambda-%s/bootstrap", dir, arch)
			checkELF(t, boot, artefact{machine: machine, goarch: arch, tags: lambdaTags})
			t.Log(size(t, boot))
			t.Log(size(t, zipPath))
			checkZipSize(t, zipPath, arch)
		}
	})
	t.Run("sam build target", func(t *testing.T) {
		art := dir + "/sam"
		runMake(t, "build-LeadhookFunction", "ARTIFACTS_DIR="+art, version)
		checkELF(t, art+"/bootstrap", artefact{machine: elf.EM_AARCH64, goarch: "arm64", tags: lambdaTags})
		if _, err := os.Stat(art + "/rules.yaml"); err != nil {
			t.Errorf("sam build target does not bundle rules.yaml: %v", err)
		}
	})
}

// checkZipSize fails when the zip of the architecture template.yaml
// deploys (arm64) is over lambdaZipMax; the other one's size is logged.
func checkZipSize(t *testing.T, path, arch string) {
	t.Helper()
	fi, err := os.Stat(path)
	if err != nil {
		t.Fatal(err)
	}
	switch {
	case arch != "arm64":
		t.Logf("%s: %d bytes (limit %d applies to arm64, the deployed architecture)", filepath.Base(path), fi.Size(), lambdaZipMax)
	case fi.Size() > lambdaZipMax:
		t.Errorf("%s: %d bytes, over the %d-byte limit: see what grew with go tool nm -size -sort size on a -tags %s build", filepath.Base(path), fi.Size(), lambdaZipMax, lambdaTags)
	}
}

// checkLambdaZip: exactly an executable bootstrap and rules.yaml at the
// root (the provided.al2023 runtime runs /var/task/bootstrap).
func checkLambdaZip(t *testing.T, path string) {
	t.Helper()
	zr, err := zip.OpenReader(path)
	if err != nil {
		t.Fatalf("%s: %v", path, err)
	}
	defer zr.Close()
	var names []string
	for _, f := range zr.File {
		names = append(names, f.Name)
		if f.Name == "bootstrap" && f.Mode().Perm()&0o111 == 0 {
			t.Errorf("%s: bootstrap is not executable (%v)", path, f.Mode())
		}
	}
	slices.Sort(names)
	if !slices.Equal(names, []string{"bootstrap", "rules.yaml"}) {
		t.Errorf("%s holds %v, want [bootstrap rules.yaml]", path, names)
	}
}

func hostArch(t *testing.T) string {
	t.Helper()
	out, err := exec.Command("go", "env", "GOARCH").Output()
	if err != nil {
		t.Fatal(err)
	}
	return strings.TrimSpace(string(out))
}
