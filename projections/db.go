package projections

import (
	"context"
	"crypto/rand"
	"database/sql"
	"encoding/hex"
	"errors"
	"fmt"
	"net/url"
	"strings"

	"github.com/authtrail/authtrail/filelock"
	_ "modernc.org/sqlite" // the pure-Go driver "sqlite": no cgo
)

// FileName is the read models' database under the data directory.
const FileName = "readmodels.db"

// DB is the SQLite database of the read models. Writes go through one
// connection, so the projections' transactions queue in Go rather than
// spin on SQLite's lock; reads use a pool of their own.
type DB struct {
	write *sql.DB
	read  *sql.DB
	// instance names this database's consumers: every process keeps its
	// own read models, and a fresh file gets fresh consumers.
	instance string
	lock     *filelock.Lock
}

// schema is the host's own bookkeeping: the versions of each projection,
// their state and checkpoint.
const schema = `
CREATE TABLE IF NOT EXISTS projection_meta (key TEXT PRIMARY KEY, value TEXT NOT NULL);
CREATE TABLE IF NOT EXISTS projection_versions (
	name       TEXT    NOT NULL,
	version    INTEGER NOT NULL,
	shape      INTEGER NOT NULL,
	state      TEXT    NOT NULL CHECK (state IN ('live', 'building')),
	checkpoint INTEGER NOT NULL DEFAULT 0,
	PRIMARY KEY (name, version)
);`

// OpenDB opens (or creates) the database file at path.
func OpenDB(ctx context.Context, path string) (*DB, error) {
	if path == "" {
		return nil, errors.New("projections: no database path")
	}
	open := func(conns int, extra string) (*sql.DB, error) {
		// WAL lets readers run beside the writer. synchronous(NORMAL) does
		// not fsync every commit: a read model is rebuilt from the log, and
		// a commit lost in a power cut only moves the checkpoint back with
		// the rows it covered.
		dsn := "file:" + (&url.URL{Path: path}).EscapedPath() + "?_pragma=busy_timeout(10000)&_pragma=journal_mode(WAL)" +
			"&_pragma=synchronous(NORMAL)" + extra
		db, err := sql.Open("sqlite", dsn)
		if err != nil {
			return nil, err
		}
		db.SetMaxOpenConns(conns)
		db.SetMaxIdleConns(conns)
		return db, nil
	}
	lock, err := lockFile(path + ".lock")
	if err != nil {
		return nil, err
	}
	// The writer gets a large page cache and checkpoints the WAL less
	// often: a rebuild writes hundreds of thousands of rows.
	w, err := open(1, "&_txlock=immediate&_pragma=cache_size(-65536)&_pragma=wal_autocheckpoint(16384)")
	if err != nil {
		_ = lock.Close()
		return nil, fmt.Errorf("projections: open %s: %w", path, err)
	}
	r, err := open(4, "&_pragma=query_only(1)")
	if err != nil {
		_ = w.Close()
		_ = lock.Close()
		return nil, fmt.Errorf("projections: open %s: %w", path, err)
	}
	db := &DB{write: w, read: r, lock: lock}
	if err := db.init(ctx); err != nil {
		_ = db.Close()
		return nil, fmt.Errorf("projections: %s: %w", path, err)
	}
	return db, nil
}

func (db *DB) init(ctx context.Context) error {
	if _, err := db.write.ExecContext(ctx, schema); err != nil {
		return err
	}
	err := db.write.QueryRowContext(ctx, `SELECT value FROM projection_meta WHERE key = 'instance'`).Scan(&db.instance)
	if !errors.Is(err, sql.ErrNoRows) {
		return err
	}
	var b [6]byte
	_, _ = rand.Read(b[:])
	db.instance = hex.EncodeToString(b[:])
	_, err = db.write.ExecContext(ctx, `INSERT INTO projection_meta (key, value) VALUES ('instance', ?)`, db.instance)
	return err
}

// Reader is the pool for queries; it refuses writes.
func (db *DB) Reader() *sql.DB { return db.read }

// Close closes the database.
func (db *DB) Close() error {
	return errors.Join(db.write.Close(), db.read.Close(), db.lock.Close())
}

// lockFile takes the database's exclusive lock, for as long as the host
// runs: two hosts on one database would share its consumers and undo each
// other's checkpoints.
func lockFile(path string) (*filelock.Lock, error) {
	l, err := filelock.Acquire(path)
	if err != nil {
		return nil, fmt.Errorf("projections: %w", err)
	}
	return l, nil
}

// versionRow is one row of projection_versions.
type versionRow struct {
	Version    int
	Shape      int
	State      string
	Checkpoint uint64
}

func (db *DB) versions(ctx context.Context, name string) ([]versionRow, error) {
	rows, err := db.write.QueryContext(ctx,
		`SELECT version, shape, state, checkpoint FROM projection_versions WHERE name = ? ORDER BY version`, name)
	if err != nil {
		return nil, err
	}
	defer rows.Close()
	var out []versionRow
	for rows.Next() {
		var v versionRow
		if err := rows.Scan(&v.Version, &v.Shape, &v.State, &v.Checkpoint); err != nil {
			return nil, err
		}
		out = append(out, v)
	}
	return out, rows.Err()
}

// createVersion adds a version in state with its tables.
func (db *DB) createVersion(ctx context.Context, p Projection, version int, state string) error {
	return db.inTx(ctx, func(tx *sql.Tx) error {
		if _, err := tx.ExecContext(ctx, `INSERT INTO projection_versions (name, version, shape, state) VALUES (?, ?, ?, ?)`,
			p.Name(), version, p.Shape(), state); err != nil {
			return err
		}
		return p.Create(ctx, tx, Tables{Name: p.Name(), Version: version})
	})
}

// index creates the version's reader-only indexes (Indexer).
func (db *DB) index(ctx context.Context, p Projection, t Tables) error {
	ix, ok := p.(Indexer)
	if !ok {
		return nil
	}
	return db.inTx(ctx, func(tx *sql.Tx) error { return ix.CreateIndexes(ctx, tx, t) })
}

// dropVersion removes a version's row and tables.
func (db *DB) dropVersion(ctx context.Context, t Tables) error {
	return db.inTx(ctx, func(tx *sql.Tx) error {
		if _, err := tx.ExecContext(ctx, `DELETE FROM projection_versions WHERE name = ? AND version = ?`, t.Name, t.Version); err != nil {
			return err
		}
		return dropTables(ctx, tx, func(table string) bool { return strings.HasPrefix(table, t.prefix()) })
	})
}

// dropOrphans drops tables of name's versions that have no row: left by a
// crash between a cut-over and the old version's removal.
func (db *DB) dropOrphans(ctx context.Context, name string, kept []versionRow) error {
	return db.inTx(ctx, func(tx *sql.Tx) error {
		return dropTables(ctx, tx, func(table string) bool {
			if !strings.HasPrefix(table, name+"_v") {
				return false
			}
			for _, v := range kept {
				if strings.HasPrefix(table, (Tables{Name: name, Version: v.Version}).prefix()) {
					return false
				}
			}
			// Only tables shaped <name>_v<digits>_…, not another
			// projection's whose name starts with name.
			rest := strings.TrimPrefix(table, name+"_v")
			digits := strings.IndexFunc(rest, func(r rune) bool { return r < '0' || r > '9' })
			return digits > 0 && rest[digits] == '_'
		})
	})
}

func dropTables(ctx context.Context, tx *sql.Tx, drop func(string) bool) error {
	rows, err := tx.QueryContext(ctx, `SELECT name FROM sqlite_master WHERE type = 'table'`)
	if err != nil {
		return err
	}
	var names []string
	for rows.Next() {
		var n string
		if err := rows.Scan(&n); err != nil {
			rows.Close()
			return err
		}
		if drop(n) {
			names = append(names, n)
		}
	}
	rows.Close()
	if err := rows.Err(); err != nil {
		return err
	}
	for _, n := range names {
		if _, err := tx.ExecContext(ctx, `DROP TABLE "`+n+`"`); err != nil {
			return err
		}
	}
	return nil
}

// inTx runs fn in a write transaction and commits it when fn succeeds.
func (db *DB) inTx(ctx context.Context, fn func(tx *sql.Tx) error) error {
	tx, err := db.write.BeginTx(ctx, nil)
	if err != nil {
		return err
	}
	if err := fn(tx); err != nil {
		_ = tx.Rollback()
		return err
	}
	return tx.Commit()
}
