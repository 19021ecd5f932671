package need

import (
	"fmt"
	"os"
	"path/filepath"
	"runtime"
	"strings"
	"testing"
)

func env(kv ...string) func(string) string {
	m := map[string]string{}
	for i := 0; i+1 < len(kv); i += 2 {
		m[kv[i]] = kv[i+1]
	}
	return func(k string) string { return m[k] }
}

// A normal user's `make test` skips only what needs root; CI and
// CONFAB_REQUIRE_ALL skip nothing; a plain go test skips both.
func TestMustFail(t *testing.T) {
	t.Parallel()
	for _, c := range []struct {
		name       string
		env        func(string) string
		root, tool bool
	}{
		{"go test", env(), false, false},
		{"make test", env(EnvTools, "1"), false, true},
		{"require all", env(EnvAll, "1"), true, true},
		{"require all under make test", env(EnvAll, "1", EnvTools, "1"), true, true},
		{"CI", env("CI", "true"), true, true},
		{"CI false", env("CI", "false"), false, false},
	} {
		if got := mustFail(root, c.env); got != c.root {
			t.Errorf("%s: root missing fails = %v, want %v", c.name, got, c.root)
		}
		if got := mustFail(tool, c.env); got != c.tool {
			t.Errorf("%s: tool missing fails = %v, want %v", c.name, got, c.tool)
		}
	}
}

// fakeT records how a test ended; Skip and Fatal end its goroutine as
// testing.T's do.
type fakeT struct {
	testing.TB
	name    string
	skipped string
	failed  string
}

func (f *fakeT) Helper()      {}
func (f *fakeT) Name() string { return f.name }
func (f *fakeT) Skip(args ...any) {
	f.skipped = fmt.Sprint(args...)
	runtime.Goexit()
}
func (f *fakeT) Fatalf(format string, args ...any) {
	f.failed = fmt.Sprintf(format, args...)
	runtime.Goexit()
}

func runRoot(name string, euid int, getenv func(string) string) *fakeT {
	f := &fakeT{name: name}
	done := make(chan struct{})
	go func() {
		defer close(done)
		rootVerdict(f, "to create a network namespace", euid, getenv)
	}()
	<-done
	return f
}

// As a normal user the test is skipped with one line that says what it needs
// and the command that runs it as root, and that line goes to the skip log;
// under CI it fails instead; as root it runs.
func TestRootVerdict(t *testing.T) {
	t.Parallel()
	log := filepath.Join(t.TempDir(), "skips")
	f := runRoot("TestLAN/host_found", 1000, env(EnvTools, "1", EnvSkipLog, log))
	want := `needs root to create a network namespace; run it as root: ` +
		`sudo env "PATH=$PATH" go test -count=1 -run '^TestLAN$/^host_found$' ./internal/need/`
	if f.skipped != want || f.failed != "" {
		t.Errorf("normal user: skipped %q, failed %q; want skipped %q", f.skipped, f.failed, want)
	}
	b, err := os.ReadFile(log)
	if err != nil {
		t.Fatal(err)
	}
	if got := string(b); got != "SKIP TestLAN/host_found (./internal/need/): "+want+"\n" {
		t.Errorf("skip log %q", got)
	}

	f = runRoot("TestLAN", 1000, env("CI", "true", EnvSkipLog, log))
	if f.skipped != "" || !strings.Contains(f.failed, "needs root") || !strings.Contains(f.failed, "CI=true") {
		t.Errorf("CI: skipped %q, failed %q", f.skipped, f.failed)
	}
	if b2, _ := os.ReadFile(log); len(b2) != len(b) {
		t.Errorf("a failure was logged as a skip: %q", b2)
	}

	f = runRoot("TestLAN", 0, env("CI", "true"))
	if f.skipped != "" || f.failed != "" {
		t.Errorf("root: skipped %q, failed %q", f.skipped, f.failed)
	}
}

// A missing tool fails `make test` (which installs it) and is skipped by a
// plain go test, with one line.
func TestToolVerdict(t *testing.T) {
	t.Parallel()
	run := func(getenv func(string) string) *fakeT {
		f := &fakeT{name: "TestSeedClients"}
		done := make(chan struct{})
		go func() {
			defer close(done)
			verdict(f, tool, "node is missing\n(make test installs it)", getenv)
		}()
		<-done
		return f
	}
	if f := run(env(EnvTools, "1")); f.failed != "node is missing (make test installs it) (required: CONFAB_REQUIRE_TOOLS is set (make test))" {
		t.Errorf("make test: failed %q, skipped %q", f.failed, f.skipped)
	}
	if f := run(env()); f.skipped != "node is missing (make test installs it)" {
		t.Errorf("go test: failed %q, skipped %q", f.failed, f.skipped)
	}
}
