package web

import (
	"net/http"
	"net/http/httptest"
	"strings"
	"testing"
	"testing/fstest"
)

// A binary built without the bundle (a plain `go build`, no npm) still
// serves the page, and says at the bundle's path what is missing.
func TestMissingBundle(t *testing.T) {
	t.Parallel()
	mux := http.NewServeMux()
	routes(mux, staticFS, fstest.MapFS{"bundle/README.md": {Data: []byte("placeholder")}})
	for _, p := range []string{"/socket.io/socket.io.js", "/socket.io/socket.io.min.js"} {
		rec := httptest.NewRecorder()
		mux.ServeHTTP(rec, httptest.NewRequest(http.MethodGet, p, nil))
		if rec.Code != http.StatusServiceUnavailable || !strings.Contains(rec.Body.String(), MissingBundle) {
			t.Errorf("GET %s without the bundle: %d %q, want 503 %q", p, rec.Code, rec.Body, MissingBundle)
		}
	}
	rec := httptest.NewRecorder()
	mux.ServeHTTP(rec, httptest.NewRequest(http.MethodGet, "/", nil))
	if rec.Code != http.StatusOK {
		t.Errorf("GET / without the bundle: %d, want 200", rec.Code)
	}
}

func TestAcceptsGzip(t *testing.T) {
	t.Parallel()
	for header, want := range map[string]bool{
		"":                            false,
		"gzip":                        true,
		"gzip, deflate, br, zstd":     true,
		"br;q=1.0, GZIP;q=0.5":        true,
		"gzip;q=0":                    false,
		"gzip; q=0.000, identity":     false,
		"deflate, x-gzip-not-really":  false,
		"identity;q=1, gzip ; q=0.01": true,
	} {
		if got := acceptsGzip(header); got != want {
			t.Errorf("acceptsGzip(%q) = %v, want %v", header, got, want)
		}
	}
}

// Only a plain host:port is named in the policy: a Host header with a ';'
// cannot add a directive.
func TestPolicyHost(t *testing.T) {
	t.Parallel()
	for host, named := range map[string]bool{
		"192.168.1.5:7878":          true,
		"localhost":                 true,
		"[::1]:7878":                true,
		"evil; script-src *":        false,
		"a.example:1;img-src *":     false,
		"host:7878 'unsafe-inline'": false,
	} {
		h := http.Header{}
		setSecurityHeaders(h, host)
		csp := h.Get("Content-Security-Policy")
		if got := strings.Contains(csp, "ws://"+host); got != named {
			t.Errorf("host %q named in the policy: %v, want %v (%s)", host, got, named, csp)
		}
		if strings.Count(csp, "script-src") != 1 || strings.Contains(csp, "*") {
			t.Errorf("host %q changed the policy: %s", host, csp)
		}
	}
}
