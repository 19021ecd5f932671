// Command confab is the Confab desktop chat app (no arguments, or an
// invitation link to open). `confab serve` runs the chat server headless
// instead, and `confab chat` chats in a terminal.
package main

import (
	"context"
	"errors"
	"flag"
	"fmt"
	"os"

	"confab/app"
	"confab/client/term"
	"confab/daemon"
	"confab/wire"
)

func main() {
	args := os.Args[1:]
	if len(args) > 0 && args[0] == "chat" {
		if err := term.Run(context.Background(), args[1:], os.Stdin, os.Stdout, os.Stderr); err != nil {
			if !errors.Is(err, flag.ErrHelp) {
				fmt.Fprintln(os.Stderr, "confab chat:", err)
			}
			os.Exit(1)
		}
		return
	}
	if len(args) == 0 || (len(args) == 1 && wire.IsInvitation(args[0])) { // a clicked link: confab confab://…
		if msg := noDisplay(os.Getenv); msg != "" {
			fmt.Fprintln(os.Stderr, msg)
			os.Exit(1)
		}
		if err := app.Run(args...); err != nil {
			fmt.Fprintln(os.Stderr, "confab:", err)
			os.Exit(2)
		}
		return
	}
	if args[0] == "serve" {
		args = args[1:]
	} else {
		fmt.Fprintf(os.Stderr, "usage: confab [confab://INVITATION | serve [flags] | chat --user NAME [--url URL] [--register]]\n")
		os.Exit(2)
	}
	if err := daemon.Run(context.Background(), "confab serve", args, os.Stderr); err != nil {
		if !errors.Is(err, flag.ErrHelp) {
			fmt.Fprintln(os.Stderr, "confab:", err)
		}
		os.Exit(2)
	}
}
