package importer

import (
	"context"
	"database/sql"
	"fmt"
	"slices"
	"strings"
)

// copied are the tables of the SQLite schema the import copies. Every table
// of the source must be here or in derived: a migration that adds a table
// makes the import fail until this list says what to do with it, so no
// table is ever skipped silently.
var copied = []string{
	"users", "user_lookalikes", "revoked_sessions",
	"messages", "room_changes", "reactions", "attachments",
	"conversations", "conversation_members",
	"invites", "audit",
}

// derived are SQLite tables not copied: its own bookkeeping (sqlite_*) and
// the full-text index of messages with its shadow tables, which
// PostgreSQL derives from the messages themselves.
func derived(name string) bool {
	if strings.HasPrefix(name, "sqlite_") {
		return true
	}
	switch name {
	case "messages_fts", "messages_fts_data", "messages_fts_idx", "messages_fts_docsize",
		"messages_fts_config", "messages_fts_content":
		return true
	}
	return false
}

// table is one table to copy, as the SQLite schema describes it.
type table struct {
	name    string
	columns []string // in the schema's order
	key     []string // the primary key's columns, in the key's order
	refs    []string // tables its foreign keys name
}

// intKey tells whether the table's key is one integer column (an id),
// which the copy can resume after and whose sequence it sets.
func (t table) intKey(types map[string]string) bool {
	return len(t.key) == 1 && strings.EqualFold(types[t.key[0]], "INTEGER")
}

// plan reads the source's schema: the tables to copy, in an order where
// every table comes after those its foreign keys name.
func plan(ctx context.Context, q querier) ([]table, map[string]map[string]string, error) {
	names, err := strings1(ctx, q, `SELECT name FROM sqlite_master WHERE type = 'table' ORDER BY name`)
	if err != nil {
		return nil, nil, fmt.Errorf("read the SQLite schema: %w", err)
	}
	byName := map[string]*table{}
	types := map[string]map[string]string{}
	for _, n := range names {
		if derived(n) {
			continue
		}
		if !slices.Contains(copied, n) {
			return nil, nil, fmt.Errorf("the SQLite database has a table %q this importer does not know: "+
				"a migration added it; say in server/store/importer/plan.go how to import it", n)
		}
		t, ty, err := describe(ctx, q, n)
		if err != nil {
			return nil, nil, err
		}
		byName[n], types[n] = t, ty
	}
	for _, n := range copied {
		if byName[n] == nil {
			return nil, nil, fmt.Errorf("the SQLite database has no table %q", n)
		}
	}
	order, err := fkOrder(byName)
	return order, types, err
}

// describe reads a table's columns, key and foreign keys.
func describe(ctx context.Context, q querier, name string) (*table, map[string]string, error) {
	t := &table{name: name}
	types := map[string]string{}
	rows, err := q.QueryContext(ctx, `SELECT name, type, pk FROM pragma_table_info(?) ORDER BY cid`, name)
	if err != nil {
		return nil, nil, fmt.Errorf("read table %s: %w", name, err)
	}
	keyAt := map[int]string{}
	for rows.Next() {
		var col, typ string
		var pk int
		if err := rows.Scan(&col, &typ, &pk); err != nil {
			rows.Close()
			return nil, nil, err
		}
		t.columns = append(t.columns, col)
		types[col] = typ
		if pk > 0 {
			keyAt[pk] = col
		}
	}
	rows.Close()
	if err := rows.Err(); err != nil {
		return nil, nil, err
	}
	for i := 1; i <= len(keyAt); i++ {
		t.key = append(t.key, keyAt[i])
	}
	if len(t.key) == 0 {
		return nil, nil, fmt.Errorf("table %s has no primary key to copy it by", name)
	}
	t.refs, err = strings1(ctx, q, `SELECT DISTINCT "table" FROM pragma_foreign_key_list(?)`, name)
	if err != nil {
		return nil, nil, fmt.Errorf("read the foreign keys of %s: %w", name, err)
	}
	return t, types, nil
}

// fkOrder sorts tables so that each comes after the tables it refers to
// (by name where that leaves a choice, so every run copies in one order).
func fkOrder(byName map[string]*table) ([]table, error) {
	var order []table
	done := map[string]bool{}
	for len(order) < len(byName) {
		var ready []string
		for n, t := range byName {
			if done[n] {
				continue
			}
			if !slices.ContainsFunc(t.refs, func(r string) bool { return r != n && !done[r] }) {
				ready = append(ready, n)
			}
		}
		if len(ready) == 0 {
			return nil, fmt.Errorf("the foreign keys of the SQLite tables form a cycle")
		}
		slices.Sort(ready)
		for _, n := range ready {
			done[n] = true
			order = append(order, *byName[n])
		}
	}
	return order, nil
}

type querier interface {
	QueryContext(ctx context.Context, query string, args ...any) (*sql.Rows, error)
	QueryRowContext(ctx context.Context, query string, args ...any) *sql.Row
}

// strings1 reads a one-column list of strings.
func strings1(ctx context.Context, q querier, query string, args ...any) ([]string, error) {
	rows, err := q.QueryContext(ctx, query, args...)
	if err != nil {
		return nil, err
	}
	defer rows.Close()
	var out []string
	for rows.Next() {
		var s string
		if err := rows.Scan(&s); err != nil {
			return nil, err
		}
		out = append(out, s)
	}
	return out, rows.Err()
}
