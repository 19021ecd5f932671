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
	EventEdit       = "edit"    // {"id","text"}: replace the text of one's own message
	EventDelete     = "delete"  // {"id"}: delete one's own message, leaving a tombstone
	EventReact      = "react"   // {"id","emoji","on"?}: set or toggle one's reaction
	EventChanges    = "changes" // {"room","since","limit"?}: messages changed since a room's change number
	EventTyping     = "typing"  // {"room"}: the user is typing (also sent by the server, see Typing)
)

// Socket.IO events, server to client (EventMessage too).
const (
	EventPresence     = "presence"
	EventUnauthorized = "unauthorized"
	// EventUpdate carries a Message in its new state after an edit, a
	// delete or a reaction; it replaces the copy with the same id when its
	// Rev is higher.
	EventUpdate = "update"
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
	ErrNotAuthor          = "not_author"      // edit or delete of another user's message
	ErrMessageDeleted     = "message_deleted" // edit of, or reaction to, a deleted message
	ErrInvalidEmoji       = "invalid_emoji"   // a reaction outside Reactions

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
	MaxChanges       = 200 // messages in one changes reply (the default too)
)

// Typing indicator timing: a client sends EventTyping at most once per
// TypingInterval per room while its user types; the server relays at most
// one per TypingRelayInterval per user and room (all their sockets
// together) and drops the excess silently; a receiver shows "… is
// typing" until TypingExpiry has passed without another, or until a
// message of that user arrives in the room.
const (
	TypingInterval      = 3 * time.Second
	TypingRelayInterval = 2 * time.Second
	TypingExpiry        = 6 * time.Second
)

// Reactions is the emoji set a message can be reacted to with, in the order
// reactions are listed.
var Reactions = []string{"👍", "❤️", "😂", "😮", "😢", "🎉"}

// ValidReaction reports whether emoji is one of Reactions.
func ValidReaction(emoji string) bool {
	for _, r := range Reactions {
		if r == emoji {
			return true
		}
	}
	return false
}

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
	// Removed: an administrator removed the account (its messages stay).
	Removed bool `json:"removed,omitempty"`
}

// Message is a stored chat message as it travels.
type Message struct {
	ID       int64     `json:"id"`
	Room     string    `json:"room"`
	Author   Author    `json:"author"`
	Text     string    `json:"text"`
	SentAt   time.Time `json:"sentAt"`
	ClientID string    `json:"clientId,omitempty"`
	// EditedAt is when the text was last edited; nil if never.
	EditedAt *time.Time `json:"editedAt,omitempty"`
	// Deleted marks a tombstone: its author deleted it, and Text is empty.
	Deleted bool `json:"deleted,omitempty"`
	// Reactions are the reactions it has, in the order of wire.Reactions.
	Reactions []Reaction `json:"reactions,omitempty"`
	// Rev is the room's change number of the message's last edit, delete or
	// reaction change (0: never changed); a copy with a higher Rev is newer.
	Rev int64 `json:"rev,omitempty"`
	// Attachment is the file it carries (files.go); nil for text only.
	Attachment *Attachment `json:"attachment,omitempty"`
}

// Reaction is one emoji on a message: who reacted with it (user ids, in
// increasing order) and how many they are.
type Reaction struct {
	Emoji string   `json:"emoji"`
	Count int      `json:"count"`
	Users []string `json:"users"`
}

// Typing is what the server relays of EventTyping: User is typing in Room,
// for ExpiresIn milliseconds unless told again.
type Typing struct {
	Room      string `json:"room"`
	User      Author `json:"user"`
	ExpiresIn int64  `json:"expiresIn"`
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
	// Node names the cluster node that answered (docs/cluster.md); absent
	// outside a cluster.
	Node string `json:"node,omitempty"`
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
