// Package web is Confab's browser client: a page with its script and style
// (static/), served at / under a strict Content-Security-Policy, and the
// official socket.io-client browser bundle at /socket.io/socket.io.js, as the
// seed tutorials' pages expect. The bundle comes from the npm package pinned
// in interop/package-lock.json: make copies it into bundle/ (gitignored), and
// a binary built without it answers that path with 503.
package web

import (
	"bytes"
	"compress/gzip"
	"crypto/sha256"
	"embed"
	"encoding/base64"
	"io/fs"
	"net/http"
	"path"
	"regexp"
	"strconv"
	"strings"
	"sync"
	"time"
)

//go:embed static
var staticFS embed.FS

//go:embed bundle
var bundleFS embed.FS

// Paths the client is served at.
const (
	PagePath   = "/"
	AssetsPath = "/web/"                   // the page's script, style and icon
	BundlePath = "/socket.io/socket.io.js" // what the seeds' pages load
)

// MissingBundle is the answer to BundlePath from a binary built without the bundle.
const MissingBundle = "the browser client bundle was not built: run make"

// The bundle's files in bundle/, and the paths each is served at: the
// seeds' name, socket.io's own name for the minified file, and its source
// map (named by the bundle's sourceMappingURL comment).
var bundleRoutes = map[string]string{
	"/socket.io/socket.io.js":         "socket.io.min.js",
	"/socket.io/socket.io.min.js":     "socket.io.min.js",
	"/socket.io/socket.io.min.js.map": "socket.io.min.js.map",
}

// Cache lifetimes: the page and its files are revalidated on every load
// (an upgraded server serves its new client at once; an unchanged file
// costs a 304), the bundle is kept a day (it changes only with the pinned
// package, and any 4.x client speaks the same protocol).
const (
	pageCache   = "no-cache"
	bundleCache = "public, max-age=86400"
)

// Routes adds the web client to mux. Exactly the bundle's paths are taken
// from /socket.io/: the Socket.IO endpoint's pattern is less specific, so
// every other path under it still reaches Socket.IO.
func Routes(mux *http.ServeMux) {
	routes(mux, staticFS, bundleFS)
}

// HasBundle reports whether this binary carries the socket.io-client bundle.
func HasBundle() bool {
	_, err := fs.Stat(bundleFS, "bundle/socket.io.min.js")
	return err == nil
}

func routes(mux *http.ServeMux, static, bundle fs.FS) {
	files := sync.OnceValue(func() map[string]*file { return loadStatic(static) })
	mux.HandleFunc("GET "+PagePath+"{$}", func(w http.ResponseWriter, r *http.Request) {
		files()["index.html"].serve(w, r)
	})
	mux.HandleFunc("GET "+AssetsPath+"{name}", func(w http.ResponseWriter, r *http.Request) {
		f := files()[r.PathValue("name")]
		if f == nil || r.PathValue("name") == "index.html" {
			http.NotFound(w, r)
			return
		}
		f.serve(w, r)
	})
	loaded := sync.OnceValue(func() map[string]*file { return loadBundle(bundle) })
	for route, name := range bundleRoutes {
		mux.HandleFunc("GET "+route, func(w http.ResponseWriter, r *http.Request) {
			f := loaded()[name]
			if f == nil {
				setSecurityHeaders(w.Header(), r.Host)
				w.Header().Set("Cache-Control", "no-store")
				http.Error(w, MissingBundle, http.StatusServiceUnavailable)
				return
			}
			f.serve(w, r)
		})
	}
}

// file is one served file, kept as it is and gzipped.
type file struct {
	body, gz    []byte
	etag, gzTag string
	ctype       string
	cache       string
}

func loadStatic(static fs.FS) map[string]*file {
	out := map[string]*file{}
	entries, _ := fs.ReadDir(static, "static")
	for _, e := range entries {
		if b, err := fs.ReadFile(static, "static/"+e.Name()); err == nil && !e.IsDir() {
			out[e.Name()] = newFile(e.Name(), b, pageCache)
		}
	}
	return out
}

func loadBundle(bundle fs.FS) map[string]*file {
	out := map[string]*file{}
	for _, name := range bundleRoutes {
		if b, err := fs.ReadFile(bundle, "bundle/"+name); err == nil {
			out[name] = newFile(name, b, bundleCache)
		}
	}
	return out
}

func newFile(name string, body []byte, cache string) *file {
	sum := sha256.Sum256(body)
	tag := base64.RawURLEncoding.EncodeToString(sum[:12])
	f := &file{body: body, etag: `"` + tag + `"`, ctype: contentType(name), cache: cache}
	var buf bytes.Buffer
	zw, _ := gzip.NewWriterLevel(&buf, gzip.BestCompression)
	zw.Write(body) //nolint:errcheck // a bytes.Buffer does not fail
	zw.Close()     //nolint:errcheck
	if buf.Len() < len(body) {
		f.gz, f.gzTag = buf.Bytes(), `"`+tag+`-gz"`
	}
	return f
}

func contentType(name string) string {
	switch path.Ext(name) {
	case ".html":
		return "text/html; charset=utf-8"
	case ".js":
		return "text/javascript; charset=utf-8"
	case ".css":
		return "text/css; charset=utf-8"
	case ".svg":
		return "image/svg+xml"
	case ".map":
		return "application/json"
	}
	return "application/octet-stream"
}

func (f *file) serve(w http.ResponseWriter, r *http.Request) {
	h := w.Header()
	setSecurityHeaders(h, r.Host)
	h.Set("Content-Type", f.ctype)
	h.Set("Cache-Control", f.cache)
	body, tag := f.body, f.etag
	if f.gz != nil {
		h.Set("Vary", "Accept-Encoding")
		if acceptsGzip(r.Header.Get("Accept-Encoding")) {
			body, tag = f.gz, f.gzTag
			h.Set("Content-Encoding", "gzip")
		}
	}
	h.Set("ETag", tag)
	// ServeContent answers If-None-Match with 304, and HEAD and ranges.
	http.ServeContent(w, r, "", time.Time{}, bytes.NewReader(body))
}

// acceptsGzip reads an Accept-Encoding header: gzip listed, and not with q=0.
func acceptsGzip(header string) bool {
	for _, part := range strings.Split(header, ",") {
		name, params, _ := strings.Cut(part, ";")
		if !strings.EqualFold(strings.TrimSpace(name), "gzip") {
			continue
		}
		q, found := strings.CutPrefix(strings.ReplaceAll(params, " ", ""), "q=")
		if !found {
			return true
		}
		v, err := strconv.ParseFloat(q, 64)
		return err != nil || v > 0
	}
	return false
}

// plainHost is a Host header fit to name in the policy: a name or address
// and a port, nothing that could end a directive.
var plainHost = regexp.MustCompile(`^[A-Za-z0-9.\-]+(:[0-9]+)?$|^\[[0-9A-Fa-f:.]+\](:[0-9]+)?$`)

// setSecurityHeaders: the page runs only its own files, talks only to its
// own server (its websocket named too, for browsers whose 'self' does not
// cover ws:), cannot be framed, and leaks no URL in a Referer.
func setSecurityHeaders(h http.Header, host string) {
	connect := "'self'"
	if plainHost.MatchString(host) {
		connect += " ws://" + host + " wss://" + host
	}
	h.Set("Content-Security-Policy", "default-src 'self'; script-src 'self'; style-src 'self'; img-src 'self'; "+
		"connect-src "+connect+"; object-src 'none'; base-uri 'none'; form-action 'self'; frame-ancestors 'none'")
	h.Set("X-Content-Type-Options", "nosniff")
	h.Set("Referrer-Policy", "no-referrer")
	h.Set("X-Frame-Options", "DENY")
}
