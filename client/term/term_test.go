package term_test

import (
	"bufio"
	"errors"
	"fmt"
	"io"
	"net"
	"os"
	"os/exec"
	"path/filepath"
	"strconv"
	"strings"
	"sync"
	"syscall"
	"testing"
	"time"

	"confab/client"
	"confab/client/term"
	"confab/discovery"
	"confab/internal/netns"
	"confab/internal/testchat"
	"confab/internal/testserver"
	"confab/server"
	"confab/wire"
)

// lines collects a process's output.
type lines struct {
	mu  sync.Mutex
	all []string
}

func (l *lines) read(r io.Reader) {
	sc := bufio.NewScanner(r)
	for sc.Scan() {
		l.mu.Lock()
		l.all = append(l.all, sc.Text())
		l.mu.Unlock()
	}
}

func (l *lines) has(sub string) bool { return l.count(sub) > 0 }

func (l *lines) count(sub string) int {
	l.mu.Lock()
	defer l.mu.Unlock()
	n := 0
	for _, s := range l.all {
		if strings.Contains(s, sub) {
			n++
		}
	}
	return n
}

func TestChatInTerminal(t *testing.T) {
	env := testserver.StartTLS(t, server.Config{})
	// confabd carries `chat` without cgo, as a headless machine would run it.
	bin := filepath.Join(t.TempDir(), "confabd")
	build := exec.Command("go", "build", "-o", bin, "../../cmd/confabd")
	build.Env = append(os.Environ(), "CGO_ENABLED=0")
	if out, err := build.CombinedOutput(); err != nil {
		t.Fatalf("build: %v\n%s", err, out)
	}
	pins := filepath.Join(t.TempDir(), "pins.json")
	cmd := exec.Command(bin, "chat", "--url", env.Addr, "--user", "alice", "--register", "--pins", pins)
	stdin, _ := cmd.StdinPipe()
	stdout, _ := cmd.StdoutPipe()
	var out lines
	cmd.Stderr = os.Stderr
	if err := cmd.Start(); err != nil {
		t.Fatal(err)
	}
	go out.read(stdout)
	fmt.Fprintln(stdin, "password-alice") // not a terminal: the first line is the password
	// First connection: the safety code is shown and must be accepted.
	testserver.WaitFor(t, 30*time.Second, "safety code shown", func() bool { return out.has(client.SafetyCode(env.Cert.Fingerprint)) })
	fmt.Fprintln(stdin, "yes")
	testserver.WaitFor(t, 30*time.Second, "connected", func() bool { return out.has("-- connected") })

	if data, err := os.ReadFile(pins); err != nil || !strings.Contains(string(data), env.Cert.Fingerprint) {
		t.Fatalf("not pinned: %v %s", err, data)
	}
	bob := testchat.Join(t, env.URL, "bob", "password-bob", client.WithFingerprint(env.Cert.Fingerprint))
	chat := bob.Chat
	testserver.WaitFor(t, 30*time.Second, "bob online", func() bool { return chat.State() == client.Online })
	fmt.Fprintln(stdin, "hello from the terminal")
	select {
	case text := <-bob.Texts:
		if text != "hello from the terminal" {
			t.Fatalf("bob got %q", text)
		}
	case <-time.After(10 * time.Second):
		t.Fatal("bob did not receive the terminal's message")
	}
	chat.Send("general", "hi terminal")
	testserver.WaitFor(t, 10*time.Second, "terminal shows bob's message", func() bool { return out.has("bob: hi terminal") })
	fmt.Fprintln(stdin, "/users")
	testserver.WaitFor(t, 10*time.Second, "user list", func() bool { return out.has("bob (online)") })

	// A stopped server is noticed at once; /reconnect tries again now.
	env.Stop()
	testserver.WaitFor(t, 5*time.Second, "loss shown", func() bool { return out.has("-- connection lost, reconnecting") })
	testserver.WaitFor(t, 30*time.Second, "retry offered", func() bool { return out.has("(/reconnect: now)") })
	env.Restart()
	fmt.Fprintln(stdin, "/reconnect")
	testserver.WaitFor(t, 2*time.Second, "connected again", func() bool { return out.count("-- connected") == 2 })

	// Ctrl+C ends it, promptly and cleanly.
	cmd.Process.Signal(syscall.SIGINT) //nolint:errcheck
	done := make(chan error, 1)
	go func() { done <- cmd.Wait() }()
	select {
	case err := <-done:
		if err != nil {
			t.Fatalf("exit after Ctrl+C: %v", err)
		}
	case <-time.After(5 * time.Second):
		cmd.Process.Kill() //nolint:errcheck
		t.Fatal("Ctrl+C did not end confab chat")
	}
}

// --find lists the chats announced on the LAN with the flags that join
// them, inside a network namespace of the test's own.
func TestFindChats(t *testing.T) {
	if !netns.Enter(t) {
		return
	}
	find := func() string {
		var out, errs strings.Builder
		args := []string{"--find", "--pins", filepath.Join(t.TempDir(), "pins.json")}
		if err := term.Run(t.Context(), args, strings.NewReader(""), &out, &errs); err != nil {
			t.Fatalf("--find: %v\n%s", err, errs.String())
		}
		return out.String()
	}
	if got := find(); !strings.Contains(got, "No chat announced") {
		t.Fatalf("nothing announced yet, got %q", got)
	}
	env := testserver.StartTLS(t, server.Config{})
	_, ps, _ := net.SplitHostPort(env.Addr)
	port, _ := strconv.Atoi(ps)
	a, err := discovery.Announce(discovery.Info{Name: "Team chat", Port: port, Fingerprint: env.Cert.Fingerprint})
	if err != nil {
		t.Fatal(err)
	}
	defer a.Close()
	got := find()
	want := fmt.Sprintf(":%d   safety code %s", port, client.SafetyCode(env.Cert.Fingerprint))
	if !strings.HasPrefix(got, "Team chat (on "+discovery.Machine()+")\n  --url https://10.213.0.") || !strings.Contains(got, want) {
		t.Fatalf("--find printed %q", got)
	}
}

// A key given with --fingerprint (or an invitation) that the server does
// not have is a refusal, never the first-use question.
func TestGivenKeyMismatchRefuses(t *testing.T) {
	env := testserver.StartTLS(t, server.Config{})
	var out, errs strings.Builder
	wrong := strings.Repeat("AB:", 31) + "AB"
	for _, args := range [][]string{
		{"--url", env.Addr, "--fingerprint", wrong},
		{"--url", wire.Invitation{Addr: env.Addr, Fingerprint: wrong}.String()},
	} {
		args = append(args, "--user", "alice", "--register", "--pins", filepath.Join(t.TempDir(), "pins.json"))
		err := term.Run(t.Context(), args, strings.NewReader("password-a\nyes\n"), &out, &errs)
		if !errors.Is(err, client.ErrCertMismatch) || strings.Contains(out.String(), "Type yes") {
			t.Fatalf("%v: %v\n%s", args, err, out.String())
		}
	}
	if code, _, _ := env.Post("/login", "application/json", testserver.JSON("alice", "password-a"), ""); code != 401 {
		t.Fatal("the account was created")
	}
}
