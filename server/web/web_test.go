package web_test

import (
	"bytes"
	"compress/gzip"
	"io"
	"net/http"
	"os"
	"path/filepath"
	"strings"
	"testing"

	"confab/internal/testserver"
	"confab/server"
	"confab/server/web"
)

// requireEnv makes a missing bundle or browser a failure instead of a skip;
// `make test` sets it (and builds the bundle first).
const requireEnv = "CONFAB_REQUIRE_ALL"

// officialBundle is the file make copies into the binary: the pinned npm
// package's own (interop/package-lock.json).
var officialBundle = filepath.Join("..", "..", "interop", "node_modules", "socket.io-client", "dist", "socket.io.min.js")

func requireBundle(t *testing.T) {
	t.Helper()
	if web.HasBundle() {
		return
	}
	if os.Getenv(requireEnv) != "" {
		t.Fatalf("the socket.io-client bundle is not in server/web/bundle: run `make test`, which copies it there")
	}
	t.Skip("the socket.io-client bundle is not in server/web/bundle; `make test` copies it there")
}

func get(t *testing.T, url string, header ...string) (*http.Response, []byte) {
	t.Helper()
	req, err := http.NewRequest(http.MethodGet, url, nil)
	if err != nil {
		t.Fatal(err)
	}
	req.Header.Set("Accept-Encoding", "identity") // no transparent gzip: the test sees the bytes sent
	for i := 0; i+1 < len(header); i += 2 {
		req.Header.Set(header[i], header[i+1])
	}
	resp, err := http.DefaultTransport.RoundTrip(req)
	if err != nil {
		t.Fatalf("GET %s: %v", url, err)
	}
	defer resp.Body.Close()
	body, err := io.ReadAll(resp.Body)
	if err != nil {
		t.Fatal(err)
	}
	return resp, body
}

// The bundle is the official one, at exactly the seeds' path, cached by
// ETag and for a day, gzipped for browsers that take it.
func TestBundleServed(t *testing.T) {
	t.Parallel()
	requireBundle(t)
	env := testserver.Start(t, server.Config{})
	want, err := os.ReadFile(officialBundle)
	if err != nil {
		t.Fatalf("the pinned package is not installed (run make test): %v", err)
	}
	resp, body := get(t, env.URL+web.BundlePath)
	if resp.StatusCode != http.StatusOK || !bytes.Equal(body, want) {
		t.Fatalf("GET %s: %d, %d bytes; want 200 and the package's %d bytes", web.BundlePath, resp.StatusCode, len(body), len(want))
	}
	etag := resp.Header.Get("ETag")
	for k, v := range map[string]string{
		"Content-Type":           "text/javascript; charset=utf-8",
		"Cache-Control":          "public, max-age=86400",
		"X-Content-Type-Options": "nosniff",
		"Vary":                   "Accept-Encoding",
	} {
		if got := resp.Header.Get(k); got != v {
			t.Errorf("%s: %q, want %q", k, got, v)
		}
	}
	if etag == "" {
		t.Fatal("no ETag")
	}
	if resp, body := get(t, env.URL+web.BundlePath, "If-None-Match", etag); resp.StatusCode != http.StatusNotModified || len(body) != 0 {
		t.Errorf("revalidation with the ETag: %d, %d bytes; want 304 and nothing", resp.StatusCode, len(body))
	}

	resp, body = get(t, env.URL+web.BundlePath, "Accept-Encoding", "gzip, deflate")
	if resp.Header.Get("Content-Encoding") != "gzip" || resp.Header.Get("ETag") == etag {
		t.Fatalf("gzip asked: Content-Encoding %q, ETag %q (plain %q)", resp.Header.Get("Content-Encoding"), resp.Header.Get("ETag"), etag)
	}
	zr, err := gzip.NewReader(bytes.NewReader(body))
	if err != nil {
		t.Fatal(err)
	}
	unzipped, err := io.ReadAll(zr)
	if err != nil || !bytes.Equal(unzipped, want) {
		t.Fatalf("the gzipped bundle is not the package's: %v", err)
	}
	t.Logf("bundle: %d bytes, %d gzipped", len(want), len(body))

	for _, p := range []string{"/socket.io/socket.io.min.js", "/socket.io/socket.io.min.js.map"} {
		if resp, _ := get(t, env.URL+p); resp.StatusCode != http.StatusOK {
			t.Errorf("GET %s: %d", p, resp.StatusCode)
		}
	}
}

// Every other path under /socket.io/ still reaches the Socket.IO endpoint.
func TestSocketIOPathStillSocketIO(t *testing.T) {
	t.Parallel()
	env := testserver.Start(t, server.Config{})
	resp, body := get(t, env.URL+"/socket.io/?EIO=4&transport=polling")
	if resp.StatusCode != http.StatusOK || !strings.HasPrefix(string(body), "0{") {
		t.Fatalf("polling handshake: %d %q, want 200 and an open packet", resp.StatusCode, body)
	}
	for _, p := range []string{"/socket.io/socket.io.jsx", "/socket.io/socket.io.js/x", "/socket.io/web/app.js"} {
		resp, body := get(t, env.URL+p)
		if resp.Header.Get("Content-Type") == "text/javascript; charset=utf-8" || bytes.Contains(body, []byte("io.connect")) {
			t.Errorf("GET %s was answered by the web client: %d", p, resp.StatusCode)
		}
	}
	// The page's own origin may connect (the existing Origin rules).
	resp, body = get(t, env.URL+"/socket.io/?EIO=4&transport=polling", "Origin", env.URL)
	if resp.StatusCode != http.StatusOK || !strings.HasPrefix(string(body), "0{") {
		t.Fatalf("polling handshake from the page's origin: %d %q", resp.StatusCode, body)
	}
	resp, _ = get(t, env.URL+"/socket.io/?EIO=4&transport=polling", "Origin", "http://elsewhere.example")
	if resp.StatusCode != http.StatusForbidden {
		t.Fatalf("polling handshake from another origin: %d, want 403", resp.StatusCode)
	}
}

// The page and its files come with a strict policy: only its own scripts
// and styles, no inline ones, its own server to talk to, no framing.
func TestPageServed(t *testing.T) {
	t.Parallel()
	env := testserver.Start(t, server.Config{})
	resp, body := get(t, env.URL+"/")
	if resp.StatusCode != http.StatusOK || resp.Header.Get("Content-Type") != "text/html; charset=utf-8" {
		t.Fatalf("GET /: %d %s", resp.StatusCode, resp.Header.Get("Content-Type"))
	}
	csp := resp.Header.Get("Content-Security-Policy")
	for _, want := range []string{"default-src 'self'", "script-src 'self';", "style-src 'self';",
		"connect-src 'self' ws://" + env.Addr + " wss://" + env.Addr + ";", "frame-ancestors 'none'", "object-src 'none'", "base-uri 'none'"} {
		if !strings.Contains(csp, want) {
			t.Errorf("policy %q lacks %q", csp, want)
		}
	}
	if strings.Contains(csp, "unsafe") {
		t.Errorf("policy allows unsafe sources: %s", csp)
	}
	for k, v := range map[string]string{"X-Content-Type-Options": "nosniff", "Referrer-Policy": "no-referrer", "Cache-Control": "no-cache"} {
		if got := resp.Header.Get(k); got != v {
			t.Errorf("%s: %q, want %q", k, got, v)
		}
	}
	// No inline script or style for the policy to refuse.
	for _, inline := range []string{"<script>", "<style", " style=", " onclick=", " onload="} {
		if bytes.Contains(body, []byte(inline)) {
			t.Errorf("the page has inline %q", inline)
		}
	}
	for p, ctype := range map[string]string{
		"/web/app.js": "text/javascript; charset=utf-8", "/web/words.js": "text/javascript; charset=utf-8",
		"/web/app.css": "text/css; charset=utf-8", "/web/icon.svg": "image/svg+xml",
	} {
		resp, body := get(t, env.URL+p)
		if resp.StatusCode != http.StatusOK || resp.Header.Get("Content-Type") != ctype || len(body) == 0 {
			t.Errorf("GET %s: %d %q", p, resp.StatusCode, resp.Header.Get("Content-Type"))
		}
	}
	for _, p := range []string{"/web/nothing.js", "/web/index.html", "/nothing", "/web/"} {
		if resp, _ := get(t, env.URL+p); resp.StatusCode != http.StatusNotFound {
			t.Errorf("GET %s: %d, want 404", p, resp.StatusCode)
		}
	}
}
