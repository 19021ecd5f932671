package cluster

import (
	"context"
	"database/sql"
	"log/slog"
	"sync"
	"time"
)

// Presence across nodes. Each node writes who is online on it
// (cluster_presence) and heartbeats (cluster_nodes) every HeartbeatEvery;
// a node silent for DeadAfter is dead, and its users count as offline. A
// change is published at once (KindPresence); besides, every heartbeat
// reloads the table, which corrects whatever a missed event or a dead node
// left wrong: a dead node's users go offline on the others within
// DeadAfter + HeartbeatEvery (18 s), under the 30 s promised.
const (
	HeartbeatEvery = 3 * time.Second
	DeadAfter      = 15 * time.Second
	// forgetAfter: a node silent this long has its rows deleted.
	forgetAfter = 10 * time.Minute
)

// Presence is one node's view of who is online on the other nodes.
type Presence struct {
	db   *sql.DB
	node string
	log  *slog.Logger
	// local reports whether the user has sockets on this node (the hub).
	local func(user int64) bool
	// changed is told when a user's presence, as this node's sockets
	// should see it, changed because of another node.
	changed func(user int64, name string, online bool)

	mu      sync.Mutex
	remote  map[int64]map[string]bool // user -> nodes it is online on, this one excluded
	names   map[int64]string
	touched map[int64]time.Time // last event per user: a reload older than it does not undo it

	stop chan struct{}
	done chan struct{}
}

// StartPresence registers the node (forgetting what a previous run of it
// left) and starts its heartbeat.
func StartPresence(ctx context.Context, db *sql.DB, node string, log *slog.Logger,
	local func(int64) bool, changed func(int64, string, bool)) (*Presence, error) {
	p := &Presence{db: db, node: node, log: log, local: local, changed: changed,
		remote: map[int64]map[string]bool{}, names: map[int64]string{}, touched: map[int64]time.Time{},
		stop: make(chan struct{}), done: make(chan struct{})}
	if _, err := db.ExecContext(ctx, `DELETE FROM cluster_presence WHERE node = $1`, node); err != nil {
		return nil, err
	}
	if err := p.beat(ctx); err != nil {
		return nil, err
	}
	if err := p.Reload(ctx); err != nil {
		return nil, err
	}
	go p.run()
	return p, nil
}

func (p *Presence) beat(ctx context.Context) error {
	_, err := p.db.ExecContext(ctx, `INSERT INTO cluster_nodes (node) VALUES ($1)
		ON CONFLICT (node) DO UPDATE SET seen_at = now()`, p.node)
	return err
}

func (p *Presence) run() {
	defer close(p.done)
	t := time.NewTicker(HeartbeatEvery)
	defer t.Stop()
	for {
		select {
		case <-p.stop:
			return
		case <-t.C:
		}
		ctx, cancel := context.WithTimeout(context.Background(), HeartbeatEvery)
		err := p.beat(ctx)
		if err == nil {
			err = p.Reload(ctx)
		}
		if err == nil {
			_, err = p.db.ExecContext(ctx, `WITH gone AS (DELETE FROM cluster_nodes
				WHERE seen_at < now() - make_interval(secs => $1) RETURNING node)
				DELETE FROM cluster_presence WHERE node IN (SELECT node FROM gone)`, forgetAfter.Seconds())
		}
		cancel()
		if err != nil {
			p.log.Warn("cluster: presence heartbeat failed", "node", p.node, "err", Clean(err))
		}
	}
}

// Online reports whether the user is online on another live node.
func (p *Presence) Online(user int64) bool {
	p.mu.Lock()
	defer p.mu.Unlock()
	return len(p.remote[user]) > 0
}

// Came records that the user is now online on this node; elsewhere
// reports whether another node had them online already (then this node's
// sockets knew it).
func (p *Presence) Came(ctx context.Context, user int64, name string) (elsewhere bool, err error) {
	_, err = p.db.ExecContext(ctx, `INSERT INTO cluster_presence (node, user_id, username) VALUES ($1, $2, $3)
		ON CONFLICT (node, user_id) DO UPDATE SET username = excluded.username`, p.node, user, name)
	return p.Online(user), err
}

// Went records that the user has no socket on this node any more;
// elsewhere reports whether they are still online on another node (then
// nobody is to be told they left).
func (p *Presence) Went(ctx context.Context, user int64) (elsewhere bool, err error) {
	_, err = p.db.ExecContext(ctx, `DELETE FROM cluster_presence WHERE node = $1 AND user_id = $2`, p.node, user)
	return p.Online(user), err
}

// Apply takes a presence event of another node.
func (p *Presence) Apply(ev Event) {
	if ev.Node == p.node || ev.User <= 0 {
		return
	}
	p.mu.Lock()
	before := len(p.remote[ev.User]) > 0
	p.set(ev.User, ev.Node, ev.Name, ev.On)
	p.touched[ev.User] = time.Now()
	after := len(p.remote[ev.User]) > 0
	name := p.names[ev.User]
	p.mu.Unlock()
	p.tell(ev.User, name, before, after)
}

// set records user on node; call with p.mu held.
func (p *Presence) set(user int64, node, name string, on bool) {
	if on {
		if p.remote[user] == nil {
			p.remote[user] = map[string]bool{}
		}
		p.remote[user][node] = true
		if name != "" {
			p.names[user] = name
		}
		return
	}
	delete(p.remote[user], node)
	if len(p.remote[user]) == 0 {
		delete(p.remote, user)
	}
}

// tell reports a change of a user's presence that this node's own sockets
// did not make: nobody is told of a user who is online here anyway.
func (p *Presence) tell(user int64, name string, before, after bool) {
	if before == after || p.local(user) {
		return
	}
	p.changed(user, name, after)
}

// Reload reads who is online on the other live nodes and applies the
// difference (a dead node's users go offline).
func (p *Presence) Reload(ctx context.Context) error {
	started := time.Now()
	rows, err := p.db.QueryContext(ctx, `SELECT p.user_id, p.node, p.username FROM cluster_presence p
		JOIN cluster_nodes n ON n.node = p.node
		WHERE p.node <> $1 AND n.seen_at > now() - make_interval(secs => $2)`, p.node, DeadAfter.Seconds())
	if err != nil {
		return err
	}
	defer rows.Close()
	now := map[int64]map[string]bool{}
	names := map[int64]string{}
	for rows.Next() {
		var user int64
		var node, name string
		if err := rows.Scan(&user, &node, &name); err != nil {
			return err
		}
		if now[user] == nil {
			now[user] = map[string]bool{}
		}
		now[user][node] = true
		names[user] = name
	}
	if err := rows.Err(); err != nil {
		return err
	}
	type change struct {
		user          int64
		name          string
		before, after bool
	}
	var changes []change
	p.mu.Lock()
	for user := range unionKeys(p.remote, now) {
		if p.touched[user].After(started) { // an event newer than this read
			continue
		}
		before := len(p.remote[user]) > 0
		if len(now[user]) > 0 {
			p.remote[user] = now[user]
			p.names[user] = names[user]
		} else {
			delete(p.remote, user)
		}
		if after := len(now[user]) > 0; before != after {
			changes = append(changes, change{user, p.names[user], before, after})
		}
	}
	for user, at := range p.touched {
		if at.Before(started) {
			delete(p.touched, user)
		}
	}
	p.mu.Unlock()
	for _, c := range changes {
		p.tell(c.user, c.name, c.before, c.after)
	}
	return nil
}

func unionKeys[V any](a, b map[int64]V) map[int64]struct{} {
	out := make(map[int64]struct{}, len(a)+len(b))
	for k := range a {
		out[k] = struct{}{}
	}
	for k := range b {
		out[k] = struct{}{}
	}
	return out
}

// Close stops the heartbeat and removes this node and its users, whom it
// returns (id -> name): the caller tells the others they went.
func (p *Presence) Close(ctx context.Context) (map[int64]string, error) {
	p.Abandon()
	rows, err := p.db.QueryContext(ctx, `WITH gone AS (DELETE FROM cluster_nodes WHERE node = $1 RETURNING node)
		DELETE FROM cluster_presence WHERE node = $1 RETURNING user_id, username`, p.node)
	if err != nil {
		return nil, err
	}
	defer rows.Close()
	out := map[int64]string{}
	for rows.Next() {
		var id int64
		var name string
		if err := rows.Scan(&id, &name); err != nil {
			return out, err
		}
		out[id] = name
	}
	return out, rows.Err()
}

// Abandon stops the heartbeat and leaves the rows as they are, as a node
// that died would (tests).
func (p *Presence) Abandon() {
	select {
	case <-p.stop:
	default:
		close(p.stop)
	}
	<-p.done
}

// Users is who this node has written as online on it (tests, /healthz).
func (p *Presence) Users(ctx context.Context) (int, error) {
	var n int
	err := p.db.QueryRowContext(ctx, `SELECT count(*) FROM cluster_presence WHERE node = $1`, p.node).Scan(&n)
	return n, err
}
