package app

import (
	"net"
	"path/filepath"
	"strconv"
	"testing"
	"time"

	"confab/app/bridge"
	"confab/client"
	"confab/internal/testchat"
)

// Rounds of each way to stop a hosted chat.
const stopRounds = 20

// A joiner sees the host's chat stop within 2 s, whether the host pressed
// Stop hosting or quit the app, every round; and it is back online within
// 2 s of the host's return.
func TestJoinersSeeTheHostStop(t *testing.T) {
	port := freePort(t)
	dir := t.TempDir()
	pins := client.NewFilePins(filepath.Join(t.TempDir(), "pins.json"))
	var bob *testchat.Peer
	for _, how := range []string{"Stop hosting", "Quit"} {
		for round := 0; round < stopRounds; round++ {
			ui := newUI(t)
			ui.hostDir = dir
			back := time.Now() // the host is back at most this long after
			hostAs(ui, port, "hostess", "password-h", bob == nil)
			waitUI(t, "hosting", func() bool { return ui.host != nil && ui.chat != nil && ui.chat.State() == client.Online })
			if bob == nil {
				fp := onUI(func() string { return ui.host.Fingerprint() })
				bob = testchat.Join(t, "127.0.0.1:"+strconv.Itoa(port), "bob", "password-b", client.WithPins(pins), client.WithFingerprint(fp))
			}
			at, ok := bob.WaitState(client.Online, back, 10*time.Second)
			if !ok {
				t.Fatalf("%s, round %d: the joiner is not online again; host back at %s:%s", how, round,
					back.Format("15:04:05.000"), bob.History(back.Add(-20*time.Second)))
			}
			d := at.Sub(back)
			if round > 0 && d > 2*time.Second {
				t.Errorf("%s, round %d: the joiner was back online %v after the host started", how, round, d)
			}
			stopped := time.Now()
			if how == "Quit" {
				bridge.DoAndWait(ui.shutdown)
				<-ui.hostStopped
			} else {
				bridge.DoAndWait(ui.logout)
				waitUI(t, "login after stop", func() bool { return ui.login != nil })
				<-onUI(func() chan struct{} { return ui.hostStopped })
			}
			at, ok = bob.WaitState(client.Reconnecting, stopped, 2*time.Second)
			if !ok {
				t.Fatalf("%s, round %d: the joiner did not notice within 2 s:%s", how, round, bob.History(stopped))
			}
			t.Logf("%s, round %d: online %v after the host started, noticed the stop after %v", how, round,
				d.Round(time.Millisecond), at.Sub(stopped).Round(time.Millisecond))
		}
	}
}

func freePort(t *testing.T) int {
	ln, err := net.Listen("tcp", ":0")
	if err != nil {
		t.Fatal(err)
	}
	defer ln.Close()
	return ln.Addr().(*net.TCPAddr).Port
}
