package store

import (
	"context"
	"crypto/sha256"
	"database/sql"
	"encoding/hex"
	"errors"
	"fmt"
	"time"
)

// adminSchema is the administration migration: who administers, who was
// removed and when each account was last seen; invite codes (only their
// hash), and the audit log. On an existing database the oldest account
// becomes the administrator, as the first account of a new one does.
const adminSchema = `ALTER TABLE users ADD COLUMN is_admin INTEGER NOT NULL DEFAULT 0;
	ALTER TABLE users ADD COLUMN removed_at INTEGER;
	ALTER TABLE users ADD COLUMN last_seen_at INTEGER;
	UPDATE users SET is_admin = 1 WHERE id = (SELECT MIN(id) FROM users);
	CREATE TABLE invites (
		code_hash  TEXT PRIMARY KEY,
		created_by INTEGER,
		created_at INTEGER NOT NULL,
		expires_at INTEGER NOT NULL,
		uses_left  INTEGER NOT NULL
	);
	CREATE TABLE audit (
		id       INTEGER PRIMARY KEY AUTOINCREMENT,
		at       INTEGER NOT NULL,
		actor_id INTEGER,
		actor    TEXT NOT NULL,
		action   TEXT NOT NULL,
		target   TEXT NOT NULL,
		detail   TEXT NOT NULL DEFAULT ''
	);`

// Administration errors.
var (
	ErrLastAdmin     = errors.New("the last administrator")
	ErrInvalidInvite = errors.New("invite code unknown, used up or expired")
)

// UserInfo is an account as administrators see it.
type UserInfo struct {
	ID        int64
	Username  string
	Admin     bool
	Removed   bool
	CreatedAt time.Time
	LastSeen  time.Time // zero: never connected
}

// Audit is one administrative action. ActorID 0 is the operator on the
// server's own computer (confabd users).
type Audit struct {
	ID      int64
	At      time.Time
	ActorID int64
	Actor   string
	Action  string
	Target  string
	Detail  string
}

const userInfoCols = `id, username, is_admin, removed_at IS NOT NULL, created_at, last_seen_at`

func scanUserInfo(row scanner) (UserInfo, error) {
	var u UserInfo
	var created int64
	var seen sql.NullInt64
	if err := row.Scan(&u.ID, &u.Username, &u.Admin, &u.Removed, &created, &seen); err != nil {
		return UserInfo{}, err
	}
	u.CreatedAt = time.UnixMilli(created).UTC()
	if seen.Valid {
		u.LastSeen = time.UnixMilli(seen.Int64).UTC()
	}
	return u, nil
}

// UserInfoByName finds an account, removed ones too, by username (any case).
func (s *Store) UserInfoByName(ctx context.Context, username string) (UserInfo, error) {
	u, err := scanUserInfo(s.db.QueryRowContext(ctx, `SELECT `+userInfoCols+` FROM users WHERE username_key = ?`, usernameKey(username)))
	if errors.Is(err, sql.ErrNoRows) {
		return UserInfo{}, ErrNotFound
	}
	return u, err
}

// AllUsers lists every account, removed ones too, by username.
func (s *Store) AllUsers(ctx context.Context) ([]UserInfo, error) {
	rows, err := s.db.QueryContext(ctx, `SELECT `+userInfoCols+` FROM users ORDER BY username_key`)
	if err != nil {
		return nil, fmt.Errorf("list users: %w", err)
	}
	defer rows.Close()
	var out []UserInfo
	for rows.Next() {
		u, err := scanUserInfo(rows)
		if err != nil {
			return nil, fmt.Errorf("list users: %w", err)
		}
		out = append(out, u)
	}
	return out, rows.Err()
}

// IsAdmin tells whether an account is a (not removed) administrator.
func (s *Store) IsAdmin(ctx context.Context, id int64) (bool, error) {
	var n int
	err := s.db.QueryRowContext(ctx, `SELECT COUNT(*) FROM users WHERE id = ? AND is_admin = 1 AND removed_at IS NULL`, id).Scan(&n)
	return n == 1, err
}

// SeenNow records that an account was connected at t.
func (s *Store) SeenNow(ctx context.Context, id int64, t time.Time) error {
	_, err := s.db.ExecContext(ctx, `UPDATE users SET last_seen_at = ? WHERE id = ?`, t.UnixMilli(), id)
	s.noteWrite(err)
	return err
}

// adminTx runs apply and writes its audit entry in one transaction: an
// action is recorded if and only if it happened.
func (s *Store) adminTx(ctx context.Context, a Audit, apply func(*sql.Tx) error) error {
	tx, err := s.db.BeginTx(ctx, nil)
	if err != nil {
		s.noteWrite(err)
		return fmt.Errorf("%s: %w", a.Action, err)
	}
	defer tx.Rollback() //nolint:errcheck // after Commit this is a no-op
	if err := s.engine.lockWrites(ctx, tx); err != nil {
		s.noteWrite(err)
		return fmt.Errorf("%s: %w", a.Action, err)
	}
	if err := apply(tx); err != nil {
		return err
	}
	if err := addAudit(ctx, tx, a); err != nil {
		return err
	}
	err = tx.Commit()
	s.noteWrite(err)
	if err != nil {
		return fmt.Errorf("%s: %w", a.Action, err)
	}
	return nil
}

func addAudit(ctx context.Context, tx *sql.Tx, a Audit) error {
	if a.At.IsZero() {
		a.At = time.Now()
	}
	var actor any
	if a.ActorID != 0 {
		actor = a.ActorID
	}
	_, err := tx.ExecContext(ctx, `INSERT INTO audit(at, actor_id, actor, action, target, detail) VALUES(?, ?, ?, ?, ?, ?)`,
		a.At.UnixMilli(), actor, a.Actor, a.Action, a.Target, a.Detail)
	if err != nil {
		return fmt.Errorf("write audit: %w", err)
	}
	return nil
}

// AuditLog returns up to limit entries, newest first.
func (s *Store) AuditLog(ctx context.Context, limit int) ([]Audit, error) {
	rows, err := s.db.QueryContext(ctx,
		`SELECT id, at, COALESCE(actor_id, 0), actor, action, target, detail FROM audit ORDER BY id DESC LIMIT ?`, limit)
	if err != nil {
		return nil, fmt.Errorf("read audit: %w", err)
	}
	defer rows.Close()
	var out []Audit
	for rows.Next() {
		var a Audit
		var at int64
		if err := rows.Scan(&a.ID, &at, &a.ActorID, &a.Actor, &a.Action, &a.Target, &a.Detail); err != nil {
			return nil, fmt.Errorf("read audit: %w", err)
		}
		a.At = time.UnixMilli(at).UTC()
		out = append(out, a)
	}
	return out, rows.Err()
}

// admins counts the administrators left, in tx.
func admins(ctx context.Context, tx *sql.Tx) (int, error) {
	var n int
	err := tx.QueryRowContext(ctx, `SELECT COUNT(*) FROM users WHERE is_admin = 1 AND removed_at IS NULL`).Scan(&n)
	return n, err
}

// updateOne runs an UPDATE of one live account, ErrNotFound if none.
func updateOne(ctx context.Context, tx *sql.Tx, q string, args ...any) error {
	res, err := tx.ExecContext(ctx, q, args...)
	if err != nil {
		return err
	}
	if n, err := res.RowsAffected(); err != nil {
		return err
	} else if n != 1 {
		return ErrNotFound
	}
	return nil
}

// SetAdmin makes an account an administrator or not. Unmaking the last
// one is refused with ErrLastAdmin: a server always has one.
func (s *Store) SetAdmin(ctx context.Context, id int64, admin bool, a Audit) error {
	return s.adminTx(ctx, a, func(tx *sql.Tx) error {
		if err := updateOne(ctx, tx, `UPDATE users SET is_admin = ? WHERE id = ? AND removed_at IS NULL`, admin, id); err != nil {
			return err
		}
		if n, err := admins(ctx, tx); err != nil {
			return err
		} else if n == 0 {
			return ErrLastAdmin
		}
		return nil
	})
}

// RemoveUser removes an account: it can no longer sign in (its password is
// gone), its sessions end, and it leaves the list of users. The row stays,
// so its name stays taken and its messages still name their author. It
// returns the account's new session generation.
func (s *Store) RemoveUser(ctx context.Context, id int64, a Audit) (int64, error) {
	var gen int64
	err := s.adminTx(ctx, a, func(tx *sql.Tx) error {
		if err := updateOne(ctx, tx, `UPDATE users SET removed_at = ?, is_admin = 0, password_hash = '',
			session_gen = session_gen + 1 WHERE id = ? AND removed_at IS NULL`, time.Now().UnixMilli(), id); err != nil {
			return err
		}
		if n, err := admins(ctx, tx); err != nil {
			return err
		} else if n == 0 {
			return ErrLastAdmin
		}
		return tx.QueryRowContext(ctx, `SELECT session_gen FROM users WHERE id = ?`, id).Scan(&gen)
	})
	return gen, err
}

// ResetPassword sets a new password hash and ends every session of the
// account; it returns the new session generation.
func (s *Store) ResetPassword(ctx context.Context, id int64, hash string, a Audit) (int64, error) {
	var gen int64
	err := s.adminTx(ctx, a, func(tx *sql.Tx) error {
		if err := updateOne(ctx, tx, `UPDATE users SET password_hash = ?, session_gen = session_gen + 1
			WHERE id = ? AND removed_at IS NULL`, hash, id); err != nil {
			return err
		}
		return tx.QueryRowContext(ctx, `SELECT session_gen FROM users WHERE id = ?`, id).Scan(&gen)
	})
	return gen, err
}

// RenameUser gives an account a new username, under the rules of a new
// one (taken, look-alike: the account's own old name does not count), and
// ends its sessions: its tokens carry the old name. Its messages keep
// their author id and the name they were sent under.
func (s *Store) RenameUser(ctx context.Context, id int64, username string, a Audit) (int64, error) {
	var gen int64
	err := s.adminTx(ctx, a, func(tx *sql.Tx) error {
		args := append([]any{usernameKey(username), id}, conflictArgs(username)[1:]...)
		var taken, similar int
		if err := tx.QueryRowContext(ctx, `SELECT (SELECT COUNT(*) FROM users WHERE username_key = ? AND id <> ?),
			(SELECT COUNT(*) FROM user_lookalikes WHERE skeleton IN (?, ?, ?, ?) AND user_id <> ?)`,
			append(args, id)...).Scan(&taken, &similar); err != nil {
			return err
		}
		switch {
		case taken > 0:
			return ErrUsernameTaken
		case similar > 0:
			return ErrUsernameTooSimilar
		}
		if err := updateOne(ctx, tx, `UPDATE users SET username = ?, username_key = ?, session_gen = session_gen + 1
			WHERE id = ? AND removed_at IS NULL`, username, usernameKey(username), id); err != nil {
			return err
		}
		if _, err := tx.ExecContext(ctx, `DELETE FROM user_lookalikes WHERE user_id = ?`, id); err != nil {
			return err
		}
		if err := addLookalikeKeys(ctx, tx, id, username); err != nil {
			return err
		}
		return tx.QueryRowContext(ctx, `SELECT session_gen FROM users WHERE id = ?`, id).Scan(&gen)
	})
	return gen, err
}

// Record writes an audit entry for an action the store has no part in
// (a kick).
func (s *Store) Record(ctx context.Context, a Audit) error {
	return s.adminTx(ctx, a, func(*sql.Tx) error { return nil })
}

// InviteHash is what the store keeps of an invite code: a stolen database
// gives no usable code.
func InviteHash(normalizedCode string) string {
	sum := sha256.Sum256([]byte("confab invite v1\x00" + normalizedCode))
	return hex.EncodeToString(sum[:])
}

// CreateInvite stores an invite code's hash, good for uses accounts until
// expires.
func (s *Store) CreateInvite(ctx context.Context, codeHash string, uses int, expires time.Time, a Audit) error {
	return s.adminTx(ctx, a, func(tx *sql.Tx) error {
		_, err := tx.ExecContext(ctx, `INSERT INTO invites(code_hash, created_by, created_at, expires_at, uses_left) VALUES(?, ?, ?, ?, ?)`,
			codeHash, a.ActorID, time.Now().UnixMilli(), expires.UnixMilli(), uses)
		return err
	})
}

// redeemInvite takes one use of an invite code, in tx, at now: ErrInvalidInvite
// if it is unknown, used up or expired (at its expiry instant it is expired).
func redeemInvite(ctx context.Context, tx *sql.Tx, codeHash string, now time.Time) error {
	res, err := tx.ExecContext(ctx, `UPDATE invites SET uses_left = uses_left - 1
		WHERE code_hash = ? AND uses_left > 0 AND expires_at > ?`, codeHash, now.UnixMilli())
	if err != nil {
		return err
	}
	if n, err := res.RowsAffected(); err != nil {
		return err
	} else if n != 1 {
		return ErrInvalidInvite
	}
	_, err = tx.ExecContext(ctx, `DELETE FROM invites WHERE uses_left <= 0 OR expires_at <= ?`, now.UnixMilli())
	return err
}

// CreateInvitedUser is CreateUser with an invite code, whose use is taken
// in the same transaction: a refused name spends no use, and two people
// with a single-use code cannot both get in. a is recorded, with the new
// account as its actor.
func (s *Store) CreateInvitedUser(ctx context.Context, username, passwordHash, codeHash string, now time.Time, a Audit) (User, error) {
	return s.createUser(ctx, username, passwordHash, func(tx *sql.Tx, id int64) error {
		if err := redeemInvite(ctx, tx, codeHash, now); err != nil {
			return err
		}
		a.At, a.ActorID, a.Actor, a.Target = now, id, username, username
		return addAudit(ctx, tx, a)
	})
}

// AddUserAudited is CreateUser by an administrator, recorded in the audit.
func (s *Store) AddUserAudited(ctx context.Context, username, passwordHash string, admin bool, a Audit) (User, error) {
	return s.createUser(ctx, username, passwordHash, func(tx *sql.Tx, id int64) error {
		if admin {
			if _, err := tx.ExecContext(ctx, `UPDATE users SET is_admin = 1 WHERE id = ?`, id); err != nil {
				return err
			}
		}
		return addAudit(ctx, tx, a)
	})
}
