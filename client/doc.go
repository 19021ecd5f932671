// Package client is Confab's client library: the desktop app and `confab
// chat` reach the network only through it.
//
// Sign in with Login or Register; errors are *Error values that errors.Is
// matches against ErrWrongCredentials, ErrUnreachable, ErrTLS and the other
// kinds, and that read well as they are. An address without a scheme means
// HTTPS. Trust belongs to a chat's key (trust.go): a key given with the
// address (WithFingerprint: an invitation) must match, a key pinned for the
// address decides alone, and otherwise Login fails with ErrCertUnknown and a
// *CertError holding the key and its safety code to show the person, who
// accepts it by pinning it (PinStore.SetPin). Plain HTTP needs
// AllowPlainHTTP, and is refused for a chat pinned over HTTPS. Nothing
// secret is sent before these checks. Discover lists announced chats:
// hints, to Annotate with what this computer knows of their keys. Then
// Connect the session: the Chat
// connects, reconnects with backoff and jitter, rejoins rooms and fetches
// what was missed (it is Online only once that worked: a rejoin or page
// refused for now is asked again, then the connection is made anew), refreshes the token before it expires (over HTTP, then
// in-band so the socket is not dropped), and delivers the outbox in order,
// one message in flight per room, resending with the same clientId so the
// server never stores a message twice. A session ends for good when it is
// logged out (any token of the sign-in, anywhere), reaches the server's
// maximum session age, or the password is changed elsewhere: the Chat then
// reports SignedOut with the reason. Session.ChangePassword ends every other
// session of the user, and this one goes on with a new sign-in.
//
// Everything that happens arrives on Events, in order, from one goroutine;
// drain it until it is closed. Messages are deduplicated but may arrive in
// any order: order a timeline by Message.ID. The methods of Chat are safe to
// call from any goroutine; Join, Leave, History, Users and User wait for the
// server (give them a context), Send returns at once. Edit, Delete and React
// change a message and return its new state; others get an UpdateEvent,
// and after a reconnect the Chat fetches the changes made while it was
// away (historic UpdateEvents). Typing may be called on every keystroke: it
// tells the room at most once per wire.TypingInterval; TypingEvents and a
// TypingSet say who is typing.
//
// Importing the package restores the default handling of SIGINT, SIGTERM
// and SIGQUIT, which the underlying engine.io client takes at init.
package client
