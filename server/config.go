package server

import (
	"log/slog"
	"time"

	"golang.org/x/time/rate"

	"confab/internal/clientaddr"
	"confab/internal/sio"
	"confab/wire"
)

// Defaults of Config. Every limit of the server is one of these or a
// constant of package wire.
const (
	DefaultMaxPayload       = sio.DefaultMaxPayload   // bytes per websocket frame or polling body
	DefaultEventRate        = 30                      // events per second per socket, sustained
	DefaultEventBurst       = 60                      // events per socket in a burst
	DefaultMaxMessageWait   = 5 * time.Second         // a message queued longer behind its socket's events is refused, not stored
	DefaultMaxInFlight      = 64                      // messages of one socket waiting for their commit at once (pipeline.go)
	MaxAuthBody             = 16 << 10                // bytes of a /register or /login body
	DefaultUsersListed      = 1000                    // users returned by the users event
	DefaultPingInterval     = sio.DefaultPingInterval // a frozen server or dead network is noticed within interval + timeout
	DefaultPingTimeout      = sio.DefaultPingTimeout
	storeTimeout            = 10 * time.Second
	DefaultLoginPerUser     = 5           // failed logins per username before throttling
	DefaultLoginPerAddr     = 20          // failed logins per address before throttling
	DefaultLoginWindow      = time.Minute // time over which one failure is forgiven, per limit
	MaxThrottleKeys         = 100_000     // tracked usernames/addresses at most
	DefaultRegisterPerAddr  = 20          // accounts one address may create in a burst
	DefaultSocketsPerUser   = 16          // sockets one user may hold at once
	DefaultRoomsPerSocket   = 100         // rooms one socket may be in
	DefaultUserMessageRate  = 30          // messages per second per user, all their sockets together
	DefaultUserMessageBurst = 60
	DefaultPresenceGrace    = 3 * time.Second        // a user back within this never went offline for others
	DefaultMaxOutbound      = sio.DefaultMaxOutbound // bytes waiting to be sent to one socket
	DefaultMaxReplyBytes    = 512 << 10              // bytes of messages in one history or join reply
	DefaultUserReadRate     = 2 << 20                // bytes of history per second per user, all sockets together
	DefaultUserReadBurst    = 4 << 20                // 8 of the largest pages; a catch-up of ordinary messages is far less
	registerPerAddrEvery    = 30 * time.Second       // then one more per this
	defaultVersion          = "0.1.0"
)

// DefaultMaxSessionsPerAddr is how many Socket.IO sessions one address may hold.
const DefaultMaxSessionsPerAddr = sio.DefaultMaxSessionsPerAddr

// Config configures a Server. The zero value of a field means its default.
type Config struct {
	// DataDir holds the database and the generated JWT secret. Required.
	DataDir string
	// Database is a PostgreSQL URL (postgres://... or postgresql://...) to
	// keep the chat in instead of the SQLite file in DataDir ("": SQLite).
	Database string
	// Secret overrides LOCAL_JWT_SECRET and the generated secret (tests, embedding).
	Secret []byte
	// TokenTTL is the lifetime of issued tokens (default 1h).
	TokenTTL time.Duration
	// TokenLeeway is the tolerance on token expiry (default 5s; negative: none).
	TokenLeeway time.Duration
	// MaxSessionAge is how long a sign-in lasts at most, refreshes included
	// (default DefaultMaxSessionAge, 30 days; negative: no limit). Past it
	// /refresh answers session_expired, and every token of the sign-in and
	// its sockets are refused with that reason.
	MaxSessionAge time.Duration
	// NoSignup switches self-registration off.
	NoSignup bool
	// LocalSignupOnly allows registration from this computer only (loopback
	// addresses): a host creates their account, others cannot.
	LocalSignupOnly bool
	// AllowedOrigins lists browser origins besides the server's own that may
	// open sockets; "*" allows any. Clients that send no Origin are allowed.
	AllowedOrigins []string
	// MaxPayload caps a websocket frame and a polling request body (default 64 KiB).
	MaxPayload int64
	// EventRate and EventBurst limit events per socket (default 30/s, burst 60).
	EventRate  rate.Limit
	EventBurst int
	// MaxMessageWait: a message that waited longer than this for its
	// socket's earlier events (the server is behind) is refused with
	// "unavailable", not stored, and the client sends it again later
	// (default 5 s: far above a burst's wait, since a socket's messages
	// are pipelined, and below the clients' ack timeouts of 10-15 s).
	// Without it an overloaded server queued messages
	// until their senders gave up on them, neither stored nor refused.
	MaxMessageWait time.Duration
	// MaxInFlight is how many messages of one socket may wait for their
	// commit at once (default 64, a whole event burst); past it the
	// socket's next event waits for the oldest to be acknowledged.
	MaxInFlight int
	// LoginFailuresPerUser and LoginFailuresPerAddr are the failed logins
	// allowed in a burst before 429; one is forgiven per LoginWindow.
	LoginFailuresPerUser int
	LoginFailuresPerAddr int
	LoginWindow          time.Duration
	// RegistrationsPerAddr is how many accounts one address may create in a
	// burst (default 20); then one more every 30 seconds.
	RegistrationsPerAddr int
	// UsersListed caps the users event's list (default 1000).
	UsersListed int
	// SocketsPerUser caps the sockets one user may hold at once (default 16).
	SocketsPerUser int
	// RoomsPerSocket caps the rooms one socket may be in (default 100).
	RoomsPerSocket int
	// UserMessageRate and UserMessageBurst limit the messages of one user,
	// all their sockets together, edits, deletions and reactions included
	// (default 30/s, burst 60).
	UserMessageRate  rate.Limit
	UserMessageBurst int
	// PresenceGrace is how long a user whose last socket went may take to
	// come back before others are told they left (default 3 s).
	PresenceGrace time.Duration
	// MaxOutbound is the bytes that may wait to be sent to one socket
	// (default 4 MiB); a socket that does not read is cut off past it.
	MaxOutbound int64
	// MaxSessionsPerAddr is how many Socket.IO sessions one address may
	// hold at once, a polling one too, which holds no connection between
	// its requests (default 256; package host sets its MaxConnsPerAddr).
	// More handshakes are answered 429 rate_limited.
	MaxSessionsPerAddr int
	// MaxReplyBytes bounds the messages of one history or join reply
	// (default 512 KiB); a page cut short says "more": true.
	MaxReplyBytes int
	// UserReadRate and UserReadBurst limit the bytes of history (history
	// and join) one user reads, all sockets together (default 2 MiB/s,
	// burst 4 MiB): reading and encoding is the costliest thing a client
	// can ask for. Past it, reads answer rate_limited.
	UserReadRate  rate.Limit
	UserReadBurst int
	// PingInterval and PingTimeout are Engine.IO's heartbeat (default 10 s
	// and 5 s, internal/sio's): a silent peer is dropped within their sum.
	PingInterval time.Duration
	PingTimeout  time.Duration
	// Logger receives structured logs (default: slog.Default()).
	Logger *slog.Logger
	// Version is reported by /healthz.
	Version string
	// TLSFingerprint is the fingerprint of the certificate the server is
	// served with (wire.Fingerprint), reported by /healthz; empty for plain HTTP.
	TLSFingerprint string

	// Storage health (health.go). HealthProbeInterval: /healthz answers from
	// the last write when it is younger than this, else it tests the
	// database with a tiny write, at most one per interval however often it
	// is asked; a failing database is tested again as often (default 5s).
	HealthProbeInterval time.Duration
	// HealthProbeTimeout: how long /healthz waits for that write before it
	// answers degraded (default 2s).
	HealthProbeTimeout time.Duration
	// MaxFileSize is the largest file one may upload, in bytes (default
	// wire.DefaultMaxFileSize, 100 MiB).
	MaxFileSize int64
	// StoreRetry: how long a batch of messages the disk refused is retried
	// before its senders are told it failed (default 1s; negative: none).
	StoreRetry time.Duration
	// FilesDir holds uploaded files (default: "files" in DataDir). The nodes
	// of a cluster share one (NFS or similar) so that each serves every file
	// (docs/import.md, "Files on every node").
	FilesDir string
	NodeID   string // this node's name in a cluster; begins its Socket.IO session ids (docs/loadbalancer.md)
	// TrustedProxies are the CIDR ranges of the load balancers in front
	// (docs/loadbalancer.md, "Client addresses"): from a peer inside one,
	// the client's address is read from X-Forwarded-For for every
	// per-address limit and log line. Empty (the default): the header is
	// ignored, since any client can send it.
	TrustedProxies []string
}

func (c Config) socketOptions(proxies clientaddr.Proxies) sio.Options {
	o := sio.Options{
		Path:         wire.SocketIOPath,
		MaxPayload:   c.MaxPayload,
		PingInterval: c.PingInterval,
		PingTimeout:  c.PingTimeout,
		Origins:      c.AllowedOrigins,
		MaxOutbound:  c.MaxOutbound,
		Logger:       c.Logger,
	}
	o.MaxSessionsPerAddr = c.MaxSessionsPerAddr
	o.SessionPrefix = c.NodeID
	o.ClientAddr = proxies.Of
	return o
}

func (c Config) withDefaults() Config {
	if c.MaxPayload <= 0 {
		c.MaxPayload = DefaultMaxPayload
	}
	if c.EventRate <= 0 {
		c.EventRate = DefaultEventRate
	}
	if c.EventBurst <= 0 {
		c.EventBurst = DefaultEventBurst
	}
	if c.MaxMessageWait <= 0 {
		c.MaxMessageWait = DefaultMaxMessageWait
	}
	if c.MaxInFlight <= 0 {
		c.MaxInFlight = DefaultMaxInFlight
	}
	if c.LoginFailuresPerUser <= 0 {
		c.LoginFailuresPerUser = DefaultLoginPerUser
	}
	if c.LoginFailuresPerAddr <= 0 {
		c.LoginFailuresPerAddr = DefaultLoginPerAddr
	}
	if c.RegistrationsPerAddr <= 0 {
		c.RegistrationsPerAddr = DefaultRegisterPerAddr
	}
	if c.LoginWindow <= 0 {
		c.LoginWindow = DefaultLoginWindow
	}
	if c.UsersListed <= 0 {
		c.UsersListed = DefaultUsersListed
	}
	if c.SocketsPerUser <= 0 {
		c.SocketsPerUser = DefaultSocketsPerUser
	}
	if c.RoomsPerSocket <= 0 {
		c.RoomsPerSocket = DefaultRoomsPerSocket
	}
	if c.UserMessageRate <= 0 {
		c.UserMessageRate = DefaultUserMessageRate
	}
	if c.UserMessageBurst <= 0 {
		c.UserMessageBurst = DefaultUserMessageBurst
	}
	if c.PresenceGrace <= 0 {
		c.PresenceGrace = DefaultPresenceGrace
	}
	if c.MaxOutbound <= 0 {
		c.MaxOutbound = DefaultMaxOutbound
	}
	if c.MaxReplyBytes <= 0 {
		c.MaxReplyBytes = DefaultMaxReplyBytes
	}
	if c.UserReadRate <= 0 {
		c.UserReadRate = DefaultUserReadRate
	}
	if c.UserReadBurst <= 0 {
		c.UserReadBurst = DefaultUserReadBurst
	}
	c.UserReadBurst = max(c.UserReadBurst, c.MaxReplyBytes) // one reply always fits
	if c.TokenLeeway == 0 {
		c.TokenLeeway = 5 * time.Second
	}
	if c.MaxSessionAge == 0 {
		c.MaxSessionAge = DefaultMaxSessionAge
	}
	if c.MaxFileSize <= 0 {
		c.MaxFileSize = wire.DefaultMaxFileSize
	}
	if c.Logger == nil {
		c.Logger = slog.Default()
	}
	if c.Version == "" {
		c.Version = defaultVersion
	}
	return c
}
