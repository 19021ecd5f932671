package wire

import (
	"regexp"
	"strconv"
	"strings"
)

// Private conversations (docs/protocol.md, "Direct messages and private
// groups"): a direct message between two users, or a small group whose
// members invite others. A private conversation is a room whose name no
// public room can take ("~" and its number), so every room event (join,
// message, history, changes, edit, delete, react, typing) works on it; the
// server answers a non-member exactly as it answers for a conversation that
// does not exist.

// Socket.IO events of private conversations, client to server.
const (
	EventDM            = "dm"            // {"user"|"username"}: the DM with a user, created the first time
	EventGroup         = "group"         // {"name","members"?}: create a private group
	EventInvite        = "invite"        // {"room","user"|"username"}: add a user to a group one is in
	EventLeaveGroup    = "leaveGroup"    // {"room"}: stop being a member of a group
	EventConversations = "conversations" // {}: one's private conversations with unread counts
	EventRead          = "read"          // {"room","id"}: move one's read marker on to a message
)

// EventConversation is sent by the server to a member's sockets when they
// are added to a private conversation, when its members change, and when
// they left it (Left).
const EventConversation = "conversation"

// Conversation kinds.
const (
	KindDM    = "dm"
	KindGroup = "group"
)

// Error codes of private conversations.
const (
	ErrNoSuchUser = "no_such_user" // dm or invite naming a user who does not exist
	ErrGroupFull  = "group_full"   // invite beyond MaxGroupMembers
)

// Limits of private conversations.
const (
	MaxGroupMembers   = 50
	MaxGroupNameRunes = 64
	MaxConversations  = 500 // listed by EventConversations, most recent first
)

// PrivatePrefix starts a private conversation's room name; public room
// names cannot contain it.
const PrivatePrefix = "~"

var privateRE = regexp.MustCompile(`^~[1-9][0-9]{0,17}$`)

// PrivateRoom is the room name of private conversation id.
func PrivateRoom(id int64) string { return PrivatePrefix + strconv.FormatInt(id, 10) }

// IsPrivateRoom reports whether name is a private conversation's room name.
func IsPrivateRoom(name string) bool { return privateRE.MatchString(name) }

// ConversationID is the number of a private conversation's room name.
func ConversationID(name string) (int64, bool) {
	if !IsPrivateRoom(name) {
		return 0, false
	}
	id, err := strconv.ParseInt(strings.TrimPrefix(name, PrivatePrefix), 10, 64)
	return id, err == nil
}

// ValidConversation reports whether name is a public room's name or a
// private conversation's.
func ValidConversation(name string) bool { return ValidRoom(name) || IsPrivateRoom(name) }

// Conversation is one private conversation as its member sees it.
type Conversation struct {
	Room    string `json:"room"`
	Kind    string `json:"kind"`           // KindDM or KindGroup
	Name    string `json:"name,omitempty"` // a group's name
	Members []User `json:"members"`        // by username, with their presence
	// ReadID is the id of the last message the user has read (their read
	// marker, moved on by EventRead); Unread counts the others' messages
	// after it, deleted ones left out.
	ReadID int64 `json:"readId"`
	Unread int   `json:"unread"`
	LastID int64 `json:"lastId,omitempty"` // its newest message's id
	// Left is set only in EventConversation: the user is no longer a member.
	Left bool `json:"left,omitempty"`
}
