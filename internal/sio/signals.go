package sio

import (
	"os"
	"os/signal"
	"syscall"
)

// Pitfall 12 (client): the engine.io client's init() takes SIGINT, SIGTERM
// and SIGQUIT for itself, so the first Ctrl+C would not end a program that
// imports it. This init runs after the library's (Go initialises imported
// packages first) and gives those signals back their default behaviour;
// programs that want to catch them install their own handlers later.
func init() {
	signal.Reset(os.Interrupt, syscall.SIGTERM, syscall.SIGQUIT)
}
