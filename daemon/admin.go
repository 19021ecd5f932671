package daemon

import (
	"bufio"
	"context"
	"errors"
	"flag"
	"fmt"
	"io"
	"log/slog"
	"net/http"
	"net/http/httptest"
	"os"
	"path/filepath"
	"strings"
	"text/tabwriter"
	"time"

	"golang.org/x/term"

	"confab/client"
	"confab/server"
	"confab/server/auth"
	"confab/server/certs"
	"confab/server/store"
	"confab/wire"
)

// `confabd users …` and `confabd invite` administer a server from its own
// computer. They talk to the running server over the operator's socket in
// its data directory (server/adminsock.go), so a removal cuts the user's
// sockets and refuses their tokens at once, which a change to the database
// behind the server's back could not. With no server running on that data
// directory they open it themselves, through the same calls.

const usersUsage = `Usage: %[1]s users [--data-dir DIR] [--database URL] COMMAND
       %[1]s invite [--data-dir DIR] [--database URL] [--uses N] [--ttl 168h] [--addr HOST:PORT]

Commands:
  list                      every account: administrator, removed, online, last seen
  add NAME [--admin]        create an account; its password is read from the terminal (or one line of stdin)
  remove NAME               remove an account: its sockets are cut, its messages stay
  reset-password NAME       end every session of NAME and print a temporary password
  promote NAME [--demote]   make NAME an administrator (or no longer one)
  rename NAME NEWNAME       rename an account (it signs in again with the new name)
  kick NAME ROOM            take NAME out of ROOM
  audit [--limit N]         the administrative actions, newest first

invite prints an invite code (and, with --addr, an invitation link) that
lets its holder create an account where sign-up is off.
`

// RunUsers runs `users …` (args without "users").
func RunUsers(ctx context.Context, name string, args []string, stdin io.Reader, stdout, stderr io.Writer) error {
	fs := flag.NewFlagSet(name+" users", flag.ContinueOnError)
	fs.SetOutput(stderr)
	dataDir := fs.String("data-dir", DefaultDataDir(), "the server's data directory")
	database := fs.String("database", "", "the server's PostgreSQL URL, when no server runs here (default $"+DatabaseEnv+")")
	fs.Usage = func() { fmt.Fprintf(stderr, usersUsage, name) }
	if err := fs.Parse(args); err != nil {
		return err
	}
	if fs.NArg() == 0 {
		fs.Usage()
		return flag.ErrHelp
	}
	cmd, rest := fs.Arg(0), fs.Args()[1:]
	return withAdmin(*dataDir, databaseOf(*database), func(a *client.Admin) error {
		return plain(runUsersCmd(ctx, a, name, cmd, rest, stdin, stdout, stderr))
	})
}

// plain is a refusal in the server's words for a person ("there is no
// such user"), rather than the client's kind of failure.
func plain(err error) error {
	var ce *client.Error
	if errors.As(err, &ce) && ce.Code != "" && ce.Detail != "" {
		return errors.New(ce.Detail)
	}
	return err
}

func runUsersCmd(ctx context.Context, a *client.Admin, name, cmd string, args []string, stdin io.Reader, stdout, stderr io.Writer) error {
	fs := flag.NewFlagSet(name+" users "+cmd, flag.ContinueOnError)
	fs.SetOutput(stderr)
	isAdmin := fs.Bool("admin", false, "add: make the account an administrator")
	demote := fs.Bool("demote", false, "promote: take the administrator's rights away instead")
	limit := fs.Int("limit", wire.DefaultAuditPage, "audit: how many entries")
	// Flags may follow the names: NAME --admin.
	var pos []string
	for len(args) > 0 {
		if err := fs.Parse(args); err != nil {
			return err
		}
		if fs.NArg() == 0 {
			break
		}
		pos, args = append(pos, fs.Arg(0)), fs.Args()[1:]
	}
	need := map[string]int{"list": 0, "add": 1, "remove": 1, "reset-password": 1, "promote": 1, "rename": 2, "kick": 2, "audit": 0}
	n, known := need[cmd]
	if !known {
		return fmt.Errorf("unknown command %q (see %s users -h)", cmd, name)
	}
	if len(pos) != n {
		return fmt.Errorf("%s takes %d name(s) (see %s users -h)", cmd, n, name)
	}
	switch cmd {
	case "list":
		return listUsers(ctx, a, stdout)
	case "add":
		pw, err := readPassword(stdin, stderr)
		if err != nil {
			return err
		}
		u, err := a.AddUser(ctx, pos[0], pw, *isAdmin)
		if err == nil {
			fmt.Fprintf(stdout, "added %s%s\n", u.Username, map[bool]string{true: " (administrator)"}[u.Admin])
		}
		return err
	case "remove":
		return done(stdout, a.Remove(ctx, pos[0]), "removed "+pos[0])
	case "reset-password":
		pw, err := a.ResetPassword(ctx, pos[0])
		if err == nil {
			fmt.Fprintf(stdout, "every session of %s has ended; their temporary password (shown once): %s\n", pos[0], pw)
		}
		return err
	case "promote":
		what := pos[0] + " is an administrator"
		if *demote {
			what = pos[0] + " is no longer an administrator"
		}
		return done(stdout, a.SetAdmin(ctx, pos[0], !*demote), what)
	case "rename":
		return done(stdout, a.Rename(ctx, pos[0], pos[1]), pos[0]+" is now "+pos[1])
	case "kick":
		return done(stdout, a.Kick(ctx, pos[0], pos[1]), pos[0]+" was taken out of #"+pos[1])
	default:
		return printAudit(ctx, a, *limit, stdout)
	}
}

func done(w io.Writer, err error, what string) error {
	if err == nil {
		fmt.Fprintln(w, what)
	}
	return err
}

func listUsers(ctx context.Context, a *client.Admin, stdout io.Writer) error {
	users, err := a.Users(ctx)
	if err != nil {
		return err
	}
	tw := tabwriter.NewWriter(stdout, 0, 4, 2, ' ', 0)
	fmt.Fprintln(tw, "USER\tROLE\tLAST SEEN\tCREATED")
	for _, u := range users {
		role := "member"
		switch {
		case u.Removed:
			role = "removed"
		case u.Admin:
			role = "administrator"
		}
		seen := "never"
		if u.Online {
			seen = "online now"
		} else if u.LastSeen != nil {
			seen = u.LastSeen.Local().Format(time.DateTime)
		}
		fmt.Fprintf(tw, "%s\t%s\t%s\t%s\n", u.Username, role, seen, u.CreatedAt.Local().Format(time.DateOnly))
	}
	return tw.Flush()
}

func printAudit(ctx context.Context, a *client.Admin, limit int, stdout io.Writer) error {
	entries, err := a.Audit(ctx, limit)
	if err != nil {
		return err
	}
	tw := tabwriter.NewWriter(stdout, 0, 4, 2, ' ', 0)
	fmt.Fprintln(tw, "WHEN\tWHO\tACTION\tTARGET\tDETAIL")
	for _, e := range entries {
		fmt.Fprintf(tw, "%s\t%s\t%s\t%s\t%s\n", e.At.Local().Format(time.DateTime), e.Actor, e.Action, e.Target, e.Detail)
	}
	return tw.Flush()
}

// readPassword reads the new account's password without echo from a
// terminal, else one line of stdin (a script's pipe).
func readPassword(stdin io.Reader, stderr io.Writer) (string, error) {
	if f, ok := stdin.(*os.File); ok && term.IsTerminal(int(f.Fd())) {
		fmt.Fprint(stderr, "Password for the new account: ")
		b, err := term.ReadPassword(int(f.Fd()))
		fmt.Fprintln(stderr)
		return string(b), err
	}
	line, err := bufio.NewReader(stdin).ReadString('\n')
	if err != nil && !errors.Is(err, io.EOF) {
		return "", err
	}
	return strings.TrimRight(line, "\r\n"), nil
}

// RunInvite runs `invite` (args without "invite").
func RunInvite(ctx context.Context, name string, args []string, stdout, stderr io.Writer) error {
	fs := flag.NewFlagSet(name+" invite", flag.ContinueOnError)
	fs.SetOutput(stderr)
	dataDir := fs.String("data-dir", DefaultDataDir(), "the server's data directory")
	database := fs.String("database", "", "the server's PostgreSQL URL, when no server runs here (default $"+DatabaseEnv+")")
	uses := fs.Int("uses", 1, "how many accounts the code may create")
	ttl := fs.Duration("ttl", wire.DefaultInviteTTL, "how long the code stays good")
	addr := fs.String("addr", "", "the address joiners reach the server at (HOST:PORT): also print an invitation link")
	fs.Usage = func() { fmt.Fprintf(stderr, usersUsage, name) }
	if err := fs.Parse(args); err != nil {
		return err
	}
	return withAdmin(*dataDir, databaseOf(*database), func(a *client.Admin) error {
		inv, err := a.Invite(ctx, *uses, *ttl)
		if err != nil {
			return plain(err)
		}
		fmt.Fprintf(stdout, "invite code: %s (%d account(s), until %s)\n", inv.Code, inv.Uses, inv.ExpiresAt.Local().Format(time.DateTime))
		if *addr != "" {
			c, err := certs.Load(filepath.Join(*dataDir, certs.CertFile), filepath.Join(*dataDir, certs.KeyFile))
			if err != nil {
				return fmt.Errorf("no link: the server's certificate could not be read: %w", err)
			}
			fmt.Fprintln(stdout, "invitation link:", wire.Invitation{Addr: *addr, Fingerprint: c.Fingerprint, Code: inv.Code})
		}
		return nil
	})
}

// withAdmin runs f with the running server's operator socket, or, when no
// server runs on dataDir, with the server opened here (holding the socket,
// so a server started meanwhile is refused it and says so).
func withAdmin(dataDir, database string, f func(*client.Admin) error) error {
	op := client.Operator(dataDir)
	if _, err := os.Stat(filepath.Join(dataDir, wire.AdminSocketFile)); err == nil {
		if err := f(op); !errors.Is(err, client.ErrUnreachable) {
			return err
		} // a socket left by a server that died: open the directory here
	}
	if _, err := os.Stat(filepath.Join(dataDir, store.DBFile)); err != nil && database == "" {
		return fmt.Errorf("no Confab server data in %s (see --data-dir)", dataDir)
	}
	secret, _, err := auth.LoadSecret(dataDir)
	if err != nil {
		return err
	}
	srv, err := server.New(server.Config{DataDir: dataDir, Database: database, Secret: secret, Logger: slog.New(slog.DiscardHandler)})
	if err != nil {
		return err
	}
	defer srv.Close()
	stop, err := srv.ListenOperator(dataDir)
	if err != nil {
		return err
	}
	defer stop()
	return f(client.NewAdmin(&http.Client{Transport: inProcess{srv.OperatorHandler()}}))
}

// databaseOf is --database, else $CONFAB_DATABASE (read after the flags,
// not as the flag's default, which -h would print with its password).
func databaseOf(flagValue string) string {
	if flagValue != "" {
		return flagValue
	}
	return os.Getenv(DatabaseEnv)
}

// inProcess hands requests to a handler in this process.
type inProcess struct{ h http.Handler }

func (t inProcess) RoundTrip(r *http.Request) (*http.Response, error) {
	rec := httptest.NewRecorder()
	t.h.ServeHTTP(rec, r)
	return rec.Result(), nil
}
