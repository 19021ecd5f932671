// Package pgtest starts PostgreSQL servers for tests: initdb into a fresh
// directory, the server on a free loopback port with fsync off (for tests
// only: a test's data may be lost by a crash of the machine, nothing else),
// run as the postgres user when the test runs as root (the server refuses to
// run as root). Tests never rely on a server that happens to be running.
//
// A test that only needs an empty database calls DB; a test that stops,
// restarts or kills the server starts its own with Start.
package pgtest

import (
	"bytes"
	"context"
	"crypto/rand"
	"database/sql"
	"encoding/hex"
	"errors"
	"fmt"
	"net"
	"os"
	"os/exec"
	"os/user"
	"path/filepath"
	"sort"
	"strconv"
	"strings"
	"sync"
	"syscall"
	"testing"
	"time"

	_ "github.com/jackc/pgx/v5/stdlib" // the "pgx" database/sql driver

	"confab/internal/need"
)

// Install says how to get PostgreSQL's server programs.
const Install = "needs PostgreSQL's server (apt-get install postgresql; make test installs it)"

// Instance is a PostgreSQL server a test started.
type Instance struct {
	Port int
	dir  string // the data directory, also the socket directory
	bin  string // the directory of initdb and postgres
	cred *syscall.Credential

	// Durable: the server syncs its commits to disk, as a production one
	// does (benchmarks); tests run with fsync off.
	Durable bool

	mu  sync.Mutex
	cmd *exec.Cmd
}

// BinDir finds PostgreSQL's server programs: Debian keeps them in
// /usr/lib/postgresql/VERSION/bin, off PATH; the newest version wins.
func BinDir() (string, error) {
	found, _ := filepath.Glob("/usr/lib/postgresql/*/bin/postgres")
	sort.Slice(found, func(i, j int) bool { return version(found[i]) > version(found[j]) })
	if len(found) > 0 {
		return filepath.Dir(found[0]), nil
	}
	if p, err := exec.LookPath("postgres"); err == nil {
		if _, err := exec.LookPath("initdb"); err == nil {
			return filepath.Dir(p), nil
		}
	}
	return "", errors.New("PostgreSQL's server programs (initdb, postgres) not found")
}

func version(path string) int {
	n, _ := strconv.Atoi(filepath.Base(filepath.Dir(filepath.Dir(path))))
	return n
}

// Start initialises and starts a server of the test's own, stopped and
// removed when the test ends.
func Start(t testing.TB) *Instance {
	t.Helper()
	in, err := New()
	if errors.Is(err, errMissing) {
		need.Tool(t, Install)
	}
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(in.Remove)
	return in
}

var errMissing = errors.New(Install)

// New initialises and starts a server; Remove stops it and deletes its data.
func New() (*Instance, error) { return newInstance(false) }

// NewDurable is New with a server that syncs its commits (Durable), for
// benchmarks that compare it with SQLite's full sync.
func NewDurable() (*Instance, error) { return newInstance(true) }

func newInstance(durable bool) (*Instance, error) {
	bin, err := BinDir()
	if err != nil {
		return nil, fmt.Errorf("%w: %v", errMissing, err)
	}
	dir, err := os.MkdirTemp("", "confab-pg-")
	if err != nil {
		return nil, err
	}
	in := &Instance{dir: dir, bin: bin, Durable: durable}
	if os.Geteuid() == 0 {
		if in.cred, err = postgresUser(); err != nil {
			os.RemoveAll(dir)
			return nil, err
		}
		if err := os.Chown(dir, int(in.cred.Uid), int(in.cred.Gid)); err != nil {
			os.RemoveAll(dir)
			return nil, err
		}
	}
	data := filepath.Join(dir, "data")
	initdb := exec.Command(filepath.Join(bin, "initdb"), "-D", data, "-U", "postgres",
		"--auth=trust", "--no-sync", "-E", "UTF8", "--locale=C")
	initdb.SysProcAttr = &syscall.SysProcAttr{Credential: in.cred}
	initdb.Dir = dir
	if out, err := initdb.CombinedOutput(); err != nil {
		os.RemoveAll(dir)
		return nil, fmt.Errorf("initdb: %v: %s", err, out)
	}
	for try := 0; ; try++ {
		if err = in.startOn(freePort()); err == nil || try == 4 {
			break
		}
	}
	if err != nil {
		os.RemoveAll(dir)
		return nil, err
	}
	return in, nil
}

// postgresUser is the account the server runs as when the test is root.
func postgresUser() (*syscall.Credential, error) {
	u, err := user.Lookup("postgres")
	if err != nil {
		return nil, fmt.Errorf("%w: no postgres user (%v)", errMissing, err)
	}
	uid, _ := strconv.Atoi(u.Uid)
	gid, _ := strconv.Atoi(u.Gid)
	return &syscall.Credential{Uid: uint32(uid), Gid: uint32(gid)}, nil
}

func freePort() int {
	l, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		return 0
	}
	defer l.Close()
	return l.Addr().(*net.TCPAddr).Port
}

// startOn starts the server on port and waits until it takes connections.
func (in *Instance) startOn(port int) error {
	in.Port = port
	return in.Restart()
}

// Restart starts the server again (after Stop or Kill) on the same port and
// data, and waits until it takes connections.
func (in *Instance) Restart() error {
	in.mu.Lock()
	defer in.mu.Unlock()
	logPath := filepath.Join(in.dir, "server.log")
	logFile, err := os.OpenFile(logPath, os.O_CREATE|os.O_WRONLY|os.O_APPEND, 0o644)
	if err != nil {
		return err
	}
	defer logFile.Close()
	syncs := "off"
	if in.Durable {
		syncs = "on"
	}
	cmd := exec.Command(filepath.Join(in.bin, "postgres"), "-D", filepath.Join(in.dir, "data"),
		"-p", strconv.Itoa(in.Port), "-k", in.dir, "-c", "listen_addresses=127.0.0.1",
		"-c", "fsync="+syncs, "-c", "full_page_writes="+syncs, "-c", "max_connections=400",
		"-c", "shared_buffers=32MB")
	cmd.Stdout, cmd.Stderr = logFile, logFile
	// Pdeathsig: a test binary that dies takes its server with it (SIGQUIT
	// is PostgreSQL's immediate shutdown).
	cmd.SysProcAttr = &syscall.SysProcAttr{Credential: in.cred, Pdeathsig: syscall.SIGQUIT}
	if err := cmd.Start(); err != nil {
		return fmt.Errorf("start postgres: %w", err)
	}
	exited := make(chan error, 1)
	go func() { exited <- cmd.Wait() }()
	in.cmd = cmd
	deadline := time.Now().Add(60 * time.Second)
	for time.Now().Before(deadline) {
		select {
		case err := <-exited:
			in.cmd = nil
			return fmt.Errorf("postgres exited: %v: %s", err, tail(logPath))
		case <-time.After(50 * time.Millisecond):
		}
		if in.ping() == nil {
			go func() { <-exited }() // reaped by Stop's Wait
			return nil
		}
	}
	cmd.Process.Kill()
	return fmt.Errorf("postgres did not take connections in 60 s: %s", tail(logPath))
}

func (in *Instance) ping() error {
	db, err := sql.Open("pgx", in.DSN("postgres"))
	if err != nil {
		return err
	}
	defer db.Close()
	ctx, cancel := context.WithTimeout(context.Background(), time.Second)
	defer cancel()
	return db.PingContext(ctx)
}

func tail(path string) string {
	b, _ := os.ReadFile(path)
	if len(b) > 2000 {
		b = b[len(b)-2000:]
	}
	return strings.TrimSpace(string(b))
}

// DSN is the connection string of database db on the server.
func (in *Instance) DSN(db string) string {
	return fmt.Sprintf("postgres://postgres@127.0.0.1:%d/%s?sslmode=disable", in.Port, db)
}

// Stop shuts the server down (fast: open connections are ended) and waits.
func (in *Instance) Stop() { in.signal(syscall.SIGINT) }

// Kill ends the server at once, as a crash would (its data survives):
// the postmaster and every backend. Killing the postmaster alone leaves its
// backends serving the connections they hold until they notice its death,
// which on a loaded machine took long enough for a client's Ping on a
// pooled connection to succeed (CI, TestKillAndRestartKeepData).
func (in *Instance) Kill() { in.signal(syscall.SIGKILL) }

func (in *Instance) signal(sig syscall.Signal) {
	in.mu.Lock()
	defer in.mu.Unlock()
	if in.cmd == nil {
		return
	}
	p := in.cmd.Process
	var backends []int
	if sig == syscall.SIGKILL {
		backends = childrenOf(p.Pid) // before the kill: then they have no parent to find them by
	}
	p.Signal(sig)
	for _, pid := range backends {
		syscall.Kill(pid, syscall.SIGKILL)
	}
	done := make(chan struct{})
	go func() {
		for p.Signal(syscall.Signal(0)) == nil {
			time.Sleep(20 * time.Millisecond)
		}
		close(done)
	}()
	select {
	case <-done:
	case <-time.After(15 * time.Second):
		p.Kill()
		<-done
	}
	in.cmd = nil
	if sig == syscall.SIGKILL {
		// A backend forked after the list was read notices the
		// postmaster's death and leaves; the next start waits for them
		// (postmaster.pid names the dead one).
		waitGone(backends)
		waitBackendsGone(in.Port)
	}
}

// childrenOf lists the live processes whose parent is pid (from /proc).
func childrenOf(pid int) []int {
	entries, _ := os.ReadDir("/proc")
	var kids []int
	for _, e := range entries {
		child, err := strconv.Atoi(e.Name())
		if err != nil {
			continue
		}
		if state, ppid, ok := procStat(child); ok && state != "Z" && ppid == pid {
			kids = append(kids, child)
		}
	}
	return kids
}

// procStat reads a process's state and parent from /proc/PID/stat.
func procStat(pid int) (state string, ppid int, ok bool) {
	b, err := os.ReadFile("/proc/" + strconv.Itoa(pid) + "/stat")
	if err != nil {
		return "", 0, false
	}
	// pid (comm) state ppid ...: comm may hold spaces, so read after the last ')'.
	f := strings.Fields(string(b[bytes.LastIndexByte(b, ')')+1:]))
	if len(f) < 2 {
		return "", 0, false
	}
	ppid, err = strconv.Atoi(f[1])
	return f[0], ppid, err == nil
}

// waitGone waits (at most 15 s) until none of pids runs (a zombie has
// let go of everything: it counts as gone).
func waitGone(pids []int) {
	deadline := time.Now().Add(15 * time.Second)
	for _, pid := range pids {
		for time.Now().Before(deadline) {
			if state, _, ok := procStat(pid); !ok || state == "Z" {
				break
			}
			time.Sleep(20 * time.Millisecond)
		}
	}
}

// waitBackendsGone waits until nothing listens on port any more.
func waitBackendsGone(port int) {
	for i := 0; i < 200; i++ {
		c, err := net.DialTimeout("tcp", fmt.Sprintf("127.0.0.1:%d", port), 100*time.Millisecond)
		if err != nil {
			return
		}
		c.Close()
		time.Sleep(50 * time.Millisecond)
	}
}

// Remove stops the server and deletes its data.
func (in *Instance) Remove() {
	in.Stop()
	os.RemoveAll(in.dir)
}

// NewDB creates an empty database with a name of its own and returns its DSN.
func (in *Instance) NewDB(t testing.TB) string {
	t.Helper()
	name := "t_" + randHex()
	db, err := sql.Open("pgx", in.DSN("postgres"))
	if err != nil {
		t.Fatal(err)
	}
	defer db.Close()
	if _, err := db.Exec(`CREATE DATABASE ` + name); err != nil {
		t.Fatalf("create database: %v", err)
	}
	return in.DSN(name)
}

func randHex() string {
	b := make([]byte, 6)
	rand.Read(b)
	return hex.EncodeToString(b)
}

var shared struct {
	once sync.Once
	in   *Instance
	err  error
}

// DB returns the DSN of a new, empty database on a server shared by the
// test binary's tests (started by the first; stopped when the binary exits,
// by Main or else by the parent-death signal).
func DB(t testing.TB) string {
	t.Helper()
	shared.once.Do(func() { shared.in, shared.err = New() })
	if errors.Is(shared.err, errMissing) {
		need.Tool(t, Install)
	}
	if shared.err != nil {
		t.Fatal(shared.err)
	}
	return shared.in.NewDB(t)
}

// Main runs a package's tests and then removes the shared server: call it
// from TestMain (os.Exit(pgtest.Main(m))).
func Main(m *testing.M) int {
	code := m.Run()
	if shared.in != nil {
		shared.in.Remove()
	}
	return code
}
