// Package store keeps Confab's durable state in an embedded SQLite database
// (or, with Options.Database, in PostgreSQL: engine.go, docs/postgres.md):
// users, messages and revoked sessions. Writes of messages go through a single
// writer goroutine that commits them in groups, so every acknowledged message
// is on disk while many senders share one fsync.
package store

import (
	"context"
	"database/sql"
	"errors"
	"fmt"
	"strings"
	"time"
)

// DBFile is the database's file name inside the data directory.
const DBFile = "confab.db"

// Errors callers can test with errors.Is.
var (
	ErrUsernameTaken      = errors.New("username taken")
	ErrUsernameTooSimilar = errors.New("username too similar to a taken one") // see Lookalike
	ErrNotFound           = errors.New("not found")
	ErrClosed             = errors.New("store closed")
)

// User is an account. The password hash never leaves this package except
// through Credentials.
type User struct {
	ID       int64
	Username string
	// SessionGen is the account's session generation (set by Credentials):
	// sessions signed in under an older one have ended.
	SessionGen int64
}

// Message is a stored chat message.
type Message struct {
	ID         int64
	Room       string
	AuthorID   int64
	AuthorName string
	Text       string
	SentAt     time.Time
	ClientID   string
	EditedAt   time.Time  // zero if never edited
	Deleted    bool       // a tombstone: Text is empty
	Rev        int64      // the room's change number of its last change (0: never changed)
	Reactions  []Reaction // by user id (History, Changes and the changes return them)
	// AuthorRemoved: the author's account was removed (or deleted).
	AuthorRemoved bool

	// Attachment is the file it carries (files.go), read with its reactions.
	Attachment *Attachment
}

// Store is the database handle. It is safe for concurrent use.
type Store struct {
	db       *sql.DB // readers and account writes
	writer   *writer // the single goroutine that inserts messages
	health   *health // whether writes work
	engine   engine  // what differs between SQLite and PostgreSQL (engine.go)
	database string  // the PostgreSQL URL ("": SQLite)
}

// Open opens (creating if needed) the database in dir and migrates it.
func Open(dir string) (*Store, error) { return OpenWith(dir, Options{}) }

// OpenWith is Open with options. With Options.Database a PostgreSQL URL,
// the store is on that database instead of a file in dir.
func OpenWith(dir string, o Options) (*Store, error) {
	o = o.withDefaults()
	var db *sql.DB
	var err error
	var eng engine = sqliteEngine{}
	switch {
	case IsPostgres(o.Database):
		eng = pgEngine{}
		db, err = openPostgres(o.Database)
	case o.Database != "":
		return nil, fmt.Errorf("database %s: not a postgres:// or postgresql:// URL", Redact(o.Database))
	default:
		db, err = openSQLite(dir)
	}
	if err != nil {
		return nil, err
	}
	s := &Store{db: db, engine: eng}
	if IsPostgres(o.Database) {
		s.database = o.Database
	}
	s.health = newHealth(o, s.probe)
	s.writer = newWriter(db, eng, o.WriteRetry, s.health)
	s.writer.onCommit = o.OnCommit
	return s, nil
}

// Close stops the writer (after committing what it holds) and closes the database.
func (s *Store) Close() error {
	s.health.close()
	s.writer.close()
	return s.db.Close()
}

// Health reports whether the database can be written: nil, or why not. It
// answers from the last write when that is recent (Options.ProbeInterval),
// else it makes a tiny test write, one at a time and at most one per
// interval however often it is asked, and waits for it at most
// Options.ProbeTimeout.
func (s *Store) Health() error { return s.health.check() }

// probe makes a tiny write that changes nothing (the engine's).
func (s *Store) probe(ctx context.Context) error { return s.engine.probe(ctx, s.db) }

// noteWrite tells the health check how an account write went: a success, or
// a failure of the disk (not a taken name).
func (s *Store) noteWrite(err error) {
	if err == nil || s.engine.failing(err) {
		s.health.wrote(err, true)
	}
}

// usernameKey is the case-insensitive identity of a username.
func usernameKey(name string) string { return strings.ToLower(name) }

// CreateUser stores a new account. It returns ErrUsernameTaken when the
// name is in use in any letter case, and ErrUsernameTooSimilar when it looks
// like one in use (Lookalike).
//
// The check and the insert are one statement in a transaction writers take
// turns at, so of concurrent sign-ups of look-alikes only one is stored.
// (SQLite: the transaction begins IMMEDIATE. PostgreSQL: it takes
// LockWrites first, at READ COMMITTED, so the check sees what the previous
// holder committed; a SERIALIZABLE snapshot would be older than the lock.)
func (s *Store) CreateUser(ctx context.Context, username, passwordHash string) (User, error) {
	return s.createUser(ctx, username, passwordHash, nil)
}

// createUser is CreateUser; then, in the same transaction, also (if set)
// does what the new account's id is needed for. The first account of a
// server is its administrator.
func (s *Store) createUser(ctx context.Context, username, passwordHash string, also func(*sql.Tx, int64) error) (User, error) {
	opts := &sql.TxOptions{Isolation: sql.LevelSerializable}
	if s.Postgres() {
		opts = nil // see above
	}
	tx, err := s.db.BeginTx(ctx, opts)
	if err != nil {
		s.noteWrite(err)
		return User{}, fmt.Errorf("create user: %w", err)
	}
	defer tx.Rollback() //nolint:errcheck // after Commit it does nothing
	if err := s.engine.lockWrites(ctx, tx); err != nil {
		s.noteWrite(err)
		return User{}, fmt.Errorf("create user: %w", err)
	}
	var id int64
	err = tx.QueryRowContext(ctx,
		`INSERT INTO users(username, username_key, password_hash, created_at, is_admin)
		SELECT ?, ?, ?, CAST(? AS BIGINT), CASE WHEN EXISTS (SELECT 1 FROM users) THEN 0 ELSE 1 END
		WHERE NOT EXISTS (SELECT 1 FROM users WHERE `+takenWhere+`)
		AND NOT EXISTS (SELECT 1 FROM user_lookalikes WHERE `+similarWhere+`)
		RETURNING id`,
		append([]any{username, usernameKey(username), passwordHash, time.Now().UnixMilli()}, conflictArgs(username)...)...).Scan(&id)
	if errors.Is(err, sql.ErrNoRows) { // refused: the name is taken or too similar
		if err := conflict(ctx, tx, username); err != nil {
			return User{}, err
		}
		return User{}, errors.New("create user: refused without a conflict")
	}
	if err != nil {
		s.noteWrite(err)
		if s.engine.unique(err) {
			return User{}, ErrUsernameTaken
		}
		return User{}, fmt.Errorf("create user: %w", err)
	}
	if err := addLookalikeKeys(ctx, tx, id, username); err != nil {
		s.noteWrite(err)
		return User{}, fmt.Errorf("create user: %w", err)
	}
	if also != nil {
		if err := also(tx, id); err != nil {
			return User{}, err
		}
	}
	err = tx.Commit()
	s.noteWrite(err)
	if err != nil {
		return User{}, fmt.Errorf("create user: %w", err)
	}
	return User{ID: id, Username: username}, nil
}

// addLookalikeKeys stores a user's look-alike keys.
func addLookalikeKeys(ctx context.Context, tx *sql.Tx, id int64, username string) error {
	for _, k := range lookalikeKeys(username) {
		if _, err := tx.ExecContext(ctx, `INSERT INTO user_lookalikes(skeleton, user_id) VALUES(?, ?)`, k, id); err != nil {
			return fmt.Errorf("store look-alike keys: %w", err)
		}
	}
	return nil
}

// The conditions under which a name cannot be registered, on users and on
// user_lookalikes, and their arguments: conflictArgs.
const (
	takenWhere   = `username_key = ?`
	similarWhere = `skeleton IN (?, ?, ?, ?)` // a name has at most four keys
)

func conflictArgs(username string) []any {
	keys := lookalikeKeys(username)
	args := []any{usernameKey(username)}
	for i := range 4 { // padded with the first key
		args = append(args, keys[min(i, len(keys)-1)])
	}
	return args
}

// UsernameConflict tells whether a name could be registered now: nil,
// ErrUsernameTaken (in any letter case) or ErrUsernameTooSimilar. CreateUser
// checks again as it inserts.
func (s *Store) UsernameConflict(ctx context.Context, username string) error {
	return conflict(ctx, s.db, username)
}

func conflict(ctx context.Context, q interface {
	QueryRowContext(context.Context, string, ...any) *sql.Row
}, username string) error {
	var taken, similar int
	err := q.QueryRowContext(ctx,
		`SELECT (SELECT COUNT(*) FROM users WHERE `+takenWhere+`),
		(SELECT COUNT(*) FROM user_lookalikes WHERE `+similarWhere+`)`, conflictArgs(username)...).Scan(&taken, &similar)
	switch {
	case err != nil:
		return fmt.Errorf("check username: %w", err)
	case taken > 0:
		return ErrUsernameTaken
	case similar > 0:
		return ErrUsernameTooSimilar
	}
	return nil
}

// Credentials returns the user (with its session generation) and password
// hash for a username (any case), read together: a sign-in checked against
// a hash a password change has replaced gets the generation that change ended.
func (s *Store) Credentials(ctx context.Context, username string) (User, string, error) {
	var u User
	var hash string
	err := s.db.QueryRowContext(ctx,
		`SELECT id, username, password_hash, session_gen FROM users WHERE username_key = ? AND removed_at IS NULL`, usernameKey(username)).
		Scan(&u.ID, &u.Username, &hash, &u.SessionGen)
	if errors.Is(err, sql.ErrNoRows) {
		return User{}, "", ErrNotFound
	}
	if err != nil {
		return User{}, "", fmt.Errorf("look up user: %w", err)
	}
	return u, hash, nil
}

// UserByID returns one user.
func (s *Store) UserByID(ctx context.Context, id int64) (User, error) {
	var u User
	err := s.db.QueryRowContext(ctx, `SELECT id, username FROM users WHERE id = ?`, id).Scan(&u.ID, &u.Username)
	if errors.Is(err, sql.ErrNoRows) {
		return User{}, ErrNotFound
	}
	if err != nil {
		return User{}, fmt.Errorf("look up user: %w", err)
	}
	return u, nil
}

// Users lists up to limit users ordered by username.
func (s *Store) Users(ctx context.Context, limit int) ([]User, error) {
	rows, err := s.db.QueryContext(ctx, `SELECT id, username FROM users WHERE removed_at IS NULL ORDER BY username_key LIMIT ?`, limit)
	if err != nil {
		return nil, fmt.Errorf("list users: %w", err)
	}
	defer rows.Close()
	var out []User
	for rows.Next() {
		var u User
		if err := rows.Scan(&u.ID, &u.Username); err != nil {
			return nil, fmt.Errorf("list users: %w", err)
		}
		out = append(out, u)
	}
	return out, rows.Err()
}

// SessionGens returns every account's id with its session generation, for
// the server's cache of users.
func (s *Store) SessionGens(ctx context.Context) (map[int64]int64, error) {
	rows, err := s.db.QueryContext(ctx, `SELECT id, session_gen FROM users WHERE removed_at IS NULL`)
	if err != nil {
		return nil, fmt.Errorf("list users: %w", err)
	}
	defer rows.Close()
	out := map[int64]int64{}
	for rows.Next() {
		var id, gen int64
		if err := rows.Scan(&id, &gen); err != nil {
			return nil, fmt.Errorf("list users: %w", err)
		}
		out[id] = gen
	}
	return out, rows.Err()
}

// SessionState is what the database says of a sign-in now: whether its
// session is revoked, and its account's session generation (ErrNotFound:
// the account is gone or removed). A cluster node asks where a token is
// taken for a new socket or a refresh: it may not have heard yet of a
// revocation made on another node.
func (s *Store) SessionState(ctx context.Context, userID int64, sid string) (revoked bool, gen int64, err error) {
	var n int64
	err = s.db.QueryRowContext(ctx, `SELECT u.session_gen, (SELECT COUNT(*) FROM revoked_sessions r WHERE r.sid = ?)
		FROM users u WHERE u.id = ? AND u.removed_at IS NULL`, sid, userID).Scan(&gen, &n)
	if errors.Is(err, sql.ErrNoRows) {
		return false, 0, ErrNotFound
	}
	if err != nil {
		return false, 0, fmt.Errorf("read session: %w", err)
	}
	return n > 0, gen, nil
}

// PasswordHash returns the password hash of an account.
func (s *Store) PasswordHash(ctx context.Context, id int64) (string, error) {
	var hash string
	err := s.db.QueryRowContext(ctx, `SELECT password_hash FROM users WHERE id = ?`, id).Scan(&hash)
	if errors.Is(err, sql.ErrNoRows) {
		return "", ErrNotFound
	}
	if err != nil {
		return "", fmt.Errorf("look up user: %w", err)
	}
	return hash, nil
}

// ChangePassword replaces an account's password hash, if it still is
// oldHash, and raises its session generation, which ends every session
// signed in before. It returns the new generation; ErrNotFound if the
// account is gone or its password changed meanwhile.
func (s *Store) ChangePassword(ctx context.Context, id int64, oldHash, newHash string) (int64, error) {
	tx, err := s.db.BeginTx(ctx, nil)
	if err != nil {
		return 0, fmt.Errorf("change password: %w", err)
	}
	defer tx.Rollback() //nolint:errcheck // after Commit this is a no-op
	if err := s.engine.lockWrites(ctx, tx); err != nil {
		s.noteWrite(err)
		return 0, fmt.Errorf("change password: %w", err)
	}
	res, err := tx.ExecContext(ctx,
		`UPDATE users SET password_hash = ?, session_gen = session_gen + 1 WHERE id = ? AND password_hash = ?`,
		newHash, id, oldHash)
	if err != nil {
		return 0, fmt.Errorf("change password: %w", err)
	}
	if n, err := res.RowsAffected(); err != nil || n != 1 {
		if err != nil {
			return 0, fmt.Errorf("change password: %w", err)
		}
		return 0, ErrNotFound
	}
	var gen int64
	if err := tx.QueryRowContext(ctx, `SELECT session_gen FROM users WHERE id = ?`, id).Scan(&gen); err != nil {
		return 0, fmt.Errorf("change password: %w", err)
	}
	err = tx.Commit()
	s.noteWrite(err)
	if err != nil {
		return 0, fmt.Errorf("change password: %w", err)
	}
	return gen, nil
}

// DeleteUser removes an account by username (any case). Its messages stay in
// history under the name they were sent with.
func (s *Store) DeleteUser(ctx context.Context, username string) (User, error) {
	u, _, err := s.Credentials(ctx, username)
	if err != nil {
		return User{}, err
	}
	_, err = s.db.ExecContext(ctx, `DELETE FROM users WHERE id = ?`, u.ID)
	s.noteWrite(err)
	if err != nil {
		return User{}, fmt.Errorf("delete user: %w", err)
	}
	return u, nil
}

// RevokeSession records a session (every token of one sign-in) as revoked
// until expires, after which none of its tokens can be valid anyway, and
// forgets the revocations that no longer matter at now.
func (s *Store) RevokeSession(ctx context.Context, sid string, expires, now time.Time) error {
	_, err := s.db.ExecContext(ctx,
		`INSERT INTO revoked_sessions(sid, expires_at) VALUES(?, ?) ON CONFLICT(sid) DO NOTHING`, sid, expires.Unix())
	s.noteWrite(err)
	if err != nil {
		return fmt.Errorf("revoke session: %w", err)
	}
	if _, err := s.db.ExecContext(ctx, `DELETE FROM revoked_sessions WHERE expires_at < ?`, now.Unix()); err != nil {
		return fmt.Errorf("prune revocations: %w", err)
	}
	return nil
}

// RevokedSessions returns every revocation that still matters, and deletes
// the ones that no longer do.
func (s *Store) RevokedSessions(ctx context.Context, now time.Time) (map[string]time.Time, error) {
	if _, err := s.db.ExecContext(ctx, `DELETE FROM revoked_sessions WHERE expires_at < ?`, now.Unix()); err != nil {
		return nil, fmt.Errorf("prune revocations: %w", err)
	}
	rows, err := s.db.QueryContext(ctx, `SELECT sid, expires_at FROM revoked_sessions`)
	if err != nil {
		return nil, fmt.Errorf("load revocations: %w", err)
	}
	defer rows.Close()
	out := map[string]time.Time{}
	for rows.Next() {
		var sid string
		var exp int64
		if err := rows.Scan(&sid, &exp); err != nil {
			return nil, fmt.Errorf("load revocations: %w", err)
		}
		out[sid] = time.Unix(exp, 0)
	}
	return out, rows.Err()
}

// AddMessage stores a message and returns it with its id. If the author
// already stored a message with the same non-empty ClientID, that message is
// returned with created=false and nothing is written.
func (s *Store) AddMessage(ctx context.Context, m Message) (stored Message, created bool, err error) {
	return s.writer.add(ctx, m)
}

// QueueMessage is AddMessage in two steps: it puts m in line for the next
// group commit (ctx bounds only that) and returns; wait gives AddMessage's
// outcome once the commit is done. Call wait exactly once. Messages queued
// one after the other are stored in that order.
func (s *Store) QueueMessage(ctx context.Context, m Message) (wait func() (stored Message, created bool, err error)) {
	return s.writer.queue(ctx, m)
}

// Page selects a slice of a room's history.
type Page struct {
	Room   string
	Before int64 // only ids below this (0: no bound)
	After  int64 // only ids above this (0: no bound)
	Limit  int
}

// History returns messages of a room in ascending id order. With After set
// it returns the oldest ones after it (catching up); otherwise the newest
// ones before Before (scrolling back).
func (s *Store) History(ctx context.Context, p Page) ([]Message, error) {
	const cols = `SELECT ` + msgCols + ` FROM messages`
	var rows *sql.Rows
	var err error
	before := p.Before
	if before <= 0 {
		before = 1<<63 - 1
	}
	if p.After > 0 {
		rows, err = s.db.QueryContext(ctx, cols+` WHERE room = ? AND id > ? AND id < ? ORDER BY id ASC LIMIT ?`,
			p.Room, p.After, before, p.Limit)
	} else {
		rows, err = s.db.QueryContext(ctx, cols+` WHERE room = ? AND id < ? ORDER BY id DESC LIMIT ?`,
			p.Room, before, p.Limit)
	}
	if err != nil {
		return nil, fmt.Errorf("read history: %w", err)
	}
	out, err := scanAll(rows, p.Limit)
	if err == nil {
		err = s.withReactions(ctx, out)
	}
	if err != nil {
		return nil, fmt.Errorf("read history: %w", err)
	}
	if p.After <= 0 { // newest-first query: put back in ascending order
		for i, j := 0, len(out)-1; i < j; i, j = i+1, j-1 {
			out[i], out[j] = out[j], out[i]
		}
	}
	return out, nil
}
