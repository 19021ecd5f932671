package server_test

// Administration (issue 14): each action, each permission, the audit, and
// invitations where sign-up is off.

import (
	"encoding/json"
	"fmt"
	"net/http"
	"net/http/httptest"
	"strings"
	"testing"
	"time"

	"confab/internal/testserver"
	"confab/server"
	"confab/wire"
)

// admin makes an administrative call with token ("" for none).
func admin(t *testing.T, env *testserver.Env, method, path, body, token string) (int, map[string]any) {
	t.Helper()
	req, err := http.NewRequest(method, env.URL+path, strings.NewReader(body))
	if err != nil {
		t.Fatal(err)
	}
	if body != "" {
		req.Header.Set("Content-Type", "application/json")
	}
	if token != "" {
		req.Header.Set("Authorization", "Bearer "+token)
	}
	resp, err := env.HTTP.Do(req)
	if err != nil {
		t.Fatal(err)
	}
	defer resp.Body.Close()
	var out map[string]any
	json.NewDecoder(resp.Body).Decode(&out) //nolint:errcheck // 204 has no body
	return resp.StatusCode, out
}

// operator makes an administrative call as confabd users does.
func operator(t *testing.T, env *testserver.Env, method, path, body string) (int, map[string]any) {
	t.Helper()
	req := httptest.NewRequest(method, path, strings.NewReader(body))
	req.Header.Set("Content-Type", "application/json")
	rec := httptest.NewRecorder()
	env.Srv.OperatorHandler().ServeHTTP(rec, req)
	var out map[string]any
	json.Unmarshal(rec.Body.Bytes(), &out) //nolint:errcheck // 204 has no body
	return rec.Code, out
}

type adminCall struct{ method, path, body string }

func adminCalls(target string) []adminCall {
	p := func(pattern string) string { return wire.AdminPath(pattern, target) }
	return []adminCall{
		{"GET", wire.PathAdminUsers, ""},
		{"POST", wire.PathAdminUsers, `{"username":"mallory-` + target + `","password":"password-m"}`},
		{"POST", p(wire.PathAdminRemove), ""},
		{"POST", p(wire.PathAdminReset), ""},
		{"POST", p(wire.PathAdminPromote), `{"admin":true}`},
		{"POST", p(wire.PathAdminRename), `{"username":"renamed"}`},
		{"POST", p(wire.PathAdminKick), `{"room":"general"}`},
		{"POST", wire.PathAdminInvites, `{}`},
		{"GET", wire.PathAdminAudit, ""},
	}
}

// Every administrative call is refused to a user who is not an
// administrator (403 not_admin) and to no token (401), and changes nothing.
func TestEveryAdminCallRefusedToNonAdmins(t *testing.T) {
	t.Parallel()
	env := testserver.Start(t, server.Config{})
	alice := env.Register("alice", "password-a") // the first account: the administrator
	bob := env.Register("bob", "password-b")
	for _, c := range adminCalls("alice") {
		if code, body := admin(t, env, c.method, c.path, c.body, bob.Token); code != http.StatusForbidden || body["error"] != wire.ErrNotAdmin {
			t.Errorf("%s %s as a non-administrator: %d %v", c.method, c.path, code, body)
		}
		if code, body := admin(t, env, c.method, c.path, c.body, ""); code != http.StatusUnauthorized || body["error"] != wire.ReasonMissingToken {
			t.Errorf("%s %s without a token: %d %v", c.method, c.path, code, body)
		}
	}
	code, body := admin(t, env, "GET", wire.PathAdminAudit, "", alice.Token)
	if entries, _ := body["entries"].([]any); code != http.StatusOK || len(entries) != 0 {
		t.Errorf("the refused calls left an audit: %d %v", code, body)
	}
	env.Login("alice", "password-a") // not renamed, reset nor removed
	// The administrator may make each call, each on an account of its own.
	for i := range adminCalls("") {
		name := fmt.Sprintf("target%d", i)
		env.Register(name, "password-t")
		c := adminCalls(name)[i]
		if code, body := admin(t, env, c.method, c.path, c.body, alice.Token); code >= 300 {
			t.Errorf("%s %s as the administrator: %d %v", c.method, c.path, code, body)
		}
	}
}

// A removed user's sockets are cut at once, their tokens and password
// refused, and their messages stay, marked as from a removed user.
func TestRemoveUser(t *testing.T) {
	t.Parallel()
	env := testserver.Start(t, server.Config{})
	alice := env.Register("alice", "password-a")
	bob := env.Register("bob", "password-b")
	s, err := testserver.Dial(env.URL, testserver.DialOpts{Token: bob.Token})
	if err != nil {
		t.Fatal(err)
	}
	defer s.Close()
	wantOK(t, call(t, s, wire.EventMessage, map[string]any{"text": "bob was here"}))
	if code, body := admin(t, env, "POST", wire.AdminPath(wire.PathAdminRemove, "bob"), "", alice.Token); code != http.StatusNoContent {
		t.Fatalf("remove: %d %v", code, body)
	}
	kicked(t, s, wire.ReasonUnknownUser)
	refused(t, env, bob.Token, wire.ReasonUnknownUser)
	if code, _, body := env.Post("/login", "application/json", testserver.JSON("bob", "password-b"), ""); code != http.StatusUnauthorized {
		t.Errorf("a removed user signed in: %d %v", code, body)
	}
	if _, err := testserver.Dial(env.URL, testserver.DialOpts{Token: bob.Token}); err == nil {
		t.Error("a removed user's token connected")
	}
	a, err := testserver.Dial(env.URL, testserver.DialOpts{Token: alice.Token})
	if err != nil {
		t.Fatal(err)
	}
	defer a.Close()
	res := call(t, a, wire.EventHistory, map[string]any{"room": wire.DefaultRoom})
	msgs, _ := res["messages"].([]any)
	if len(msgs) != 1 {
		t.Fatalf("history: %v", res)
	}
	author := msgs[0].(map[string]any)["author"].(map[string]any)
	if author["username"] != "bob" || author["removed"] != true {
		t.Errorf("the removed user's message: %v", msgs[0])
	}
	users := call(t, a, wire.EventUsers, map[string]any{})["users"].([]any)
	if len(users) != 1 {
		t.Errorf("a removed user still listed: %v", users)
	}
	_, list := admin(t, env, "GET", wire.PathAdminUsers, "", alice.Token)
	if b := list["users"].([]any)[1].(map[string]any); b["username"] != "bob" || b["removed"] != true || b["lastSeen"] == nil {
		t.Errorf("the administrators' list: %v", list)
	}
	if code, body := admin(t, env, "POST", wire.AdminPath(wire.PathAdminRemove, "alice"), "", alice.Token); code != http.StatusConflict || body["error"] != wire.ErrLastAdmin {
		t.Errorf("the last administrator removed herself: %d %v", code, body)
	}
	a.Close()
	env.Restart() // the removal is in the database, not only in memory
	refused(t, env, bob.Token, wire.ReasonUnknownUser)
}

// A password reset ends every session of the user; the temporary password
// works, the old one does not, and neither is logged.
func TestResetPassword(t *testing.T) {
	t.Parallel()
	env := testserver.Start(t, server.Config{})
	alice := env.Register("alice", "password-a")
	bob := env.Register("bob", "password-b")
	s, err := testserver.Dial(env.URL, testserver.DialOpts{Token: bob.Token})
	if err != nil {
		t.Fatal(err)
	}
	defer s.Close()
	code, body := admin(t, env, "POST", wire.AdminPath(wire.PathAdminReset, "bob"), "", alice.Token)
	temp, _ := body["password"].(string)
	if code != http.StatusOK || len(temp) != wire.TempPasswordLen {
		t.Fatalf("reset: %d %v", code, body)
	}
	kicked(t, s, wire.ReasonPasswordChanged)
	refused(t, env, bob.Token, wire.ReasonPasswordChanged)
	if code, _, _ := env.Post("/login", "application/json", testserver.JSON("bob", "password-b"), ""); code != http.StatusUnauthorized {
		t.Errorf("the old password still works: %d", code)
	}
	env.Login("bob", temp)
	if strings.Contains(env.Logs(), temp) {
		t.Error("the temporary password is in the log")
	}
}

// Promote, rename and kick, and the audit of all of them.
func TestPromoteRenameKickAndAudit(t *testing.T) {
	t.Parallel()
	env := testserver.Start(t, server.Config{})
	alice := env.Register("alice", "password-a")
	bob := env.Register("bob", "password-b")
	if code, _ := admin(t, env, "POST", wire.AdminPath(wire.PathAdminPromote, "bob"), `{"admin":true}`, alice.Token); code != http.StatusNoContent {
		t.Fatalf("promote: %d", code)
	}
	if code, _ := admin(t, env, "GET", wire.PathAdminUsers, "", bob.Token); code != http.StatusOK {
		t.Errorf("a promoted user cannot list users: %d", code)
	}
	if code, _ := admin(t, env, "POST", wire.AdminPath(wire.PathAdminPromote, "bob"), `{"admin":false}`, alice.Token); code != http.StatusNoContent {
		t.Fatalf("demote: %d", code)
	}
	if code, _ := admin(t, env, "GET", wire.PathAdminUsers, "", bob.Token); code != http.StatusForbidden {
		t.Errorf("a demoted user (with the same token) lists users: %d", code)
	}

	carol := env.Register("carol", "password-c")
	s, err := testserver.Dial(env.URL, testserver.DialOpts{Token: carol.Token})
	if err != nil {
		t.Fatal(err)
	}
	defer s.Close()
	wantOK(t, call(t, s, wire.EventJoin, map[string]any{"room": "dev"}))
	if code, _ := admin(t, env, "POST", wire.AdminPath(wire.PathAdminKick, "carol"), `{"room":"dev"}`, alice.Token); code != http.StatusNoContent {
		t.Fatalf("kick: %d", code)
	}
	evs, err := s.WaitEvents(wire.EventKicked, 1, 5*time.Second)
	if err != nil || evs[0].Args[0].(map[string]any)["room"] != "dev" {
		t.Fatalf("not told of the kick: %v %v", evs, err)
	}
	wantErr(t, call(t, s, wire.EventMessage, map[string]any{"room": "dev", "text": "still here?"}), wire.ErrNotInRoom)
	wantOK(t, call(t, s, wire.EventMessage, map[string]any{"text": "in general still"}))

	if code, body := admin(t, env, "POST", wire.AdminPath(wire.PathAdminRename, "carol"), `{"username":"bob"}`, alice.Token); code != http.StatusConflict || body["error"] != wire.ErrUsernameTaken {
		t.Errorf("rename to a taken name: %d %v", code, body)
	}
	if code, _ := admin(t, env, "POST", wire.AdminPath(wire.PathAdminRename, "carol"), `{"username":"caroline"}`, alice.Token); code != http.StatusNoContent {
		t.Fatalf("rename: %d", code)
	}
	kicked(t, s, wire.ReasonAccountRenamed)
	env.Login("caroline", "password-c")

	_, body := admin(t, env, "GET", wire.PathAdminAudit, "", alice.Token)
	var got []string
	for _, e := range body["entries"].([]any) {
		m := e.(map[string]any)
		got = append(got, m["actor"].(string)+" "+m["action"].(string)+" "+m["target"].(string))
		if m["at"] == nil {
			t.Errorf("no time: %v", m)
		}
	}
	want := []string{"alice rename carol", "alice kick carol", "alice demote bob", "alice promote bob"}
	if strings.Join(got, "|") != strings.Join(want, "|") {
		t.Errorf("audit:\n%q\nwant\n%q", got, want)
	}
}

// With sign-up off, an invite code lets one person in, once; the operator
// (confabd users on the server's computer) adds the first account.
func TestInviteWhenSignupIsOff(t *testing.T) {
	t.Parallel()
	env := testserver.Start(t, server.Config{NoSignup: true})
	if code, _, body := env.Post("/register", "application/json", testserver.JSON("alice", "password-a"), ""); code != http.StatusForbidden || body["error"] != wire.ErrSignupDisabled {
		t.Fatalf("sign-up without an invitation: %d %v", code, body)
	}
	if code, body := operator(t, env, "POST", wire.PathAdminUsers, `{"username":"alice","password":"password-a"}`); code != http.StatusCreated || body["admin"] != true {
		t.Fatalf("the operator adds the first account: %d %v", code, body)
	}
	if code, _ := operator(t, env, "GET", "/login", ""); code != http.StatusNotFound {
		t.Errorf("the operator's socket serves more than administration: %d", code)
	}
	alice := env.Login("alice", "password-a")
	code, body := admin(t, env, "POST", wire.PathAdminInvites, `{}`, alice.Token)
	inv, _ := body["code"].(string)
	if code != http.StatusCreated || len(inv) != 19 || body["uses"] != float64(1) {
		t.Fatalf("invite: %d %v", code, body)
	}
	reg := func(name, code string) (int, map[string]any) {
		b, _ := json.Marshal(map[string]string{"username": name, "password": "password-x", wire.InviteParam: code})
		c, _, body := env.Post("/register", "application/json", string(b), "")
		return c, body
	}
	if code, body := reg("bob", "AAAA-BBBB-CCCC-DDDD"); code != http.StatusForbidden || body["error"] != wire.ErrInvalidInvite {
		t.Errorf("a made-up code: %d %v", code, body)
	}
	if code, body := reg("bob", strings.ToLower(strings.ReplaceAll(inv, "-", " "))); code != http.StatusCreated {
		t.Errorf("the code as typed (lower case, spaces): %d %v", code, body)
	}
	if code, body := reg("carol", inv); code != http.StatusForbidden || body["error"] != wire.ErrInvalidInvite {
		t.Errorf("a single-use code used twice: %d %v", code, body)
	}
	if strings.Contains(env.Logs(), inv) {
		t.Error("the invite code is in the log")
	}
	if code, body := admin(t, env, "POST", wire.PathAdminInvites, `{"uses":0,"ttlSeconds":-5}`, alice.Token); code != http.StatusBadRequest {
		t.Errorf("an invitation that has expired before it is made: %d %v", code, body)
	}
	_, body = admin(t, env, "GET", wire.PathAdminAudit, "", alice.Token)
	entries := body["entries"].([]any)
	if len(entries) != 3 || entries[0].(map[string]any)["action"] != wire.AuditRedeemed ||
		entries[2].(map[string]any)["actor"] != wire.OperatorName {
		t.Errorf("audit: %v", entries)
	}
}
