package sioopen_test

import (
	"bufio"
	"crypto/sha1"
	"encoding/base64"
	"io"
	"net"
	"net/http"
	"sync"
	"sync/atomic"
	"testing"
	"time"

	"github.com/zishang520/engine.io/v2/types"
	csock "github.com/zishang520/socket.io-client-go/socket"

	"confab/internal/sioopen"
	"confab/internal/testserver"
	"confab/server"
)

// eagerServer accepts websocket upgrades and sends the Engine.IO open
// packet in the same write as the 101 response, so the client has it
// buffered before its dial returns: the widest the library's race can be.
func eagerServer(t *testing.T) string {
	ln, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { ln.Close() })
	open := `0{"sid":"s","upgrades":[],"pingInterval":25000,"pingTimeout":20000,"maxPayload":100000}`
	go func() {
		for {
			c, err := ln.Accept()
			if err != nil {
				return
			}
			go func() {
				defer c.Close()
				req, err := http.ReadRequest(bufio.NewReader(c))
				if err != nil {
					return
				}
				h := sha1.Sum([]byte(req.Header.Get("Sec-WebSocket-Key") + "258EAFA5-E914-47DA-95CA-C5AB0DC85B11"))
				resp := "HTTP/1.1 101 Switching Protocols\r\nUpgrade: websocket\r\nConnection: Upgrade\r\n" +
					"Sec-WebSocket-Accept: " + base64.StdEncoding.EncodeToString(h[:]) + "\r\n\r\n"
				frame := append([]byte{0x81, byte(len(open))}, open...)
				c.Write(append([]byte(resp), frame...)) //nolint:errcheck
				io.Copy(io.Discard, c)                  //nolint:errcheck
			}()
		}
	}()
	return "http://" + ln.Addr().String()
}

// An open attempt ends in one of these.
type result int

const (
	opened     result = iota
	staleTimer        // opened, then the connect timer fired anyway
	timedOut          // the manager saw no open (engineOpened tells if it should have)
)

// openRace opens one manager against url. With the gate, it also learns
// whether the engine itself opened, since it can listen before the dial.
func openRace(url string, gated bool) (r result, engineOpened bool) {
	ctor, release := csock.WebSocket, func() {}
	if gated {
		ctor, release = sioopen.WebSocket()
	}
	defer release()
	opts := csock.DefaultManagerOptions()
	opts.SetTransports(types.NewSet(ctor))
	opts.SetReconnection(false)
	opts.SetAutoConnect(false)
	opts.SetTimeout(openTimer)
	m := csock.NewManager(url, opts)
	results := make(chan error, 2)
	timerDone := time.After(openTimer + 50*time.Millisecond)
	m.Open(func(err error) { results <- err })
	var engineOpen atomic.Bool
	m.Engine().On("open", func(...any) { engineOpen.Store(true) })
	defer func() {
		e := m.Engine()
		e.RemoveAllListeners("close") // the manager's close handler panics on a nil error (pitfall 16)
		e.Close()
	}()
	release()
	first := <-results
	select {
	case <-results:
		return staleTimer, engineOpen.Load()
	case <-timerDone:
		if first != nil {
			return timedOut, engineOpen.Load()
		}
		return opened, true
	}
}

const openTimer = 50 * time.Millisecond

func TestOpenIsNeverLost(t *testing.T) {
	url := eagerServer(t)
	const workers, each = 8, 50
	var mu sync.Mutex
	count := map[string]int{}
	var wg sync.WaitGroup
	for w := 0; w < workers; w++ {
		wg.Add(1)
		go func() {
			defer wg.Done()
			for i := 0; i < each; i++ {
				r, engineOpened := openRace(url, true)
				key := "opened"
				switch {
				case r == staleTimer:
					key = "stale timer"
				case r == timedOut && engineOpened:
					key = "open missed"
				case r == timedOut:
					key = "slow dial" // a loaded machine; not the defect
				}
				mu.Lock()
				count[key]++
				mu.Unlock()
			}
		}()
	}
	wg.Wait()
	t.Logf("%d attempts: %v", workers*each, count)
	if count["stale timer"]+count["open missed"] > 0 {
		t.Fatalf("the library lost an open despite the gate: %v", count)
	}
	if count["opened"] < workers*each/2 {
		t.Fatalf("too few opens to tell: %v", count)
	}
}

// Canary: without the gate the library loses the race (pitfall 17): a few
// percent of attempts against eagerServer. Stops at the first loss.
func TestCanaryUngatedOpenIsLost(t *testing.T) {
	url := eagerServer(t)
	const workers, most = 8, 2000
	var tries, lost atomic.Int32
	var wg sync.WaitGroup
	for w := 0; w < workers; w++ {
		wg.Add(1)
		go func() {
			defer wg.Done()
			for lost.Load() == 0 && tries.Add(1) <= most {
				if r, _ := openRace(url, false); r != opened {
					lost.Add(1)
				}
			}
		}()
	}
	wg.Wait()
	t.Logf("without the gate: %d lost in %d attempts", lost.Load(), min(tries.Load(), most))
	if lost.Load() == 0 {
		t.Fatal("no open lost: socket.io-client-go may have fixed pitfall 17; re-check and drop internal/sioopen")
	}
}

// The writable race (see the package comment) is a few instructions wide
// and cannot be provoked on demand; on a loaded machine it held back about
// one CONNECT in a hundred. Dial the real server many times: each dial must
// connect within the test helper's timeout, never waiting for a ping.
func TestDialsNeverHang(t *testing.T) {
	env := testserver.Start(t, server.Config{})
	tok := env.Register("alice", "password-a").Token
	for i := 0; i < 300; i++ {
		s, err := testserver.Dial(env.URL, testserver.DialOpts{Token: tok})
		if err != nil {
			t.Fatalf("dial %d: %v", i, err)
		}
		s.Close()
	}
}
