// Command confabd is the Confab chat server without the desktop app: it
// builds without cgo, for always-on machines. `confabd chat` is the terminal
// client, for the same machines; `confabd users` and `confabd invite`
// administer the server from its own computer; `confabd import` copies a
// SQLite database into PostgreSQL.
package main

import (
	"context"
	"errors"
	"flag"
	"fmt"
	"os"

	"confab/client/term"
	"confab/daemon"
)

func main() {
	var err error
	sub := ""
	if len(os.Args) > 1 {
		sub = os.Args[1]
	}
	switch sub {
	case "chat":
		err = term.Run(context.Background(), os.Args[2:], os.Stdin, os.Stdout, os.Stderr)
	case "users": // administration on the server's computer (daemon/admin.go)
		err = daemon.RunUsers(context.Background(), "confabd", os.Args[2:], os.Stdin, os.Stdout, os.Stderr)
	case "import": // SQLite to PostgreSQL (daemon/import.go)
		err = daemon.RunImport(context.Background(), "confabd", os.Args[2:], os.Stdout, os.Stderr)
	case "invite":
		err = daemon.RunInvite(context.Background(), "confabd", os.Args[2:], os.Stdout, os.Stderr)
	default:
		err = daemon.Run(context.Background(), "confabd", os.Args[1:], os.Stderr)
	}
	if err != nil {
		if !errors.Is(err, flag.ErrHelp) {
			fmt.Fprintln(os.Stderr, "confabd:", err)
		}
		os.Exit(2)
	}
}
