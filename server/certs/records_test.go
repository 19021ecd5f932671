package certs

import (
	"crypto/tls"
	"encoding/binary"
	"io"
	"net"
	"sync"
	"testing"
)

// recorder keeps the raw bytes a TLS client reads.
type recorder struct {
	net.Conn
	mu  sync.Mutex
	raw []byte
}

func (r *recorder) Read(p []byte) (int, error) {
	n, err := r.Conn.Read(p)
	r.mu.Lock()
	r.raw = append(r.raw, p[:n]...)
	r.mu.Unlock()
	return n, err
}

// One write of a burst (8 KiB) is one TLS record, on a fresh connection.
func TestABurstIsOneRecord(t *testing.T) {
	t.Parallel()
	c, err := LoadOrCreate(t.TempDir())
	if err != nil {
		t.Fatal(err)
	}
	ln, err := tls.Listen("tcp", "127.0.0.1:0", c.Config())
	if err != nil {
		t.Fatal(err)
	}
	defer ln.Close()
	burst := make([]byte, 8<<10)
	go func() {
		conn, err := ln.Accept()
		if err != nil {
			return
		}
		defer conn.Close()
		conn.(*tls.Conn).Handshake() //nolint:errcheck // the client sees it
		conn.Write(burst)            //nolint:errcheck
	}()
	raw, err := net.Dial("tcp", ln.Addr().String())
	if err != nil {
		t.Fatal(err)
	}
	rec := &recorder{Conn: raw}
	client := tls.Client(rec, &tls.Config{InsecureSkipVerify: true, MaxVersion: tls.VersionTLS12}) //nolint:gosec // a test of framing
	defer client.Close()
	if err := client.Handshake(); err != nil {
		t.Fatal(err)
	}
	if _, err := io.ReadFull(client, make([]byte, len(burst))); err != nil {
		t.Fatal(err)
	}
	rec.mu.Lock()
	data := rec.raw // TLS 1.2: only the burst is application data
	rec.mu.Unlock()
	records := 0
	for len(data) >= 5 {
		if data[0] == 23 {
			records++
		}
		data = data[min(len(data), 5+int(binary.BigEndian.Uint16(data[3:5]))):]
	}
	if records != 1 {
		t.Fatalf("an 8 KiB write went out in %d records, want 1", records)
	}
}
