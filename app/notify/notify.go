// Package notify shows desktop notifications for new chat messages without
// ever blocking its caller. Post only records a message; one sender
// goroutine talks to the platform's notification service, each call with a
// timeout. A room's messages merge into one notification that counts them
// and replaces the room's last one, so a slow or hung service costs stale
// popups, never a frozen window, and the work waiting is bounded by the
// number of rooms. A missing service is logged once and tried again rarely.
package notify

import (
	"context"
	"errors"
	"log/slog"
	"sync"
	"time"

	"fyne.io/fyne/v2"
)

// DefaultTimeout is the longest a call to the notification service takes.
const DefaultTimeout = 2 * time.Second

// Config is what a Notifier needs; zero values take the defaults.
type Config struct {
	AppName string   // shown by the notification server
	AppID   string   // the desktop entry's name (without .desktop), for the server
	Address string   // the D-Bus address; "" is the session bus of the environment
	App     fyne.App // where there is no D-Bus: Fyne sends the notification
	Log     *slog.Logger

	Expire  time.Duration // how long a notification stays on screen
	Timeout time.Duration // the longest one call to the service may take
	Retry   time.Duration // how long a missing service is left alone
}

func (c *Config) defaults() {
	if c.AppName == "" {
		c.AppName = "Confab"
	}
	if c.Log == nil {
		c.Log = slog.Default()
	}
	if c.Expire <= 0 {
		c.Expire = 6 * time.Second
	}
	if c.Timeout <= 0 {
		c.Timeout = DefaultTimeout
	}
	if c.Retry <= 0 {
		c.Retry = 5 * time.Minute
	}
}

// Message is one new message from someone else.
type Message struct {
	Room, Sender, Text string
	Mention            bool // it names the user (@name): it notifies whatever Show says
	// Place names the room in the summary ("a direct message", a group's
	// name); empty: "#" and the room's name.
	Place string
}

// note is one notification as the service is asked to show it.
type note struct {
	Summary, Body string // plain text; the service escapes what it must
	Replaces      uint32 // the room's shown notification, 0 for none
	Mention       bool
}

// service is the platform's notification service. Calls come from the
// sender goroutine only, one at a time.
type service interface {
	send(ctx context.Context, n note) (uint32, error)
	close(ctx context.Context, id uint32) error
	shutdown()
}

// errUnavailable: there is no notification service to talk to (no bus, or
// nobody owns the name). The service answers it at once until it retries.
var errUnavailable = errors.New("no notification service")

// room is what a room's notification shows, and what is left to do for it.
type room struct {
	count   int    // messages since the user last saw the room
	sender  string // the latest message's
	text    string
	mention bool
	place   string // Message.Place
	id      uint32 // the notification on screen (as far as we know), 0 for none
	send    bool   // count changed: (re)send the notification
	close   bool   // the user saw the room: close its notification
}

// Notifier sends notifications for new messages, one per room.
type Notifier struct {
	cfg     Config
	svc     service
	wake    chan struct{} // one pending wake-up for the sender
	quit    chan struct{}
	closing sync.Once

	mu      sync.Mutex
	show    Show
	rooms   map[string]*room
	queue   []string // rooms with work, in order
	onClick func(room string)
	failing string // the kind of failure last logged ("" while it works)
	calls   int    // calls to the service done (tests)
	busy    bool   // a call is under way (tests)
}

// New starts a Notifier; Close stops it.
func New(cfg Config) *Notifier {
	cfg.defaults()
	n := newWith(cfg, nil)
	n.svc = newService(&n.cfg, n)
	go n.run()
	return n
}

func newWith(cfg Config, svc service) *Notifier {
	return &Notifier{cfg: cfg, svc: svc, wake: make(chan struct{}, 1), quit: make(chan struct{}),
		rooms: map[string]*room{}}
}

// SetShow sets what notifications tell.
func (n *Notifier) SetShow(s Show) {
	n.mu.Lock()
	defer n.mu.Unlock()
	n.show = s
}

// OnClick sets what a click on a room's notification does. It runs on the
// service's goroutine, not the UI thread.
func (n *Notifier) OnClick(f func(room string)) {
	n.mu.Lock()
	defer n.mu.Unlock()
	n.onClick = f
}

// Post notifies m. It never blocks on the service.
func (n *Notifier) Post(m Message) {
	n.mu.Lock()
	defer n.mu.Unlock()
	if n.show == ShowNothing && !m.Mention {
		return
	}
	r := n.room(m.Room)
	r.count++
	r.sender, r.text, r.place = m.Sender, m.Text, m.Place
	r.mention = r.mention || m.Mention
	r.send, r.close = true, false
	n.enqueue(m.Room)
}

// Seen says the user has seen the room: its count starts again and its
// notification is closed.
func (n *Notifier) Seen(name string) {
	n.mu.Lock()
	defer n.mu.Unlock()
	r, ok := n.rooms[name]
	if !ok || (r.count == 0 && r.id == 0) {
		return
	}
	r.count, r.mention, r.send = 0, false, false
	if r.id != 0 {
		r.close = true
		n.enqueue(name)
	}
}

// Pending is how many rooms wait for the service, counting the one in a
// call (tests wait for 0).
func (n *Notifier) Pending() int {
	n.mu.Lock()
	defer n.mu.Unlock()
	p := len(n.queue) + len(n.wake)
	if n.busy {
		p++
	}
	return p
}

// SeenAll forgets every room (signing out: another chat's rooms may have
// the same names).
func (n *Notifier) SeenAll() {
	n.mu.Lock()
	names := make([]string, 0, len(n.rooms))
	for name := range n.rooms {
		names = append(names, name)
	}
	n.mu.Unlock()
	for _, name := range names {
		n.Seen(name)
	}
}

// Close stops the sender without waiting for it (it may be in a call);
// notifications on screen stay until they expire.
func (n *Notifier) Close() { n.closing.Do(func() { close(n.quit) }) }

func (n *Notifier) room(name string) *room {
	r, ok := n.rooms[name]
	if !ok {
		r = &room{}
		n.rooms[name] = r
	}
	return r
}

// enqueue wakes the sender for the room (n.mu held).
func (n *Notifier) enqueue(name string) {
	for _, q := range n.queue {
		if q == name {
			return
		}
	}
	n.queue = append(n.queue, name)
	select {
	case n.wake <- struct{}{}:
	default:
	}
}

// run is the sender goroutine.
func (n *Notifier) run() {
	defer n.svc.shutdown()
	for {
		select {
		case <-n.wake:
		case <-n.quit:
			return
		}
		for n.step() {
			select {
			case <-n.quit:
				return
			default:
			}
		}
	}
}

// step does the work of the first room in the queue; false when there was none.
func (n *Notifier) step() bool {
	n.mu.Lock()
	if len(n.queue) == 0 {
		n.mu.Unlock()
		return false
	}
	name := n.queue[0]
	n.queue = n.queue[1:]
	r := n.rooms[name]
	closeID := uint32(0)
	if r.close {
		closeID, r.id, r.close = r.id, 0, false
	}
	var nt note
	send := r.send
	if send {
		nt = format(name, r, n.show)
		r.send = false
	}
	n.busy = true
	n.mu.Unlock()
	defer func() {
		n.mu.Lock()
		n.calls++
		n.busy = false
		n.mu.Unlock()
	}()

	ctx, cancel := context.WithTimeout(context.Background(), n.cfg.Timeout)
	defer cancel()
	if closeID != 0 {
		n.report(n.svc.close(ctx, closeID))
		return true
	}
	if !send {
		return true
	}
	id, err := n.svc.send(ctx, nt)
	n.report(err)
	n.mu.Lock()
	if err == nil && id != 0 {
		r.id = id
		if r.count == 0 { // seen while it was being sent
			r.close = true
			n.enqueue(name)
		}
	}
	n.mu.Unlock()
	if errors.Is(err, context.DeadlineExceeded) {
		n.pause() // a hung service: let messages merge before trying again
	}
	return true
}

// pause waits one timeout (or until Close).
func (n *Notifier) pause() {
	t := time.NewTimer(n.cfg.Timeout)
	defer t.Stop()
	select {
	case <-t.C:
	case <-n.quit:
	}
}

// report logs a failure once, until things work again.
func (n *Notifier) report(err error) {
	kind := ""
	switch {
	case err == nil:
	case errors.Is(err, errUnavailable):
		kind = "missing"
	case errors.Is(err, context.DeadlineExceeded):
		kind = "hung"
	default:
		kind = "failed"
	}
	n.mu.Lock()
	was := n.failing
	n.failing = kind
	n.mu.Unlock()
	switch {
	case kind == was:
	case kind == "":
		n.cfg.Log.Info("desktop notifications work again")
	case kind == "missing":
		n.cfg.Log.Info("desktop notifications are off: there is no notification service", "why", err)
	case kind == "hung":
		n.cfg.Log.Warn("the notification service does not answer; notifications wait and merge", "timeout", n.cfg.Timeout)
	default:
		n.cfg.Log.Warn("a desktop notification failed", "err", err)
	}
}

// clicked is the service's report of a click on notification id.
func (n *Notifier) clicked(id uint32) {
	n.mu.Lock()
	f, name := n.onClick, n.roomOf(id)
	n.mu.Unlock()
	if f != nil && name != "" {
		f(name)
	}
}

// closed is the service's report that notification id is gone (expired,
// dismissed): the room's next message shows a new one.
func (n *Notifier) closed(id uint32) {
	n.mu.Lock()
	defer n.mu.Unlock()
	if name := n.roomOf(id); name != "" {
		n.rooms[name].id = 0
	}
}

func (n *Notifier) roomOf(id uint32) string {
	if id == 0 {
		return ""
	}
	for name, r := range n.rooms {
		if r.id == id {
			return name
		}
	}
	return ""
}
