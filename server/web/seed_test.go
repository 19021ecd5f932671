package web_test

import (
	"context"
	"log/slog"
	"net/http"
	"net/http/httptest"
	"os"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"github.com/chromedp/chromedp"

	"confab/internal/testchat"
	"confab/internal/testserver"
	"confab/server"
	"confab/wire"
)

// jquery is the pinned jQuery of interop's packages (npm ci installs it),
// for the seed page: the seeds' pages load jQuery themselves.
var jquery = filepath.Join("..", "..", "interop", "node_modules", "jquery", "dist", "jquery.min.js")

// The seeds' browser page, unchanged in its flow: a static page from a
// directory of its own (testdata/seed), served on the same origin as the
// real server handler (one listener: /seed/ is the page, everything else is
// Confab), loads /socket.io/socket.io.js from Confab, posts its login form
// with jQuery and connects with io.connect(”, {query: 'token=' + token});
// then it chats with a Go client.
func TestSeedPage(t *testing.T) {
	if _, err := os.Stat(jquery); err != nil {
		if os.Getenv(requireEnv) != "" {
			t.Fatalf("jQuery is not installed in interop/node_modules (run `make test`, which runs npm ci): %v", err)
		}
		t.Skipf("jQuery is not installed in interop/node_modules; `make test` runs npm ci: %v", err)
	}
	b := newTab(t, 1280, 800)

	srv, err := server.New(server.Config{DataDir: t.TempDir(), Secret: testserver.Secret, Logger: slog.New(slog.DiscardHandler)})
	if err != nil {
		t.Fatal(err)
	}
	mux := http.NewServeMux()
	mux.Handle("/", srv)
	mux.Handle("/seed/", http.StripPrefix("/seed/", http.FileServer(http.Dir(filepath.Join("testdata", "seed")))))
	mux.HandleFunc("/seed/jquery.min.js", func(w http.ResponseWriter, r *http.Request) { http.ServeFile(w, r, jquery) })
	ts := httptest.NewServer(mux)
	t.Cleanup(func() {
		ctx, cancel := context.WithTimeout(context.Background(), 5*time.Second)
		defer cancel()
		srv.Shutdown(ctx) //nolint:errcheck // the test is over
		ts.Close()
		srv.Close()
	})
	gopher := testchat.Join(t, ts.URL, "gopher", "password-gopher")
	resp, err := http.Post(ts.URL+wire.PathRegister, "application/json", strings.NewReader(testserver.JSON("seedling", "password-seedling")))
	if err != nil {
		t.Fatal(err)
	}
	resp.Body.Close()
	if resp.StatusCode != http.StatusCreated {
		t.Fatalf("register: %d", resp.StatusCode)
	}

	b.do(chromedp.Navigate(ts.URL + "/seed/"))
	b.wait("the seed page", `typeof io === 'function' && typeof $ === 'function'`)
	b.typeInto("#username", "seedling")
	b.typeInto("#password", "password-seedling")
	b.do(chromedp.Click(chromedp.CSS("#login button")))
	b.wait("the seed page connected", `document.getElementById('state').textContent === 'authenticated'`)

	b.typeInto("#text", "hello from the seed page")
	b.do(chromedp.Click(chromedp.CSS("#say button")))
	receive(t, gopher.Texts, "hello from the seed page")
	b.wait("the ack", `document.getElementById('state').textContent.startsWith('sent ')`)
	if _, err := gopher.Chat.Send(wire.DefaultRoom, "hello, seed"); err != nil {
		t.Fatal(err)
	}
	b.wait("the Go client's message", `[...document.querySelectorAll('#log li')].some(li => li.textContent === 'gopher: hello, seed')`)
}
