//go:build linux || freebsd || openbsd || netbsd

package notify

import (
	"context"
	"errors"
	"fmt"
	"os"
	"path/filepath"
	"strings"
	"time"

	"github.com/godbus/dbus/v5"
)

// The freedesktop notification service on the session bus
// (specifications.freedesktop.org/notification-spec), spoken directly:
// replaces_id, expire_timeout, actions and hints are what Fyne's
// SendNotification leaves out.
const (
	busName       = "org.freedesktop.Notifications"
	busPath       = dbus.ObjectPath("/org/freedesktop/Notifications")
	busIface      = "org.freedesktop.Notifications"
	urgencyNormal = byte(1) // not critical: critical notifications never expire
)

type dbusService struct {
	cfg     *Config
	n       *Notifier
	conn    *dbus.Conn
	caps    map[string]bool
	retryAt time.Time // while the service is missing, no try before this
}

func newService(cfg *Config, n *Notifier) service { return &dbusService{cfg: cfg, n: n} }

// ready connects to the service, or says it is missing (at once, until
// the retry time).
func (s *dbusService) ready(ctx context.Context) error {
	if s.conn != nil {
		return nil
	}
	if time.Now().Before(s.retryAt) {
		return errUnavailable
	}
	if err := s.connect(ctx); err != nil {
		if errors.Is(err, context.DeadlineExceeded) {
			return err // there, but hung: tried again after a pause
		}
		s.retryAt = time.Now().Add(s.cfg.Retry)
		return fmt.Errorf("%w: %v", errUnavailable, err)
	}
	return nil
}

func (s *dbusService) connect(ctx context.Context) error {
	addr := sessionBus(s.cfg.Address)
	if addr == "" {
		return errors.New("no session bus")
	}
	conn, err := dbus.Connect(addr, dbus.WithContext(context.Background()))
	if err != nil {
		return err
	}
	if !hasService(ctx, conn) {
		conn.Close()
		return errors.New("nobody serves " + busName)
	}
	var caps []string
	if err := conn.Object(busName, busPath).CallWithContext(ctx, busIface+".GetCapabilities", 0).Store(&caps); err != nil {
		conn.Close()
		return err
	}
	s.caps = map[string]bool{}
	for _, c := range caps {
		s.caps[c] = true
	}
	if err := conn.AddMatchSignalContext(ctx, dbus.WithMatchObjectPath(busPath), dbus.WithMatchInterface(busIface)); err != nil {
		conn.Close()
		return err
	}
	signals := make(chan *dbus.Signal, 64)
	conn.Signal(signals)
	go s.watch(signals)
	s.conn = conn
	return nil
}

// sessionBus is the session bus's address: the configured one, the
// environment's, or the usual socket of a systemd user session. Never
// dbus-launch's autolaunch: that would start a bus of our own.
func sessionBus(configured string) string {
	if configured != "" {
		return configured
	}
	if a := os.Getenv("DBUS_SESSION_BUS_ADDRESS"); a != "" && a != "autolaunch:" {
		return a
	}
	if dir := os.Getenv("XDG_RUNTIME_DIR"); dir != "" {
		p := filepath.Join(dir, "bus")
		if _, err := os.Stat(p); err == nil {
			return "unix:path=" + p
		}
	}
	return ""
}

// hasService: a running server owns the name, or the bus can start one.
func hasService(ctx context.Context, conn *dbus.Conn) bool {
	var owned bool
	if conn.BusObject().CallWithContext(ctx, "org.freedesktop.DBus.NameHasOwner", 0, busName).Store(&owned) == nil && owned {
		return true
	}
	var names []string
	if conn.BusObject().CallWithContext(ctx, "org.freedesktop.DBus.ListActivatableNames", 0).Store(&names) != nil {
		return false
	}
	for _, n := range names {
		if n == busName {
			return true
		}
	}
	return false
}

// watch turns the service's signals into clicks and closings.
func (s *dbusService) watch(signals <-chan *dbus.Signal) {
	for sig := range signals {
		switch {
		case sig.Name == busIface+".ActionInvoked" && len(sig.Body) >= 2:
			id, _ := sig.Body[0].(uint32)
			if action, _ := sig.Body[1].(string); action == "default" {
				s.n.clicked(id)
			}
		case sig.Name == busIface+".NotificationClosed" && len(sig.Body) >= 1:
			id, _ := sig.Body[0].(uint32)
			s.n.closed(id)
		}
	}
}

func (s *dbusService) send(ctx context.Context, n note) (uint32, error) {
	if err := s.ready(ctx); err != nil {
		return 0, err
	}
	body := n.Body
	if s.caps["body-markup"] {
		body = escapeMarkup(body)
	}
	summary := n.Summary
	if !s.caps["body"] && body != "" { // a server that shows summaries only
		summary += ": " + n.Body
		body = ""
	}
	var actions []string
	if s.caps["actions"] {
		actions = []string{"default", "Open"}
	}
	hints := map[string]dbus.Variant{
		"urgency":  dbus.MakeVariant(urgencyNormal),
		"category": dbus.MakeVariant("im.received"),
	}
	if s.cfg.AppID != "" {
		hints["desktop-entry"] = dbus.MakeVariant(s.cfg.AppID)
	}
	var id uint32
	err := s.conn.Object(busName, busPath).CallWithContext(ctx, busIface+".Notify", 0,
		s.cfg.AppName, n.Replaces, "", summary, body, actions, hints, int32(s.cfg.Expire/time.Millisecond)).Store(&id)
	return id, s.failed(err)
}

func (s *dbusService) close(ctx context.Context, id uint32) error {
	if err := s.ready(ctx); err != nil {
		return err
	}
	return s.failed(s.conn.Object(busName, busPath).CallWithContext(ctx, busIface+".CloseNotification", 0, id).Err)
}

// failed drops the connection when the bus or the service is gone, so
// that the next call finds out afresh (after the retry time).
func (s *dbusService) failed(err error) error {
	if err == nil || errors.Is(err, context.DeadlineExceeded) {
		return err
	}
	var e dbus.Error
	gone := !s.conn.Connected() || errors.As(err, &e) && (strings.HasSuffix(e.Name, ".ServiceUnknown") || strings.HasSuffix(e.Name, ".NameHasNoOwner"))
	if !gone {
		return err
	}
	s.shutdown()
	s.retryAt = time.Now().Add(s.cfg.Retry)
	return fmt.Errorf("%w: %v", errUnavailable, err)
}

func (s *dbusService) shutdown() {
	if s.conn != nil {
		s.conn.Close()
		s.conn = nil
	}
}
