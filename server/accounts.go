package server

import (
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"mime"
	"net"
	"net/http"
	"strconv"
	"strings"
	"time"

	"confab/server/auth"
	"confab/server/cluster"
	"confab/server/store"
	"confab/wire"
)

type credentials struct {
	Username string `json:"username"`
	Password string `json:"password"`
	Invite   string `json:"invite"` // an invite code (/register only; optional)
}

// readCredentials accepts a JSON body or a form (the seed's $.post).
func readCredentials(w http.ResponseWriter, r *http.Request) (credentials, error) {
	r.Body = http.MaxBytesReader(w, r.Body, MaxAuthBody)
	var c credentials
	mt, _, _ := mime.ParseMediaType(r.Header.Get("Content-Type"))
	switch mt {
	case "application/json":
		raw, err := jsonObject(r)
		if err != nil {
			return c, err
		}
		u, p, err := stringsOf(raw, "username", "password")
		if err != nil {
			return c, err
		}
		inv, _ := raw[wire.InviteParam].(string)
		c = credentials{Username: u, Password: p, Invite: inv}
	case "application/x-www-form-urlencoded", "multipart/form-data":
		if err := r.ParseMultipartForm(MaxAuthBody); err != nil && !errors.Is(err, http.ErrNotMultipart) {
			return c, errors.New("the form could not be read")
		}
		if !r.PostForm.Has("username") || !r.PostForm.Has("password") {
			return c, errors.New("username and password are required")
		}
		c = credentials{Username: r.PostForm.Get("username"), Password: r.PostForm.Get("password"), Invite: r.PostForm.Get(wire.InviteParam)}
	default:
		return c, errors.New("send JSON or a form")
	}
	if len(c.Password) > wire.MaxPasswordBytes {
		return c, fmt.Errorf("the password is longer than %d bytes", wire.MaxPasswordBytes)
	}
	return c, nil
}

// jsonStrings reads a JSON object body's two string fields a and b.
func jsonStrings(r *http.Request, a, b string) (string, string, error) {
	raw, err := jsonObject(r)
	if err != nil {
		return "", "", err
	}
	return stringsOf(raw, a, b)
}

func jsonObject(r *http.Request) (map[string]any, error) {
	var raw map[string]any
	if err := json.NewDecoder(r.Body).Decode(&raw); err != nil {
		return nil, errors.New("the body is not a JSON object")
	}
	return raw, nil
}

// stringsOf is a JSON object's two string fields a and b.
func stringsOf(raw map[string]any, a, b string) (string, string, error) {
	va, okA := raw[a].(string)
	vb, okB := raw[b].(string)
	if !okA || !okB {
		return "", "", fmt.Errorf("%s and %s must be strings", a, b)
	}
	return va, vb, nil
}

// refuseWeak answers 400 weak_password for a password too short to keep.
func refuseWeak(w http.ResponseWriter, password string) bool {
	if len([]rune(password)) >= wire.MinPasswordLen {
		return false
	}
	writeError(w, http.StatusBadRequest, wire.ErrWeakPassword,
		fmt.Sprintf("a password needs at least %d characters", wire.MinPasswordLen))
	return true
}

func (s *Server) handleRegister(w http.ResponseWriter, r *http.Request) {
	addr := s.clientAddr(r)
	c, err := readCredentials(w, r)
	if err != nil {
		writeError(w, http.StatusBadRequest, wire.ErrBadRequest, err.Error())
		return
	}
	// With sign-up off, an invite code is the way in (invite.go).
	if c.Invite == "" && s.cfg.NoSignup {
		writeError(w, http.StatusForbidden, wire.ErrSignupDisabled, "this server does not allow creating accounts")
		return
	}
	if ip := net.ParseIP(addr); c.Invite == "" && s.cfg.LocalSignupOnly && (ip == nil || !ip.IsLoopback()) {
		writeError(w, http.StatusForbidden, wire.ErrSignupDisabled, "accounts can only be created on the host's computer")
		return
	}
	if refuseUsername(w, c.Username) {
		return
	}
	if refuseWeak(w, c.Password) {
		return
	}
	// Every attempt that gets this far counts, the taken and look-alike
	// names too: they tell which usernames exist.
	if _, wait := s.registerAddr.take(addr, time.Now()); wait > 0 {
		tooMany(w, wait)
		return
	}
	ctx, cancel := context.WithTimeout(r.Context(), storeTimeout)
	defer cancel()
	// Taken, or too like a taken name: no hash to waste.
	if err := s.store.UsernameConflict(ctx, c.Username); refuseName(w, err) {
		return
	} else if err != nil {
		s.internalError(w, "check username", err)
		return
	}
	hash, err := s.hashPassword(c.Password)
	if err != nil {
		s.internalError(w, "hash password", err)
		return
	}
	// The hash may have queued for a slot (a sign-up storm): the insert has
	// its own storeTimeout.
	ctx, cancel = context.WithTimeout(r.Context(), storeTimeout)
	defer cancel()
	u, err := s.createAccount(ctx, c, hash)
	if refuseName(w, err) || refuseInvite(w, err) {
		return
	}
	if err != nil {
		s.internalError(w, "create user", err)
		return
	}
	s.hub.addUser(u.ID)
	s.publish(cluster.Event{Kind: cluster.KindAdded, User: u.ID})
	s.log.Info("account created", "user_id", u.ID, "remote", addr)
	s.issue(w, http.StatusCreated, u.ID, u.Username, auth.Family{})
}

// refuseName answers 409 when err says the name is taken or too like a taken
// one. The answer names no account.
func refuseName(w http.ResponseWriter, err error) bool {
	switch {
	case errors.Is(err, store.ErrUsernameTaken):
		writeError(w, http.StatusConflict, wire.ErrUsernameTaken, "that username is taken")
	case errors.Is(err, store.ErrUsernameTooSimilar):
		writeError(w, http.StatusConflict, wire.ErrUsernameTooSimilar, "that username looks too much like one already taken")
	default:
		return false
	}
	return true
}

func (s *Server) handleLogin(w http.ResponseWriter, r *http.Request) {
	c, err := readCredentials(w, r)
	if err != nil {
		writeError(w, http.StatusBadRequest, wire.ErrBadRequest, err.Error())
		return
	}
	slots, ok := s.takeLoginSlots(w, s.clientAddr(r), strings.ToLower(c.Username))
	if !ok {
		return
	}
	ctx, cancel := context.WithTimeout(r.Context(), storeTimeout)
	defer cancel()
	u, hash, err := s.store.Credentials(ctx, c.Username)
	if err != nil && !errors.Is(err, store.ErrNotFound) {
		s.internalError(w, "look up user", err)
		return
	}
	// CheckPassword with an empty hash costs the same as a real one, so an
	// unknown user and a wrong password look alike in time and in bytes.
	if !s.checkPassword(hash, c.Password) {
		s.limited.Info("login failed", "remote", s.clientAddr(r))
		writeError(w, http.StatusUnauthorized, wire.ErrInvalidCredentials, "wrong username or password")
		return
	}
	for _, sl := range slots { // a success does not count
		sl.giveBack()
	}
	s.issue(w, http.StatusOK, u.ID, u.Username, auth.Family{Gen: u.SessionGen})
}

// handleRefresh issues a new token of the same session: a refresh keeps
// the sign-in's session id and time, so a logout still ends it and its
// maximum age still counts from the sign-in (bearer refuses it after).
func (s *Server) handleRefresh(w http.ResponseWriter, r *http.Request) {
	claims, ok := s.bearer(w, r)
	if !ok {
		return
	}
	s.issue(w, http.StatusOK, claims.UserID, claims.Username, claims.Family)
}

func (s *Server) handleLogout(w http.ResponseWriter, r *http.Request) {
	claims, ok := s.bearer(w, r)
	if !ok {
		return
	}
	// The whole session goes: the token, the ones it was refreshed from and
	// the ones refreshed from it. Each was issued by now, so none outlives
	// now + TTL: the revocation matters until then.
	now := time.Now()
	until := claims.Expires
	if u := now.Add(s.signer.TTL()); u.After(until) {
		until = u
	}
	until = until.Add(s.signer.Leeway() + revocationSlack)
	ctx, cancel := context.WithTimeout(r.Context(), storeTimeout)
	defer cancel()
	if err := s.store.RevokeSession(ctx, claims.SID, until, now); err != nil {
		s.internalError(w, "revoke session", err)
		return
	}
	s.hub.revoke(claims.SID, until)
	s.publish(cluster.Event{Kind: cluster.KindRevoke, SID: claims.SID, At: until.UnixMilli()})
	kicked := s.hub.connsOfSession(claims.SID)
	for _, c := range kicked {
		c.kick(wire.ReasonTokenRevoked)
	}
	s.limited.InfoBy(strconv.FormatInt(claims.UserID, 10), "logged out", "user_id", claims.UserID, "sockets", len(kicked))
	w.WriteHeader(http.StatusNoContent)
}

// handleHealth answers 200 ok, or 503 degraded while the database cannot
// be written (see health.go).
func (s *Server) handleHealth(w http.ResponseWriter, _ *http.Request) {
	h := wire.Health{Status: wire.HealthOK, Version: s.cfg.Version, Protocol: wire.ProtocolVersion, Fingerprint: s.cfg.TLSFingerprint}
	w.Header().Set("Cache-Control", "no-store")
	s.clusterHealth(&h) // cluster.go
	if err := s.store.Health(); err != nil {
		h.Status, h.Message = wire.HealthDegraded, healthDegradedText
		writeJSON(w, http.StatusServiceUnavailable, h)
		return
	}
	if why := s.clusterTrouble(); why != "" {
		h.Status, h.Message = wire.HealthDegraded, why
		writeJSON(w, http.StatusServiceUnavailable, h)
		return
	}
	writeJSON(w, http.StatusOK, h)
}

// bearer verifies the Authorization header, answering 401 with the reason.
func (s *Server) bearer(w http.ResponseWriter, r *http.Request) (auth.Claims, bool) {
	token, _ := strings.CutPrefix(r.Header.Get("Authorization"), "Bearer ")
	claims, err := s.verify(strings.TrimSpace(token))
	if err != nil {
		w.Header().Set("WWW-Authenticate", `Bearer error="invalid_token"`)
		writeError(w, http.StatusUnauthorized, err.Error(), reasonText(err))
		return auth.Claims{}, false
	}
	return claims, true
}

func reasonText(err error) string {
	switch {
	case errors.Is(err, auth.ErrMissing):
		return "no token was sent"
	case errors.Is(err, auth.ErrExpired):
		return "the token has expired: sign in again"
	case errors.Is(err, auth.ErrRevoked):
		return "the token was signed out"
	case errors.Is(err, auth.ErrNoUser):
		return "the account no longer exists"
	case errors.Is(err, auth.ErrSessionExpired):
		return "the sign-in is too old to be refreshed: sign in again"
	case errors.Is(err, auth.ErrPasswordChanged):
		return "the password was changed since this sign-in: sign in again"
	}
	return "the token is not valid"
}

// issue answers with a session: a token of fam (a new sign-in when fam has
// no SID).
func (s *Server) issue(w http.ResponseWriter, status int, userID int64, username string, fam auth.Family) {
	token, claims, err := s.signer.Issue(userID, username, fam)
	if err != nil {
		s.internalError(w, "issue token", err)
		return
	}
	writeJSON(w, status, wire.Session{
		Token:     token,
		ExpiresAt: claims.Expires.UTC(),
		User:      wire.Author{ID: strconv.FormatInt(userID, 10), Username: username},
	})
}

func (s *Server) internalError(w http.ResponseWriter, what string, err error) {
	s.log.Error(what, "err", err)
	writeError(w, http.StatusInternalServerError, wire.ErrInternal, "the server could not complete the request")
}

// takeLoginSlots takes the account's and the address's tokens before the
// password is checked, so concurrent guesses cannot all be checked.
func (s *Server) takeLoginSlots(w http.ResponseWriter, addr, userKey string) ([]slot, bool) {
	now := time.Now()
	user, wait := s.loginPerUser.take(userKey, now)
	if wait == 0 {
		var fromAddr slot
		if fromAddr, wait = s.loginPerAddr.take(addr, now); wait == 0 {
			return []slot{user, fromAddr}, true
		}
		user.giveBack()
	}
	s.limited.Warn("login throttled", "remote", addr)
	tooMany(w, wait)
	return nil, false
}

func tooMany(w http.ResponseWriter, wait time.Duration) {
	secs := int((wait + time.Second - 1) / time.Second)
	w.Header().Set("Retry-After", strconv.Itoa(max(secs, 1)))
	writeError(w, http.StatusTooManyRequests, wire.ErrTooManyAttempts,
		fmt.Sprintf("too many attempts: try again in %d seconds", max(secs, 1)))
}

func writeError(w http.ResponseWriter, status int, code, message string) {
	writeJSON(w, status, wire.Error{Error: code, Message: message})
}

func writeJSON(w http.ResponseWriter, status int, v any) {
	w.Header().Set("Content-Type", "application/json")
	w.Header().Set("Cache-Control", "no-store")
	w.WriteHeader(status)
	json.NewEncoder(w).Encode(v) //nolint:errcheck // the client went away
}

// refuseUsername answers 400 invalid_username for a name outside the rules.
func refuseUsername(w http.ResponseWriter, name string) bool {
	if wire.ValidUsername(name) {
		return false
	}
	writeError(w, http.StatusBadRequest, wire.ErrInvalidUsername,
		fmt.Sprintf("a username is %d to %d letters, digits, '_', '.' or '-'", wire.MinUsernameLen, wire.MaxUsernameLen))
	return true
}
