package app

import (
	"context"
	"log/slog"
	"os"
	"strconv"

	"confab/host"
)

// DefaultPort is where a hosted chat listens unless the user picks another.
const DefaultPort = 7878

// startHost serves the chat on every interface, over HTTPS with the
// certificate kept in dataDir. With allowOthers false only this computer
// can create accounts. With announceAs set, the chat is announced on the
// LAN under that name.
func startHost(dataDir string, port int, allowOthers bool, announceAs string) (*host.Host, error) {
	return host.Start(host.Config{
		Server: host.ServerConfig{
			DataDir:         dataDir,
			LocalSignupOnly: !allowOthers,
			Logger:          slog.New(slog.NewTextHandler(os.Stderr, &slog.HandlerOptions{Level: slog.LevelWarn})),
		},
		Addr:     ":" + strconv.Itoa(port),
		CertDir:  dataDir,
		Announce: announceAs,
	})
}

// hasAccount says whether the hosted chat has an account of this name; an
// error counts as yes (no hint rather than a wrong one).
func hasAccount(h *host.Host, user string) bool {
	ctx, cancel := context.WithTimeout(context.Background(), callTimeout)
	defer cancel()
	ok, err := h.Server().HasUser(ctx, user)
	if err != nil {
		slog.Warn("looking up an account of the hosted chat", "err", err)
	}
	return ok || err != nil
}
