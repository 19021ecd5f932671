package app

import (
	"log/slog"
	"os"

	"golang.org/x/sys/windows/registry"

	"confab/wire"
)

// registerURLScheme makes confab:// links open this program, for this
// user (HKCU, no administrator needed). It writes only when the link
// handler is missing or is another program (Confab.exe moved).
func registerURLScheme() {
	exe, err := os.Executable()
	if err != nil {
		slog.Warn("cannot register confab:// links", "err", err)
		return
	}
	if err := registerScheme(exe); err != nil {
		slog.Warn("cannot register confab:// links", "err", err)
	}
}

func registerScheme(exe string) error {
	root := `Software\Classes\` + wire.InviteScheme
	command := `"` + exe + `" "%1"`
	if k, err := registry.OpenKey(registry.CURRENT_USER, root+`\shell\open\command`, registry.QUERY_VALUE); err == nil {
		cur, _, err := k.GetStringValue("")
		k.Close()
		if err == nil && cur == command {
			return nil // registered, for this program
		}
	}
	values := []struct{ key, name, value string }{
		{root, "", "URL:Confab invitation"},
		{root, "URL Protocol", ""},
		{root + `\DefaultIcon`, "", `"` + exe + `",0`},
		{root + `\shell\open\command`, "", command},
	}
	for _, v := range values {
		k, _, err := registry.CreateKey(registry.CURRENT_USER, v.key, registry.SET_VALUE)
		if err != nil {
			return err
		}
		err = k.SetStringValue(v.name, v.value)
		k.Close()
		if err != nil {
			return err
		}
	}
	return nil
}
