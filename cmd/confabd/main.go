// Command confabd is the Confab chat server without the desktop app: it
// builds without cgo, for always-on machines. `confabd chat` is the terminal
// client, for the same machines.
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
	if len(os.Args) > 1 && os.Args[1] == "chat" {
		err = term.Run(context.Background(), os.Args[2:], os.Stdin, os.Stdout, os.Stderr)
	} else {
		err = daemon.Run(context.Background(), "confabd", os.Args[1:], os.Stderr)
	}
	if err != nil {
		if !errors.Is(err, flag.ErrHelp) {
			fmt.Fprintln(os.Stderr, "confabd:", err)
		}
		os.Exit(2)
	}
}
