package server

import (
	"context"
	"errors"
	"fmt"
	"os"
	"strconv"
	"sync"
	"time"

	"confab/internal/loglimit"
	"confab/server/auth"
	"confab/server/cluster"
	"confab/server/store"
	"confab/wire"
)

// Cluster mode (docs/cluster.md): on PostgreSQL, a server is a node of a
// cluster (one node is a cluster of one). Each node sends messages to its
// own sockets only, from one ordered stream of the database's messages
// (cluster.Feed); everything else another node must act on (revocations,
// removals, kicks, typing, presence, membership) is an event on the bus.
// Every method here is a no-op on SQLite (s.cl is nil).

// clusterNode is a server's part in a cluster.
type clusterNode struct {
	s        *Server
	node     string
	bus      *cluster.Bus
	feed     *cluster.Feed[store.Message]
	presence *cluster.Presence
	limits   *cluster.Limits
	cancel   context.CancelFunc

	ready sync.WaitGroup // the listener's callbacks wait until the node is whole

	mu      sync.Mutex
	senders map[int64]string // message id -> the socket that sent it (it has its ack)

	committed chan struct{} // this node committed messages: tell the others (coalesced)
}

// safetyPoll reads the stream this often even without an event: a
// NOTIFY whose publish failed delays a message by this much at most.
const safetyPoll = 5 * time.Second

// defaultNodeID names a node whose configuration names none: the host and
// the process, unique on a machine and readable in a log.
func defaultNodeID() string {
	h, err := os.Hostname()
	if err != nil || h == "" {
		h = "node"
	}
	return h + "-" + strconv.Itoa(os.Getpid())
}

// startCluster joins the cluster when the store is PostgreSQL.
func (s *Server) startCluster() error {
	if !s.store.Postgres() {
		return nil
	}
	node := s.cfg.NodeID
	if node == "" {
		node = defaultNodeID()
	}
	s.log = s.log.With("node", node) // every line of a node names it
	s.limited = loglimit.New(s.log, 0)
	n := &clusterNode{s: s, node: node, senders: map[int64]string{}, committed: make(chan struct{}, 1)}
	n.ready.Add(1)
	bus, err := cluster.Open(cluster.Config{URL: s.store.DatabaseURL(), Node: n.node, Logger: s.log,
		Handle: n.handle, OnUp: n.caughtUp})
	if err != nil {
		return err
	}
	ctx, cancel := context.WithTimeout(context.Background(), storeTimeout)
	defer cancel()
	var last int64
	err = cluster.Migrate(ctx, bus.DB())
	if err == nil {
		err = bus.DB().QueryRowContext(ctx, `SELECT COALESCE(max(id), 0) FROM messages`).Scan(&last)
	}
	if err == nil {
		n.presence, err = cluster.StartPresence(ctx, bus.DB(), n.node, s.log,
			func(u int64) bool { return s.hub.sockets(u) > 0 }, n.presenceChanged)
	}
	if err != nil {
		n.ready.Done() // the listener's callbacks see no feed and return
		bus.Close()
		return fmt.Errorf("cluster: %s", cluster.Clean(err))
	}
	runCtx, stop := context.WithCancel(context.Background())
	n.bus, n.cancel, n.limits = bus, stop, cluster.NewLimits(bus.DB())
	n.feed = cluster.NewFeed(runCtx, last, n.fetch, func(m store.Message) int64 { return m.ID }, n.deliver, s.log)
	s.hub.elsewhere = n.presence.Online
	n.shareLimits()
	s.cl = n
	n.ready.Done()
	go n.announce(runCtx)
	n.caughtUp() // what was sent while this node was starting
	s.log.Info("cluster: node started", "after_message", last)
	return nil
}

// stopCluster leaves the cluster: the others see this node's users go.
func (s *Server) stopCluster() {
	n := s.cl
	if n == nil {
		return
	}
	ctx, cancel := context.WithTimeout(context.Background(), 2*time.Second)
	defer cancel()
	gone, err := n.presence.Close(ctx)
	if err != nil { // the others time this node out instead
		s.log.Warn("cluster: presence not cleared", "err", cluster.Clean(err))
	}
	for user, name := range gone {
		n.publish(cluster.Event{Kind: cluster.KindPresence, User: user, Name: name})
	}
	n.cancel()
	<-n.feed.Done()
	n.bus.Close()
}

// fetch reads the stream: every message after an id, in id order.
func (n *clusterNode) fetch(ctx context.Context, after int64, limit int) ([]store.Message, error) {
	return n.s.store.MessagesAfter(ctx, after, limit)
}

// deliver sends one message of the stream to this node's sockets in its room.
func (n *clusterNode) deliver(m store.Message) {
	n.mu.Lock()
	sender := n.senders[m.ID]
	delete(n.senders, m.ID)
	n.mu.Unlock()
	msg := toWire(m)
	n.s.sockets.ToRoomExcept(m.Room, sender, wire.EventMessage, msg)
	ctx, cancel := context.WithTimeout(context.Background(), storeTimeout)
	defer cancel()
	n.s.tellMentioned(ctx, m.AuthorID, msg) // mentions.go
}

// queueMessage queues a message sent by a socket for its commit; wait gives
// the outcome (call it once). In a cluster (fed) the node's stream sends it
// to the room, but not to the sender: the stream's read waits (Feed.Hold,
// taken here, before the message is queued) until wait has noted the sender.
func (s *Server) queueMessage(ctx context.Context, sender string, m store.Message) (wait func() wireResult) {
	n := s.cl
	if n == nil {
		stored := s.store.QueueMessage(ctx, m)
		return func() wireResult {
			msg, created, err := stored()
			return wireResult{msg: toWire(msg), created: created, err: err}
		}
	}
	release := n.feed.Hold()
	stored := s.store.QueueMessage(ctx, m)
	return func() wireResult {
		defer release()
		msg, created, err := stored()
		if created && err == nil {
			n.mu.Lock()
			n.senders[msg.ID] = sender
			n.mu.Unlock()
			n.commit()
		}
		return wireResult{msg: toWire(msg), created: created, fed: true, err: err}
	}
}

// commit asks announce to tell the other nodes of a commit.
func (n *clusterNode) commit() {
	select {
	case n.committed <- struct{}{}:
	default: // one is due: it covers this commit too
	}
}

// announce publishes one KindCommit per wake-up: commits made while one
// is being published share the next. It also reads the stream every
// safetyPoll.
func (n *clusterNode) announce(ctx context.Context) {
	t := time.NewTicker(safetyPoll)
	defer t.Stop()
	sweep := time.NewTicker(10 * time.Minute)
	defer sweep.Stop()
	for {
		select {
		case <-ctx.Done():
			return
		case <-sweep.C: // buckets full for an hour hold nothing
			sctx, cancel := context.WithTimeout(ctx, storeTimeout)
			n.limits.Sweep(sctx, time.Hour) //nolint:errcheck // next time
			cancel()
		case <-t.C:
			n.feed.Poke()
		case <-n.committed:
			n.publish(cluster.Event{Kind: cluster.KindCommit})
		}
	}
}

// pokeFeed says a message was stored outside a socket (an upload).
func (s *Server) pokeFeed() bool {
	if s.cl == nil {
		return false
	}
	s.cl.feed.Poke()
	s.cl.commit()
	return true
}

// clusterTrouble is why this node cannot take messages now ("" when it
// can): its listener is lost, so what others send would not reach it.
func (s *Server) clusterTrouble() string {
	if s.cl == nil {
		return ""
	}
	if st := s.cl.bus.State(); !st.Up {
		return fmt.Sprintf("this node lost its connection to the cluster's database %s ago; messages cannot be sent here",
			time.Since(st.Since).Round(time.Second))
	}
	return ""
}

// refuseUnavailable answers a send while the node cannot take it.
func (s *Server) refuseUnavailable() ack {
	if s.clusterTrouble() == "" {
		return nil
	}
	return fail(wire.ErrUnavailable)
}

// publish tells every node (this one too, which ignores its own).
func (s *Server) publish(ev cluster.Event) {
	if s.cl != nil {
		s.cl.publish(ev)
	}
}

func (n *clusterNode) publish(ev cluster.Event) {
	ctx, cancel := context.WithTimeout(context.Background(), 2*time.Second)
	defer cancel()
	if err := n.bus.Publish(ctx, ev); err != nil {
		// The database is away: the others reload from it when back.
		n.s.limited.Warn("cluster: publish failed", "kind", ev.Kind, "err", cluster.Clean(err))
	}
}

// caughtUp runs after every connect of the listener: what was missed
// meanwhile is read from the database.
func (n *clusterNode) caughtUp() {
	n.ready.Wait()
	if n.feed == nil { // it failed to start
		return
	}
	n.feed.Poke()
	go n.reload()
}

// reload reads what events may have been missed: revocations, session
// generations, accounts, presence. A socket whose token is now refused is
// told why and disconnected.
func (n *clusterNode) reload() {
	ctx, cancel := context.WithTimeout(context.Background(), storeTimeout)
	defer cancel()
	revoked, err := n.s.store.RevokedSessions(ctx, time.Now())
	if err != nil {
		n.s.log.Warn("cluster: reload of revocations failed", "err", cluster.Clean(err))
		return
	}
	gens, err := n.s.store.SessionGens(ctx)
	if err != nil {
		n.s.log.Warn("cluster: reload of accounts failed", "err", cluster.Clean(err))
		return
	}
	n.s.hub.reloadAuth(revoked, gens)
	for _, c := range n.s.hub.allConns() {
		if err := n.s.hub.check(c.currentClaims()); err != nil {
			c.kick(err.Error())
			continue
		}
		for _, room := range c.sock.Rooms() { // a group left meanwhile
			if ok, err := n.s.mayRead(ctx, c.userID, room); err == nil && !ok {
				c.sock.Leave(room)
			}
		}
	}
	if err := n.presence.Reload(ctx); err != nil {
		n.s.log.Warn("cluster: reload of presence failed", "err", cluster.Clean(err))
	}
}

// handle acts on another node's event, on the listener's goroutine: what
// needs the database runs on a goroutine of its own.
func (n *clusterNode) handle(ev cluster.Event) {
	if ev.Node == n.node {
		return
	}
	n.ready.Wait()
	if n.feed == nil {
		return
	}
	s, h := n.s, n.s.hub
	switch ev.Kind {
	case cluster.KindCommit:
		n.feed.Poke()
	case cluster.KindChange:
		go n.changed(ev.ID)
	case cluster.KindTyping:
		s.sockets.ToRoom(ev.Room, wire.EventTyping, wire.Typing{Room: ev.Room,
			User: wire.Author{ID: strconv.FormatInt(ev.User, 10), Username: ev.Name}, ExpiresIn: wire.TypingExpiry.Milliseconds()})
	case cluster.KindPresence:
		n.presence.Apply(ev)
	case cluster.KindRevoke:
		h.revoke(ev.SID, time.UnixMilli(ev.At))
		for _, c := range h.connsOfSession(ev.SID) {
			c.kick(wire.ReasonTokenRevoked)
		}
	case cluster.KindSessions:
		s.cut(ev.User, ev.Gen, ev.Why) // admin.go
	case cluster.KindRemoved:
		s.cut(ev.User, 0, wire.ReasonUnknownUser)
	case cluster.KindAdded:
		h.addUser(ev.User)
	case cluster.KindKick:
		s.kickLocal(ev.User, ev.Room)
	case cluster.KindMembers:
		go n.members(ev)
	case cluster.KindRead:
		go n.read(ev)
	}
}

// changed sends a message changed on another node to this node's sockets.
func (n *clusterNode) changed(id int64) {
	ctx, cancel := context.WithTimeout(context.Background(), storeTimeout)
	defer cancel()
	m, err := n.s.store.MessageWithReactions(ctx, id) // the update carries its reactions
	if err != nil {
		n.s.limited.Warn("cluster: read changed message", "err", cluster.Clean(err))
		return
	}
	n.s.sockets.ToRoom(m.Room, wire.EventUpdate, toWire(m))
}

// members tells this node's sockets of a conversation's new members (and
// takes the one who left out of its room).
func (n *clusterNode) members(ev cluster.Event) {
	ctx, cancel := context.WithTimeout(context.Background(), storeTimeout)
	defer cancel()
	conv, err := n.s.store.ConversationByID(ctx, ev.ID)
	if err != nil {
		n.s.limited.Warn("cluster: read conversation", "err", cluster.Clean(err))
		return
	}
	if ev.User > 0 {
		for _, o := range n.s.hub.connsOfUser(ev.User) {
			o.sock.Leave(conv.Room)
			o.sock.Emit(wire.EventConversation, wire.Conversation{Room: conv.Room, Kind: conv.Kind, Name: conv.Name, Left: true})
		}
	}
	n.s.tellMembers(ctx, conv, nil) // dms.go
}

// read tells a user's sockets on this node their new unread count.
func (n *clusterNode) read(ev cluster.Event) {
	ctx, cancel := context.WithTimeout(context.Background(), storeTimeout)
	defer cancel()
	conns := n.s.hub.connsOfUser(ev.User)
	if len(conns) == 0 {
		return
	}
	sm, err := n.s.store.SummaryOf(ctx, ev.ID, ev.User)
	if err != nil {
		return
	}
	view := n.s.conversationView(sm)
	for _, o := range conns {
		o.sock.Emit(wire.EventConversation, view)
	}
}

// presenceChanged tells this node's sockets that a user of another node
// came or went.
func (n *clusterNode) presenceChanged(user int64, name string, online bool) {
	n.s.sockets.Broadcast(wire.EventPresence, wire.Presence{User: wire.Author{ID: strconv.FormatInt(user, 10), Username: name}, Online: online})
}

// cameOnline: c's user has their first socket on this node. Others are
// told unless another node had them online already.
func (s *Server) cameOnline(c *conn) {
	p := wire.Presence{User: wire.Author{ID: c.userIDs, Username: c.username}, Online: true}
	if s.cl == nil {
		s.sockets.Broadcast(wire.EventPresence, p)
		return
	}
	ctx, cancel := context.WithTimeout(context.Background(), 2*time.Second)
	defer cancel()
	elsewhere, err := s.cl.presence.Came(ctx, c.userID, c.username)
	if err != nil {
		s.limited.Warn("cluster: presence not written", "err", cluster.Clean(err))
	}
	s.cl.publish(cluster.Event{Kind: cluster.KindPresence, User: c.userID, Name: c.username, On: true})
	if !elsewhere {
		s.sockets.Broadcast(wire.EventPresence, p)
	}
}

// wentOffline: c's user has no socket left on this node (after the grace).
func (s *Server) wentOffline(c *conn) {
	if s.sockets.Closing() {
		return
	}
	p := wire.Presence{User: wire.Author{ID: c.userIDs, Username: c.username}, Online: false}
	if s.cl == nil {
		s.sockets.Broadcast(wire.EventPresence, p)
		return
	}
	ctx, cancel := context.WithTimeout(context.Background(), 2*time.Second)
	defer cancel()
	elsewhere, err := s.cl.presence.Went(ctx, c.userID)
	if err != nil {
		s.limited.Warn("cluster: presence not written", "err", cluster.Clean(err))
	}
	s.cl.publish(cluster.Event{Kind: cluster.KindPresence, User: c.userID, Name: c.username})
	if !elsewhere {
		s.sockets.Broadcast(wire.EventPresence, p)
	}
}

// kickLocal takes a user's sockets on this node out of a room.
func (s *Server) kickLocal(user int64, room string) int {
	n := 0
	for _, c := range s.hub.connsOfUser(user) {
		if c.sock.In(room) {
			c.sock.Leave(room)
			c.sock.Emit(wire.EventKicked, wire.Kicked{Room: room})
			n++
		}
	}
	return n
}

// checkClaims is hub.check, but in a cluster the database has the last
// word where a token is taken for a new socket or a refresh: an account
// made on another node a moment ago is known, and a logout, password change
// or removal made there is refused even if its event has not arrived (or
// was missed). Per-event checks stay in memory; the events keep it current.
func (s *Server) checkClaims(c auth.Claims) error {
	if s.cl == nil {
		return s.hub.check(c)
	}
	ctx, cancel := context.WithTimeout(context.Background(), storeTimeout)
	defer cancel()
	revoked, gen, err := s.store.SessionState(ctx, c.UserID, c.SID)
	switch {
	case errors.Is(err, store.ErrNotFound):
		return auth.ErrNoUser
	case err != nil:
		return s.hub.check(c) // the database is away: the node refuses sends anyway
	case revoked:
		s.hub.revoke(c.SID, time.Now().Add(s.signer.TTL()+s.signer.Leeway()+revocationSlack))
		return auth.ErrRevoked
	}
	s.hub.learnUser(c.UserID, gen)
	s.hub.endSessions(c.UserID, gen)
	return s.hub.check(c)
}

// learnUser records an account the hub did not know, with its generation.
func (h *hub) learnUser(id, gen int64) {
	h.authMu.Lock()
	defer h.authMu.Unlock()
	if _, ok := h.users[id]; !ok {
		h.users[id] = gen
	}
}

// reloadAuth replaces the revocations and session generations with the
// database's (after a reconnect: events may have been missed).
func (h *hub) reloadAuth(revoked map[string]time.Time, gens map[int64]int64) {
	h.authMu.Lock()
	defer h.authMu.Unlock()
	h.revoked, h.users = revoked, gens
}

// allConns is every live socket of this node.
func (h *hub) allConns() []*conn {
	h.mu.Lock()
	defer h.mu.Unlock()
	var out []*conn
	for _, set := range h.byUser {
		for c := range set {
			out = append(out, c)
		}
	}
	return out
}

// clusterHealth is what /healthz says of the node in a cluster.
func (s *Server) clusterHealth(h *wire.Health) {
	if s.cl == nil {
		return
	}
	h.Node = s.cl.node
}

// Limits that hold for the cluster (cluster.Limits): the login and
// sign-up throttles, and each user's message rate. A user's own limiter on
// this node still answers first, so a flood is refused without a query.
const (
	keyLoginUser = "login-user:"
	keyLoginAddr = "login-addr:"
	keyRegister  = "register:"
	keyMessages  = "messages:"
)

func (n *clusterNode) shareLimits() {
	s := n.s
	share := func(t *throttle, prefix string) {
		t.shared = func(key string) (slot, time.Duration) {
			ctx, cancel := context.WithTimeout(context.Background(), 2*time.Second)
			defer cancel()
			ok, wait, err := n.limits.Take(ctx, prefix+key, t.burst, float64(t.every))
			if err != nil { // no database: nothing it guards can succeed now anyway
				s.limited.Warn("cluster: shared limit unavailable", "err", cluster.Clean(err))
				return slot{}, time.Second
			}
			if !ok {
				return slot{}, max(wait, time.Second)
			}
			return slot{back: func() {
				ctx, cancel := context.WithTimeout(context.Background(), 2*time.Second)
				defer cancel()
				n.limits.GiveBack(ctx, prefix+key, t.burst) //nolint:errcheck // at worst one failure too many counts
			}}, 0
		}
	}
	share(s.loginPerUser, keyLoginUser)
	share(s.loginPerAddr, keyLoginAddr)
	share(s.registerAddr, keyRegister)
	s.hub.sharedLimits = func(id int64, local allower) allower {
		return &sharedAllower{n: n, local: local, key: keyMessages + strconv.FormatInt(id, 10),
			burst: s.cfg.UserMessageBurst, perSec: float64(s.cfg.UserMessageRate)}
	}
}

// allower is what a message limit answers.
type allower interface{ Allow() bool }

// sharedAllower is a user's message rate for the whole cluster.
type sharedAllower struct {
	n      *clusterNode
	local  allower
	key    string
	burst  int
	perSec float64
}

func (a *sharedAllower) Allow() bool {
	if !a.local.Allow() {
		return false
	}
	ctx, cancel := context.WithTimeout(context.Background(), 2*time.Second)
	defer cancel()
	ok, _, err := a.n.limits.Take(ctx, a.key, a.burst, a.perSec)
	// No database: let the send go on to fail as unavailable, not as
	// rate limited.
	return ok || err != nil
}
