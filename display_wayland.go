//go:build wayland

package main

// displayVar names the display GLFW's Wayland backend opens.
const displayVar = "WAYLAND_DISPLAY"
