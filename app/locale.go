package app

// Fyne reads the locale in its own init; this sets a language first when
// the locale names none Fyne can parse (LANG=C.UTF-8), so Fyne logs no error.
import _ "confab/app/locale"
