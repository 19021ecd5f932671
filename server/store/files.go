package store

import (
	"context"
	"database/sql"
	"errors"
	"fmt"
	"strings"
)

// filesSchema: a message may carry one attachment, a file kept in the blob
// store under its SHA-256 (hash), and for an image a thumbnail (thumb_hash).
const filesSchema = `CREATE TABLE attachments (
		message_id   INTEGER PRIMARY KEY REFERENCES messages(id),
		hash         TEXT NOT NULL,
		name         TEXT NOT NULL,
		size         INTEGER NOT NULL,
		type         TEXT NOT NULL,
		thumb_hash   TEXT,
		thumb_width  INTEGER NOT NULL DEFAULT 0,
		thumb_height INTEGER NOT NULL DEFAULT 0,
		image_width  INTEGER NOT NULL DEFAULT 0,
		image_height INTEGER NOT NULL DEFAULT 0
	);
	CREATE INDEX attachments_hash ON attachments(hash);`

// Attachment is the file a message carries.
type Attachment struct {
	Hash string // SHA-256 of the content, lowercase hex
	Name string
	Size int64
	Type string // the type it is served as
	// ThumbHash is the thumbnail's blob ("" when there is none), of
	// ThumbWidth x ThumbHeight, for an image of ImageWidth x ImageHeight.
	ThumbHash               string
	ThumbWidth, ThumbHeight int
	ImageWidth, ImageHeight int
}

func insertAttachment(tx *sql.Tx, id int64, a *Attachment) error {
	var thumb any
	if a.ThumbHash != "" {
		thumb = a.ThumbHash
	}
	_, err := tx.Exec(`INSERT INTO attachments(message_id, hash, name, size, type, thumb_hash,
		thumb_width, thumb_height, image_width, image_height) VALUES(?,?,?,?,?,?,?,?,?,?)`,
		id, a.Hash, a.Name, a.Size, a.Type, thumb, a.ThumbWidth, a.ThumbHeight, a.ImageWidth, a.ImageHeight)
	return err
}

// loadAttachments reads the attachments of msgs; a deleted message's is
// gone with its text.
func loadAttachments(ctx context.Context, q querier, msgs []*Message) error {
	if len(msgs) == 0 {
		return nil
	}
	byID := make(map[int64]*Message, len(msgs))
	args := make([]any, 0, len(msgs))
	for _, m := range msgs {
		m.Attachment = nil
		if !m.Deleted {
			byID[m.ID] = m
			args = append(args, m.ID)
		}
	}
	if len(args) == 0 {
		return nil
	}
	rows, err := q.QueryContext(ctx, `SELECT message_id, hash, name, size, type, COALESCE(thumb_hash, ''),
		thumb_width, thumb_height, image_width, image_height FROM attachments
		WHERE message_id IN (`+strings.TrimSuffix(strings.Repeat("?,", len(args)), ",")+`)`, args...)
	if err != nil {
		return err
	}
	defer rows.Close()
	for rows.Next() {
		var id int64
		var a Attachment
		if err := rows.Scan(&id, &a.Hash, &a.Name, &a.Size, &a.Type, &a.ThumbHash,
			&a.ThumbWidth, &a.ThumbHeight, &a.ImageWidth, &a.ImageHeight); err != nil {
			return err
		}
		if m := byID[id]; m != nil {
			m.Attachment = &a
		}
	}
	return rows.Err()
}

// MessageFile returns a message with its attachment; ErrNotFound when there
// is no such message, or it is deleted, or it carries no file.
func (s *Store) MessageFile(ctx context.Context, id int64) (Message, error) {
	m, err := s.MessageByID(ctx, id)
	if err != nil {
		return Message{}, err
	}
	if err := loadAttachments(ctx, s.db, []*Message{&m}); err != nil {
		return Message{}, fmt.Errorf("read attachment: %w", err)
	}
	if m.Attachment == nil {
		return Message{}, ErrNotFound
	}
	return m, nil
}

// BlobInUse reports whether any message's attachment or thumbnail is the
// blob hash (a blob store's garbage collection asks before Remove).
func (s *Store) BlobInUse(ctx context.Context, hash string) (bool, error) {
	var n int
	err := s.db.QueryRowContext(ctx, `SELECT COUNT(*) FROM attachments WHERE hash = ? OR thumb_hash = ?`, hash, hash).Scan(&n)
	if err != nil && !errors.Is(err, sql.ErrNoRows) {
		return false, fmt.Errorf("look up blob: %w", err)
	}
	return n > 0, nil
}

// DropAttachment forgets a message's attachment and returns the blobs it
// named (the file's, and its thumbnail's if any): a deleted message's file
// goes with its text.
func (s *Store) DropAttachment(ctx context.Context, id int64) ([]string, error) {
	var hash, thumb string
	err := s.db.QueryRowContext(ctx, `SELECT hash, COALESCE(thumb_hash, '') FROM attachments WHERE message_id = ?`, id).Scan(&hash, &thumb)
	if errors.Is(err, sql.ErrNoRows) {
		return nil, nil
	}
	if err != nil {
		return nil, fmt.Errorf("read attachment: %w", err)
	}
	_, err = s.db.ExecContext(ctx, `DELETE FROM attachments WHERE message_id = ?`, id)
	s.noteWrite(err)
	if err != nil {
		return nil, fmt.Errorf("drop attachment: %w", err)
	}
	if thumb == "" {
		return []string{hash}, nil
	}
	return []string{hash, thumb}, nil
}
