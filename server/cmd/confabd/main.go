// Command confabd is the Confab chat server without the desktop app: it
// builds without cgo, for always-on machines.
package main

import (
	"context"
	"errors"
	"flag"
	"fmt"
	"os"

	"confab/server/daemon"
)

func main() {
	if err := daemon.Run(context.Background(), "confabd", os.Args[1:], os.Stderr); err != nil {
		if !errors.Is(err, flag.ErrHelp) {
			fmt.Fprintln(os.Stderr, "confabd:", err)
		}
		os.Exit(2)
	}
}
