package projections

import (
	"context"
	"database/sql"
	"fmt"
	"strings"

	"github.com/authtrail/authtrail/eventstore"
)

// Feed applies events to version t of p in one transaction, outside any
// host and without moving its checkpoint: for tests and tools that check
// what a projection does with given events. The version's tables are
// created first when missing.
func Feed(ctx context.Context, db *DB, p Projection, t Tables, envs []eventstore.Envelope) error {
	return db.inTx(ctx, func(tx *sql.Tx) error {
		var n int
		if err := tx.QueryRowContext(ctx, `SELECT count(*) FROM sqlite_master WHERE type = 'table' AND name LIKE ? ESCAPE '\'`,
			strings.ReplaceAll(t.prefix(), "_", `\_`)+"%").Scan(&n); err != nil {
			return err
		}
		if n == 0 {
			if err := p.Create(ctx, tx, t); err != nil {
				return err
			}
		}
		b, err := p.Begin(ctx, tx, t)
		if err != nil {
			return err
		}
		for _, env := range envs {
			if err := b.Apply(ctx, env); err != nil {
				return fmt.Errorf("event %d (%s): %w", env.Seq, env.Type, err)
			}
		}
		return b.Flush(ctx)
	})
}

// Dump returns every row of every table of version t, one line per row in
// primary-key order, keyed by the table's name without the version: what
// two versions are compared by.
func Dump(ctx context.Context, db *DB, t Tables) (map[string][]string, error) {
	tables, err := db.read.QueryContext(ctx, `SELECT name FROM sqlite_master WHERE type = 'table' AND substr(name, 1, ?) = ? ORDER BY name`,
		len(t.prefix()), t.prefix())
	if err != nil {
		return nil, err
	}
	var names []string
	for tables.Next() {
		var n string
		if err := tables.Scan(&n); err != nil {
			tables.Close()
			return nil, err
		}
		names = append(names, n)
	}
	tables.Close()
	out := map[string][]string{}
	for _, name := range names {
		rows, err := db.read.QueryContext(ctx, `SELECT * FROM "`+name+`" ORDER BY 1, 2`)
		if err != nil {
			return nil, err
		}
		cols, _ := rows.Columns()
		lines := []string{}
		for rows.Next() {
			vals := make([]any, len(cols))
			ptrs := make([]any, len(cols))
			for i := range vals {
				ptrs[i] = &vals[i]
			}
			if err := rows.Scan(ptrs...); err != nil {
				rows.Close()
				return nil, err
			}
			parts := make([]string, len(vals))
			for i, v := range vals {
				if b, ok := v.([]byte); ok {
					v = string(b)
				}
				parts[i] = fmt.Sprintf("%s=%v", cols[i], v)
			}
			lines = append(lines, strings.Join(parts, " "))
		}
		rows.Close()
		if err := rows.Err(); err != nil {
			return nil, err
		}
		out[strings.TrimPrefix(name, t.prefix())] = lines
	}
	// And the indexes a projection made, by name without the prefix.
	indexes, err := db.read.QueryContext(ctx, `SELECT name FROM sqlite_master WHERE type = 'index' AND sql IS NOT NULL
		AND substr(tbl_name, 1, ?) = ? ORDER BY name`, len(t.prefix()), t.prefix())
	if err != nil {
		return nil, err
	}
	defer indexes.Close()
	for indexes.Next() {
		var n string
		if err := indexes.Scan(&n); err != nil {
			return nil, err
		}
		out[DumpIndexes] = append(out[DumpIndexes], strings.TrimPrefix(n, t.prefix()))
	}
	return out, indexes.Err()
}

// DumpIndexes is the key of Dump's list of a version's indexes, present
// when it has any.
const DumpIndexes = "(indexes)"
