// mkrelease wrote release-schema3.db with the store of commit 774f4de, the
// release before edits and reactions (copied into a checkout of it and run
// as go run ./server/store/testdata/mkrelease DIR): users, messages with
// and without clientIds in two rooms, a revoked session and a changed
// password.
package main

import (
	"context"
	"fmt"
	"log"
	"os"
	"time"

	"confab/server/store"
)

func main() {
	dir := os.Args[1]
	s, err := store.Open(dir)
	if err != nil {
		log.Fatal(err)
	}
	ctx := context.Background()
	var ids []int64
	for _, name := range []string{"alice", "Bob", "carol.x"} {
		u, err := s.CreateUser(ctx, name, "hash-of-"+name)
		if err != nil {
			log.Fatal(err)
		}
		ids = append(ids, u.ID)
	}
	if _, err := s.ChangePassword(ctx, ids[1], "hash-of-Bob", "new-hash-of-Bob"); err != nil {
		log.Fatal(err)
	}
	if err := s.RevokeSession(ctx, "revoked-sid", time.Date(2099, 1, 1, 0, 0, 0, 0, time.UTC), time.Now()); err != nil {
		log.Fatal(err)
	}
	names := []string{"alice", "Bob", "carol.x"}
	for i := range 120 {
		m := store.Message{Room: []string{"general", "dev-team"}[i%2], AuthorID: ids[i%3], AuthorName: names[i%3],
			Text: fmt.Sprintf("message %d: héllo <b>&</b> 👍", i)}
		if i%3 == 0 {
			m.ClientID = fmt.Sprintf("cid-%d", i)
		}
		if _, _, err := s.AddMessage(ctx, m); err != nil {
			log.Fatal(err)
		}
	}
	if err := s.Close(); err != nil {
		log.Fatal(err)
	}
}
