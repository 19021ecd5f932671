// Package daemon runs the chat server headless: flags, logging, listening and
// a clean stop on SIGINT/SIGTERM. Both `confab serve` and confabd use it.
package daemon

import (
	"context"
	"errors"
	"flag"
	"fmt"
	"io"
	"log/slog"
	"net/http"
	_ "net/http/pprof" // for --pprof
	"os"
	"os/signal"
	"path/filepath"
	"runtime/debug"
	"strings"
	"syscall"

	"golang.org/x/time/rate"

	"confab/discovery"
	"confab/host"
	"confab/server"
	"confab/server/auth"
	"confab/server/certs"
	"confab/wire"
)

// Defaults of the command line.
const (
	DefaultAddr = "0.0.0.0:7878"
	// gcPercent is the server's GOGC unless the environment sets one: a
	// connect storm costs 25-30% less CPU per handshake than at Go's 100
	// (make bench), for a heap that may grow to 3x the live one instead of 2x.
	gcPercent = 200
)

// DatabaseEnv is the environment variable that gives --database's default
// (the flag wins).
const DatabaseEnv = "CONFAB_DATABASE"

// DefaultDataDir is the user's config directory plus "confab".
func DefaultDataDir() string {
	dir, err := os.UserConfigDir()
	if err != nil {
		return "confab-data"
	}
	return filepath.Join(dir, "confab")
}

// Run parses args (without the program name), serves until ctx ends or a
// signal arrives, then stops cleanly. Messages go to stderr.
func Run(ctx context.Context, name string, args []string, stderr io.Writer) error {
	fs := flag.NewFlagSet(name, flag.ContinueOnError)
	fs.SetOutput(stderr)
	addr := fs.String("addr", DefaultAddr, "address to listen on")
	dataDir := fs.String("data-dir", DefaultDataDir(), "directory for the database and the generated JWT secret")
	database := fs.String("database", "", "PostgreSQL URL (postgres://user:password@host:port/db) to keep the chat in instead of SQLite in the data directory (default $"+DatabaseEnv+")")
	filesDir := fs.String("files-dir", "", "directory for uploaded files (default: files in --data-dir); the nodes of a cluster share one, on NFS or similar")
	ttl := fs.Duration("token-ttl", auth.DefaultTTL, "lifetime of issued tokens")
	maxSessionAge := fs.Duration("max-session-age", server.DefaultMaxSessionAge, "longest a sign-in lasts, refreshes included; then sign in again (negative: no limit)")
	noSignup := fs.Bool("no-signup", false, "refuse self-registration")
	origins := fs.String("origins", "", "comma-separated browser origins allowed besides the server's own (* for any)")
	maxPayload := fs.Int64("max-payload", server.DefaultMaxPayload, "largest websocket frame or polling body, in bytes")
	logLevel := fs.String("log-level", "info", "debug, info, warn or error")
	eventRate := fs.Float64("event-rate", server.DefaultEventRate, "events per second per socket, sustained")
	eventBurst := fs.Int("event-burst", server.DefaultEventBurst, "events per socket in a burst")
	maxMessageWait := fs.Duration("max-message-wait", server.DefaultMaxMessageWait, "a message that waited longer for its socket's earlier events is refused as unavailable (the client sends it again)")
	maxInFlight := fs.Int("max-in-flight", server.DefaultMaxInFlight, "messages of one socket that may wait for their commit at once; past it the socket's next event waits for the oldest")
	var per server.Config // per-user and per-socket limits
	fs.IntVar(&per.SocketsPerUser, "sockets-per-user", server.DefaultSocketsPerUser, "sockets one user may hold at once")
	fs.IntVar(&per.RoomsPerSocket, "rooms-per-socket", server.DefaultRoomsPerSocket, "rooms one socket may be in")
	userRate := fs.Float64("user-message-rate", server.DefaultUserMessageRate, "messages per second per user, all their sockets together (edits, deletions and reactions count too)")
	fs.IntVar(&per.UserMessageBurst, "user-message-burst", server.DefaultUserMessageBurst, "messages per user in a burst")
	fs.DurationVar(&per.PresenceGrace, "presence-grace", server.DefaultPresenceGrace, "a user back within this is never shown offline")
	fs.Int64Var(&per.MaxOutbound, "max-outbound", server.DefaultMaxOutbound, "bytes waiting to be sent to one socket before it is cut off")
	fs.Int64Var(&per.MaxFileSize, "max-file-size", wire.DefaultMaxFileSize, "largest file one may upload, in bytes")
	fs.IntVar(&per.MaxReplyBytes, "max-reply-bytes", server.DefaultMaxReplyBytes, "bytes of messages in one history or join reply")
	readRate := fs.Float64("user-read-rate", server.DefaultUserReadRate, "bytes of history and user lists per second per user, all their sockets together")
	fs.IntVar(&per.UserReadBurst, "user-read-burst", server.DefaultUserReadBurst, "bytes of history per user in a burst")
	pingInterval := fs.Duration("ping-interval", server.DefaultPingInterval, "how often each socket is pinged")
	pingTimeout := fs.Duration("ping-timeout", server.DefaultPingTimeout, "how long a socket may take to answer a ping before it is dropped")
	var lim host.Limits
	fs.IntVar(&lim.MaxConns, "max-conns", host.DefaultMaxConns, "connections open at once, all clients together")
	fs.IntVar(&lim.MaxConnsPerAddr, "max-conns-per-addr", host.DefaultMaxConnsPerAddr, "connections one address may hold open (and Socket.IO sessions, long-polling ones too)")
	fs.DurationVar(&lim.ReadTimeout, "read-timeout", host.DefaultReadTimeout, "time to read one HTTP request")
	fs.DurationVar(&lim.WriteTimeout, "write-timeout", host.DefaultWriteTimeout, "time to answer one HTTP request")
	fs.DurationVar(&lim.IdleTimeout, "idle-timeout", host.DefaultIdleTimeout, "an idle keep-alive connection is closed after this")
	fs.IntVar(&lim.MaxHeaderBytes, "max-header-bytes", host.DefaultMaxHeaderBytes, "largest request headers, in bytes")
	pprofAddr := fs.String("pprof", "", "serve Go profiles (net/http/pprof) on this address, e.g. 127.0.0.1:6060; off by default")
	metricsAddr := fs.String("metrics-addr", "", "serve Prometheus metrics at /metrics on this address, e.g. 127.0.0.1:9464; off by default")
	signupBurst := fs.Int("signup-burst", server.DefaultRegisterPerAddr, "accounts one address may create in a burst")
	tlsCert := fs.String("tls-cert", "", "PEM certificate (chain) to serve HTTPS with, instead of the generated self-signed one")
	tlsKey := fs.String("tls-key", "", "PEM private key of --tls-cert")
	insecure := fs.Bool("insecure-http", false, "serve plain HTTP: passwords and tokens cross the network readable by anyone on it")
	noAnnounce := fs.Bool("no-announce", false, "do not announce the chat on the local network (mDNS/DNS-SD)")
	healthProbe := fs.Duration("health-probe-interval", server.DefaultHealthProbeInterval,
		"/healthz tests the database with a tiny write when nothing was stored for this long, at most once per interval; a failing database is retried as often")
	healthTimeout := fs.Duration("health-probe-timeout", server.DefaultHealthProbeTimeout, "how long /healthz waits for that write before answering degraded")
	storeRetry := fs.Duration("store-retry", server.DefaultStoreRetry, "how long a batch of messages the disk refused is retried before the senders are told it failed")
	nodeFlag := fs.String("node-id", "", "this node's name in a cluster (with --database): in /healthz, the logs and pg_stat_activity; unique per node (default <host name>:<port of --addr>)")
	trustedProxy := fs.String("trusted-proxy", "", "comma-separated CIDR ranges of load balancers whose X-Forwarded-For names the client, for per-address limits and logs (docs/loadbalancer.md); default none: the header is ignored")
	chatName := fs.String("name", "", "chat name joiners see in their list of chats on the network (default \"Confab on <host name>\")")
	fs.Usage = func() {
		fmt.Fprintf(stderr, "Usage: %s [flags]\n\nRuns the Confab chat server without a window.\n"+
			"The JWT secret comes from %s (environment or ./.env), else is generated in the data directory.\n\n",
			name, auth.SecretEnv)
		fs.PrintDefaults()
	}
	if err := fs.Parse(args); err != nil {
		return err
	}
	if fs.NArg() > 0 {
		return fmt.Errorf("unexpected argument %q (see -h)", fs.Arg(0))
	}
	*database = databaseOf(*database) // admin.go
	if os.Getenv("GOGC") == "" {
		debug.SetGCPercent(gcPercent)
	}
	var level slog.Level
	if err := level.UnmarshalText([]byte(*logLevel)); err != nil {
		return fmt.Errorf("--log-level: %w", err)
	}
	log := slog.New(slog.NewTextHandler(stderr, &slog.HandlerOptions{Level: level}))
	cert, err := loadCert(*dataDir, *tlsCert, *tlsKey, *insecure)
	if err != nil {
		return err
	}
	if *pprofAddr != "" {
		go func() {
			// The default mux carries only the pprof handlers here.
			log.Warn("profiling endpoint on", "addr", *pprofAddr, "err", http.ListenAndServe(*pprofAddr, nil)) //nolint:gosec
		}()
	}
	logTLS(cert, log) // before serving: whoever gets an answer finds this logged
	h, err := host.Start(host.Config{
		Server: server.Config{
			DataDir:              *dataDir,
			Database:             *database,
			FilesDir:             *filesDir,
			NodeID:               nodeID(*nodeFlag, *database, *addr), // node.go
			TokenTTL:             *ttl,
			MaxSessionAge:        *maxSessionAge,
			NoSignup:             *noSignup,
			AllowedOrigins:       splitList(*origins),
			MaxPayload:           *maxPayload,
			EventRate:            rate.Limit(*eventRate),
			EventBurst:           *eventBurst,
			MaxMessageWait:       *maxMessageWait,
			MaxInFlight:          *maxInFlight,
			PingInterval:         *pingInterval,
			PingTimeout:          *pingTimeout,
			RegistrationsPerAddr: *signupBurst,
			SocketsPerUser:       per.SocketsPerUser,
			RoomsPerSocket:       per.RoomsPerSocket,
			UserMessageRate:      rate.Limit(*userRate),
			UserMessageBurst:     per.UserMessageBurst,
			PresenceGrace:        per.PresenceGrace,
			MaxOutbound:          per.MaxOutbound,
			MaxReplyBytes:        per.MaxReplyBytes,
			MaxFileSize:          per.MaxFileSize,
			UserReadRate:         rate.Limit(*readRate),
			UserReadBurst:        per.UserReadBurst,
			HealthProbeInterval:  *healthProbe,
			HealthProbeTimeout:   *healthTimeout,
			StoreRetry:           *storeRetry,
			TrustedProxies:       splitList(*trustedProxy),
			Logger:               log,
		},
		Addr:     *addr,
		Cert:     cert,
		Announce: announceName(*noAnnounce, *chatName),
		Limits:   lim,
		ErrorLog: slog.NewLogLogger(log.Handler(), slog.LevelDebug),
	})
	if err != nil {
		return err
	}
	if *metricsAddr != "" {
		defer serveMetrics(*metricsAddr, h.Server().Metrics(), log)()
	}
	if stop, err := h.Server().ListenOperator(*dataDir); err != nil {
		log.Warn("no operator socket: confabd users and invite will not reach this server", "err", err)
	} else {
		defer stop()
	}
	logAnnounce(h, log)
	return serveUntilStopped(ctx, h, log)
}

// announceName is the name to announce the chat under, empty when not.
func announceName(off bool, name string) string {
	if off {
		return ""
	}
	if name == "" {
		name = "Confab on " + discovery.Machine()
	}
	return name
}

func logTLS(cert *certs.Cert, log *slog.Logger) {
	if cert != nil {
		log.Info("serving HTTPS", "safety_code", wire.SafetyCode(cert.Fingerprint), "fingerprint", cert.Fingerprint, "self_signed", cert.SelfSigned)
	} else {
		log.Warn("serving plain HTTP (--insecure-http): passwords and tokens are readable on the network")
	}
}

func logAnnounce(h *host.Host, log *slog.Logger) {
	switch name, err := h.Announced(); {
	case name != "":
		log.Info("announcing on the local network", "service", discovery.Service, "name", name)
	case errors.Is(err, host.ErrLoopbackOnly):
		log.Info("not announcing on the local network: " + err.Error())
	case err != nil:
		log.Warn("not announcing on the local network", "err", err)
	default:
		log.Info("not announcing on the local network (--no-announce)")
	}
	log.Info("listening", "addr", h.Addr().String())
	for _, inv := range h.Invitations() {
		log.Info("joiners can use this invitation (no question about the key)", "link", inv.String())
	}
}

// loadCert picks the certificate: the configured one, else the generated
// one in the data directory; none only with --insecure-http.
func loadCert(dataDir, certFile, keyFile string, insecure bool) (*certs.Cert, error) {
	switch {
	case insecure && (certFile != "" || keyFile != ""):
		return nil, errors.New("--insecure-http cannot be combined with --tls-cert/--tls-key")
	case insecure:
		return nil, nil
	case (certFile == "") != (keyFile == ""):
		return nil, errors.New("--tls-cert and --tls-key go together")
	case certFile != "":
		return certs.Load(certFile, keyFile)
	}
	return certs.LoadOrCreate(dataDir)
}

// serveUntilStopped waits for ctx to end or for SIGINT/SIGTERM, then stops the host
// (sockets told and closed, HTTP drained, database closed).
func serveUntilStopped(ctx context.Context, h *host.Host, log *slog.Logger) error {
	ctx, stop := signal.NotifyContext(ctx, os.Interrupt, syscall.SIGTERM)
	defer stop()
	<-ctx.Done()
	log.Info("stopping")
	return h.Stop()
}

func splitList(s string) []string {
	var out []string
	for _, p := range strings.Split(s, ",") {
		if p = strings.TrimSpace(p); p != "" {
			out = append(out, p)
		}
	}
	return out
}
