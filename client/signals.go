package client

import (
	"os"
	"os/signal"
	"syscall"
)

// Pitfall 12: the engine.io client's init() takes SIGINT, SIGTERM and
// SIGQUIT for itself, so the first Ctrl+C would not end a program that
// imports it. Give those signals back their default behaviour; programs
// that want to catch them install their own handlers after this runs.
func init() {
	signal.Reset(os.Interrupt, syscall.SIGTERM, syscall.SIGQUIT)
}
