// Package term is `confab chat`: sign in and chat in a terminal, using only
// the client library.
package term

import (
	"bufio"
	"context"
	"errors"
	"flag"
	"fmt"
	"io"
	"os"
	"os/signal"
	"path/filepath"
	"strings"
	"sync"
	"syscall"
	"time"

	"golang.org/x/term"

	"confab/client"
	"confab/wire"
)

// PasswordEnv may hold the password, for scripts; otherwise it is asked for.
const PasswordEnv = "CONFAB_PASSWORD"

const help = `Type a message and press Enter to send it to the current room.
  /join ROOM   join a room and make it current     /room ROOM  make a joined room current
  /leave ROOM  leave a room                        /users      who is here
  /retry       send failed messages again          /reconnect  connect again now
  /logout      sign out everywhere and quit        /quit       quit (Ctrl+C or Ctrl+D too)
  /help        this text
` + changesHelp + "\n" + dmHelp + filesHelp + "\n" + searchHelp

// Run signs in and chats until the user quits, stdin ends or ctx ends.
func Run(ctx context.Context, args []string, stdin io.Reader, stdout, stderr io.Writer) error {
	fs := flag.NewFlagSet("confab chat", flag.ContinueOnError)
	fs.SetOutput(stderr)
	url := fs.String("url", "localhost:7878", "the server's address (HTTPS unless http:// is typed), or an invitation link (confab://…)")
	fingerprint := fs.String("fingerprint", "", "the key (fingerprint) the host gave you: the server must have it")
	acceptChanged := fs.Bool("accept-changed-cert", false, "replace a pinned certificate by the one with --fingerprint")
	pinsPath := fs.String("pins", defaultPins(), "file of trusted certificate fingerprints")
	user := fs.String("user", "", "your username")
	register := fs.Bool("register", false, "create the account first")
	invite := fs.String("invite", "", "with --register: an invite code, where the server does not let others create accounts")
	room := fs.String("room", wire.DefaultRoom, "the room to start in")
	find := fs.Bool("find", false, "list the chats announced on the local network, then exit")
	findAll := fs.Bool("find-unencrypted", false, "with --find: also list chats that are not encrypted")
	plainOK := fs.Bool("plain-http", false, "join a chat that is not encrypted without asking (the password crosses the network readable)")
	if err := fs.Parse(args); err != nil {
		return err
	}
	pins := client.NewFilePins(*pinsPath)
	if *find {
		return listChats(ctx, pins, *findAll, stdout)
	}
	if wire.IsInvitation(*url) {
		inv, err := wire.ParseInvitation(*url)
		if err != nil {
			return err
		}
		*url, *fingerprint = inv.URL(), inv.Fingerprint
		if inv.Code != "" && *invite == "" {
			*invite = inv.Code
		}
	}
	if *user == "" {
		return errors.New("--user is required")
	}
	ctx, stop := signal.NotifyContext(ctx, os.Interrupt, syscall.SIGTERM)
	defer stop()

	in := bufio.NewScanner(stdin)
	password, err := readPassword(in, stdin, stderr)
	if err != nil {
		return err
	}
	signIn := client.Login
	if *register {
		signIn = client.Register
	}
	if *fingerprint != "" && client.NormalizeFingerprint(*fingerprint) == "" {
		return errors.New("--fingerprint: not a SHA-256 fingerprint (64 hex digits, colons optional)")
	}
	opts := []client.Option{client.WithPins(pins)}
	if *fingerprint != "" {
		opts = append(opts, client.WithFingerprint(*fingerprint))
	}
	if *plainOK {
		opts = append(opts, client.AllowPlainHTTP())
	}
	if *invite != "" {
		opts = append(opts, client.WithInvite(*invite))
	}
	sess, err := signIn(ctx, *url, *user, password, opts...)
	if errors.Is(err, client.ErrInsecure) {
		if err := askPlain(*url, in, stdout); err != nil {
			return err
		}
		opts = append(opts, client.AllowPlainHTTP())
		sess, err = signIn(ctx, *url, *user, password, opts...)
	}
	var ce *client.CertError
	if errors.As(err, &ce) {
		if err := trust(ce, pins, *fingerprint, *acceptChanged, in, stdout); err != nil {
			return err
		}
		sess, err = signIn(ctx, *url, *user, password, opts...)
	}
	if err != nil {
		return err
	}
	fmt.Fprintf(stdout, "Signed in to %s as %s. /help for commands.\n", sess.URL, sess.User.Username)
	chat := client.Connect(sess, client.Options{})
	defer chat.Close()

	ui := &screen{out: stdout, current: *room, me: sess.User.ID}
	done := make(chan struct{})
	go func() { // events to the screen
		defer close(done)
		for e := range chat.Events() {
			if ce, ok := e.(client.ConversationEvent); ok {
				go ui.showConversation(ctx, chat, ce) // it joins: not on the event loop
				continue
			}
			ui.show(e)
			if st, ok := e.(client.StateEvent); ok && st.State == client.Online && ui.room() != wire.DefaultRoom {
				go chat.Join(ctx, ui.room()) //nolint:errcheck // shown as a failure by the event stream
			}
		}
	}()
	lines := make(chan string)
	go func() {
		defer close(lines)
		for in.Scan() {
			lines <- in.Text()
		}
	}()
	for {
		select {
		case <-ctx.Done():
			return nil
		case <-done:
			return nil // the session ended; show() said why
		case line, ok := <-lines:
			if !ok {
				return nil
			}
			if quit := ui.command(ctx, chat, strings.TrimSpace(line)); quit {
				return nil
			}
		}
	}
}

func readPassword(in *bufio.Scanner, stdin io.Reader, stderr io.Writer) (string, error) {
	if p := os.Getenv(PasswordEnv); p != "" {
		return p, nil
	}
	if f, ok := stdin.(*os.File); ok && term.IsTerminal(int(f.Fd())) {
		fmt.Fprint(stderr, "Password: ")
		b, err := term.ReadPassword(int(f.Fd()))
		fmt.Fprintln(stderr)
		return string(b), err
	}
	if !in.Scan() { // not a terminal: the first line is the password
		return "", errors.New("no password given")
	}
	return in.Text(), nil
}

// screen prints events and runs commands.
type screen struct {
	out     io.Writer
	me      string
	mu      sync.Mutex
	current string
	typing  client.TypingSet // guarded by mu
}

func (s *screen) room() string {
	s.mu.Lock()
	defer s.mu.Unlock()
	return s.current
}

func (s *screen) printf(format string, args ...any) {
	s.mu.Lock()
	defer s.mu.Unlock()
	fmt.Fprintf(s.out, format+"\n", args...)
}

func (s *screen) show(e client.Event) {
	switch e := e.(type) {
	case client.MessageEvent:
		s.mu.Lock()
		s.typing.Message(e.Message)
		s.mu.Unlock()
		s.printf("%s", line(e.Message))
	case client.UpdateEvent:
		s.showUpdate(e.Message)
	case client.MentionEvent:
		s.printf("* %s mentioned you in %s (/join %s): %s", e.Message.Author.Username, e.Message.Room, e.Message.Room, e.Message.Text)
	case client.TypingEvent:
		s.showTyping(e)
	case client.PresenceEvent:
		state := "left"
		if e.Presence.Online {
			state = "is here"
		}
		s.printf("* %s %s", e.Presence.User.Username, state)
	case client.DeliveryEvent:
		o := e.Outgoing
		switch o.State {
		case client.Sent:
			s.printf("%s", line(*o.Message))
		case client.Failed:
			s.printf("! not sent to %s: %q (%v) - /retry to try again", o.Room, o.Text, o.Err)
		}
	case client.KickedEvent:
		s.printf("-- an administrator took you out of #%s", e.Room)
	case client.StateEvent:
		switch e.State {
		case client.Online:
			s.printf("-- connected")
		case client.Reconnecting:
			if e.NextAttempt.IsZero() {
				s.printf("-- connection lost, reconnecting")
			} else {
				s.printf("-- cannot connect (%v), retrying in %s (/reconnect: now)", e.Err, time.Until(e.NextAttempt).Round(100*time.Millisecond))
			}
		case client.SignedOut:
			s.printf("-- signed out: %v", e.Err)
		}
	}
}

// command runs one input line; it reports whether to quit.
func (s *screen) command(ctx context.Context, chat *client.Chat, line string) bool {
	if line == "" {
		return false
	}
	if !strings.HasPrefix(line, "/") {
		if _, err := chat.Send(s.room(), line); err != nil {
			s.printf("! %v", err)
		}
		return false
	}
	cmd, arg, _ := strings.Cut(line, " ")
	arg = strings.TrimSpace(arg)
	switch cmd {
	case "/quit", "/exit":
		return true
	case "/help":
		s.printf("%s", help)
	case "/join", "/room":
		if cmd == "/join" {
			if err := chat.Join(ctx, arg); err != nil {
				s.printf("! cannot join %q: %v", arg, err)
				return false
			}
		}
		s.mu.Lock()
		s.current = arg
		s.mu.Unlock()
		s.printf("-- now in %s", arg)
	case "/leave":
		if err := chat.Leave(ctx, arg); err != nil {
			s.printf("! %v", err)
		}
	case "/users":
		users, err := chat.Users(ctx)
		if err != nil {
			s.printf("! %v", err)
			return false
		}
		for _, u := range users {
			state := ""
			if u.Online {
				state = " (online)"
			}
			s.printf("  %s%s", u.Username, state)
		}
	case "/retry":
		for _, o := range chat.Pending() {
			if o.State == client.Failed {
				chat.Retry(o.ClientID) //nolint:errcheck
			}
		}
	case "/reconnect":
		chat.ReconnectNow()
	case "/edit", "/delete", "/react":
		s.changeCommand(ctx, chat, cmd, arg)
	case "/dm", "/dms", "/group", "/invite", "/leavegroup":
		s.dmCommand(ctx, chat, cmd, arg)
	case "/upload", "/download": // files.go
		s.fileCommand(ctx, chat, cmd, arg)
	case "/search":
		s.searchCommand(ctx, chat, arg)
	case "/logout":
		if err := chat.Logout(ctx); err != nil {
			s.printf("! %v", err)
		}
		return true
	default:
		s.printf("! unknown command %s (/help)", cmd)
	}
	return false
}

func defaultPins() string {
	dir, err := os.UserConfigDir()
	if err != nil {
		return "confab-pins.json"
	}
	return filepath.Join(dir, "confab", "pins.json")
}

// trust asks the user to accept a first-seen key; a changed one is
// accepted only with --accept-changed-cert and its --fingerprint; a key
// other than the one given is refused.
func trust(ce *client.CertError, pins client.PinStore, fingerprint string, acceptChanged bool, in *bufio.Scanner, out io.Writer) error {
	switch ce.Kind() {
	case client.ErrCertMismatch:
		return fmt.Errorf("%w: its safety code is %s, the one you were given (invitation or --fingerprint) is %s.\n"+
			"Do not sign in: someone may be impersonating the chat. Ask the host for a new invitation or its safety code",
			client.ErrCertMismatch, ce.SafetyCode(), client.SafetyCode(ce.Expected))
	case client.ErrCertChanged:
		if !acceptChanged || client.NormalizeFingerprint(fingerprint) != ce.Fingerprint {
			return fmt.Errorf("%w\n  safety code trusted before: %s\n  safety code now:            %s\n"+
				"If the host confirms the new safety code, run again with --accept-changed-cert --fingerprint %s",
				client.ErrCertChanged, client.SafetyCode(ce.Pinned), ce.SafetyCode(), ce.Fingerprint)
		}
		return pins.SetPin(ce.Server, ce.Fingerprint)
	}
	fmt.Fprintf(out, "First connection to %s. Its safety code is\n  %s\n"+
		"Ask the host to read you theirs (their window shows it; a server prints it when it starts).\n"+
		"Are they the same? Type yes to trust it: ", ce.Server, ce.SafetyCode())
	if !in.Scan() || strings.TrimSpace(strings.ToLower(in.Text())) != "yes" {
		return errors.New("key not trusted")
	}
	return pins.SetPin(ce.Server, ce.Fingerprint)
}

// askPlain asks before signing in to a chat that is not encrypted.
func askPlain(url string, in *bufio.Scanner, out io.Writer) error {
	fmt.Fprintf(out, "%s is not encrypted: your password and messages would cross the network readable by anyone on it.\n"+
		"Type yes to join anyway: ", url)
	if !in.Scan() || strings.TrimSpace(strings.ToLower(in.Text())) != "yes" {
		return client.ErrInsecure
	}
	return nil
}

// findTime is how long --find listens: one browse round and a little.
const findTime = client.DiscoverRound + 500*time.Millisecond

// listChats prints the chats announced on the LAN, each with the safety
// code of the key it announced (to compare with the host's) and the flag
// that joins it. Chats that are not encrypted are listed only if asked.
func listChats(ctx context.Context, pins client.PinStore, insecure bool, stdout io.Writer) error {
	ctx, cancel := context.WithTimeout(ctx, findTime)
	defer cancel()
	var heard []client.Host
	for l := range client.Discover(ctx) {
		heard = l
	}
	found := client.Annotate(heard, pins, insecure)
	if len(found) == 0 {
		fmt.Fprintln(stdout, "No chat announced on this network. Ask the host for its address or an invitation.")
		return nil
	}
	for _, h := range found {
		fmt.Fprintf(stdout, "%s (on %s)%s\n  --url %s", h.Name, h.Machine, findNote(h), h.URL())
		if h.Secure {
			fmt.Fprintf(stdout, "   safety code %s", client.SafetyCode(h.Fingerprint))
		}
		fmt.Fprintln(stdout)
	}
	return nil
}

func findNote(h client.Found) string {
	switch {
	case !h.Secure:
		return " - NOT ENCRYPTED"
	case h.Impostor:
		return " - WARNING: not the key you trusted for this name"
	case h.Conflict:
		return " - WARNING: another chat announces this name with another key"
	case h.Trusted:
		return " - trusted"
	}
	return ""
}
