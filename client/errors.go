package client

import (
	"errors"
	"fmt"
	"strings"
	"time"

	"confab/wire"
)

// Kinds of failure a GUI can tell apart with errors.Is. Each error the
// package returns also reads well as it is (err.Error()).
var (
	ErrWrongCredentials = errors.New("wrong username or password")
	ErrWrongPassword    = errors.New("the current password is wrong")
	ErrUsernameTaken    = errors.New("that username is taken")
	ErrUsernameSimilar  = errors.New("that username looks too much like one already taken")
	ErrInvalidUsername  = errors.New("a username is 3 to 32 letters, digits, '_', '.' or '-'")
	ErrWeakPassword     = errors.New("the password is too short (at least 8 characters)")
	ErrSignupDisabled   = errors.New("this server does not allow creating accounts")
	ErrTooManyAttempts  = errors.New("too many attempts")
	ErrUnreachable      = errors.New("the server cannot be reached")
	ErrNotConfab        = errors.New("that address is not a Confab server")
	ErrTLS              = errors.New("the server's secure connection could not be verified")
	ErrServerTooOld     = errors.New("the server is too old for this version of Confab")
	ErrServerTooNew     = errors.New("the server is newer than this version of Confab: update Confab")
	ErrSignedOut        = errors.New("signed out")
	ErrBadInput         = errors.New("the request was refused as malformed")
	ErrServer           = errors.New("the server failed to handle the request")
	ErrClosed           = errors.New("the chat is closed")
	ErrOffline          = errors.New("not connected")
	ErrNotAdmin         = errors.New("only an administrator can do this")
	ErrInvalidInvite    = errors.New("that invitation is not valid: it may have been used or have expired")
	ErrLastAdmin        = errors.New("the server needs an administrator: make someone else one first")
)

// Error carries the server's code and details behind one of the kinds above.
type Error struct {
	Kind       error         // one of the Err* values
	Code       string        // the server's error code, if it sent one
	Detail     string        // the server's message or the underlying cause
	RetryAfter time.Duration // for ErrTooManyAttempts
	Err        error         // the underlying error, if any
}

// codeText says in plain words why the server refused a chat request.
var codeText = map[string]string{
	wire.ErrNotInRoom:      "you are not in that room",
	wire.ErrInvalidRoom:    "that is not a valid room name",
	wire.ErrInvalidMessage: fmt.Sprintf("the message is empty or longer than %d characters", wire.MaxMessageRunes),
	wire.ErrNotFound:       "not found",
	wire.ErrRateLimited:    "too many messages at once",
	wire.ErrTooManyRooms:   "you are in too many rooms: leave one first",
	wire.ErrTooManySockets: "this account is connected from too many places: close one",
	wire.ErrNotAuthor:      "only its author can change a message",
	wire.ErrMessageDeleted: "that message was deleted",
	wire.ErrInvalidEmoji:   "that reaction is not one of the offered ones",
	wire.ErrFileTooLarge:   "the file is larger than this server accepts",
	wire.ErrInvalidFile:    "the file's name is empty, too long, or has control characters",
	wire.ErrTooManyUploads: "too many uploads at once: wait for one to finish",
}

func (e *Error) Error() string {
	msg := e.Kind.Error()
	if t, ok := codeText[e.Code]; ok && e.Detail == "" {
		return t
	}
	if e.Kind == ErrTooManyAttempts && e.RetryAfter > 0 {
		msg = fmt.Sprintf("%s: try again in %s", msg, e.RetryAfter.Round(time.Second))
	}
	if e.Detail != "" && e.Kind != ErrWrongCredentials && e.Kind != ErrWrongPassword && !strings.EqualFold(strings.TrimSuffix(e.Detail, "."), e.Kind.Error()) {
		msg += " (" + e.Detail + ")"
	}
	return msg
}

// Is makes errors.Is(err, ErrX) work.
func (e *Error) Is(target error) bool { return target == e.Kind }

func (e *Error) Unwrap() error { return e.Err }

// kindOfCode maps the server's codes to kinds.
func kindOfCode(code string) error {
	switch code {
	case "invalid_credentials":
		return ErrWrongCredentials
	case "username_taken":
		return ErrUsernameTaken
	case "username_too_similar":
		return ErrUsernameSimilar
	case "invalid_username":
		return ErrInvalidUsername
	case "weak_password":
		return ErrWeakPassword
	case "signup_disabled":
		return ErrSignupDisabled
	case "too_many_attempts":
		return ErrTooManyAttempts
	case wire.ErrNotAdmin:
		return ErrNotAdmin
	case wire.ErrInvalidInvite:
		return ErrInvalidInvite
	case wire.ErrLastAdmin:
		return ErrLastAdmin
	case "missing_token", "invalid_token", "token_expired", "token_revoked", "unknown_user",
		wire.ReasonSessionExpired, wire.ReasonPasswordChanged, wire.ReasonAccountRenamed:
		return ErrSignedOut
	case "bad_request", "invalid_message", "invalid_room", "not_in_room", "not_found", wire.ErrTooManyRooms,
		wire.ErrNotAuthor, wire.ErrMessageDeleted, wire.ErrInvalidEmoji, wire.ErrNoSuchUser, wire.ErrGroupFull,
		wire.ErrFileTooLarge, wire.ErrInvalidFile, wire.ErrTooManyUploads: // files.go
		return ErrBadInput
	}
	return ErrServer
}
