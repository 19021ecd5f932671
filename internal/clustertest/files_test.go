package clustertest_test

import (
	"bytes"
	"context"
	"encoding/json"
	"io"
	"net/http"
	"strings"
	"testing"
	"time"

	"confab/client"
	"confab/internal/clustertest"
	"confab/wire"
)

// fileCall makes one request on a connection of its own (so that HAProxy
// balances it afresh) and returns the status and body.
func fileCall(t *testing.T, method, url, token string, body []byte, header map[string]string) (int, []byte) {
	t.Helper()
	req, err := http.NewRequest(method, url, bytes.NewReader(body))
	if err != nil {
		t.Fatal(err)
	}
	req.Header.Set("Authorization", "Bearer "+token)
	for k, v := range header {
		req.Header.Set(k, v)
	}
	hc := &http.Client{Timeout: 30 * time.Second, Transport: &http.Transport{DisableKeepAlives: true}}
	resp, err := hc.Do(req)
	if err != nil {
		t.Fatal(err)
	}
	defer resp.Body.Close()
	b, _ := io.ReadAll(resp.Body)
	return resp.StatusCode, b
}

// Behind HAProxy, an upload's every request reaches the node that holds
// it (its id begins with the node's), and the file stored through one node
// is downloaded through every node (they share --files-dir).
func TestFilesOnEveryNode(t *testing.T) {
	t.Parallel()
	c := clustertest.Start(t, clustertest.Options{Args: testArgs})
	ctx, cancel := context.WithTimeout(context.Background(), 2*time.Minute)
	defer cancel()
	sess, err := client.Register(ctx, c.URL(), "filer", "password-filer", client.AllowPlainHTTP())
	if err != nil {
		t.Fatal(err)
	}
	token, _ := sess.Token()

	data := bytes.Repeat([]byte("confab cluster file "), 5000)
	start, _ := json.Marshal(wire.FileUpload{Room: wire.DefaultRoom, Name: "notes.txt", Size: int64(len(data))})
	code, body := fileCall(t, "POST", c.URL()+wire.PathFiles, token, start, map[string]string{"Content-Type": "application/json"})
	var up wire.Upload
	if err := json.Unmarshal(body, &up); code != http.StatusCreated || err != nil {
		t.Fatalf("start upload: %d %s", code, body)
	}
	node, _, ok := strings.Cut(up.ID, ".")
	if !ok || !strings.HasPrefix(node, "n") {
		t.Fatalf("upload id %q does not name its node", up.ID)
	}
	for i := 0; i < 3*c.Nodes(); i++ { // leastconn spreads these over the nodes, but for the rule
		code, _ := fileCall(t, "HEAD", c.URL()+wire.UploadPath(up.ID), token, nil, nil)
		if code != http.StatusOK {
			t.Fatalf("HEAD %d of an upload held by %s answered %d: another node had it", i, node, code)
		}
	}
	code, body = fileCall(t, "PATCH", c.URL()+wire.UploadPath(up.ID), token, data, map[string]string{wire.HeaderUploadOffset: "0"})
	var done wire.UploadDone
	if err := json.Unmarshal(body, &done); code != http.StatusCreated || err != nil {
		t.Fatalf("PATCH: %d %s", code, body)
	}
	// The client library's upload through HAProxy too.
	img := bytes.Repeat([]byte{7}, 300_000)
	m, err := sess.Upload(ctx, wire.DefaultRoom, "blob.bin", bytes.NewReader(img), int64(len(img)), client.TransferOptions{})
	if err != nil {
		t.Fatalf("upload with the client library: %v", err)
	}
	for i := 0; i < c.Nodes(); i++ {
		for _, f := range []struct {
			id   int64
			want []byte
		}{{done.Message.ID, data}, {m.ID, img}} {
			code, got := fileCall(t, "GET", c.NodeURL(i)+wire.FilePath(f.id), token, nil, nil)
			if code != http.StatusOK || !bytes.Equal(got, f.want) {
				t.Fatalf("file %d through %s: %d, %d bytes of %d", f.id, c.NodeID(i), code, len(got), len(f.want))
			}
		}
	}
}
