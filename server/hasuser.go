package server

import (
	"context"
	"errors"

	"confab/server/store"
)

// HasUser says whether an account of this username (any case) exists: the
// hosting app tells a first-time host to create theirs rather than that
// the password is wrong.
func (s *Server) HasUser(ctx context.Context, username string) (bool, error) {
	_, _, err := s.store.Credentials(ctx, username)
	if errors.Is(err, store.ErrNotFound) {
		return false, nil
	}
	return err == nil, err
}
