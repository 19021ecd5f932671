// Package wire holds the names and shapes of Confab's wire contract
// (docs/protocol.md), shared by the server and the client library so the two
// cannot drift apart.
package wire

import (
	"crypto/sha256"
	"fmt"
	"regexp"
	"strings"
	"time"
)

// Socket.IO events, client to server.
const (
	EventMessage    = "message"
	EventNewMessage = "new message" // the seed tutorial's name for EventMessage
	EventGetUser    = "getUser"
	EventJoin       = "join"
	EventLeave      = "leave"
	EventHistory    = "history"
	EventUsers      = "users"
	EventAuth       = "auth"
)

// Socket.IO events, server to client (EventMessage too).
const (
	EventPresence     = "presence"
	EventUnauthorized = "unauthorized"
)

// Error codes, in HTTP error bodies and in acknowledgements.
const (
	ErrBadRequest         = "bad_request"
	ErrInvalidUsername    = "invalid_username"
	ErrWeakPassword       = "weak_password"
	ErrUsernameTaken      = "username_taken"
	ErrUsernameTooSimilar = "username_too_similar" // looks like a taken name (I/l/1, 0/O, rn/m, other scripts' letters)
	ErrSignupDisabled     = "signup_disabled"
	ErrInvalidCredentials = "invalid_credentials"
	ErrTooManyAttempts    = "too_many_attempts"
	ErrInvalidMessage     = "invalid_message"
	ErrInvalidRoom        = "invalid_room"
	ErrNotInRoom          = "not_in_room"
	ErrNotFound           = "not_found"
	ErrRateLimited        = "rate_limited"
	ErrInternal           = "internal_error"
	ErrUnauthorized       = "unauthorized" // connect_error message
	ErrOriginNotAllowed   = "origin_not_allowed"
	ErrTooManyRooms       = "too_many_rooms"
	ErrTooManySockets     = "too_many_sockets" // connect_error message and reason
	ErrPayloadTooLarge    = "payload_too_large"

	// Token refusal reasons (connect_error data.reason, unauthorized.reason, HTTP 401 error).
	ReasonMissingToken = "missing_token"
	ReasonInvalidToken = "invalid_token"
	ReasonTokenExpired = "token_expired"
	ReasonTokenRevoked = "token_revoked"
	ReasonUnknownUser  = "unknown_user"
	// ReasonSessionExpired: the sign-in the token was refreshed from is older
	// than the server's maximum session age; sign in again.
	ReasonSessionExpired = "session_expired"
	// ReasonPasswordChanged: the account's password was changed after this
	// sign-in, which ended it; sign in again with the new password.
	ReasonPasswordChanged = "password_changed"
)

// HTTP paths of the account calls.
const (
	PathRegister = "/register"
	PathLogin    = "/login"
	PathRefresh  = "/refresh"
	PathLogout   = "/logout"
	PathPassword = "/password" // change the password: PasswordChange with a Bearer token
	PathHealth   = "/healthz"
)

// Limits of the contract.
const (
	MinUsernameLen   = 3
	MaxUsernameLen   = 32
	MinPasswordLen   = 8
	MaxMessageRunes  = 4000
	DefaultHistory   = 50
	MaxHistory       = 200
	JoinHistory      = 50
	DefaultRoom      = "general"
	MaxRoomLen       = 64
	MaxClientIDLen   = 128
	MaxPasswordBytes = 1024 // longer is refused as bad_request: hashing it is wasted work
	SocketIOPath     = "/socket.io/"
	ProtocolVersion  = 1
)

var (
	usernameRE = regexp.MustCompile(`^[A-Za-z0-9_.-]{3,32}$`)
	roomRE     = regexp.MustCompile(`^[a-z0-9][a-z0-9_-]{0,63}$`)
)

// ValidUsername reports whether name is 3-32 of A-Za-z0-9_.-
func ValidUsername(name string) bool { return usernameRE.MatchString(name) }

// ValidRoom reports whether name is a legal room name.
func ValidRoom(name string) bool { return roomRE.MatchString(name) }

// Author is a message's author.
type Author struct {
	ID       string `json:"id"`
	Username string `json:"username"`
}

// Message is a stored chat message as it travels.
type Message struct {
	ID       int64     `json:"id"`
	Room     string    `json:"room"`
	Author   Author    `json:"author"`
	Text     string    `json:"text"`
	SentAt   time.Time `json:"sentAt"`
	ClientID string    `json:"clientId,omitempty"`
}

// User is a public view of an account.
type User struct {
	ID       string `json:"id"`
	Username string `json:"username"`
	Online   bool   `json:"online"`
}

// Presence is sent when a user's first socket connects or last one leaves.
type Presence struct {
	User   Author `json:"user"`
	Online bool   `json:"online"`
}

// Session is the body of a successful /register, /login or /refresh.
type Session struct {
	Token     string    `json:"token"`
	ExpiresAt time.Time `json:"expiresAt"`
	User      Author    `json:"user"`
}

// PasswordChange is the body of POST /password. A success is answered with
// a new Session, as /login; every other session of the user has ended.
type PasswordChange struct {
	Current  string `json:"current"`
	Password string `json:"password"`
}

// Error is every HTTP error body.
type Error struct {
	Error   string `json:"error"`
	Message string `json:"message"`
}

// Health is the body of GET /healthz.
type Health struct {
	Status   string `json:"status"` // HealthOK (200) or HealthDegraded (503)
	Version  string `json:"version"`
	Protocol int    `json:"protocol,omitempty"` // this contract's version (1); absent means 1
	// Fingerprint is the SHA-256 fingerprint (see Fingerprint) of the
	// server's TLS certificate; absent when the server speaks plain HTTP.
	Fingerprint string `json:"fingerprint,omitempty"`
	// Message says, for a person, what is wrong; absent when all is well.
	Message string `json:"message,omitempty"`
}

// Health statuses.
const (
	HealthOK = "ok"
	// HealthDegraded: the server answers, but its database cannot be
	// written, so messages cannot be sent (HTTP 503).
	HealthDegraded = "degraded"
)

// Fingerprint formats the SHA-256 of a certificate (DER) the way the host
// panel, the server's log and the client's pin show it: uppercase hex pairs
// joined by colons.
func Fingerprint(der []byte) string {
	sum := sha256.Sum256(der)
	return strings.ReplaceAll(fmt.Sprintf("% X", sum[:]), " ", ":")
}

// Unauthorized is the payload of the unauthorized event.
type Unauthorized struct {
	Reason string `json:"reason"`
}
