package app

import (
	"context"
	"errors"
	"fmt"
	"log/slog"
	"net"
	"net/url"
	"syscall"
	"time"

	"confab/client"
	"confab/host"
	"confab/wire"
)

// The words a person reads for an error, in one place: whole sentences in
// the app's voice, never Go's or the server's text (that goes to the log).

// errNoAccount: a sign-in to the chat this computer hosts named an account
// it does not have (a first-time host who pressed Sign in or Enter).
type errNoAccount struct{ user string }

func (e errNoAccount) Error() string { return "no account " + e.user + " on the hosted chat" }

// The rules of names and passwords, as the form and the server's refusals say them.
var (
	usernameRule = fmt.Sprintf("A username is %d to %d letters, digits, '_', '.' or '-'.", wire.MinUsernameLen, wire.MaxUsernameLen)
	passwordRule = fmt.Sprintf("A password has at least %d characters.", wire.MinPasswordLen)
	roomRule     = fmt.Sprintf("A room name is 1 to %d lowercase letters, digits, '_' or '-', starting with a letter or digit.", wire.MaxRoomLen)
)

// codeWords are the server's refusals of a chat request, by wire code.
var codeWords = map[string]string{
	wire.ErrNotInRoom:       "You are not in that room. Join it first.",
	wire.ErrInvalidRoom:     roomRule,
	wire.ErrInvalidMessage:  fmt.Sprintf("A message has 1 to %d characters.", wire.MaxMessageRunes),
	wire.ErrNotFound:        "The server does not know that room or message.",
	wire.ErrRateLimited:     "That was too much at once. Wait a moment and try again.",
	wire.ErrTooManyRooms:    "You are in too many rooms. Leave one first.",
	wire.ErrTooManySockets:  "This account is connected from too many places. Close Confab on one of them.",
	wire.ErrPayloadTooLarge: "That is too large for the server.",
	wire.ErrInternal:        "The server could not do that. Try again later.",
	wire.ErrUnavailable:     "The server cannot take messages at the moment. Try again in a moment.",
}

// signedOutWords say why the chat signed out, by the server's reason.
var signedOutWords = map[string]string{
	wire.ReasonTokenRevoked:    "You were signed out (logged out elsewhere).",
	wire.ReasonTokenExpired:    "Your session expired. Sign in again.",
	wire.ReasonSessionExpired:  "Your sign-in is older than this chat allows. Sign in again.",
	wire.ReasonPasswordChanged: "Your password was changed elsewhere. Sign in with the new one.",
	wire.ReasonUnknownUser:     "Your account no longer exists.",
	wire.ReasonAccountRenamed:  "An administrator renamed your account. Sign in with your new name.",
}

// signedOutText is what the login screen says after the chat signed out.
func signedOutText(err error) string {
	slog.Info("signed out", "err", err)
	var ce *client.Error
	switch {
	case errors.Is(err, client.ErrCertChanged), errors.Is(err, client.ErrCertMismatch):
		return "The chat's key has changed since you joined: sign in again to check it with the host."
	case errors.As(err, &ce) && signedOutWords[ce.Code] != "":
		return signedOutWords[ce.Code]
	}
	return "Your session ended. Sign in again."
}

// kindWords are the client's kinds of failure, in the order they are tried.
var kindWords = []struct {
	kind error
	text string
}{
	{client.ErrWrongCredentials, "The username or password is wrong."},
	{client.ErrWrongPassword, "The current password is wrong."},
	{client.ErrUsernameTaken, "That username is taken. Pick another, or sign in if it is yours."},
	{client.ErrUsernameSimilar, "That username looks too much like one already taken. Pick another."},
	{client.ErrInvalidUsername, usernameRule},
	{client.ErrWeakPassword, passwordRule},
	{client.ErrSignupDisabled, "This chat does not let others create accounts. Ask the host to make one for you, or for an invitation."},
	{client.ErrInvalidInvite, "That invitation is not valid: it may have been used or have expired. Ask for a new one."},
	{client.ErrNotAdmin, "Only an administrator of this chat can do that."},
	{client.ErrLastAdmin, "The chat needs an administrator. Make someone else one first."},
	{client.ErrTooManyAttempts, "Too many attempts. Wait a minute and try again."},
	{client.ErrUnreachable, "The server cannot be reached. Check the address, and that you are on the host's network."},
	{client.ErrNotConfab, "No Confab chat answers at that address. Check the address and the port."},
	{client.ErrTLS, "The server's secure connection could not be checked. Ask the host for an invitation link."},
	{client.ErrPlainHTTP, "This chat is not encrypted. To join it anyway, type http:// before its address."},
	{client.ErrDowngrade, "This chat was encrypted before and is not now: someone may be intercepting it. Do not sign in; ask the host."},
	{client.ErrInsecure, "This chat is not encrypted."},
	{client.ErrCertUnknown, "This chat's key is not trusted yet."},
	{client.ErrCertChanged, "This chat's key is not the one you trusted before: someone may be intercepting it. Ask the host."},
	{client.ErrCertMismatch, "This is not the chat you were invited to. Ask the host for a new invitation."},
	{client.ErrServerTooOld, "The host's Confab is older than yours. The host needs to update Confab."},
	{client.ErrServerTooNew, "The host's Confab is newer than yours. Update Confab."},
	{client.ErrSignedOut, "You are signed out. Sign in again."},
	{client.ErrOffline, "Not connected. Wait until Confab reconnects."},
	{client.ErrClosed, "The chat is closed."},
	{client.ErrBadInput, "The server refused that request."},
	{client.ErrServer, "The server could not do that. Try again later."},
	{wire.ErrBadInvitation, "That is not a whole Confab invitation (it looks like confab://host:port?fp=…). Ask the host to send it again."},
	{host.ErrLoopbackOnly, "The chat is reachable from this computer only."},
}

// errText is what the person reads for err. The error's own text is logged
// (it holds no secrets: the client keeps tokens and passwords out of it).
func errText(err error) string {
	if err != nil {
		slog.Info("shown to the user", "err", err)
	}
	return errWords(err)
}

// errWords is errText without the log line, for text drawn again and again
// (a failed message's row).
func errWords(err error) string {
	if err == nil {
		return ""
	}
	if text := specificText(err); text != "" {
		return text
	}
	var ce *client.Error
	if errors.As(err, &ce) {
		if text, ok := codeWords[ce.Code]; ok {
			return text
		}
	}
	for _, w := range kindWords {
		if errors.Is(err, w.kind) {
			return w.text
		}
	}
	return "Something went wrong. Try again; if it keeps happening, restart Confab."
}

// specificText words the errors that name something: a computer, a port,
// a wait.
func specificText(err error) string {
	var noAccount errNoAccount
	var inUse *host.PortInUseError
	var dns *net.DNSError
	var ce *client.Error
	switch {
	case errors.As(err, &noAccount):
		return fmt.Sprintf("There is no account named %s on this computer yet. Press Create account to make it.", noAccount.user)
	case errors.As(err, &inUse) && inUse.Free > 0:
		return fmt.Sprintf("Port %d is in use by another program. Pick another port, like %d.", inUse.Port, inUse.Free)
	case errors.As(err, &inUse):
		return fmt.Sprintf("Port %d is in use by another program. Pick another port.", inUse.Port)
	case errors.Is(err, syscall.EACCES):
		return "This computer does not let Confab use that port. Pick a port above 1024."
	case errors.As(err, &ce) && ce.Kind == client.ErrTooManyAttempts && ce.RetryAfter > 0:
		return fmt.Sprintf("Too many attempts. Try again in %s.", waitWords(ce.RetryAfter))
	case !errors.Is(err, client.ErrUnreachable):
		return ""
	case errors.As(err, &dns) && dns.Name != "":
		return fmt.Sprintf("Could not find the computer named %s. Check the address.", dns.Name)
	case errors.Is(err, syscall.ECONNREFUSED):
		return fmt.Sprintf("Nothing answers at %s. Check the address and the port, and that the chat is running.", addrOf(err, "that address"))
	case errors.Is(err, context.DeadlineExceeded), isTimeout(err):
		return fmt.Sprintf("%s did not answer in time. Check the address, and that you are on the host's network.", addrOf(err, "The server"))
	case errors.Is(err, syscall.EHOSTUNREACH), errors.Is(err, syscall.ENETUNREACH):
		return fmt.Sprintf("This computer has no way to reach %s. Check the address, and that you are on the host's network.", addrOf(err, "that address"))
	}
	return ""
}

func isTimeout(err error) bool {
	var ne net.Error
	return errors.As(err, &ne) && ne.Timeout()
}

// addrOf names the server an error is about: host:port, never the path or
// query (an URL may carry a token); unknown: unknown.
func addrOf(err error, unknown string) string {
	var ue *url.Error
	if errors.As(err, &ue) {
		if u, perr := url.Parse(ue.URL); perr == nil && u.Host != "" {
			return u.Host
		}
	}
	var oe *net.OpError
	if errors.As(err, &oe) && oe.Addr != nil {
		return oe.Addr.String()
	}
	return unknown
}

// waitWords says a wait the way people do: "40 seconds", "2 minutes".
func waitWords(d time.Duration) string {
	switch s := int(d.Round(time.Second).Seconds()); {
	case s <= 1:
		return "a second"
	case s < 90:
		return fmt.Sprintf("%d seconds", s)
	default:
		return fmt.Sprintf("%d minutes", (s+30)/60)
	}
}
