//go:build !ci && !android && !ios && !mobile && !wasm && !js && !test_web_driver

package app

import (
	"fyne.io/fyne/v2"
	"fyne.io/fyne/v2/driver"
	"github.com/go-gl/glfw/v3.3/glfw"
)

// screenArea is the primary monitor's work area (the screen less panels
// and docks, as the desktop says) in pixels. Only a window of Fyne's GLFW
// driver knows it; RunNative runs on the main thread, where GLFW may be
// asked.
func screenArea(win fyne.Window) (w, h int, ok bool) {
	nw, isNative := win.(driver.NativeWindow)
	if !isNative {
		return 0, 0, false
	}
	nw.RunNative(func(ctx any) {
		switch ctx.(type) {
		case driver.X11WindowContext, driver.WaylandWindowContext, driver.WindowsWindowContext, driver.MacWindowContext:
			if m := glfw.GetPrimaryMonitor(); m != nil {
				_, _, w, h = m.GetWorkarea()
				ok = w > 0 && h > 0
			}
		}
	})
	return w, h, ok
}
