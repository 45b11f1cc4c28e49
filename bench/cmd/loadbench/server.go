package main

import (
	"bufio"
	"bytes"
	"context"
	"errors"
	"fmt"
	"net"
	"net/http"
	"os"
	"os/exec"
	"slices"
	"strconv"
	"strings"
	"sync"
	"syscall"
	"time"

	"github.com/leadhook/leadhook/deskera/deskeratest"
)

// server is how to start one server under test.
type server struct {
	bin  string
	args []string
	env  []string
}

// proc is a running server process.
type proc struct {
	cmd   *exec.Cmd
	addr  string
	debug string // the admin address ({debug}; "" when none)
	data  string // a fresh data directory ({data}; "" when none), removed by stop
	errb  *capped
	done  chan struct{}
}

// freeAddr returns a loopback address with a free port.
func freeAddr() (string, error) {
	ln, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		return "", err
	}
	defer ln.Close()
	return ln.Addr().String(), nil
}

// start execs the server listening on addr (and, where its settings say
// {debug}, its admin listener on debug; {data} is a fresh temporary
// directory); stdout (leadhook's JSON log lines) goes to /dev/null, the
// end of stderr is kept for errors.
func (s server) start(addr, debug string) (*proc, error) {
	var data string
	if slices.ContainsFunc(s.env, func(e string) bool { return strings.Contains(e, "{data}") }) {
		dir, err := os.MkdirTemp("", "loadbench-data-")
		if err != nil {
			return nil, err
		}
		data = dir
	}
	subst := strings.NewReplacer("{addr}", addr, "{debug}", debug, "{data}", data)
	args := make([]string, 0, len(s.args))
	for _, a := range s.args {
		args = append(args, subst.Replace(a))
	}
	cmd := exec.Command(s.bin, args...)
	cmd.Env = append([]string{"PATH=" + os.Getenv("PATH"), "HOME=" + os.Getenv("HOME"), "TZ=UTC"}, s.env...)
	for i, e := range cmd.Env {
		cmd.Env[i] = subst.Replace(e)
	}
	p := &proc{cmd: cmd, addr: addr, debug: debug, data: data, errb: &capped{max: 8 << 10}, done: make(chan struct{})}
	cmd.Stderr = p.errb
	if err := cmd.Start(); err != nil {
		os.RemoveAll(data)
		return nil, fmt.Errorf("start %s: %w", s.bin, err)
	}
	go func() { _ = cmd.Wait(); close(p.done) }()
	return p, nil
}

// waitReady polls GET /readyz until it answers 200 (or timeout) and
// returns the time since the process was started.
func (p *proc) waitReady(started time.Time, timeout time.Duration) (time.Duration, error) {
	client := &http.Client{Timeout: 250 * time.Millisecond}
	url := "http://" + p.addr + "/readyz"
	for deadline := started.Add(timeout); time.Now().Before(deadline); {
		select {
		case <-p.done:
			return 0, fmt.Errorf("server exited before it was ready: %s", p.errb)
		default:
		}
		resp, err := client.Get(url)
		if err == nil {
			resp.Body.Close()
			if resp.StatusCode == http.StatusOK {
				return time.Since(started), nil
			}
		}
		time.Sleep(time.Millisecond)
	}
	return 0, fmt.Errorf("not ready after %v: %s", timeout, p.errb)
}

// peakRSS reads VmHWM (peak resident set size) from /proc/PID/status.
func (p *proc) peakRSS() (int64, error) {
	b, err := os.ReadFile(fmt.Sprintf("/proc/%d/status", p.cmd.Process.Pid))
	if err != nil {
		return 0, err
	}
	return parseVmHWM(b)
}

// cpuTime reads the process's user + system CPU time from
// /proc/PID/stat (0 for no process).
func (p *proc) cpuTime() (time.Duration, error) {
	if p == nil {
		return 0, nil
	}
	b, err := os.ReadFile(fmt.Sprintf("/proc/%d/stat", p.cmd.Process.Pid))
	if err != nil {
		return 0, err
	}
	return parseCPUTime(string(b))
}

// clockTick is USER_HZ, the unit of /proc/PID/stat times (100 on Linux).
const clockTick = 10 * time.Millisecond

// parseCPUTime returns utime + stime of a /proc/PID/stat line.
func parseCPUTime(stat string) (time.Duration, error) {
	i := strings.LastIndexByte(stat, ')') // the command name may hold spaces
	if i < 0 {
		return 0, errors.New("malformed /proc/PID/stat")
	}
	f := strings.Fields(stat[i+1:])
	if len(f) < 13 { // fields 3.. after the name; utime and stime are 14 and 15
		return 0, errors.New("short /proc/PID/stat")
	}
	u, err1 := strconv.ParseInt(f[11], 10, 64)
	s, err2 := strconv.ParseInt(f[12], 10, 64)
	if err := errors.Join(err1, err2); err != nil {
		return 0, fmt.Errorf("/proc/PID/stat times: %w", err)
	}
	return time.Duration(u+s) * clockTick, nil
}

// parseVmHWM returns VmHWM in bytes.
func parseVmHWM(status []byte) (int64, error) {
	sc := bufio.NewScanner(bytes.NewReader(status))
	for sc.Scan() {
		f := strings.Fields(sc.Text())
		if len(f) >= 2 && f[0] == "VmHWM:" {
			kb, err := strconv.ParseInt(f[1], 10, 64)
			if err != nil {
				return 0, fmt.Errorf("VmHWM %q: %w", f[1], err)
			}
			return kb << 10, nil
		}
	}
	return 0, errors.New("no VmHWM in the process status")
}

// stop sends SIGTERM and waits (SIGKILL after 5 s).
func (p *proc) stop() {
	_ = p.cmd.Process.Signal(syscall.SIGTERM)
	select {
	case <-p.done:
	case <-time.After(5 * time.Second):
		_ = p.cmd.Process.Kill()
		<-p.done
	}
	if p.data != "" {
		_ = os.RemoveAll(p.data)
	}
}

// capped keeps the last max bytes written to it.
type capped struct {
	mu  sync.Mutex
	max int
	b   []byte
}

func (c *capped) Write(p []byte) (int, error) {
	c.mu.Lock()
	defer c.mu.Unlock()
	c.b = append(c.b, p...)
	if len(c.b) > c.max {
		c.b = c.b[len(c.b)-c.max:]
	}
	return len(p), nil
}

func (c *capped) String() string {
	c.mu.Lock()
	defer c.mu.Unlock()
	return strings.TrimSpace(string(c.b))
}

// fakeCRM is the in-memory fake Deskera served on a loopback port.
type fakeCRM struct {
	*deskeratest.Fake
	url string
	srv *http.Server
}

func startFake() (*fakeCRM, error) {
	ln, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		return nil, err
	}
	f := &fakeCRM{Fake: deskeratest.New(), url: "http://" + ln.Addr().String()}
	f.srv = &http.Server{Handler: f.Fake, ReadHeaderTimeout: 5 * time.Second}
	go func() { _ = f.srv.Serve(ln) }()
	return f, nil
}

func (f *fakeCRM) stop() {
	ctx, cancel := context.WithTimeout(context.Background(), 2*time.Second)
	defer cancel()
	_ = f.srv.Shutdown(ctx)
}
