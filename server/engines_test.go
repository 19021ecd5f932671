package server_test

import (
	"bytes"
	"context"
	"fmt"
	"os"
	"path/filepath"
	"testing"

	"confab/client"
	"confab/internal/testserver"
	"confab/server"
)

// The server does the same on both engines: sign-up, a message and its
// history, a DM, search and a file.
func TestServerOnBothEngines(t *testing.T) {
	t.Parallel()
	for _, eng := range testserver.Engines {
		t.Run(eng.Name, func(t *testing.T) {
			t.Parallel()
			env := testserver.Start(t, server.Config{Database: eng.Database(t)})
			alice, bob := env.Register("alice", "password-a"), env.Register("bob", "password-b")
			sa, sb := dial(t, env, alice.Token), dial(t, env, bob.Token)
			joinRooms(t, sa, "general")
			joinRooms(t, sb, "general")
			id := sendMsg(t, sa, "general", "the release is Friday")
			if h := historyOf(t, sb, "general")[id]; h["text"] != "the release is Friday" {
				t.Fatalf("history %v", h)
			}

			room := openDM(t, sa, "bob")
			joinRooms(t, sa, room)
			dm := sendMsg(t, sa, room, "just us")
			if h := historyOf(t, sb, room)[dm]; h["text"] != "just us" {
				t.Fatalf("bob's DM history %v", h)
			}

			if got, _ := searchIDs(t, sb, map[string]any{"query": "RELEAS"}); fmt.Sprint(got) != fmt.Sprint([]float64{id}) {
				t.Fatalf("search found %v, want [%v]", got, id)
			}
			if got, _ := searchIDs(t, sb, map[string]any{"query": "just"}); fmt.Sprint(got) != fmt.Sprint([]float64{dm}) {
				t.Fatalf("search in the DM found %v, want [%v]", got, dm)
			}

			sess := fileSession(t, env, "carol")
			ctx := context.Background()
			data := randomBytes(100 << 10)
			m, err := sess.Upload(ctx, "general", "notes.bin", bytes.NewReader(data), int64(len(data)), client.TransferOptions{})
			if err != nil {
				t.Fatalf("upload: %v", err)
			}
			dst := filepath.Join(t.TempDir(), "got.bin")
			if err := sess.DownloadFile(ctx, m.ID, dst, client.TransferOptions{}); err != nil {
				t.Fatal(err)
			}
			if got, _ := os.ReadFile(dst); !bytes.Equal(got, data) {
				t.Fatal("downloaded bytes differ")
			}
			if h := historyOf(t, sa, "general")[float64(m.ID)]; h["attachment"] == nil {
				t.Fatalf("the file's message in history: %v", h)
			}
		})
	}
}
