package store

import (
	"context"
	"errors"
	"fmt"
	"sync"
	"testing"
	"time"

	"confab/internal/faildisk"
)

func openWith(t *testing.T, dir string, o Options) *Store {
	t.Helper()
	s, err := OpenWith(at(t, dir, o))
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { s.Close() })
	return s
}

func add(s *Store, text string) (Message, error) {
	m, _, err := s.AddMessage(context.Background(), Message{Room: "general", AuthorID: 1, AuthorName: "a", Text: text, ClientID: text})
	return m, err
}

// A connection opened while the disk refused writes is read-only for good
// (SQLite falls back to O_RDONLY); the pool must not keep it. Before the
// fix, writes on it failed with SQLITE_READONLY long after the disk was
// writable again.
func TestConnectionOpenedReadOnlyIsNotKept(t *testing.T) {
	dir := t.TempDir()
	s := openWith(t, dir, Options{WriteRetry: -1})
	if _, err := add(s, "before"); err != nil {
		t.Fatal(err)
	}
	ctx := context.Background()
	held, err := s.db.Conn(ctx) // the pool's connection: the next one is opened afresh
	if err != nil {
		t.Fatal(err)
	}
	defer held.Close()
	restore := faildisk.ReadOnly(t, dir, DBFile, DBFile+"-wal")
	fresh, err := s.db.Conn(ctx)
	if err != nil {
		t.Fatalf("open a connection on a read-only disk: %v", err)
	}
	var readOnly bool
	fresh.Raw(func(c any) error { //nolint:errcheck
		readOnly = c.(*conn).broken.Load()
		return nil
	})
	if !readOnly {
		t.Fatal("a connection opened on a read-only disk is not marked")
	}
	_, err = fresh.ExecContext(ctx, `INSERT INTO revoked_sessions VALUES('x', 1)`)
	if !IsDiskError(err) {
		t.Fatalf("write on a read-only connection: %v, want a disk error", err)
	}
	restore()
	fresh.Close() // back to the pool: closed instead
	held.Close()
	if st := s.db.Stats(); st.OpenConnections != 1 {
		t.Fatalf("%d connections open, want 1 (the read-only one closed)", st.OpenConnections)
	}
	for i := 0; i < 3; i++ {
		if _, err := add(s, fmt.Sprint("after", i)); err != nil {
			t.Fatalf("write %d after the disk recovered: %v", i, err)
		}
	}
}

func TestWritesAndHealthRecoverWithTheDisk(t *testing.T) {
	dir := t.TempDir()
	const interval = 100 * time.Millisecond
	s := openWith(t, dir, Options{ProbeInterval: interval, ProbeTimeout: 5 * time.Second, WriteRetry: 200 * time.Millisecond})
	if err := s.Health(); err != nil {
		t.Fatalf("health of a new store: %v", err)
	}
	if _, err := add(s, "before"); err != nil {
		t.Fatal(err)
	}
	restore := faildisk.ReadOnly(t, dir, DBFile, DBFile+"-wal")
	// Readers meanwhile open connections, read-only ones.
	var wg sync.WaitGroup
	for i := 0; i < 8; i++ {
		wg.Add(1)
		go func() {
			defer wg.Done()
			s.History(context.Background(), Page{Room: "general", Limit: 5}) //nolint:errcheck
		}()
	}
	wg.Wait()
	if m, err := add(s, "during"); err == nil {
		t.Fatalf("stored %v on a read-only disk", m)
	} else if !IsDiskError(err) {
		t.Fatalf("error %v, want a disk error", err)
	}
	if err := s.Health(); err == nil {
		t.Fatal("healthy while writes fail")
	}
	restore()
	start := time.Now()
	if _, err := add(s, "after"); err != nil {
		t.Fatalf("first write after the disk recovered: %v", err)
	}
	t.Logf("first write after recovery took %v", time.Since(start))
	if err := s.Health(); err != nil {
		t.Fatalf("health after a successful write: %v", err)
	}
	got, err := s.History(context.Background(), Page{Room: "general", Limit: 10})
	if err != nil || len(got) != 2 || got[0].Text != "before" || got[1].Text != "after" {
		t.Fatalf("history %v %v", got, err)
	}
}

// Idle, the store notices the recovery by itself (its retry probes).
func TestIdleStoreNoticesRecovery(t *testing.T) {
	dir := t.TempDir()
	const interval = 50 * time.Millisecond
	s := openWith(t, dir, Options{ProbeInterval: interval, ProbeTimeout: 5 * time.Second})
	restore := faildisk.ReadOnly(t, dir, DBFile, DBFile+"-wal")
	if err := s.Health(); err == nil {
		t.Fatal("healthy on a read-only disk")
	}
	restore()
	deadline := time.Now().Add(10 * time.Second)
	for {
		s.health.mu.Lock()
		failing := s.health.failing
		s.health.mu.Unlock()
		if !failing {
			break
		}
		if time.Now().After(deadline) {
			t.Fatal("the store did not notice the disk recovered")
		}
		time.Sleep(10 * time.Millisecond)
	}
}

// Health asked without pause makes one test write per interval at most.
func TestHealthProbesAreRateBounded(t *testing.T) {
	eachEngine(t, func(t *testing.T, fresh func() string) {
		const interval = 100 * time.Millisecond
		s := openWith(t, fresh(), Options{ProbeInterval: interval})
		start := time.Now()
		var wg sync.WaitGroup
		for g := 0; g < 8; g++ {
			wg.Add(1)
			go func() {
				defer wg.Done()
				for time.Since(start) < 500*time.Millisecond {
					if err := s.Health(); err != nil {
						t.Error(err)
						return
					}
				}
			}()
		}
		wg.Wait()
		s.health.mu.Lock()
		probes := s.health.probes
		s.health.mu.Unlock()
		if max := int(time.Since(start)/interval) + 1; probes < 1 || probes > max {
			t.Fatalf("%d probes in %v, want 1 to %d", probes, time.Since(start), max)
		}
		// Stored messages count as test writes: none is needed meanwhile.
		time.Sleep(interval)
		for i := 0; i < 20; i++ {
			if _, err := add(s, fmt.Sprint(i)); err != nil {
				t.Fatal(err)
			}
			if err := s.Health(); err != nil {
				t.Fatal(err)
			}
		}
		s.health.mu.Lock()
		defer s.health.mu.Unlock()
		if s.health.probes != probes {
			t.Fatalf("%d probes while messages were stored", s.health.probes-probes)
		}
	})
}

// The probe writes: on a read-only disk it fails.
func TestProbeWrites(t *testing.T) {
	dir := t.TempDir()
	s := openWith(t, dir, Options{})
	ctx := context.Background()
	if err := s.probe(ctx); err != nil {
		t.Fatal(err)
	}
	faildisk.ReadOnly(t, dir, DBFile, DBFile+"-wal")
	if err := s.probe(ctx); !IsDiskError(err) {
		t.Fatalf("probe on a read-only disk: %v", err)
	}
	if err := s.Close(); err != nil && !errors.Is(err, ErrClosed) {
		t.Logf("close on a read-only disk: %v", err)
	}
}
