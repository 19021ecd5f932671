package app

import (
	"context"
	"errors"
	"fmt"
	"net"
	"net/url"
	"strings"
	"syscall"
	"testing"
	"time"
	"unicode"

	"confab/client"
	"confab/host"
	"confab/internal/testserver"
	"confab/server"
	"confab/wire"
)

// Every error a person reads is a whole sentence in the app's words: the
// server's fragments and Go's resolver text become sentences.
func TestErrText(t *testing.T) {
	t.Parallel()
	dnsErr := &client.Error{Kind: client.ErrUnreachable, Detail: "lookup http on 10.255.255.53:53: dial udp",
		Err: &url.Error{Op: "Get", URL: "https://http:7878/healthz", Err: &net.OpError{Op: "dial", Net: "tcp",
			Err: &net.DNSError{Err: "dial udp 10.255.255.53:53: connect: network is unreachable", Name: "http", Server: "10.255.255.53:53"}}}}
	refused := &client.Error{Kind: client.ErrUnreachable, Err: &url.Error{Op: "Get", URL: "https://10.0.0.7:7878/healthz?token=secret",
		Err: &net.OpError{Op: "dial", Net: "tcp", Err: &net.OpError{Op: "connect", Err: syscall.ECONNREFUSED}}}}
	timeout := &client.Error{Kind: client.ErrUnreachable, Err: &url.Error{Op: "Get", URL: "https://10.0.0.8:7878/healthz",
		Err: context.DeadlineExceeded}}
	for _, c := range []struct {
		err  error
		want string
	}{
		{dnsErr, "Could not find the computer named http. Check the address."},
		{refused, "Nothing answers at 10.0.0.7:7878. Check the address and the port, and that the chat is running."},
		{timeout, "10.0.0.8:7878 did not answer in time. Check the address, and that you are on the host's network."},
		{&client.Error{Kind: client.ErrUnreachable, Detail: "connect timed out"}, "The server cannot be reached. Check the address, and that you are on the host's network."},
		{&client.Error{Kind: client.ErrUsernameTaken, Code: wire.ErrUsernameTaken, Detail: "that username is taken"}, "That username is taken. Pick another, or sign in if it is yours."},
		{&client.Error{Kind: client.ErrWrongCredentials, Code: wire.ErrInvalidCredentials}, "The username or password is wrong."},
		{&client.Error{Kind: client.ErrTooManyAttempts, RetryAfter: 42 * time.Second}, "Too many attempts. Try again in 42 seconds."},
		{&client.Error{Kind: client.ErrTooManyAttempts}, "Too many attempts. Wait a minute and try again."},
		{&client.Error{Kind: client.ErrBadInput, Code: wire.ErrInvalidRoom}, roomRule},
		{&client.Error{Kind: client.ErrServer, Code: wire.ErrTooManySockets}, "This account is connected from too many places. Close Confab on one of them."},
		{fmt.Errorf("parse: %w", wire.ErrBadInvitation), "That is not a whole Confab invitation (it looks like confab://host:port?fp=…). Ask the host to send it again."},
		{&host.PortInUseError{Port: 7878, Free: 7879}, "Port 7878 is in use by another program. Pick another port, like 7879."},
		{fmt.Errorf("listen: %w", syscall.EACCES), "This computer does not let Confab use that port. Pick a port above 1024."},
		{errNoAccount{user: "alice"}, "There is no account named alice on this computer yet. Press Create account to make it."},
		{errors.New("sql: database is closed"), "Something went wrong. Try again; if it keeps happening, restart Confab."},
	} {
		if got := errText(c.err); got != c.want {
			t.Errorf("%v:\n got %q\nwant %q", c.err, got, c.want)
		}
	}
	for _, c := range []struct {
		err  error
		want string
	}{
		{&client.Error{Kind: client.ErrSignedOut, Code: wire.ReasonTokenRevoked}, "You were signed out (logged out elsewhere)."},
		{&client.Error{Kind: client.ErrSignedOut, Code: wire.ReasonPasswordChanged}, "Your password was changed elsewhere. Sign in with the new one."},
		{&client.Error{Kind: client.ErrCertChanged}, "The chat's key has changed since you joined: sign in again to check it with the host."},
		{errors.New("EOF"), "Your session ended. Sign in again."},
	} {
		if got := signedOutText(c.err); got != c.want {
			t.Errorf("signed out by %v:\n got %q\nwant %q", c.err, got, c.want)
		}
	}
	if got := errText(refused); strings.Contains(got, "secret") {
		t.Errorf("a query string reached the words: %q", got)
	}
}

// Every text of the tables is a whole sentence: a capital first, a full stop last.
func TestErrWordsAreSentences(t *testing.T) {
	t.Parallel()
	texts := []string{usernameRule, passwordRule, roomRule}
	for _, w := range kindWords {
		texts = append(texts, w.text)
	}
	for _, text := range codeWords {
		texts = append(texts, text)
	}
	for _, text := range signedOutWords {
		texts = append(texts, text)
	}
	for _, text := range texts {
		if r := []rune(text); !unicode.IsUpper(r[0]) || !strings.HasSuffix(text, ".") {
			t.Errorf("not a sentence: %q", text)
		}
	}
	for _, code := range []string{wire.ErrInvalidRoom, wire.ErrNotInRoom, wire.ErrInvalidMessage, wire.ErrRateLimited,
		wire.ErrTooManyRooms, wire.ErrTooManySockets} {
		if codeWords[code] == "" {
			t.Errorf("no words for %s", code)
		}
	}
}

// The errors the real client returns read as sentences: a server's refusal,
// and an address where nothing listens.
func TestErrTextOfRealErrors(t *testing.T) {
	t.Parallel()
	env := testserver.Start(t, server.Config{})
	if _, err := client.Register(t.Context(), env.URL, "alice", "password-a"); err != nil {
		t.Fatal(err)
	}
	_, err := client.Register(t.Context(), env.URL, "alice", "password-b")
	if got := errText(err); got != "That username is taken. Pick another, or sign in if it is yours." {
		t.Errorf("taken: %q (%v)", got, err)
	}
	addr := testserver.RefusingAddr(t)
	_, err = client.Login(t.Context(), "http://"+addr, "alice", "password-a", client.AllowPlainHTTP())
	if got, want := errText(err), "Nothing answers at "+addr+"."; !strings.HasPrefix(got, want) {
		t.Errorf("refused: %q (%v), want %q…", got, err, want)
	}
}
