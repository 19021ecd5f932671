package daemon

import (
	"bytes"
	"context"
	"net/http"
	"os"
	"path/filepath"
	"regexp"
	"strings"
	"testing"
	"time"

	"confab/internal/testserver"
	"confab/server/store"
	"confab/wire"
)

func users(t *testing.T, dir, stdin string, args ...string) (string, error) {
	t.Helper()
	var out, errs bytes.Buffer
	err := RunUsers(context.Background(), "confabd", append([]string{"--data-dir", dir}, args...), strings.NewReader(stdin), &out, &errs)
	return out.String() + errs.String(), err
}

// confabd users and invite act through the running server: a removal cuts
// the user's socket at once, an invite code works at /register with
// sign-up off, and the audit names the operator.
func TestUsersThroughTheRunningServer(t *testing.T) {
	dir, addr := t.TempDir(), freeAddr(t)
	serve(t, "--addr", addr, "--data-dir", dir, "--insecure-http", "--no-announce", "--no-signup")
	url := "http://" + addr
	testserver.WaitFor(t, 10*time.Second, "the operator's socket", func() bool {
		_, err := os.Stat(filepath.Join(dir, wire.AdminSocketFile))
		return err == nil
	})
	if out, err := users(t, dir, "password-a\n", "add", "alice"); err != nil || !strings.Contains(out, "added alice (administrator)") {
		t.Fatalf("add: %v %s", err, out)
	}
	if out, err := users(t, dir, "password-b\n", "add", "bob"); err != nil || strings.Contains(out, "administrator") {
		t.Fatalf("add: %v %s", err, out)
	}
	tok := login(t, url, "bob", "password-b")
	s, err := testserver.Dial(url, testserver.DialOpts{Token: tok})
	if err != nil {
		t.Fatal(err)
	}
	defer s.Close()
	if out, err := users(t, dir, "", "remove", "bob"); err != nil {
		t.Fatalf("remove: %v %s", err, out)
	}
	if _, err := s.WaitEvents(wire.EventUnauthorized, 1, 5*time.Second); err != nil {
		t.Fatal("the removed user's socket was not cut")
	}

	var out, errs bytes.Buffer
	if err := RunInvite(context.Background(), "confabd", []string{"--data-dir", dir}, &out, &errs); err != nil {
		t.Fatalf("invite: %v %s", err, errs.String())
	}
	code := regexp.MustCompile(`[A-Z2-9]{4}(-[A-Z2-9]{4}){3}`).FindString(out.String())
	resp, err := http.Post(url+"/register", "application/json",
		strings.NewReader(`{"username":"carol","password":"password-c","invite":"`+code+`"}`))
	if err != nil || resp.StatusCode != http.StatusCreated {
		t.Fatalf("register with %q: %v %v", code, resp.Status, err)
	}
	resp.Body.Close()

	list, err := users(t, dir, "", "list")
	if err != nil || !regexp.MustCompile(`alice\s+administrator`).MatchString(list) || !regexp.MustCompile(`bob\s+removed`).MatchString(list) ||
		!regexp.MustCompile(`carol\s+member\s+never`).MatchString(list) {
		t.Errorf("list: %v\n%s", err, list)
	}
	audit, err := users(t, dir, "", "audit")
	if err != nil || !regexp.MustCompile(`\(operator\)\s+remove\s+bob`).MatchString(audit) || !strings.Contains(audit, "invite_used") {
		t.Errorf("audit: %v\n%s", err, audit)
	}
	if out, err := users(t, dir, "", "remove", "nobody"); err == nil || err.Error() != "there is no such user" {
		t.Errorf("removing nobody: %v %s", err, out)
	}
}

// With no server running, the commands open the data directory themselves.
func TestUsersOnAStoppedServer(t *testing.T) {
	dir := t.TempDir()
	if _, err := users(t, dir, "", "list"); err == nil || !strings.Contains(err.Error(), "no Confab server data") {
		t.Errorf("an empty directory: %v", err)
	}
	st, err := store.Open(dir)
	if err != nil {
		t.Fatal(err)
	}
	st.Close()
	t.Setenv("LOCAL_JWT_SECRET", "")
	if out, err := users(t, dir, "password-d\n", "add", "dave"); err != nil || !strings.Contains(out, "added dave (administrator)") {
		t.Fatalf("add: %v %s", err, out)
	}
	out, err := users(t, dir, "", "reset-password", "dave")
	if err != nil || !regexp.MustCompile(`temporary password \(shown once\): [A-Z2-9]{16}\n`).MatchString(out) {
		t.Errorf("reset: %v %s", err, out)
	}
	if _, err := os.Stat(filepath.Join(dir, wire.AdminSocketFile)); !os.IsNotExist(err) {
		t.Errorf("the operator's socket was left behind: %v", err)
	}
}

func login(t *testing.T, url, user, password string) string {
	t.Helper()
	resp, err := http.Post(url+"/login", "application/json", strings.NewReader(testserver.JSON(user, password)))
	if err != nil || resp.StatusCode != http.StatusOK {
		t.Fatalf("login %s: %v", user, err)
	}
	defer resp.Body.Close()
	var buf bytes.Buffer
	buf.ReadFrom(resp.Body) //nolint:errcheck
	tok := regexp.MustCompile(`"token":"([^"]+)"`).FindStringSubmatch(buf.String())
	if tok == nil {
		t.Fatalf("login %s: %s", user, buf.String())
	}
	return tok[1]
}
