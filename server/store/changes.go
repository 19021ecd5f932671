package store

import (
	"context"
	"database/sql"
	"errors"
	"fmt"
	"strings"
	"time"
)

// Errors of changes to messages.
var (
	ErrNotAuthor = errors.New("not the message's author")
	ErrDeleted   = errors.New("message deleted")
)

// Reaction is one user's reaction to a message.
type Reaction struct {
	Emoji  string
	UserID int64
}

// ReactMode says what React does.
type ReactMode int

const (
	ReactToggle ReactMode = iota // add it if absent, else remove it
	ReactOn                      // add it (nothing if present)
	ReactOff                     // remove it (nothing if absent)
)

// msgCols are the columns scanMessage reads, in its order.
const msgCols = `id, room, author_id, author_name, text, sent_at, COALESCE(client_id, ''), edited_at, deleted_at, rev,
	NOT EXISTS (SELECT 1 FROM users WHERE users.id = messages.author_id AND users.removed_at IS NULL)`

type scanner interface{ Scan(...any) error }

func scanMessage(row scanner) (Message, error) {
	var m Message
	var sent int64
	var edited, deleted sql.NullInt64
	if err := row.Scan(&m.ID, &m.Room, &m.AuthorID, &m.AuthorName, &m.Text, &sent, &m.ClientID, &edited, &deleted, &m.Rev, &m.AuthorRemoved); err != nil {
		return Message{}, err
	}
	m.SentAt = time.UnixMilli(sent).UTC()
	if edited.Valid {
		m.EditedAt = time.UnixMilli(edited.Int64).UTC()
	}
	m.Deleted = deleted.Valid
	return m, nil
}

// EditMessage replaces the text of an author's message and marks it edited.
// The same text again changes nothing (a retried edit is harmless).
func (s *Store) EditMessage(ctx context.Context, id, authorID int64, text string) (Message, bool, error) {
	return s.change(ctx, id, func(tx *sql.Tx, m *Message) (bool, error) {
		switch {
		case m.AuthorID != authorID:
			return false, ErrNotAuthor
		case m.Deleted:
			return false, ErrDeleted
		case m.Text == text:
			return false, nil
		}
		now := time.Now().UTC().Truncate(time.Millisecond)
		set, args := s.setText(text)
		if _, err := tx.ExecContext(ctx, `UPDATE messages SET `+set+`, edited_at = ? WHERE id = ?`,
			append(args, now.UnixMilli(), m.ID)...); err != nil {
			return false, err
		}
		m.Text, m.EditedAt = text, now
		return true, nil
	})
}

// setText is the SET of an UPDATE that gives a message text, with its
// arguments: the text, and the words the engine keeps beside it.
func (s *Store) setText(text string) (string, []any) {
	if col, val, arg := s.engine.searchWords(text); col != "" {
		return `text = ?, ` + col + ` = ` + val, []any{text, arg}
	}
	return `text = ?`, []any{text}
}

// DeleteMessage deletes an author's message: its text and reactions are
// gone, and a tombstone stays in its place. Deleting it again changes nothing.
func (s *Store) DeleteMessage(ctx context.Context, id, authorID int64) (Message, bool, error) {
	return s.change(ctx, id, func(tx *sql.Tx, m *Message) (bool, error) {
		switch {
		case m.AuthorID != authorID:
			return false, ErrNotAuthor
		case m.Deleted:
			return false, nil
		}
		now := time.Now().UnixMilli()
		set, args := s.setText("")
		if _, err := tx.ExecContext(ctx, `UPDATE messages SET `+set+`, deleted_at = ? WHERE id = ?`, append(args, now, m.ID)...); err != nil {
			return false, err
		}
		if _, err := tx.ExecContext(ctx, `DELETE FROM reactions WHERE message_id = ?`, m.ID); err != nil {
			return false, err
		}
		m.Text, m.Deleted = "", true
		return true, nil
	})
}

// React adds or removes a user's reaction to a message (see ReactMode); it
// tells whether anything changed. The emoji is the caller's to check.
func (s *Store) React(ctx context.Context, id, userID int64, emoji string, mode ReactMode) (Message, bool, error) {
	return s.change(ctx, id, func(tx *sql.Tx, m *Message) (bool, error) {
		if m.Deleted {
			return false, ErrDeleted
		}
		var n int
		if err := tx.QueryRowContext(ctx, `SELECT COUNT(*) FROM reactions WHERE message_id = ? AND user_id = ? AND emoji = ?`,
			m.ID, userID, emoji).Scan(&n); err != nil {
			return false, err
		}
		var q string
		switch {
		case n == 0 && mode != ReactOff:
			q = `INSERT INTO reactions(message_id, user_id, emoji) VALUES(?, ?, ?)`
		case n > 0 && mode != ReactOn:
			q = `DELETE FROM reactions WHERE message_id = ? AND user_id = ? AND emoji = ?`
		default:
			return false, nil
		}
		if _, err := tx.ExecContext(ctx, q, m.ID, userID, emoji); err != nil {
			return false, err
		}
		return true, nil
	})
}

// change runs apply on a message in one transaction; if it changed the
// message, the room's change number is raised and stamped on it. It returns
// the message as committed, with its reactions, and whether it changed.
func (s *Store) change(ctx context.Context, id int64, apply func(*sql.Tx, *Message) (bool, error)) (Message, bool, error) {
	tx, err := s.db.BeginTx(ctx, nil)
	if err != nil {
		s.noteWrite(err)
		return Message{}, false, fmt.Errorf("change message: %w", err)
	}
	defer tx.Rollback() //nolint:errcheck // after Commit this is a no-op
	if err := s.engine.lockWrites(ctx, tx); err != nil {
		s.noteWrite(err)
		return Message{}, false, fmt.Errorf("change message: %w", err)
	}
	m, err := scanMessage(tx.QueryRowContext(ctx, `SELECT `+msgCols+` FROM messages WHERE id = ?`, id))
	if errors.Is(err, sql.ErrNoRows) {
		return Message{}, false, ErrNotFound
	}
	if err != nil {
		return Message{}, false, fmt.Errorf("change message: %w", err)
	}
	changed, err := apply(tx, &m)
	if errors.Is(err, ErrNotAuthor) || errors.Is(err, ErrDeleted) {
		return Message{}, false, err
	}
	if err == nil && changed {
		m.Rev, err = bumpRoom(ctx, tx, m.Room, m.ID)
	}
	if err == nil {
		err = loadReactions(ctx, tx, []*Message{&m})
	}
	if err == nil {
		err = tx.Commit()
	}
	s.noteWrite(err)
	if err != nil {
		return Message{}, false, fmt.Errorf("change message: %w", err)
	}
	return m, changed, nil
}

// bumpRoom raises a room's change number and stamps it on a message.
func bumpRoom(ctx context.Context, tx *sql.Tx, room string, id int64) (int64, error) {
	if _, err := tx.ExecContext(ctx, `INSERT INTO room_changes(room, seq) VALUES(?, 1)
		ON CONFLICT(room) DO UPDATE SET seq = room_changes.seq + 1`, room); err != nil {
		return 0, err
	}
	var seq int64
	if err := tx.QueryRowContext(ctx, `SELECT seq FROM room_changes WHERE room = ?`, room).Scan(&seq); err != nil {
		return 0, err
	}
	_, err := tx.ExecContext(ctx, `UPDATE messages SET rev = ? WHERE id = ?`, seq, id)
	return seq, err
}

// RoomSeq is a room's change number: 0 until its first change.
func (s *Store) RoomSeq(ctx context.Context, room string) (int64, error) {
	var seq int64
	err := s.db.QueryRowContext(ctx, `SELECT seq FROM room_changes WHERE room = ?`, room).Scan(&seq)
	if errors.Is(err, sql.ErrNoRows) {
		return 0, nil
	}
	if err != nil {
		return 0, fmt.Errorf("read change number: %w", err)
	}
	return seq, nil
}

// Changes returns up to limit messages of a room changed after change
// number since, in the order of their changes, each in its current state,
// and the room's change number read before them: every change after it is
// either among them or numbered higher.
func (s *Store) Changes(ctx context.Context, room string, since int64, limit int) ([]Message, int64, error) {
	seq, err := s.RoomSeq(ctx, room)
	if err != nil {
		return nil, 0, err
	}
	rows, err := s.db.QueryContext(ctx, `SELECT `+msgCols+` FROM messages WHERE room = ? AND rev > ? ORDER BY rev ASC LIMIT ?`,
		room, since, limit)
	if err != nil {
		return nil, 0, fmt.Errorf("read changes: %w", err)
	}
	out, err := scanAll(rows, limit)
	if err == nil {
		err = s.withReactions(ctx, out)
	}
	if err != nil {
		return nil, 0, fmt.Errorf("read changes: %w", err)
	}
	return out, seq, nil
}

func scanAll(rows *sql.Rows, capacity int) ([]Message, error) {
	defer rows.Close()
	out := make([]Message, 0, capacity)
	for rows.Next() {
		m, err := scanMessage(rows)
		if err != nil {
			return nil, err
		}
		out = append(out, m)
	}
	return out, rows.Err()
}

// withReactions fills in the reactions of msgs.
func (s *Store) withReactions(ctx context.Context, msgs []Message) error {
	ptrs := make([]*Message, len(msgs))
	for i := range msgs {
		ptrs[i] = &msgs[i]
	}
	return loadReactions(ctx, s.db, ptrs)
}

type querier interface {
	QueryContext(context.Context, string, ...any) (*sql.Rows, error)
}

// loadReactions reads the reactions of msgs (at most a page of them), by
// user id within each message. A page of history is one range of ids (one
// statement text, on the primary key; other rooms' reactions in it are
// skipped); scattered ids are read by id.
func loadReactions(ctx context.Context, q querier, msgs []*Message) error {
	if len(msgs) == 0 {
		return nil
	}
	byID := make(map[int64]*Message, len(msgs))
	lo, hi := msgs[0].ID, msgs[0].ID
	for _, m := range msgs {
		byID[m.ID] = m
		lo, hi = min(lo, m.ID), max(hi, m.ID)
		m.Reactions = nil
	}
	where, args := `message_id BETWEEN ? AND ?`, []any{lo, hi}
	if hi-lo >= int64(4*len(msgs)) { // scattered (changes): by id, not a long range
		where, args = `message_id IN (`+strings.TrimSuffix(strings.Repeat("?,", len(msgs)), ",")+`)`, nil
		for _, m := range msgs {
			args = append(args, m.ID)
		}
	}
	rows, err := q.QueryContext(ctx, `SELECT message_id, emoji, user_id FROM reactions WHERE `+where+`
		ORDER BY message_id, user_id, emoji`, args...)
	if err != nil {
		return err
	}
	defer rows.Close()
	for rows.Next() {
		var id int64
		var r Reaction
		if err := rows.Scan(&id, &r.Emoji, &r.UserID); err != nil {
			return err
		}
		if m := byID[id]; m != nil {
			m.Reactions = append(m.Reactions, r)
		}
	}
	if err := rows.Err(); err != nil {
		return err
	}
	return loadAttachments(ctx, q, msgs) // files.go: every read of reactions reads attachments too
}

// MessageByID returns one message in its current state (without reactions).
func (s *Store) MessageByID(ctx context.Context, id int64) (Message, error) {
	m, err := scanMessage(s.db.QueryRowContext(ctx, `SELECT `+msgCols+` FROM messages WHERE id = ?`, id))
	if errors.Is(err, sql.ErrNoRows) {
		return Message{}, ErrNotFound
	}
	if err != nil {
		return Message{}, fmt.Errorf("read message: %w", err)
	}
	return m, nil
}

// MessageWithReactions is MessageByID with the message's reactions and
// attachment: what an update about it carries.
func (s *Store) MessageWithReactions(ctx context.Context, id int64) (Message, error) {
	m, err := s.MessageByID(ctx, id)
	if err != nil {
		return Message{}, err
	}
	ms := []Message{m}
	if err := s.withReactions(ctx, ms); err != nil {
		return Message{}, fmt.Errorf("read message: %w", err)
	}
	return ms[0], nil
}

// MessagesAfter returns up to limit messages of every room with ids above
// afterID, in id order, with their reactions and attachments (as History).
// Ids are assigned in commit order (on PostgreSQL under LockMessages, in
// SQLite by its one writer), so a reader that asks again after the last id
// it got never skips a message committed later: a cluster's catch-up.
func (s *Store) MessagesAfter(ctx context.Context, afterID int64, limit int) ([]Message, error) {
	rows, err := s.db.QueryContext(ctx, `SELECT `+msgCols+` FROM messages WHERE id > ? ORDER BY id ASC LIMIT ?`, afterID, limit)
	if err != nil {
		return nil, fmt.Errorf("read messages: %w", err)
	}
	out, err := scanAll(rows, min(limit, 1024))
	if err == nil {
		err = s.withReactions(ctx, out)
	}
	if err != nil {
		return nil, fmt.Errorf("read messages: %w", err)
	}
	return out, nil
}
