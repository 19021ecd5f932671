//go:build !(linux || freebsd || openbsd || netbsd)

package notify

import (
	"context"

	"fyne.io/fyne/v2"
)

// Windows and macOS: Fyne sends the notification (a toast, the
// notification centre), off the UI thread like every call here. These
// have no replacing or expiry to ask for: each notification tells the
// room's count so far, and clicks are not reported.
type fyneService struct{ app fyne.App }

func newService(cfg *Config, _ *Notifier) service { return fyneService{app: cfg.App} }

func (s fyneService) send(ctx context.Context, n note) (uint32, error) {
	if s.app == nil {
		return 0, errUnavailable
	}
	done := make(chan struct{})
	go func() {
		defer close(done)
		s.app.SendNotification(fyne.NewNotification(n.Summary, n.Body))
	}()
	select {
	case <-done:
		return 0, nil
	case <-ctx.Done():
		return 0, ctx.Err()
	}
}

func (fyneService) close(context.Context, uint32) error { return nil }

func (fyneService) shutdown() {}
