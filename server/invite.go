package server

import (
	"context"
	"errors"
	"net/http"
	"time"

	"confab/server/store"
	"confab/wire"
)

// createAccount stores a new account for /register: with an invite code,
// one use of it is taken in the same transaction (and the audit says so).
func (s *Server) createAccount(ctx context.Context, c credentials, hash string) (store.User, error) {
	if c.Invite == "" {
		return s.store.CreateUser(ctx, c.Username, hash)
	}
	code := store.InviteHash(wire.NormalizeInviteCode(c.Invite))
	return s.store.CreateInvitedUser(ctx, c.Username, hash, code, time.Now(), store.Audit{Action: wire.AuditRedeemed})
}

// refuseInvite answers 403 invalid_invite for a code that is unknown, used
// up or expired; it does not say which.
func refuseInvite(w http.ResponseWriter, err error) bool {
	if !errors.Is(err, store.ErrInvalidInvite) {
		return false
	}
	writeError(w, http.StatusForbidden, wire.ErrInvalidInvite, "that invitation is not valid: it may have been used or have expired")
	return true
}
