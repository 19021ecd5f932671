package server

import "context"

// SetMentionAccess replaces who may read a room for mentions until restore
// is called (tests that use it must not run in parallel).
func SetMentionAccess(f func(ctx context.Context, user, room string) (bool, error)) (restore func()) {
	old := mentionAccess
	mentionAccess = f
	return func() { mentionAccess = old }
}
