// Package client is Confab's client library: the desktop app and `confab
// chat` reach the network only through it.
//
// Sign in with Login or Register; errors are *Error values that errors.Is
// matches against ErrWrongCredentials, ErrUnreachable, ErrTLS and the other
// kinds, and that read well as they are. An address without a scheme means
// HTTPS. A certificate the system does not trust is checked against the pin
// kept for that server (WithPins): unknown, Login fails with ErrCertUnknown
// and a *CertError holding the fingerprint to show the user, who accepts it
// by pinning it (PinStore.SetPin); different from the pin, ErrCertChanged
// shows both. Nothing secret is sent before that check. Then Connect the
// session: the Chat
// connects, reconnects with backoff and jitter, rejoins rooms and fetches
// what was missed, refreshes the token before it expires (over HTTP, then
// in-band so the socket is not dropped), and delivers the outbox in order,
// one message in flight per room, resending with the same clientId so the
// server never stores a message twice.
//
// Everything that happens arrives on Events, in order, from one goroutine;
// drain it until it is closed. Messages are deduplicated but may arrive in
// any order: order a timeline by Message.ID. The methods of Chat are safe to
// call from any goroutine; Join, Leave, History, Users and User wait for the
// server (give them a context), Send returns at once.
//
// Importing the package restores the default handling of SIGINT, SIGTERM
// and SIGQUIT, which the underlying engine.io client takes at init.
package client
