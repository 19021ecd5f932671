package main

import (
	"bufio"
	"io"
	"net/http"
	"os"
	"os/exec"
	"path/filepath"
	"regexp"
	"strings"
	"syscall"
	"testing"
	"time"

	"confab/internal/clustertest"
	"confab/internal/need"
	"confab/internal/pgtest"
)

func TestMain(m *testing.M) { os.Exit(clustertest.Main(m)) }

// Ctrl+C at the terminal (SIGINT to the program's process group) stops
// the whole cluster: no node, HAProxy or PostgreSQL is left running.
func TestCtrlCStopsEverything(t *testing.T) {
	t.Parallel()
	if _, err := exec.LookPath("haproxy"); err != nil {
		if _, err := os.Stat("/usr/sbin/haproxy"); err != nil {
			need.Tool(t, clustertest.InstallHAProxy)
		}
	}
	if _, err := pgtest.BinDir(); err != nil {
		need.Tool(t, pgtest.Install)
	}
	confabd := clustertest.Confabd(t)
	bin := filepath.Join(t.TempDir(), "confabcluster")
	if out, err := exec.Command("go", "build", "-o", bin, ".").CombinedOutput(); err != nil {
		t.Fatalf("build: %v\n%s", err, out)
	}
	cmd := exec.Command(bin, "-confabd", confabd, "-nodes", "2", "-addr", "127.0.0.1:0")
	cmd.SysProcAttr = &syscall.SysProcAttr{Setpgid: true}
	out, _ := cmd.StdoutPipe()
	cmd.Stderr = os.Stderr
	if err := cmd.Start(); err != nil {
		t.Fatal(err)
	}
	exited := make(chan error, 1)
	go func() { exited <- cmd.Wait() }()
	t.Cleanup(func() { syscall.Kill(-cmd.Process.Pid, syscall.SIGKILL) })

	lines := make(chan string, 100)
	go func() {
		sc := bufio.NewScanner(out)
		for sc.Scan() {
			lines <- sc.Text()
		}
		close(lines)
	}()
	var printed []string
	var url, dir, pgPort string
	timeout := time.After(120 * time.Second)
	for url == "" {
		select {
		case l, ok := <-lines:
			if !ok {
				t.Fatalf("confabcluster ended before saying where to join:\n%s", strings.Join(printed, "\n"))
			}
			printed = append(printed, l)
			if m := regexp.MustCompile(`^join the chat at (\S+)`).FindStringSubmatch(l); m != nil {
				url = m[1]
			}
			if d, ok := strings.CutPrefix(l, "logs and data: "); ok {
				dir = d
			}
			if m := regexp.MustCompile(`^PostgreSQL: postgres://[^@]*@127\.0\.0\.1:(\d+)/`).FindStringSubmatch(l); m != nil {
				pgPort = m[1]
			}
		case <-timeout:
			t.Fatalf("no address to join within 120 s:\n%s", strings.Join(printed, "\n"))
		}
	}
	if dir == "" || pgPort == "" {
		t.Fatalf("output lacks the files' folder or PostgreSQL's address:\n%s", strings.Join(printed, "\n"))
	}
	res, err := http.Get(url + "/healthz")
	if err != nil || res.StatusCode != http.StatusOK {
		t.Fatalf("through HAProxy: %v %v", res, err)
	}
	res.Body.Close()
	if running(t, dir) == "" {
		t.Fatalf("pgrep finds no process of the cluster in %s", dir)
	}

	syscall.Kill(-cmd.Process.Pid, syscall.SIGINT) // what a terminal's Ctrl+C does
	select {
	case err := <-exited:
		if err != nil {
			t.Fatalf("confabcluster after Ctrl+C: %v", err)
		}
	case <-time.After(60 * time.Second):
		t.Fatal("confabcluster still running 60 s after Ctrl+C")
	}
	go io.Copy(io.Discard, out) //nolint:errcheck
	if left := running(t, dir) + running(t, "postgres.*-p "+pgPort+" "); left != "" {
		t.Fatalf("left running after Ctrl+C:\n%s", left)
	}
	if _, err := os.Stat(dir); err == nil {
		t.Fatalf("%s was not removed", dir)
	}
}

// running lists the processes whose command line matches pattern.
func running(t *testing.T, pattern string) string {
	t.Helper()
	out, err := exec.Command("pgrep", "-a", "-f", pattern).Output()
	if err != nil {
		if ee, ok := err.(*exec.ExitError); ok && ee.ExitCode() == 1 {
			return "" // none
		}
		t.Fatalf("pgrep: %v", err)
	}
	return string(out)
}
