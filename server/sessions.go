package server

import (
	"context"
	"errors"
	"fmt"
	"mime"
	"net/http"
	"strings"
	"time"

	"confab/server/auth"
	"confab/server/cluster"
	"confab/server/store"
	"confab/wire"
)

// Sessions: every token of one sign-in shares a session id (sid) and the
// time of the sign-in (auth_time); /refresh keeps both. /logout ends the
// session, a session older than Config.MaxSessionAge cannot be refreshed or
// used, and a password change ends every session of the user.
const (
	// DefaultMaxSessionAge is Config.MaxSessionAge's default: a sign-in
	// lasts at most this long, however often it is refreshed.
	DefaultMaxSessionAge = 30 * 24 * time.Hour
	// revocationSlack keeps a revoked session past the last moment one of
	// its tokens could be valid, for a refresh that was under way.
	revocationSlack = time.Minute
)

// readPasswordChange reads the JSON body of /password.
func readPasswordChange(w http.ResponseWriter, r *http.Request) (wire.PasswordChange, error) {
	r.Body = http.MaxBytesReader(w, r.Body, MaxAuthBody)
	var pc wire.PasswordChange
	if mt, _, _ := mime.ParseMediaType(r.Header.Get("Content-Type")); mt != "application/json" {
		return pc, errors.New("send JSON")
	}
	cur, pw, err := jsonStrings(r, "current", "password")
	if err != nil {
		return pc, err
	}
	if len(cur) > wire.MaxPasswordBytes || len(pw) > wire.MaxPasswordBytes {
		return pc, fmt.Errorf("a password is at most %d bytes", wire.MaxPasswordBytes)
	}
	return wire.PasswordChange{Current: cur, Password: pw}, nil
}

// handlePassword changes the caller's password. It checks the current
// password, so it is throttled as a login of the account is. On success
// every session of the user ends at once (its tokens are refused with
// password_changed, its sockets are told and disconnected), and the caller
// gets a new session.
func (s *Server) handlePassword(w http.ResponseWriter, r *http.Request) {
	claims, ok := s.bearer(w, r)
	if !ok {
		return
	}
	pc, err := readPasswordChange(w, r)
	if err != nil {
		writeError(w, http.StatusBadRequest, wire.ErrBadRequest, err.Error())
		return
	}
	if refuseWeak(w, pc.Password) {
		return
	}
	slots, ok := s.takeLoginSlots(w, s.clientAddr(r), strings.ToLower(claims.Username))
	if !ok {
		return
	}
	ctx, cancel := context.WithTimeout(r.Context(), storeTimeout)
	defer cancel()
	hash, err := s.store.PasswordHash(ctx, claims.UserID)
	if err != nil && !errors.Is(err, store.ErrNotFound) {
		s.internalError(w, "look up user", err)
		return
	}
	if !s.checkPassword(hash, pc.Current) {
		s.log.Info("password change refused: wrong current password", "user_id", claims.UserID, "remote", s.clientAddr(r))
		writeError(w, http.StatusForbidden, wire.ErrInvalidCredentials, "the current password is wrong")
		return
	}
	newHash, err := s.hashPassword(pc.Password)
	if err != nil {
		s.internalError(w, "hash password", err)
		return
	}
	gen, err := s.store.ChangePassword(ctx, claims.UserID, hash, newHash)
	if errors.Is(err, store.ErrNotFound) { // changed (or deleted) meanwhile: the current one is not current
		writeError(w, http.StatusForbidden, wire.ErrInvalidCredentials, "the current password is wrong")
		return
	}
	if err != nil {
		s.internalError(w, "change password", err)
		return
	}
	for _, sl := range slots { // a success does not count
		sl.giveBack()
	}
	s.hub.endSessions(claims.UserID, gen)
	s.publish(cluster.Event{Kind: cluster.KindSessions, User: claims.UserID, Gen: gen, Why: wire.ReasonPasswordChanged})
	kicked := s.hub.connsOfUser(claims.UserID)
	for _, c := range kicked {
		c.kick(wire.ReasonPasswordChanged)
	}
	s.log.Info("password changed: every session ended", "user_id", claims.UserID, "sockets", len(kicked))
	s.issue(w, http.StatusOK, claims.UserID, claims.Username, auth.Family{Gen: gen})
}
