package client

import (
	"context"
	"encoding/json"
	"net"
	"net/http"
	"net/url"
	"path/filepath"
	"strconv"
	"time"

	"confab/wire"
)

// WithInvite gives Register an invite code: it creates the account where
// sign-up is off (ErrInvalidInvite if it is unknown, used up or expired).
func WithInvite(code string) Option { return func(o *options) { o.invite = code } }

// KickedEvent: an administrator took the user out of a room. The room is
// no longer rejoined after a reconnect; joining it again is allowed.
type KickedEvent struct{ Room string }

func (KickedEvent) event() {}

func (c *Chat) kicked(arg any) {
	var k wire.Kicked
	if decode(arg, &k) != nil || !wire.ValidRoom(k.Room) {
		return
	}
	c.mu.Lock()
	c.room(k.Room).joined = false
	c.mu.Unlock()
	c.out.push(KickedEvent{Room: k.Room})
}

// Admin makes administrative calls (docs/protocol.md "## Administration"):
// as a signed-in administrator (Session.Admin) or as the operator on the
// server's own computer (Operator). A caller who is not an administrator
// gets ErrNotAdmin.
type Admin struct {
	base  string
	http  *http.Client
	token func() string // "" for the operator
}

// Admin is the session's administrative calls, made with its token.
func (s *Session) Admin() *Admin {
	return &Admin{base: s.URL, http: s.http, token: func() string { t, _ := s.Token(); return t }}
}

// Operator makes administrative calls over the operator's socket in a
// running server's data directory: whoever can open it owns the server.
func Operator(dataDir string) *Admin {
	path := filepath.Join(dataDir, wire.AdminSocketFile)
	tr := &http.Transport{DialContext: func(ctx context.Context, _, _ string) (net.Conn, error) {
		var d net.Dialer
		return d.DialContext(ctx, "unix", path)
	}}
	return &Admin{base: "http://operator", http: &http.Client{Timeout: HTTPTimeout, Transport: tr}, token: func() string { return "" }}
}

// NewAdmin makes operator calls through hc (confabd, with the server in
// its own process).
func NewAdmin(hc *http.Client) *Admin {
	return &Admin{base: "http://operator", http: hc, token: func() string { return "" }}
}

func (a *Admin) call(ctx context.Context, method, path string, in, out any) error {
	body := ""
	if in != nil {
		b, err := json.Marshal(in)
		if err != nil {
			return err
		}
		body = string(b)
	}
	return request(ctx, a.http, method, a.base, path, a.token(), body, out)
}

// Users lists every account, removed ones too.
func (a *Admin) Users(ctx context.Context) ([]wire.AdminUser, error) {
	var out wire.AdminUsers
	err := a.call(ctx, http.MethodGet, wire.PathAdminUsers, nil, &out)
	return out.Users, err
}

// AddUser creates an account (sign-up need not be on).
func (a *Admin) AddUser(ctx context.Context, username, password string, admin bool) (wire.AdminUser, error) {
	var out wire.AdminUser
	err := a.call(ctx, http.MethodPost, wire.PathAdminUsers, wire.NewUser{Username: username, Password: password, Admin: admin}, &out)
	return out, err
}

// Remove removes an account: its sockets are cut, its tokens refused, its
// messages stay.
func (a *Admin) Remove(ctx context.Context, username string) error {
	return a.call(ctx, http.MethodPost, wire.AdminPath(wire.PathAdminRemove, url.PathEscape(username)), nil, nil)
}

// ResetPassword ends every session of the user and returns a temporary
// password to hand over.
func (a *Admin) ResetPassword(ctx context.Context, username string) (string, error) {
	var out wire.PasswordReset
	err := a.call(ctx, http.MethodPost, wire.AdminPath(wire.PathAdminReset, url.PathEscape(username)), nil, &out)
	return out.Password, err
}

// SetAdmin makes the user an administrator, or not (ErrLastAdmin for the last one).
func (a *Admin) SetAdmin(ctx context.Context, username string, admin bool) error {
	return a.call(ctx, http.MethodPost, wire.AdminPath(wire.PathAdminPromote, url.PathEscape(username)), wire.AdminFlag{Admin: admin}, nil)
}

// Rename gives the user a new name; they sign in again with it.
func (a *Admin) Rename(ctx context.Context, username, newName string) error {
	return a.call(ctx, http.MethodPost, wire.AdminPath(wire.PathAdminRename, url.PathEscape(username)), wire.Rename{Username: newName}, nil)
}

// Kick takes the user out of a room.
func (a *Admin) Kick(ctx context.Context, username, room string) error {
	return a.call(ctx, http.MethodPost, wire.AdminPath(wire.PathAdminKick, url.PathEscape(username)), wire.Kick{Room: room}, nil)
}

// Invite creates an invite code good for uses accounts (0: one) during ttl
// (0: wire.DefaultInviteTTL).
func (a *Admin) Invite(ctx context.Context, uses int, ttl time.Duration) (wire.InviteCode, error) {
	var out wire.InviteCode
	err := a.call(ctx, http.MethodPost, wire.PathAdminInvites, wire.NewInvite{Uses: uses, TTLSeconds: int64(ttl / time.Second)}, &out)
	return out, err
}

// Audit returns up to limit administrative actions, newest first.
func (a *Admin) Audit(ctx context.Context, limit int) ([]wire.AuditEntry, error) {
	var out wire.AuditLog
	err := a.call(ctx, http.MethodGet, wire.PathAdminAudit+"?limit="+strconv.Itoa(limit), nil, &out)
	return out.Entries, err
}
