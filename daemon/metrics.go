package daemon

import (
	"context"
	"errors"
	"log/slog"
	"net/http"
	"time"
)

// serveMetrics serves the Prometheus endpoint on an address of its own
// (--metrics-addr): nothing there is behind a sign-in, so it is kept off
// the chat's address. The returned func stops it.
func serveMetrics(addr string, h http.Handler, log *slog.Logger) (stop func()) {
	mux := http.NewServeMux()
	mux.Handle("GET /metrics", h)
	srv := &http.Server{Addr: addr, Handler: mux, ReadHeaderTimeout: 10 * time.Second}
	log.Info("metrics endpoint on", "addr", addr, "path", "/metrics")
	go func() {
		if err := srv.ListenAndServe(); !errors.Is(err, http.ErrServerClosed) {
			log.Warn("metrics endpoint stopped", "addr", addr, "err", err)
		}
	}()
	return func() {
		ctx, cancel := context.WithTimeout(context.Background(), time.Second)
		defer cancel()
		srv.Shutdown(ctx) //nolint:errcheck // stopping anyway
	}
}
