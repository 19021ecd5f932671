//go:build !wayland

package main

// displayVar names the display GLFW's X11 backend opens.
const displayVar = "DISPLAY"
