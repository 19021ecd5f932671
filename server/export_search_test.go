package server

import "context"

// SetSearchAccess replaces who may read a room for searches until restore
// is called (tests that use it must not run in parallel).
func SetSearchAccess(f func(ctx context.Context, user, room string) (bool, error)) (restore func()) {
	old := searchAccess
	searchAccess = f
	return func() { searchAccess = old }
}
