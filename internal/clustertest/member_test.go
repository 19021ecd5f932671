package clustertest_test

import (
	"context"
	"errors"
	"fmt"
	"math/rand/v2"
	"sync"
	"time"

	"confab/wire"
)

// member is one client of a load test: a raw socket that reconnects by
// itself through the load balancer and catches up from history by id, as
// Confab's clients do. It dedupes what it is given, as they do, and counts
// what a server must never do: a message pushed twice on one connection.
type member struct {
	url, token string

	mu        sync.Mutex
	sock      *rawSocket
	seen      map[int64]bool
	last      int64 // highest id seen
	liveDups  int
	downSince time.Time   // when its connection ended, zero while connected
	backAt    []time.Time // when it was connected again, after each loss
	nodes     []string    // the nodes it was on, in order
}

func newMember(url, token string) *member {
	return &member{url: url, token: token, seen: map[int64]bool{}}
}

// run keeps the member connected until ctx ends.
func (m *member) run(ctx context.Context, connected chan<- struct{}) {
	first := true
	for ctx.Err() == nil {
		s, err := dialRaw(ctx, m.url, m.token)
		if err != nil {
			sleep(ctx, time.Duration(200+rand.IntN(400))*time.Millisecond)
			continue
		}
		m.mu.Lock()
		m.sock = s
		m.nodes = append(m.nodes, s.node)
		if !m.downSince.IsZero() {
			m.backAt = append(m.backAt, time.Now())
			m.downSince = time.Time{}
		}
		after := m.last
		m.mu.Unlock()
		if first {
			connected <- struct{}{}
			first = false
		} else if err := m.catchUp(ctx, s, after); err != nil {
			s.close()
			continue
		}
		select {
		case <-s.done:
		case <-ctx.Done():
			s.close()
		}
		m.mu.Lock()
		m.absorb(s.received())
		m.sock = nil
		m.downSince = time.Now()
		m.mu.Unlock()
		sleep(ctx, time.Duration(100+rand.IntN(300))*time.Millisecond)
	}
}

// catchUp reads what was sent while the member was away.
func (m *member) catchUp(ctx context.Context, s *rawSocket, after int64) error {
	ctx, cancel := context.WithTimeout(ctx, 20*time.Second)
	defer cancel()
	ids, err := s.history(ctx, wire.DefaultRoom, after)
	if err != nil {
		return err
	}
	m.mu.Lock()
	defer m.mu.Unlock()
	for _, id := range ids {
		m.see(id)
	}
	return nil
}

// absorb takes the ids a connection received live.
func (m *member) absorb(ids []int64) {
	once := map[int64]bool{}
	for _, id := range ids {
		if once[id] {
			m.liveDups++
		}
		once[id] = true
		m.see(id)
	}
}

func (m *member) see(id int64) {
	m.seen[id] = true
	m.last = max(m.last, id)
}

// connectedNow is the member's socket, nil while it reconnects.
func (m *member) connectedNow() *rawSocket {
	m.mu.Lock()
	defer m.mu.Unlock()
	return m.sock
}

// missing lists the ids of want the member has not seen (live ones of its
// current connection included).
func (m *member) missing(want []int64) []int64 {
	m.mu.Lock()
	var live []int64
	if m.sock != nil {
		live = m.sock.received()
	}
	m.mu.Unlock()
	got := map[int64]bool{}
	for _, id := range live {
		got[id] = true
	}
	var out []int64
	m.mu.Lock()
	defer m.mu.Unlock()
	for _, id := range want {
		if !m.seen[id] && !got[id] {
			out = append(out, id)
		}
	}
	return out
}

// sender sends messages through a member at a steady pace; a message
// whose acknowledgement did not come is sent again with the same clientId
// once the member is back, so none is stored twice.
type sender struct {
	m      *member
	name   string
	mu     sync.Mutex
	acked  map[int64]string // id -> clientId
	failed int              // answers other than ok (not stored)
}

func (s *sender) run(ctx context.Context, every time.Duration, onAck func(id int64, sentAt, ackAt time.Time, ok bool)) {
	for n := 0; ctx.Err() == nil; n++ {
		clientID := fmt.Sprintf("%s-%d", s.name, n)
		text := "load " + clientID
		for ctx.Err() == nil {
			sock := s.m.connectedNow()
			if sock == nil {
				sleep(ctx, 50*time.Millisecond)
				continue
			}
			cctx, cancel := context.WithTimeout(ctx, 15*time.Second)
			sent := time.Now()
			var r sendReply
			err := sock.call(cctx, wire.EventMessage, map[string]string{"text": text, "clientId": clientID}, &r)
			cancel()
			if errors.Is(err, errGone) || errors.Is(err, context.DeadlineExceeded) || err != nil {
				continue // no answer: we do not know; again, same clientId
			}
			onAck(r.Message.ID, sent, time.Now(), r.OK)
			if r.OK { // a socket is not sent its own messages
				s.m.mu.Lock()
				s.m.see(r.Message.ID)
				s.m.mu.Unlock()
			}
			s.mu.Lock()
			if r.OK {
				s.acked[r.Message.ID] = clientID
			} else {
				s.failed++
			}
			s.mu.Unlock()
			break
		}
		sleep(ctx, every)
	}
}

func sleep(ctx context.Context, d time.Duration) {
	select {
	case <-ctx.Done():
	case <-time.After(d):
	}
}
