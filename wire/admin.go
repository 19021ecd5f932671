package wire

import (
	"strings"
	"time"
)

// Administration (docs/protocol.md "## Administration"): HTTP calls under
// PathAdmin with an administrator's Bearer token. The first account of a
// server is its administrator; administrators make others administrators.

// HTTP paths of the administration calls. {name} is a username.
const (
	PathAdmin            = "/admin/"
	PathAdminUsers       = "/admin/users"                       // GET: AdminUsers; POST NewUser: add an account
	PathAdminRemove      = "/admin/users/{name}/remove"         // POST: remove the account
	PathAdminReset       = "/admin/users/{name}/reset-password" // POST: PasswordReset
	PathAdminPromote     = "/admin/users/{name}/admin"          // POST AdminFlag: make or unmake an administrator
	PathAdminRename      = "/admin/users/{name}/rename"         // POST Rename
	PathAdminKick        = "/admin/users/{name}/kick"           // POST Kick: out of one room
	PathAdminInvites     = "/admin/invites"                     // POST NewInvite: InviteCode
	PathAdminAudit       = "/admin/audit"                       // GET ?limit=N: AuditLog, newest first
	MaxAuditPage         = 500
	DefaultAuditPage     = 100
	DefaultInviteTTL     = 7 * 24 * time.Hour
	MaxInviteTTL         = 90 * 24 * time.Hour
	MaxInviteUses        = 1000
	InviteParam          = "invite" // of /register's body, of an invitation link and of the web client's address
	AdminSocketFile      = "admin.sock"
	TempPasswordLen      = 16
	OperatorName         = "(operator)" // the audit's actor for confabd users/invite on the server's computer
	ReasonAccountRenamed = "account_renamed"
)

// AdminPath fills a path's {name}.
func AdminPath(pattern, name string) string { return strings.Replace(pattern, "{name}", name, 1) }

// Administration error codes.
const (
	ErrNotAdmin      = "not_admin"      // 403: the caller is not an administrator
	ErrInvalidInvite = "invalid_invite" // 403 at /register: unknown, used up or expired
	ErrLastAdmin     = "last_admin"     // 409: the last administrator cannot be removed or unmade
)

// Audit actions.
const (
	AuditAdd      = "add"
	AuditRemove   = "remove"
	AuditReset    = "reset_password"
	AuditPromote  = "promote"
	AuditDemote   = "demote"
	AuditRename   = "rename"
	AuditKick     = "kick"
	AuditInvite   = "invite"
	AuditRedeemed = "invite_used" // an account created with an invitation (actor: the new account)
)

// EventKicked is sent to every socket of a user an administrator took out
// of a room: Kicked.
const EventKicked = "kicked"

// Kicked is the payload of EventKicked.
type Kicked struct {
	Room string `json:"room"`
}

// AdminUser is an account as administrators see it.
type AdminUser struct {
	ID        string     `json:"id"`
	Username  string     `json:"username"`
	Admin     bool       `json:"admin"`
	Removed   bool       `json:"removed,omitempty"`
	Online    bool       `json:"online"`
	CreatedAt time.Time  `json:"createdAt"`
	LastSeen  *time.Time `json:"lastSeen,omitempty"` // nil: never connected
}

// AdminUsers is the body of GET PathAdminUsers.
type AdminUsers struct {
	Users []AdminUser `json:"users"`
}

// NewUser is the body of POST PathAdminUsers.
type NewUser struct {
	Username string `json:"username"`
	Password string `json:"password"`
	Admin    bool   `json:"admin,omitempty"`
}

// PasswordReset answers a reset: a temporary password, shown once to the
// administrator, who hands it over; the user changes it after signing in.
type PasswordReset struct {
	Password string `json:"password"`
}

// AdminFlag is the body of POST PathAdminPromote.
type AdminFlag struct {
	Admin bool `json:"admin"`
}

// Rename is the body of POST PathAdminRename.
type Rename struct {
	Username string `json:"username"`
}

// Kick is the body of POST PathAdminKick.
type Kick struct {
	Room string `json:"room"`
}

// NewInvite is the body of POST PathAdminInvites: how many accounts the
// code may create (0: 1) and for how long (0: DefaultInviteTTL).
type NewInvite struct {
	Uses       int   `json:"uses,omitempty"`
	TTLSeconds int64 `json:"ttlSeconds,omitempty"`
}

// InviteCode answers POST PathAdminInvites. The server keeps only a hash of
// the code: this answer is the only time it is shown.
type InviteCode struct {
	Code      string    `json:"code"`
	Uses      int       `json:"uses"`
	ExpiresAt time.Time `json:"expiresAt"`
}

// AuditEntry is one administrative action.
type AuditEntry struct {
	ID     int64     `json:"id"`
	At     time.Time `json:"at"`
	Actor  string    `json:"actor"`
	Action string    `json:"action"`
	Target string    `json:"target"`
	Detail string    `json:"detail,omitempty"`
}

// AuditLog is the body of GET PathAdminAudit.
type AuditLog struct {
	Entries []AuditEntry `json:"entries"`
}

// NormalizeInviteCode is the form an invite code is compared in: upper
// case, without the dashes and spaces people type.
func NormalizeInviteCode(code string) string {
	return strings.ToUpper(strings.NewReplacer("-", "", " ", "").Replace(strings.TrimSpace(code)))
}
