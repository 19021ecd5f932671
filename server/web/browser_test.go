package web_test

import (
	"context"
	"encoding/json"
	"fmt"
	"os"
	"os/exec"
	"path/filepath"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/chromedp/cdproto/cdp"
	"github.com/chromedp/cdproto/emulation"
	"github.com/chromedp/cdproto/input"
	"github.com/chromedp/chromedp"
)

// The browser tests drive Debian's chromium, headless, through chromedp.
// One browser serves them all (starting one is slow on a loaded machine);
// each test has its own tab.

var shared struct {
	once   sync.Once
	ctx    context.Context
	cancel context.CancelFunc
	err    error
}

func TestMain(m *testing.M) {
	code := m.Run()
	if shared.cancel != nil {
		shared.cancel()
	}
	os.Exit(code)
}

func chromiumPath() string {
	for _, name := range []string{"chromium", "chromium-browser"} {
		if p, err := exec.LookPath(name); err == nil {
			return p
		}
	}
	return ""
}

// browserStart bounds chromium's start; pollTimeout bounds each wait for
// the page (the machine is loaded: generous, yet a hang fails in minutes).
const (
	browserStart = 2 * time.Minute
	pollTimeout  = 60 * time.Second
)

func sharedBrowser(t *testing.T) context.Context {
	t.Helper()
	requireBundle(t)
	path := chromiumPath()
	if path == "" {
		if os.Getenv(requireEnv) != "" {
			t.Fatal("chromium is not installed (run `make test`, which installs it)")
		}
		t.Skip("chromium is not installed; `make test` installs it")
	}
	shared.once.Do(func() {
		opts := append(chromedp.DefaultExecAllocatorOptions[:], chromedp.ExecPath(path),
			chromedp.NoSandbox, chromedp.DisableGPU, chromedp.Flag("disable-dev-shm-usage", true),
			// The HTTPS test's server has a self-signed certificate, as a
			// host's has; a person accepts it once, the test for good.
			chromedp.IgnoreCertErrors)
		actx, acancel := chromedp.NewExecAllocator(context.Background(), opts...)
		bctx, bcancel := chromedp.NewContext(actx)
		shared.ctx, shared.cancel = bctx, func() { bcancel(); acancel() }
		started := make(chan struct{})
		go func() {
			select {
			case <-started:
			case <-time.After(browserStart):
				bcancel()
			}
		}()
		shared.err = chromedp.Do(bctx) // starts the browser; its context must not time out
		close(started)
	})
	if shared.err != nil {
		t.Fatalf("start chromium: %v", shared.err)
	}
	return shared.ctx
}

// tab is one page in the shared browser. Uncaught exceptions and
// Content-Security-Policy refusals in it fail the test.
type tab struct {
	t   *testing.T
	ctx context.Context

	mu       sync.Mutex
	console  []string
	problems []string
}

func newTab(t *testing.T, width, height int64) *tab {
	t.Helper()
	ctx, cancel := chromedp.NewContext(sharedBrowser(t))
	t.Cleanup(cancel)
	b := &tab{t: t, ctx: ctx}
	messages := chromedp.Console(ctx) // opens the tab (no timeout on this first call)
	go func() {
		for m, err := range messages {
			if err != nil {
				return
			}
			b.mu.Lock()
			b.console = append(b.console, m.String())
			if m.IsException() || strings.Contains(m.Text, "Content Security Policy") {
				b.problems = append(b.problems, m.String())
			}
			b.mu.Unlock()
		}
	}()
	t.Cleanup(func() {
		b.mu.Lock()
		defer b.mu.Unlock()
		for _, p := range b.problems {
			t.Errorf("in the page: %s", p)
		}
		if t.Failed() {
			t.Logf("the page's console:\n  %s", strings.Join(b.console, "\n  "))
		}
	})
	b.do(chromedp.EmulateViewport(width, height))
	return b
}

func (b *tab) do(steps ...chromedp.Action[chromedp.Void]) {
	b.t.Helper()
	ctx, cancel := context.WithTimeout(b.ctx, pollTimeout)
	defer cancel()
	if err := chromedp.Do(ctx, steps...); err != nil {
		b.t.Fatalf("browser: %v", err)
	}
}

// wait waits until the JavaScript expression is true.
func (b *tab) wait(what, expr string) {
	b.t.Helper()
	ctx, cancel := context.WithTimeout(b.ctx, pollTimeout+5*time.Second)
	defer cancel()
	if _, err := chromedp.Run(ctx, chromedp.Poll[bool](expr, chromedp.WithPollingTimeout(pollTimeout))); err != nil {
		b.t.Fatalf("waiting for %s (%s): %v\nthe page says: %s", what, expr, err, b.eval(`document.body.innerText`))
	}
}

// eval returns the expression's value as JSON.
func (b *tab) eval(expr string) string {
	b.t.Helper()
	ctx, cancel := context.WithTimeout(b.ctx, pollTimeout)
	defer cancel()
	v, err := chromedp.Run(ctx, chromedp.Evaluate[any](expr))
	if err != nil {
		return "(" + err.Error() + ")"
	}
	out, _ := json.Marshal(v)
	return string(out)
}

// screenshot saves the page at the given size in test-artifacts/.
func (b *tab) screenshot(name string, width, height int64) {
	b.t.Helper()
	b.do(chromedp.EmulateViewport(width, height))
	ctx, cancel := context.WithTimeout(b.ctx, pollTimeout)
	defer cancel()
	png, err := chromedp.Run(ctx, chromedp.CaptureScreenshot())
	if err != nil {
		b.t.Fatalf("screenshot: %v", err)
	}
	dir := filepath.Join("..", "..", "test-artifacts")
	if err := os.MkdirAll(dir, 0o755); err != nil {
		b.t.Fatal(err)
	}
	if err := os.WriteFile(filepath.Join(dir, name), png, 0o644); err != nil {
		b.t.Fatal(err)
	}
}

// typeInto replaces a field's text by typing, as a person does.
func (b *tab) typeInto(sel, text string) {
	b.t.Helper()
	b.eval(`document.querySelector(` + js(sel) + `).value = ''`)
	b.do(chromedp.SendKeys(chromedp.CSS(sel), text))
}

// js quotes a Go string for a JavaScript expression.
func js(s string) string {
	out, _ := json.Marshal(s)
	return string(out)
}

// shownTexts is the texts of the shown room's messages, as an expression.
const shownTexts = `[...document.querySelectorAll('#timelines section:not([hidden]) .messages .text')].map(e => e.textContent)`

func (b *tab) waitShown(text string) {
	b.t.Helper()
	b.wait(fmt.Sprintf("%q shown", text), shownTexts+`.includes(`+js(text)+`)`)
}

// send types a message and presses Enter.
func (b *tab) send(text string) {
	b.t.Helper()
	b.do(chromedp.SendKeys(chromedp.CSS("#text"), text), pressEnter)
}

// pressEnter is Enter as a keyboard sends it: a keyDown that carries the
// text, so a page that prevents its default gets no newline. (chromedp's
// kb.Enter adds a char event of its own, which types one regardless.)
var pressEnter = chromedp.Func(func(ctx context.Context, t *chromedp.Target) error {
	down := input.DispatchKeyEventParams{Type: input.DispatchKeyEventTypeKeyDown, Key: "Enter", Code: "Enter",
		WindowsVirtualKeyCode: 13, NativeVirtualKeyCode: 13, Text: "\r", UnmodifiedText: "\r"}
	up := down
	up.Type, up.Text, up.UnmodifiedText = input.DispatchKeyEventTypeKeyUp, "", ""
	for _, k := range []input.DispatchKeyEventParams{down, up} {
		if _, err := cdp.Call(ctx, t, input.DispatchKeyEvent, k); err != nil {
			return err
		}
	}
	return nil
})

// receive waits until a Go client's live messages include text.
func receive(t *testing.T, texts <-chan string, text string) {
	t.Helper()
	timeout := time.After(pollTimeout)
	for {
		select {
		case got := <-texts:
			if got == text {
				return
			}
		case <-timeout:
			t.Fatalf("the Go client did not receive %q", text)
		}
	}
}

// axeCore is the pinned axe-core of interop's packages (npm ci installs
// it): the accessibility rules (WCAG 2.1 A and AA) the page is checked by.
var axeCore = filepath.Join("..", "..", "interop", "node_modules", "axe-core", "axe.min.js")

// checkAccessible runs axe-core in the page as it is and fails the test for
// each rule it breaks.
func (b *tab) checkAccessible(what string) {
	b.t.Helper()
	src, err := os.ReadFile(axeCore)
	if err != nil {
		if os.Getenv(requireEnv) != "" {
			b.t.Fatalf("axe-core is not installed in interop/node_modules (run `make test`, which runs npm ci): %v", err)
		}
		b.t.Logf("axe-core is not installed in interop/node_modules; `make test` runs npm ci: %v", err)
		return
	}
	ctx, cancel := context.WithTimeout(b.ctx, pollTimeout)
	defer cancel()
	// DevTools' evaluation is not the page's script: the policy does not apply to it.
	if _, err := chromedp.Run(ctx, chromedp.Evaluate[any](string(src)+";0")); err != nil {
		b.t.Fatalf("load axe-core: %v", err)
	}
	const run = `axe.run(document, {runOnly: {type: 'tag', values: ['wcag2a', 'wcag2aa', 'wcag21a', 'wcag21aa']}})
		.then(r => r.violations.map(v => v.id + ' (' + v.impact + '): ' + v.help + ' at ' + v.nodes.map(n => n.target.join(' ')).join(', ')))`
	found, err := chromedp.Run(ctx, chromedp.Evaluate[[]string](run, chromedp.EvalAwaitPromise))
	if err != nil {
		b.t.Fatalf("run axe-core: %v", err)
	}
	for _, v := range found {
		b.t.Errorf("%s breaks an accessibility rule: %s", what, v)
	}
}

// colorScheme makes the page's prefers-color-scheme "dark" or "light".
func (b *tab) colorScheme(scheme string) {
	b.t.Helper()
	b.do(chromedp.Func(func(ctx context.Context, t *chromedp.Target) error {
		_, err := cdp.Call(ctx, t, emulation.SetEmulatedMedia, emulation.SetEmulatedMediaParams{
			Features: []*emulation.MediaFeature{{Name: "prefers-color-scheme", Value: scheme}}})
		return err
	}))
}
