package store

import (
	"context"
	"database/sql"
	"errors"
	"fmt"
	"strconv"
	"time"
)

// dmSchema keeps private conversations: direct messages (one per pair of
// users, found by dm_key) and groups, their members, and each member's
// read marker (the id of the last message they read). A conversation's
// messages are in messages under its room name, "~" and its id.
const dmSchema = `CREATE TABLE conversations (
		id         INTEGER PRIMARY KEY AUTOINCREMENT,
		kind       TEXT NOT NULL,
		name       TEXT NOT NULL DEFAULT '',
		dm_key     TEXT UNIQUE,
		room       TEXT UNIQUE,
		created_by INTEGER NOT NULL,
		created_at INTEGER NOT NULL
	);
	CREATE TABLE conversation_members (
		conversation_id INTEGER NOT NULL REFERENCES conversations(id),
		user_id         INTEGER NOT NULL REFERENCES users(id) ON DELETE CASCADE,
		read_id         INTEGER NOT NULL DEFAULT 0,
		joined_at       INTEGER NOT NULL,
		PRIMARY KEY (conversation_id, user_id)
	);
	CREATE INDEX conversation_members_user ON conversation_members(user_id);`

// Conversation kinds, as stored (the same words as the wire's).
const (
	KindDM    = "dm"
	KindGroup = "group"
)

// ErrGroupFull: the group has its maximum of members.
var ErrGroupFull = errors.New("group full")

// Conversation is a private conversation.
type Conversation struct {
	ID      int64
	Kind    string
	Name    string
	Room    string
	Members []User // by username
}

// Summary is a conversation as one member sees it in their list.
type Summary struct {
	Conversation
	ReadID int64
	Unread int
	LastID int64
}

// PrivateRoom is the room name of conversation id (wire.PrivateRoom).
func PrivateRoom(id int64) string { return "~" + strconv.FormatInt(id, 10) }

// OpenDM returns the direct conversation of two users, creating it the
// first time (created). Both must exist.
func (s *Store) OpenDM(ctx context.Context, a, b int64) (c Conversation, created bool, err error) {
	lo, hi := min(a, b), max(a, b)
	key := strconv.FormatInt(lo, 10) + ":" + strconv.FormatInt(hi, 10)
	err = s.inTx(ctx, func(tx *sql.Tx) error {
		var id int64
		err := tx.QueryRowContext(ctx, `SELECT id FROM conversations WHERE dm_key = ?`, key).Scan(&id)
		if err == nil {
			c, err = conversation(ctx, tx, id)
			return err
		}
		if !errors.Is(err, sql.ErrNoRows) {
			return err
		}
		id, err = insertConversation(ctx, tx, KindDM, "", key, a, []int64{lo, hi})
		if err == nil {
			c, err = conversation(ctx, tx, id)
		}
		created = err == nil
		return err
	})
	return c, created, err
}

// CreateGroup creates a group of creator and members (duplicates ignored).
func (s *Store) CreateGroup(ctx context.Context, creator int64, name string, members []int64) (c Conversation, err error) {
	all := []int64{creator}
	for _, m := range members {
		if !containsID(all, m) {
			all = append(all, m)
		}
	}
	err = s.inTx(ctx, func(tx *sql.Tx) error {
		id, err := insertConversation(ctx, tx, KindGroup, name, nil, creator, all)
		if err == nil {
			c, err = conversation(ctx, tx, id)
		}
		return err
	})
	return c, err
}

func containsID(ids []int64, id int64) bool {
	for _, x := range ids {
		if x == id {
			return true
		}
	}
	return false
}

// insertConversation adds a conversation and its members; a member who
// does not exist is ErrNotFound.
func insertConversation(ctx context.Context, tx *sql.Tx, kind, name string, dmKey any, creator int64, members []int64) (int64, error) {
	now := time.Now().UnixMilli()
	var id int64
	if err := tx.QueryRowContext(ctx, `INSERT INTO conversations(kind, name, dm_key, created_by, created_at) VALUES(?, ?, ?, ?, ?) RETURNING id`,
		kind, name, dmKey, creator, now).Scan(&id); err != nil {
		return 0, err
	}
	if _, err := tx.ExecContext(ctx, `UPDATE conversations SET room = ? WHERE id = ?`, PrivateRoom(id), id); err != nil {
		return 0, err
	}
	for _, u := range members {
		if err := addMember(ctx, tx, id, u, now); err != nil {
			return 0, err
		}
	}
	return id, nil
}

func addMember(ctx context.Context, tx *sql.Tx, conv, user, now int64) error {
	var exists int
	err := tx.QueryRowContext(ctx, `SELECT 1 FROM users WHERE id = ?`, user).Scan(&exists)
	if errors.Is(err, sql.ErrNoRows) {
		return ErrNotFound
	}
	if err != nil {
		return err
	}
	// A new member's marker starts at the newest message: what was said
	// before they came is history, not unread.
	_, err = tx.ExecContext(ctx, `INSERT INTO conversation_members(conversation_id, user_id, read_id, joined_at)
		VALUES(?, ?, COALESCE((SELECT MAX(id) FROM messages WHERE room = ?), 0), ?)`, conv, user, PrivateRoom(conv), now)
	return err
}

// AddMember adds a user to a group (added: they were not in it); a group
// of max members is ErrGroupFull, a user who does not exist ErrNotFound.
func (s *Store) AddMember(ctx context.Context, conv, user int64, maxMembers int) (c Conversation, added bool, err error) {
	err = s.inTx(ctx, func(tx *sql.Tx) error {
		member, err := isMember(ctx, tx, conv, user)
		if err != nil || member {
			c, err = conversation(ctx, tx, conv)
			return err
		}
		var n int
		if err := tx.QueryRowContext(ctx, `SELECT COUNT(*) FROM conversation_members WHERE conversation_id = ?`, conv).Scan(&n); err != nil {
			return err
		}
		if n >= maxMembers {
			return ErrGroupFull
		}
		if err := addMember(ctx, tx, conv, user, time.Now().UnixMilli()); err != nil {
			return err
		}
		added = true
		c, err = conversation(ctx, tx, conv)
		return err
	})
	return c, added, err
}

// RemoveMember takes a user out of a conversation (removed: they were in
// it) and returns it as it is after.
func (s *Store) RemoveMember(ctx context.Context, conv, user int64) (c Conversation, removed bool, err error) {
	err = s.inTx(ctx, func(tx *sql.Tx) error {
		res, err := tx.ExecContext(ctx, `DELETE FROM conversation_members WHERE conversation_id = ? AND user_id = ?`, conv, user)
		if err != nil {
			return err
		}
		n, err := res.RowsAffected()
		if err != nil {
			return err
		}
		removed = n > 0
		c, err = conversation(ctx, tx, conv)
		return err
	})
	return c, removed, err
}

// IsMember reports whether a user is a member of a conversation (false
// when it does not exist).
func (s *Store) IsMember(ctx context.Context, conv, user int64) (bool, error) {
	ok, err := isMember(ctx, s.db, conv, user)
	if err != nil {
		return false, fmt.Errorf("check membership: %w", err)
	}
	return ok, nil
}

func isMember(ctx context.Context, q rowQuerier, conv, user int64) (bool, error) {
	var one int
	err := q.QueryRowContext(ctx, `SELECT 1 FROM conversation_members WHERE conversation_id = ? AND user_id = ?`, conv, user).Scan(&one)
	if errors.Is(err, sql.ErrNoRows) {
		return false, nil
	}
	return err == nil, err
}

// ConversationByID returns a conversation with its members.
func (s *Store) ConversationByID(ctx context.Context, id int64) (Conversation, error) {
	c, err := conversation(ctx, s.db, id)
	if err != nil && !errors.Is(err, ErrNotFound) {
		err = fmt.Errorf("read conversation: %w", err)
	}
	return c, err
}

func conversation(ctx context.Context, q rowQuerier, id int64) (Conversation, error) {
	c := Conversation{ID: id}
	err := q.QueryRowContext(ctx, `SELECT kind, name, room FROM conversations WHERE id = ?`, id).Scan(&c.Kind, &c.Name, &c.Room)
	if errors.Is(err, sql.ErrNoRows) {
		return Conversation{}, ErrNotFound
	}
	if err != nil {
		return Conversation{}, err
	}
	rows, err := q.QueryContext(ctx, `SELECT u.id, u.username FROM conversation_members m JOIN users u ON u.id = m.user_id
		WHERE m.conversation_id = ? ORDER BY u.username_key`, id)
	if err != nil {
		return Conversation{}, err
	}
	defer rows.Close()
	for rows.Next() {
		var u User
		if err := rows.Scan(&u.ID, &u.Username); err != nil {
			return Conversation{}, err
		}
		c.Members = append(c.Members, u)
	}
	return c, rows.Err()
}

// summaryCols select a membership row m of conversation c as a Summary's
// id, read marker, unread count and newest message id.
const summaryCols = `SELECT c.id, m.read_id,
		(SELECT COUNT(*) FROM messages x WHERE x.room = c.room AND x.id > m.read_id
			AND x.author_id <> m.user_id AND x.deleted_at IS NULL),
		COALESCE((SELECT MAX(x.id) FROM messages x WHERE x.room = c.room), 0) AS last_id
	FROM conversation_members m JOIN conversations c ON c.id = m.conversation_id`

// Conversations lists up to limit of a user's conversations, the one with
// the newest message first, each with the user's read marker and how many
// of the others' messages after it are not deleted.
func (s *Store) Conversations(ctx context.Context, user int64, limit int) ([]Summary, error) {
	out, err := s.summaries(ctx, summaryCols+` WHERE m.user_id = ? ORDER BY last_id DESC, c.id DESC LIMIT ?`, user, limit)
	if err != nil {
		return nil, fmt.Errorf("list conversations: %w", err)
	}
	return out, nil
}

// SummaryOf is one conversation as a member sees it in their list;
// ErrNotFound if they are not a member.
func (s *Store) SummaryOf(ctx context.Context, conv, user int64) (Summary, error) {
	out, err := s.summaries(ctx, summaryCols+` WHERE m.conversation_id = ? AND m.user_id = ?`, conv, user)
	switch {
	case err != nil:
		return Summary{}, fmt.Errorf("read conversation: %w", err)
	case len(out) == 0:
		return Summary{}, ErrNotFound
	}
	return out[0], nil
}

func (s *Store) summaries(ctx context.Context, query string, args ...any) ([]Summary, error) {
	rows, err := s.db.QueryContext(ctx, query, args...)
	if err != nil {
		return nil, err
	}
	var out []Summary
	for rows.Next() {
		var sm Summary
		if err := rows.Scan(&sm.ID, &sm.ReadID, &sm.Unread, &sm.LastID); err != nil {
			rows.Close()
			return nil, err
		}
		out = append(out, sm)
	}
	rows.Close()
	if err := rows.Err(); err != nil {
		return nil, err
	}
	for i := range out {
		c, err := conversation(ctx, s.db, out[i].ID)
		if err != nil {
			return nil, err
		}
		out[i].Conversation = c
	}
	return out, nil
}

// UserByName returns the user with a username (in any case).
func (s *Store) UserByName(ctx context.Context, username string) (User, error) {
	var u User
	err := s.db.QueryRowContext(ctx, `SELECT id, username FROM users WHERE username_key = ?`, usernameKey(username)).Scan(&u.ID, &u.Username)
	if errors.Is(err, sql.ErrNoRows) {
		return User{}, ErrNotFound
	}
	if err != nil {
		return User{}, fmt.Errorf("look up user: %w", err)
	}
	return u, nil
}

// MarkRead moves a member's read marker on to id (never back) and returns
// the marker and the unread count after it.
func (s *Store) MarkRead(ctx context.Context, conv, user, id int64) (readID int64, unread int, err error) {
	err = s.inTx(ctx, func(tx *sql.Tx) error {
		if _, err := tx.ExecContext(ctx, `UPDATE conversation_members SET read_id = ?
			WHERE conversation_id = ? AND user_id = ? AND read_id < ?`, id, conv, user, id); err != nil {
			return err
		}
		err := tx.QueryRowContext(ctx, `SELECT m.read_id,
				(SELECT COUNT(*) FROM messages x WHERE x.room = ? AND x.id > m.read_id
					AND x.author_id <> m.user_id AND x.deleted_at IS NULL)
			FROM conversation_members m WHERE m.conversation_id = ? AND m.user_id = ?`,
			PrivateRoom(conv), conv, user).Scan(&readID, &unread)
		if errors.Is(err, sql.ErrNoRows) {
			return ErrNotFound
		}
		return err
	})
	return readID, unread, err
}

// rowQuerier is a *sql.DB or a *sql.Tx.
type rowQuerier interface {
	querier
	QueryRowContext(context.Context, string, ...any) *sql.Row
}

// inTx runs f in a write transaction and commits it.
func (s *Store) inTx(ctx context.Context, f func(*sql.Tx) error) error {
	tx, err := s.db.BeginTx(ctx, nil)
	if err != nil {
		s.noteWrite(err)
		return err
	}
	defer tx.Rollback() //nolint:errcheck // after Commit this is a no-op
	if err := s.engine.lockWrites(ctx, tx); err != nil {
		s.noteWrite(err)
		return err
	}
	if err := f(tx); err != nil {
		return err
	}
	err = tx.Commit()
	s.noteWrite(err)
	return err
}
