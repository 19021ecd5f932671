// Package cluster lets several confabd nodes on one PostgreSQL database
// serve one chat (docs/cluster.md). The bus is PostgreSQL's LISTEN/NOTIFY:
// one dedicated connection per node listens on one channel, and events are
// published with pg_notify through a pool. NOTIFY is delivered only after
// its transaction commits, in commit order, but a bus is at most once: a
// node that was not listening misses what was sent meanwhile. So events
// carry only ids, and after every (re)connect the node catches up from the
// database (Config.OnUp), which holds everything that was committed.
package cluster

import (
	"context"
	"database/sql"
	"errors"
	"log/slog"
	"net"
	"regexp"
	"sync"
	"time"

	"github.com/jackc/pgx/v5"
	_ "github.com/jackc/pgx/v5/stdlib" // database/sql driver "pgx"

	"confab/internal/loglimit"
)

// Channel is the NOTIFY channel every node listens on.
const Channel = "confab_cluster"

// Defaults of Config.
const (
	DefaultBackoffBase = 100 * time.Millisecond
	DefaultBackoffCap  = 5 * time.Second
	dialTimeout        = 5 * time.Second
	// keepAlive: a listener whose database vanished without closing the
	// connection (a cable, a frozen host) is noticed within about 20 s.
	keepAliveIdle     = 5 * time.Second
	keepAliveInterval = 5 * time.Second
	keepAliveCount    = 3
)

// Config configures a Bus.
type Config struct {
	URL  string // the PostgreSQL URL (postgres://…)
	Node string // this node's id: in every event and in the listener's application_name
	// Handle receives every event published on the channel, this node's
	// own included, on the listener's goroutine, in commit order: it must
	// not block for long.
	Handle func(Event)
	// OnUp runs after every connect of the listener, once it listens: the
	// node catches up on what it may have missed.
	OnUp func()
	// OnDown runs when the listener is lost.
	OnDown func()
	// BackoffBase and BackoffCap bound the waits between connection attempts.
	BackoffBase, BackoffCap time.Duration
	Logger                  *slog.Logger
}

// State is the listener's state, for /healthz and the logs.
type State struct {
	Up        bool
	Since     time.Time // when it last went up or down
	LastError string    // the last failure, without credentials
	Attempts  int64     // connection attempts so far
	Connects  int64     // successful connects so far
}

// Bus is one node's end of the cluster bus.
type Bus struct {
	cfg     Config
	db      *sql.DB
	log     *slog.Logger
	limited *loglimit.Logger

	mu    sync.Mutex
	state State

	cancel context.CancelFunc
	done   chan struct{}
}

// ApplicationName is the application_name of a node's listening connection
// (pg_stat_activity shows it).
func ApplicationName(node string) string { return "confab-bus " + node }

// Open starts a node's bus: the pool it publishes through at once, and the
// listener in the background (it connects, and reconnects, by itself).
func Open(cfg Config) (*Bus, error) {
	if cfg.BackoffBase <= 0 {
		cfg.BackoffBase = DefaultBackoffBase
	}
	if cfg.BackoffCap <= 0 {
		cfg.BackoffCap = DefaultBackoffCap
	}
	if cfg.Logger == nil {
		cfg.Logger = slog.Default()
	}
	if cfg.Handle == nil {
		cfg.Handle = func(Event) {}
	}
	if _, err := pgx.ParseConfig(cfg.URL); err != nil {
		return nil, errors.New("cluster: the database URL cannot be read")
	}
	db, err := sql.Open("pgx", cfg.URL)
	if err != nil {
		return nil, errors.New("cluster: the database URL cannot be read")
	}
	db.SetMaxOpenConns(4) // pg_notify, heartbeats and shared limits: short statements
	db.SetMaxIdleConns(4)
	ctx, cancel := context.WithCancel(context.Background())
	b := &Bus{cfg: cfg, db: db, log: cfg.Logger, limited: loglimit.New(cfg.Logger, 0),
		cancel: cancel, done: make(chan struct{}), state: State{Since: time.Now(), LastError: "not connected yet"}}
	go b.run(ctx)
	return b, nil
}

// DB is the bus's own small pool on the database (cluster tables, pg_notify).
func (b *Bus) DB() *sql.DB { return b.db }

// Node is this node's id.
func (b *Bus) Node() string { return b.cfg.Node }

// Publish sends ev to every node listening, this one included. On a
// connection in a transaction, NOTIFY would wait for its commit; here it
// goes out at once.
func (b *Bus) Publish(ctx context.Context, ev Event) error {
	ev.Node = b.cfg.Node
	payload, err := Encode(ev)
	if err != nil {
		return err
	}
	_, err = b.db.ExecContext(ctx, `SELECT pg_notify($1, $2)`, Channel, payload)
	return err
}

// State is the listener's state now.
func (b *Bus) State() State {
	b.mu.Lock()
	defer b.mu.Unlock()
	return b.state
}

// Close stops the listener and closes the pool.
func (b *Bus) Close() error {
	b.cancel()
	<-b.done
	return b.db.Close()
}

func (b *Bus) run(ctx context.Context) {
	defer close(b.done)
	bo := backoff{base: b.cfg.BackoffBase, cap: b.cfg.BackoffCap}
	for {
		conn, err := b.connect(ctx)
		if err == nil {
			bo.reset()
			b.setUp(conn)
			err = b.listen(ctx, conn)
			closeCtx, cancel := context.WithTimeout(context.Background(), time.Second)
			conn.Close(closeCtx) //nolint:errcheck // it is being dropped either way
			cancel()
		}
		if ctx.Err() != nil {
			return
		}
		b.setDown(err)
		select {
		case <-ctx.Done():
			return
		case <-time.After(bo.next()):
		}
	}
}

func (b *Bus) connect(ctx context.Context) (*pgx.Conn, error) {
	b.mu.Lock()
	b.state.Attempts++
	b.mu.Unlock()
	cc, err := pgx.ParseConfig(b.cfg.URL)
	if err != nil {
		return nil, err
	}
	cc.RuntimeParams["application_name"] = ApplicationName(b.cfg.Node)
	d := &net.Dialer{Timeout: dialTimeout, KeepAliveConfig: net.KeepAliveConfig{
		Enable: true, Idle: keepAliveIdle, Interval: keepAliveInterval, Count: keepAliveCount}}
	cc.DialFunc = d.DialContext
	cctx, cancel := context.WithTimeout(ctx, dialTimeout)
	defer cancel()
	conn, err := pgx.ConnectConfig(cctx, cc)
	if err != nil {
		return nil, err
	}
	if _, err := conn.Exec(cctx, `LISTEN `+pgx.Identifier{Channel}.Sanitize()); err != nil {
		conn.Close(context.Background()) //nolint:errcheck
		return nil, err
	}
	return conn, nil
}

// listen hands every notification to Handle until the connection fails.
func (b *Bus) listen(ctx context.Context, conn *pgx.Conn) error {
	for {
		n, err := conn.WaitForNotification(ctx)
		if err != nil {
			return err
		}
		ev, err := Decode(n.Payload)
		if err != nil { // hostile or from another version: one line per interval
			b.limited.Warn("cluster: ignored a notification that is not an event", "bytes", len(n.Payload), "from_pid", n.PID)
			continue
		}
		b.cfg.Handle(ev)
	}
}

func (b *Bus) setUp(conn *pgx.Conn) {
	b.mu.Lock()
	b.state.Up, b.state.Since = true, time.Now()
	b.state.Connects++
	again := b.state.Connects > 1
	b.mu.Unlock()
	b.log.Info("cluster: listening", "node", b.cfg.Node, "backend_pid", conn.PgConn().PID(), "reconnect", again)
	if b.cfg.OnUp != nil {
		b.cfg.OnUp()
	}
}

func (b *Bus) setDown(err error) {
	b.mu.Lock()
	wasUp := b.state.Up
	if wasUp {
		b.state.Since = time.Now()
	}
	b.state.Up = false
	b.state.LastError = Clean(err)
	b.mu.Unlock()
	if wasUp {
		b.log.Warn("cluster: listener lost; reconnecting", "node", b.cfg.Node, "err", Clean(err))
		if b.cfg.OnDown != nil {
			b.cfg.OnDown()
		}
	} else {
		b.limited.Warn("cluster: cannot listen yet", "node", b.cfg.Node, "err", Clean(err))
	}
}

var (
	urlPassword = regexp.MustCompile(`(://[^:/@\s]*:)[^@\s]*@`)
	kvPassword  = regexp.MustCompile(`(?i)(password=)\S*`)
)

// Clean is err's text without any password, cut to a line's length: what
// may be logged and shown on /healthz.
func Clean(err error) string {
	if err == nil {
		return ""
	}
	s := urlPassword.ReplaceAllString(err.Error(), "${1}xxxxx@")
	s = kvPassword.ReplaceAllString(s, "${1}xxxxx")
	if len(s) > 200 {
		s = s[:200] + "…"
	}
	return s
}
