//go:build xbench

package app

// Benchmarks in a real window: Fyne's GLFW driver painting with OpenGL (Mesa
// under Xvfb), where bench_test.go's run on Fyne's headless test driver,
// which lays out and shapes text but paints nothing. `make bench` runs them:
//
//	xvfb-run -a -s '-screen 0 1280x1024x24' go test -tags xbench -run '^$' -bench '^BenchmarkReal' ./app/
//
// GLFW must run on the main thread, so TestMain runs the driver's loop
// there and the benchmarks in a goroutine. The tag keeps this TestMain out
// of the ordinary tests, which use the test driver.

import (
	"fmt"
	"image"
	"os"
	"os/exec"
	"path/filepath"
	"slices"
	"testing"
	"time"

	"fyne.io/fyne/v2"
	fyneapp "fyne.io/fyne/v2/app"
	"fyne.io/fyne/v2/canvas"
	"fyne.io/fyne/v2/container"
	"fyne.io/fyne/v2/widget"

	"confab/app/bridge"
	"confab/wire"
)

// realApp is the app on Fyne's desktop driver.
var realApp fyne.App

func TestMain(m *testing.M) {
	if os.Getenv("DISPLAY") == "" {
		fmt.Fprintln(os.Stderr, "the real-window benchmarks need an X display: run them under xvfb-run (make bench)")
		os.Exit(1)
	}
	home, err := os.MkdirTemp("", "xbench")
	if err != nil {
		fmt.Fprintln(os.Stderr, err)
		os.Exit(1)
	}
	os.Setenv("XDG_CONFIG_HOME", home) //nolint:errcheck // Fyne's preferences and storage, not the user's
	os.Setenv("XDG_DATA_HOME", home)   //nolint:errcheck
	realApp = fyneapp.NewWithID(ID + ".xbench")
	code := 1
	realApp.Lifecycle().SetOnStarted(func() {
		go func() {
			code = m.Run()
			fyne.Do(realApp.Quit)
		}()
	})
	realApp.Run()
	os.RemoveAll(home) //nolint:errcheck
	os.Exit(code)
}

// frames tells when a window has painted its next frame. Its marker is a
// 1×1 transparent raster drawn last in the window; a refreshed raster's
// texture is freed, so the painter calls its generator again while it
// paints the next frame (internal/driver/glfw/loop.go: repaintWindow →
// FreeDirtyTextures, paint, SwapBuffers). That frame holds every change
// made on the UI thread before the refresh.
type frames struct {
	marker  *canvas.Raster
	painted chan struct{}
}

// watchFrames puts the marker over the window's content.
func watchFrames(w fyne.Window) *frames {
	f := &frames{painted: make(chan struct{}, 1)}
	f.marker = canvas.NewRaster(func(w, h int) image.Image {
		select {
		case f.painted <- struct{}{}:
		default:
		}
		return image.NewNRGBA(image.Rect(0, 0, w, h))
	})
	f.marker.Resize(fyne.NewSquareSize(1))
	w.SetContent(container.NewStack(w.Content(), container.NewWithoutLayout(f.marker)))
	return f
}

// do runs act on the UI thread and returns how long it took (work) and how
// long until the frame showing its result was painted and swapped to the
// screen (shown). The driver paints at most 60 frames a second, on a
// ticker, so shown is at least about 16.7 ms when work and painting are
// quicker than a frame.
func (f *frames) do(b *testing.B, act func()) (work, shown time.Duration) {
	b.Helper()
	start := time.Now()
	bridge.DoAndWait(func() {
		select {
		case <-f.painted: // an earlier frame's
		default:
		}
		act()
		f.marker.Refresh()
	})
	work = time.Since(start)
	select {
	case <-f.painted:
	case <-time.After(time.Minute):
		b.Fatal("no frame was painted in a minute")
	}
	// Queued now, this runs after the frame's loop turn: after SwapBuffers.
	fyne.DoAndWait(func() {})
	return work, time.Since(start)
}

// times collects durations and reports their mean and median in ms.
type times []time.Duration

func (ts times) report(b *testing.B, unit string) {
	if len(ts) == 0 {
		return
	}
	var sum time.Duration
	for _, t := range ts {
		sum += t
	}
	s := slices.Clone(ts)
	slices.Sort(s)
	b.ReportMetric(ms(sum)/float64(len(ts)), "ms/"+unit)
	b.ReportMetric(ms(s[len(s)/2]), "median-ms/"+unit)
}

func ms(d time.Duration) float64 { return float64(d.Microseconds()) / 1000 }

// realChat is the chat window without a server, shown on the real driver.
func realChat(b *testing.B, rooms ...string) (*chatView, *frames) {
	var v *chatView
	var f *frames
	bridge.DoAndWait(func() {
		ui := New(realApp, NoLAN(), StorageDir(b.TempDir()))
		v = offlineChat(ui, fyne.NewSize(960, 640), rooms...)
		f = watchFrames(ui.win)
		ui.win.Show()
		ui.win.Canvas().Focus(v.composer)
	})
	b.Cleanup(func() { bridge.DoAndWait(func() { v.ui.win.SetCloseIntercept(nil); v.ui.win.Hide() }) })
	f.do(b, func() {}) // the first frame
	return v, f
}

// BenchmarkRealTypeInto4000 is BenchmarkTypeInto4000 in a real window: it
// types into a composer that holds 4,000 characters of prose and reports
// the time from each key until the frame showing it is on the screen
// (ms/key), and the composer's own share (key-work). "no-key" is a frame
// of the same window without a key: what painting alone costs.
func BenchmarkRealTypeInto4000(b *testing.B) {
	v, f := realChat(b)
	bridge.DoAndWait(func() { v.composer.SetText(prose(wire.MaxMessageRunes)) })
	b.Run("no-key", func(b *testing.B) { // a frame of the same window with nothing changed: the painting alone
		typeShown(b, f, func(rune) {})
	})
	b.Run("composer", func(b *testing.B) { typeShown(b, f, v.composer.TypedRune) })
	shot(b, "xbench-typing.png")
	b.Run("fyne-entry", func(b *testing.B) { // what the composer was before, for comparison
		var e *widget.Entry
		var ef *frames
		width := onUI(func() float32 { return v.composer.Size().Width })
		bridge.DoAndWait(func() {
			e = widget.NewMultiLineEntry()
			e.Wrapping = fyne.TextWrapWord
			w := realApp.NewWindow("entry")
			w.SetContent(container.NewBorder(nil, e, nil, nil, widget.NewLabel("")))
			w.Resize(fyne.NewSize(width, 640))
			ef = watchFrames(w)
			w.Show()
			w.Canvas().Focus(e)
			e.SetText(prose(wire.MaxMessageRunes))
			e.TypedKey(&fyne.KeyEvent{Name: fyne.KeyPageDown}) // to the end
			b.Cleanup(func() { bridge.DoAndWait(w.Close) })
		})
		ef.do(b, func() {})
		typeShown(b, ef, e.TypedRune)
	})
}

// typeShown types words, one key per iteration, each shown before the next.
func typeShown(b *testing.B, f *frames, typeRune func(rune)) {
	keys := []rune("and one more word ")
	var work, shown times
	for i := 0; b.Loop(); i++ {
		w, s := f.do(b, func() { typeRune(keys[i%len(keys)]) })
		work, shown = append(work, w), append(shown, s)
	}
	shown.report(b, "key")
	work.report(b, "key-work")
}

// BenchmarkRealShow10kMessages is BenchmarkShow10kMessages in a real window:
// the time from switching to a room of 10,000 messages never shown before
// until the frame showing the room is on the screen (ms/switch), and the
// switch's own share (switch-work).
func BenchmarkRealShow10kMessages(b *testing.B) {
	const big = "big"
	msgs := tenThousand(big)
	v, f := realChat(b, big)
	var work, shown times
	for b.Loop() {
		b.StopTimer()
		f.do(b, func() { leaveAndRefill(v, big, msgs) })
		b.StartTimer()
		w, s := f.do(b, func() { v.switchRoom(big) })
		work, shown = append(work, w), append(shown, s)
	}
	b.StopTimer()
	if n := onUI(func() int { return len(v.msgList.shown) }); n == 0 {
		b.Fatal("the room's rows were not shown")
	}
	shown.report(b, "switch")
	work.report(b, "switch-work")
	shot(b, "xbench-10k.png")
}

// shot saves the screen as X shows it (ImageMagick's import) in the
// directory $XBENCH_SHOTS, if set, to look at.
func shot(b *testing.B, name string) {
	dir := os.Getenv("XBENCH_SHOTS")
	if dir == "" {
		return
	}
	if out, err := exec.Command("import", "-window", "root", filepath.Join(dir, name)).CombinedOutput(); err != nil {
		b.Fatalf("import: %v\n%s", err, out)
	}
}
