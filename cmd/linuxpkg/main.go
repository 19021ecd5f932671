// Command linuxpkg writes Confab's Linux bundle from a release binary:
//
//	linuxpkg -exe path/to/confab -o Confab.tar.xz
//
// `make package` builds the binary with the fyne tool and runs this.
package main

import (
	"flag"
	"fmt"
	"os"

	"confab/internal/linuxpkg"
)

func main() {
	exe := flag.String("exe", "", "the release binary to bundle")
	out := flag.String("o", "Confab.tar.xz", "the bundle to write")
	flag.Parse()
	if *exe == "" {
		fmt.Fprintln(os.Stderr, "linuxpkg: -exe is required")
		os.Exit(2)
	}
	if err := linuxpkg.Tarball(*out, *exe); err != nil {
		fmt.Fprintln(os.Stderr, "linuxpkg:", err)
		os.Exit(1)
	}
}
