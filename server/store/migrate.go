package store

import (
	"context"
	"database/sql"
	"fmt"
)

// migrations are SQLite's, applied in order; the database's user_version
// records how many have run. Append new steps, never edit old ones (and a
// schema change appends a step to PostgreSQL's too: postgres_schema.go).
var migrations = []string{
	// 1: accounts, messages, revocations.
	`CREATE TABLE users (
		id            INTEGER PRIMARY KEY AUTOINCREMENT,
		username      TEXT NOT NULL,
		username_key  TEXT NOT NULL UNIQUE,
		password_hash TEXT NOT NULL,
		created_at    INTEGER NOT NULL
	);
	CREATE TABLE messages (
		id          INTEGER PRIMARY KEY AUTOINCREMENT,
		room        TEXT NOT NULL,
		author_id   INTEGER NOT NULL,
		author_name TEXT NOT NULL,
		text        TEXT NOT NULL,
		sent_at     INTEGER NOT NULL,
		client_id   TEXT
	);
	CREATE INDEX messages_room_id ON messages(room, id);
	CREATE UNIQUE INDEX messages_client_id ON messages(author_id, client_id) WHERE client_id IS NOT NULL;
	CREATE TABLE revoked_tokens (
		jti        TEXT PRIMARY KEY,
		expires_at INTEGER NOT NULL
	);`,
	// 2: sessions. A sign-in's tokens share a session id, revoked as a whole
	// (a token from before sessions is its own session, under its jti, so
	// the revoked jtis carry over); a user's session generation, raised by
	// a password change, ends every sign-in made before it.
	`CREATE TABLE revoked_sessions (
		sid        TEXT PRIMARY KEY,
		expires_at INTEGER NOT NULL
	);
	INSERT INTO revoked_sessions(sid, expires_at) SELECT jti, expires_at FROM revoked_tokens;
	DROP TABLE revoked_tokens;
	ALTER TABLE users ADD COLUMN session_gen INTEGER NOT NULL DEFAULT 0;`,
	// 3: look-alike keys of usernames (lookalike.go), filled from Go by
	// fillLookalikeKeys. A key may belong to several users: accounts made
	// before may look alike, and keep working; CreateUser refuses new ones.
	`CREATE TABLE user_lookalikes (
		skeleton TEXT NOT NULL,
		user_id  INTEGER NOT NULL REFERENCES users(id) ON DELETE CASCADE,
		PRIMARY KEY (skeleton, user_id)
	);
	CREATE INDEX user_lookalikes_user ON user_lookalikes(user_id);`,
	// 4: edits, deletes and reactions (changes.go). Every change of a
	// message raises its room's change number (room_changes.seq) and stamps
	// the message with it (rev), so a client asks for what changed since
	// the number it last saw. A deleted message keeps its row, without text.
	`ALTER TABLE messages ADD COLUMN edited_at INTEGER;
	ALTER TABLE messages ADD COLUMN deleted_at INTEGER;
	ALTER TABLE messages ADD COLUMN rev INTEGER NOT NULL DEFAULT 0;
	CREATE INDEX messages_room_rev ON messages(room, rev);
	CREATE TABLE room_changes (
		room TEXT PRIMARY KEY,
		seq  INTEGER NOT NULL
	);
	CREATE TABLE reactions (
		message_id INTEGER NOT NULL REFERENCES messages(id),
		user_id    INTEGER NOT NULL,
		emoji      TEXT NOT NULL,
		PRIMARY KEY (message_id, user_id, emoji)
	);`,
	// private conversations (dms.go).
	dmSchema,
	// attachments of messages (files.go).
	filesSchema,
	adminSchema, // admin.go
	// search.go: the full-text index of messages, filled from those stored.
	searchSchema,
}

// fills complete a migration, in its transaction, with what only Go can
// compute; keyed by the version the migration leads to.
var fills = map[int]func(*sql.Tx) error{
	3: fillLookalikeKeys,
}

// fillLookalikeKeys computes every user's look-alike keys.
func fillLookalikeKeys(tx *sql.Tx) error {
	rows, err := tx.Query(`SELECT id, username FROM users`)
	if err != nil {
		return err
	}
	names := map[int64]string{}
	for rows.Next() {
		var id int64
		var name string
		if err := rows.Scan(&id, &name); err != nil {
			rows.Close()
			return err
		}
		names[id] = name
	}
	rows.Close()
	if err := rows.Err(); err != nil {
		return err
	}
	for id, name := range names {
		if err := addLookalikeKeys(context.Background(), tx, id, name); err != nil {
			return err
		}
	}
	return nil
}

// SchemaVersion is the version this build migrates to.
var SchemaVersion = len(migrations)

func migrate(db *sql.DB) error { return migrateTo(db, len(migrations)) }

// migrateTo applies the migrations up to version n (tests build the
// databases of earlier releases with it).
func migrateTo(db *sql.DB, n int) error {
	var version int
	if err := db.QueryRow(`PRAGMA user_version`).Scan(&version); err != nil {
		return fmt.Errorf("read schema version: %w", err)
	}
	if version > len(migrations) {
		return fmt.Errorf("database schema version %d is newer than this build supports (%d): upgrade Confab", version, len(migrations))
	}
	for i := version; i < n; i++ {
		tx, err := db.Begin()
		if err != nil {
			return fmt.Errorf("migrate to version %d: %w", i+1, err)
		}
		if _, err := tx.Exec(migrations[i]); err != nil {
			tx.Rollback() //nolint:errcheck
			return fmt.Errorf("migrate to version %d: %w", i+1, err)
		}
		if fill := fills[i+1]; fill != nil {
			if err := fill(tx); err != nil {
				tx.Rollback() //nolint:errcheck
				return fmt.Errorf("migrate to version %d: %w", i+1, err)
			}
		}
		if _, err := tx.Exec(fmt.Sprintf(`PRAGMA user_version = %d`, i+1)); err != nil {
			tx.Rollback() //nolint:errcheck
			return fmt.Errorf("migrate to version %d: %w", i+1, err)
		}
		if err := tx.Commit(); err != nil {
			return fmt.Errorf("migrate to version %d: %w", i+1, err)
		}
	}
	return nil
}
