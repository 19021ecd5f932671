package store

import (
	"context"
	"database/sql"
	"encoding/json"
	"errors"
	"fmt"
	"strings"
)

// Search over messages. SQLite keeps a full-text index (FTS5) of every
// message's text, an external-content table over messages kept in step by
// triggers: an insert indexes the text, an edit replaces the old words by
// the new ones, and a delete (which empties the text) drops its words.
// "secure-delete" makes FTS5 remove a dropped word's entries from its
// pages at once, so a deleted message's words leave the file (with
// secure_delete) rather than lingering until the index is merged.
// Everything SQLite-only is behind SearchMessages.
const searchSchema = `CREATE VIRTUAL TABLE messages_fts USING fts5(text, content='messages', content_rowid='id',
		tokenize='unicode61 remove_diacritics 2');
	INSERT INTO messages_fts(messages_fts, rank) VALUES('secure-delete', 1);
	CREATE TRIGGER messages_fts_insert AFTER INSERT ON messages BEGIN
		INSERT INTO messages_fts(rowid, text) VALUES(new.id, new.text);
	END;
	CREATE TRIGGER messages_fts_delete AFTER DELETE ON messages BEGIN
		INSERT INTO messages_fts(messages_fts, rowid, text) VALUES('delete', old.id, old.text);
	END;
	CREATE TRIGGER messages_fts_update AFTER UPDATE OF text ON messages BEGIN
		INSERT INTO messages_fts(messages_fts, rowid, text) VALUES('delete', old.id, old.text);
		INSERT INTO messages_fts(rowid, text) VALUES(new.id, new.text);
	END;
	INSERT INTO messages_fts(messages_fts) VALUES('rebuild');
	CREATE INDEX messages_author_id ON messages(author_id, id);`

// searchCols are msgCols of messages m.
const searchCols = `m.id, m.room, m.author_id, m.author_name, m.text, m.sent_at, COALESCE(m.client_id, ''),
	m.edited_at, m.deleted_at, m.rev,
	NOT EXISTS (SELECT 1 FROM users WHERE users.id = m.author_id AND users.removed_at IS NULL)`

// maxRoomParams is how many rooms a search names one parameter each; more
// go as one JSON list (SQLite takes at most 32,766 parameters, and the list
// is a little slower).
const maxRoomParams = 500

// SearchFilter narrows a search.
type SearchFilter struct {
	Room   string // only this room ("": any the searcher may read)
	Author string // only this user's messages, by username, any case ("": anyone's)
	Before int64  // only ids below this (0: no bound): the next page
	Limit  int
	// MayRead tells whether the searcher may read a room; nothing of a
	// room it refuses is read.
	MayRead func(ctx context.Context, room string) (bool, error)
}

// SearchMessages returns the newest messages, newest first, that contain
// every one of terms (each also as the start of a longer word, whatever
// its case and accents) and pass the filter; deleted ones never. The terms
// are matched as words, never read as query syntax. With no terms, every
// message passing the filter matches (the filter must then name an author).
func (s *Store) SearchMessages(ctx context.Context, terms []string, f SearchFilter) ([]Message, error) {
	var where []string
	var args []any
	from := `messages m`
	order := `m.id`
	if len(terms) > 0 {
		m, ok, err := s.engine.match(ctx, s.db, terms)
		if err != nil {
			return nil, fmt.Errorf("search: %w", err)
		}
		if !ok {
			return nil, nil
		}
		from, order = m.from, m.order
		where, args = append(where, m.cond), append(args, m.arg)
	}
	if f.Author != "" {
		var id int64
		err := s.db.QueryRowContext(ctx, `SELECT id FROM users WHERE username_key = ?`, usernameKey(f.Author)).Scan(&id)
		if errors.Is(err, sql.ErrNoRows) {
			return nil, nil
		}
		if err != nil {
			return nil, fmt.Errorf("search: %w", err)
		}
		where, args = append(where, `m.author_id = ?`), append(args, id)
	} else if len(terms) == 0 {
		return nil, errors.New("search: neither words nor an author")
	}
	rooms, err := s.readableRooms(ctx, f)
	if err != nil || len(rooms) == 0 {
		return nil, err
	}
	if len(rooms) <= maxRoomParams { // a list of parameters: the planner's best
		where = append(where, `m.room IN (`+strings.TrimSuffix(strings.Repeat("?,", len(rooms)), ",")+`)`)
		for _, r := range rooms {
			args = append(args, r)
		}
	} else { // more than SQLite takes as parameters, in one
		list, err := json.Marshal(rooms)
		if err != nil {
			return nil, fmt.Errorf("search: %w", err)
		}
		cond, arg := s.engine.roomList(`m.room`, string(list))
		where, args = append(where, cond), append(args, arg)
	}
	if f.Before > 0 {
		where, args = append(where, order+` < ?`), append(args, f.Before)
	}
	where = append(where, `m.deleted_at IS NULL`)
	rows, err := s.db.QueryContext(ctx, `SELECT `+searchCols+` FROM `+from+` WHERE `+strings.Join(where, ` AND `)+
		` ORDER BY `+order+` DESC LIMIT ?`, append(args, f.Limit)...)
	if err != nil {
		return nil, fmt.Errorf("search: %w", err)
	}
	out, err := scanAll(rows, f.Limit)
	if err != nil {
		return nil, fmt.Errorf("search: %w", err)
	}
	return out, nil
}

// readableRooms are the rooms a search may look in: the filter's room, or
// every room with messages, each only if the searcher may read it.
func (s *Store) readableRooms(ctx context.Context, f SearchFilter) ([]string, error) {
	candidates := []string{f.Room}
	if f.Room == "" {
		var err error
		if candidates, err = s.messageRooms(ctx); err != nil {
			return nil, err
		}
	}
	var rooms []string
	for _, r := range candidates {
		ok, err := f.MayRead(ctx, r)
		if err != nil {
			return nil, fmt.Errorf("search: check access: %w", err)
		}
		if ok {
			rooms = append(rooms, r)
		}
	}
	return rooms, nil
}

// messageRooms lists the rooms that have messages, one index step per room
// (a loose index scan: no walk over every message).
func (s *Store) messageRooms(ctx context.Context) ([]string, error) {
	rows, err := s.db.QueryContext(ctx, `WITH RECURSIVE r(room) AS (
			SELECT MIN(room) FROM messages
			UNION ALL
			SELECT (SELECT MIN(room) FROM messages WHERE room > r.room) FROM r WHERE r.room IS NOT NULL)
		SELECT room FROM r WHERE room IS NOT NULL`)
	if err != nil {
		return nil, fmt.Errorf("search: list rooms: %w", err)
	}
	defer rows.Close()
	var out []string
	for rows.Next() {
		var r string
		if err := rows.Scan(&r); err != nil {
			return nil, fmt.Errorf("search: list rooms: %w", err)
		}
		out = append(out, r)
	}
	return out, rows.Err()
}

// searchMatch is how an engine finds the messages holding the words.
type searchMatch struct {
	from  string // the tables, the messages as m
	order string // the id to page and order by
	cond  string // the condition, with one argument
	arg   any
}

// ftsQuery makes an FTS5 query of words a person typed: each a quoted
// phrase (its quotes doubled, a NUL, which would end the query, a space),
// matched also as a prefix, all required. No character of a term is read
// as FTS5 syntax.
func ftsQuery(terms []string) string {
	parts := make([]string, len(terms))
	quote := strings.NewReplacer(`"`, `""`, "\x00", " ")
	for i, t := range terms {
		parts[i] = `"` + quote.Replace(t) + `"*`
	}
	return strings.Join(parts, " AND ")
}
