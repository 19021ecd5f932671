package server

import (
	"context"
	"crypto/rand"
	"encoding/json"
	"errors"
	"fmt"
	"mime"
	"net/http"
	"strconv"
	"strings"
	"time"

	"confab/server/cluster"
	"confab/server/store"
	"confab/wire"
)

// Administration over HTTP (docs/protocol.md "## Administration"). Every
// call needs an administrator: a Bearer token of one (checked against the
// database on each call, so a promotion or demotion counts at once), or the
// operator's local socket (adminsock.go). Every action is written to the
// audit log in the transaction that makes it.

// actor is who makes an administrative call.
type actor struct {
	id   int64 // 0: the operator on the server's computer
	name string
}

func (a actor) audit(action, target, detail string) store.Audit {
	return store.Audit{ActorID: a.id, Actor: a.name, Action: action, Target: target, Detail: detail}
}

// operatorKey marks a request that came over the operator's local socket.
type operatorKey struct{}

func (s *Server) adminRoutes() {
	s.seen = newSeenTracker()
	routes := map[string]func(http.ResponseWriter, *http.Request, actor){
		"GET " + wire.PathAdminUsers:    s.adminListUsers,
		"POST " + wire.PathAdminUsers:   s.adminAddUser,
		"POST " + wire.PathAdminRemove:  s.adminRemove,
		"POST " + wire.PathAdminReset:   s.adminReset,
		"POST " + wire.PathAdminPromote: s.adminPromote,
		"POST " + wire.PathAdminRename:  s.adminRename,
		"POST " + wire.PathAdminKick:    s.adminKick,
		"POST " + wire.PathAdminInvites: s.adminInvite,
		"GET " + wire.PathAdminAudit:    s.adminAudit,
	}
	for pattern, h := range routes {
		s.mux.HandleFunc(pattern, func(w http.ResponseWriter, r *http.Request) {
			if a, ok := s.adminCaller(w, r); ok {
				h(w, r, a)
			}
		})
	}
}

// adminCaller answers 401 without a valid token and 403 not_admin for one
// of an account that is not an administrator.
func (s *Server) adminCaller(w http.ResponseWriter, r *http.Request) (actor, bool) {
	if op, _ := r.Context().Value(operatorKey{}).(bool); op {
		return actor{name: wire.OperatorName}, true
	}
	claims, ok := s.bearer(w, r)
	if !ok {
		return actor{}, false
	}
	ctx, cancel := context.WithTimeout(r.Context(), storeTimeout)
	defer cancel()
	admin, err := s.store.IsAdmin(ctx, claims.UserID)
	if err != nil {
		s.internalError(w, "check administrator", err)
		return actor{}, false
	}
	if !admin {
		s.limited.Warn("administrative call refused: not an administrator", "user_id", claims.UserID, "path", r.URL.Path)
		writeError(w, http.StatusForbidden, wire.ErrNotAdmin, "only an administrator can do this")
		return actor{}, false
	}
	return actor{id: claims.UserID, name: claims.Username}, true
}

// readJSON decodes a small JSON body into v.
func readJSON(w http.ResponseWriter, r *http.Request, v any) bool {
	r.Body = http.MaxBytesReader(w, r.Body, MaxAuthBody)
	if mt, _, _ := mime.ParseMediaType(r.Header.Get("Content-Type")); mt != "application/json" {
		writeError(w, http.StatusBadRequest, wire.ErrBadRequest, "send JSON")
		return false
	}
	if err := json.NewDecoder(r.Body).Decode(v); err != nil {
		writeError(w, http.StatusBadRequest, wire.ErrBadRequest, "the body is not the JSON object expected")
		return false
	}
	return true
}

// target is the live account named in the path; 404 if there is none.
func (s *Server) target(ctx context.Context, w http.ResponseWriter, r *http.Request) (store.UserInfo, bool) {
	u, err := s.store.UserInfoByName(ctx, r.PathValue("name"))
	if errors.Is(err, store.ErrNotFound) || err == nil && u.Removed {
		writeError(w, http.StatusNotFound, wire.ErrNotFound, "there is no such user")
		return store.UserInfo{}, false
	}
	if err != nil {
		s.internalError(w, "look up user", err)
		return store.UserInfo{}, false
	}
	return u, true
}

// refuseAdminErr answers the errors an administrative write can end in;
// false if err is nil.
func (s *Server) refuseAdminErr(w http.ResponseWriter, what string, err error) bool {
	switch {
	case err == nil:
		return false
	case errors.Is(err, store.ErrLastAdmin):
		writeError(w, http.StatusConflict, wire.ErrLastAdmin, "the server needs an administrator: make someone else one first")
	case errors.Is(err, store.ErrNotFound):
		writeError(w, http.StatusNotFound, wire.ErrNotFound, "there is no such user")
	case refuseName(w, err):
	default:
		s.internalError(w, what, err)
	}
	return true
}

func (s *Server) adminListUsers(w http.ResponseWriter, r *http.Request, _ actor) {
	ctx, cancel := context.WithTimeout(r.Context(), storeTimeout)
	defer cancel()
	s.seen.flush(ctx, s.store, s.log)
	users, err := s.store.AllUsers(ctx)
	if err != nil {
		s.internalError(w, "list users", err)
		return
	}
	out := wire.AdminUsers{Users: make([]wire.AdminUser, 0, len(users))}
	for _, u := range users {
		au := wire.AdminUser{ID: strconv.FormatInt(u.ID, 10), Username: u.Username, Admin: u.Admin, Removed: u.Removed,
			Online: !u.Removed && s.hub.online(u.ID), CreatedAt: u.CreatedAt}
		if !u.LastSeen.IsZero() {
			seen := u.LastSeen
			au.LastSeen = &seen
		}
		out.Users = append(out.Users, au)
	}
	writeJSON(w, http.StatusOK, out)
}

func (s *Server) adminAddUser(w http.ResponseWriter, r *http.Request, a actor) {
	var nu wire.NewUser
	if !readJSON(w, r, &nu) {
		return
	}
	if refuseUsername(w, nu.Username) {
		return
	}
	if len(nu.Password) > wire.MaxPasswordBytes {
		writeError(w, http.StatusBadRequest, wire.ErrBadRequest, fmt.Sprintf("the password is longer than %d bytes", wire.MaxPasswordBytes))
		return
	}
	if refuseWeak(w, nu.Password) {
		return
	}
	hash, err := s.hashPassword(nu.Password)
	if err != nil {
		s.internalError(w, "hash password", err)
		return
	}
	ctx, cancel := context.WithTimeout(r.Context(), storeTimeout)
	defer cancel()
	detail := ""
	if nu.Admin {
		detail = "as an administrator"
	}
	u, err := s.store.AddUserAudited(ctx, nu.Username, hash, nu.Admin, a.audit(wire.AuditAdd, nu.Username, detail))
	if s.refuseAdminErr(w, "add user", err) {
		return
	}
	s.hub.addUser(u.ID)
	s.publish(cluster.Event{Kind: cluster.KindAdded, User: u.ID})
	s.log.Info("account added by an administrator", "user_id", u.ID, "by", a.id)
	admin, err := s.store.IsAdmin(ctx, u.ID) // the first account is, asked or not
	if err != nil {
		s.internalError(w, "check administrator", err)
		return
	}
	writeJSON(w, http.StatusCreated, wire.AdminUser{ID: strconv.FormatInt(u.ID, 10), Username: u.Username, Admin: admin, CreatedAt: time.Now().UTC()})
}

// cut ends every session of a user at gen (0: the account is gone) and
// disconnects their sockets, telling them why.
func (s *Server) cut(id, gen int64, reason string) int {
	if gen == 0 {
		s.hub.removeUser(id)
	} else {
		s.hub.endSessions(id, gen)
	}
	kicked := s.hub.connsOfUser(id)
	for _, c := range kicked {
		c.kick(reason)
	}
	return len(kicked)
}

func (s *Server) adminRemove(w http.ResponseWriter, r *http.Request, a actor) {
	ctx, cancel := context.WithTimeout(r.Context(), storeTimeout)
	defer cancel()
	u, ok := s.target(ctx, w, r)
	if !ok {
		return
	}
	if _, err := s.store.RemoveUser(ctx, u.ID, a.audit(wire.AuditRemove, u.Username, "")); s.refuseAdminErr(w, "remove user", err) {
		return
	}
	n := s.cut(u.ID, 0, wire.ReasonUnknownUser)
	s.publish(cluster.Event{Kind: cluster.KindRemoved, User: u.ID})
	s.log.Info("user removed", "user_id", u.ID, "by", a.id, "sockets", n)
	w.WriteHeader(http.StatusNoContent)
}

func (s *Server) adminReset(w http.ResponseWriter, r *http.Request, a actor) {
	ctx, cancel := context.WithTimeout(r.Context(), storeTimeout)
	defer cancel()
	u, ok := s.target(ctx, w, r)
	if !ok {
		return
	}
	temp := randomCode(wire.TempPasswordLen)
	hash, err := s.hashPassword(temp)
	if err != nil {
		s.internalError(w, "hash password", err)
		return
	}
	gen, err := s.store.ResetPassword(ctx, u.ID, hash, a.audit(wire.AuditReset, u.Username, ""))
	if s.refuseAdminErr(w, "reset password", err) {
		return
	}
	n := s.cut(u.ID, gen, wire.ReasonPasswordChanged)
	s.publish(cluster.Event{Kind: cluster.KindSessions, User: u.ID, Gen: gen, Why: wire.ReasonPasswordChanged})
	s.log.Info("password reset by an administrator: every session ended", "user_id", u.ID, "by", a.id, "sockets", n)
	writeJSON(w, http.StatusOK, wire.PasswordReset{Password: temp})
}

func (s *Server) adminPromote(w http.ResponseWriter, r *http.Request, a actor) {
	var f wire.AdminFlag
	if !readJSON(w, r, &f) {
		return
	}
	ctx, cancel := context.WithTimeout(r.Context(), storeTimeout)
	defer cancel()
	u, ok := s.target(ctx, w, r)
	if !ok {
		return
	}
	action := wire.AuditPromote
	if !f.Admin {
		action = wire.AuditDemote
	}
	if err := s.store.SetAdmin(ctx, u.ID, f.Admin, a.audit(action, u.Username, "")); s.refuseAdminErr(w, action, err) {
		return
	}
	s.log.Info("administrator flag set", "user_id", u.ID, "admin", f.Admin, "by", a.id)
	w.WriteHeader(http.StatusNoContent)
}

func (s *Server) adminRename(w http.ResponseWriter, r *http.Request, a actor) {
	var rn wire.Rename
	if !readJSON(w, r, &rn) {
		return
	}
	if refuseUsername(w, rn.Username) {
		return
	}
	ctx, cancel := context.WithTimeout(r.Context(), storeTimeout)
	defer cancel()
	u, ok := s.target(ctx, w, r)
	if !ok {
		return
	}
	gen, err := s.store.RenameUser(ctx, u.ID, rn.Username, a.audit(wire.AuditRename, u.Username, "to "+rn.Username))
	if s.refuseAdminErr(w, "rename user", err) {
		return
	}
	// Its tokens carry the old name: the user signs in again with the new one.
	n := s.cut(u.ID, gen, wire.ReasonAccountRenamed)
	s.publish(cluster.Event{Kind: cluster.KindSessions, User: u.ID, Gen: gen, Why: wire.ReasonAccountRenamed})
	s.log.Info("user renamed", "user_id", u.ID, "by", a.id, "sockets", n)
	w.WriteHeader(http.StatusNoContent)
}

func (s *Server) adminKick(w http.ResponseWriter, r *http.Request, a actor) {
	var k wire.Kick
	if !readJSON(w, r, &k) {
		return
	}
	if !wire.ValidRoom(k.Room) {
		writeError(w, http.StatusBadRequest, wire.ErrInvalidRoom, "that is not a room name")
		return
	}
	ctx, cancel := context.WithTimeout(r.Context(), storeTimeout)
	defer cancel()
	u, ok := s.target(ctx, w, r)
	if !ok {
		return
	}
	if err := s.store.Record(ctx, a.audit(wire.AuditKick, u.Username, "#"+k.Room)); s.refuseAdminErr(w, "kick", err) {
		return
	}
	n := s.kickLocal(u.ID, k.Room) // cluster.go
	s.publish(cluster.Event{Kind: cluster.KindKick, User: u.ID, Room: k.Room})
	s.log.Info("user kicked from a room", "user_id", u.ID, "by", a.id, "sockets", n)
	w.WriteHeader(http.StatusNoContent)
}

func (s *Server) adminInvite(w http.ResponseWriter, r *http.Request, a actor) {
	var ni wire.NewInvite
	if !readJSON(w, r, &ni) {
		return
	}
	uses, ttl := max(ni.Uses, 1), time.Duration(ni.TTLSeconds)*time.Second
	if ni.TTLSeconds == 0 {
		ttl = wire.DefaultInviteTTL
	}
	if ni.Uses < 0 || uses > wire.MaxInviteUses || ttl <= 0 || ttl > wire.MaxInviteTTL {
		writeError(w, http.StatusBadRequest, wire.ErrBadRequest,
			fmt.Sprintf("an invitation is good for 1 to %d accounts and at most %d days", wire.MaxInviteUses, int(wire.MaxInviteTTL.Hours()/24)))
		return
	}
	code := randomCode(16)
	expires := time.Now().Add(ttl).UTC().Truncate(time.Millisecond)
	ctx, cancel := context.WithTimeout(r.Context(), storeTimeout)
	defer cancel()
	detail := fmt.Sprintf("%d use(s), until %s", uses, expires.Format("2006-01-02 15:04 MST"))
	if err := s.store.CreateInvite(ctx, store.InviteHash(code), uses, expires, a.audit(wire.AuditInvite, "", detail)); err != nil {
		s.internalError(w, "create invite", err)
		return
	}
	s.log.Info("invitation created", "by", a.id, "uses", uses, "expires", expires)
	writeJSON(w, http.StatusCreated, wire.InviteCode{Code: groups(code), Uses: uses, ExpiresAt: expires})
}

func (s *Server) adminAudit(w http.ResponseWriter, r *http.Request, _ actor) {
	limit := wire.DefaultAuditPage
	if v := r.URL.Query().Get("limit"); v != "" {
		n, err := strconv.Atoi(v)
		if err != nil || n < 1 || n > wire.MaxAuditPage {
			writeError(w, http.StatusBadRequest, wire.ErrBadRequest, fmt.Sprintf("limit is 1 to %d", wire.MaxAuditPage))
			return
		}
		limit = n
	}
	ctx, cancel := context.WithTimeout(r.Context(), storeTimeout)
	defer cancel()
	entries, err := s.store.AuditLog(ctx, limit)
	if err != nil {
		s.internalError(w, "read audit", err)
		return
	}
	out := wire.AuditLog{Entries: make([]wire.AuditEntry, len(entries))}
	for i, e := range entries {
		out.Entries[i] = wire.AuditEntry{ID: e.ID, At: e.At, Actor: e.Actor, Action: e.Action, Target: e.Target, Detail: e.Detail}
	}
	writeJSON(w, http.StatusOK, out)
}

// codeAlphabet leaves out the letters and digits people confuse (I 1, O 0).
const codeAlphabet = "ABCDEFGHJKLMNPQRSTUVWXYZ23456789"

// randomCode is n random characters of codeAlphabet: 5 bits each.
func randomCode(n int) string {
	b := make([]byte, n)
	rand.Read(b) //nolint:errcheck // crypto/rand.Read never fails (Go 1.24+)
	for i := range b {
		b[i] = codeAlphabet[int(b[i])%len(codeAlphabet)] // 256 is a multiple of 32: no bias
	}
	return string(b)
}

// groups writes a code in groups of four, as people read it out.
func groups(code string) string {
	var parts []string
	for i := 0; i < len(code); i += 4 {
		parts = append(parts, code[i:min(i+4, len(code))])
	}
	return strings.Join(parts, "-")
}
