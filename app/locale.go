package app

// Fyne reads the locale in its own init; this sets a language first when
// the locale names none (LANG=C.UTF-8), so Fyne does not log an error.
import _ "confab/app/locale"
