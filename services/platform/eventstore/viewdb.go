package eventstore

import (
	"context"
	"database/sql"
	"encoding/json"
	"errors"
	"fmt"
	"log/slog"
	"os"
	"path/filepath"
	"regexp"
	"strconv"
	"strings"
	"syscall"
	"time"

	_ "modernc.org/sqlite" // the "sqlite" driver: SQLite in pure Go, no cgo

	"econdip/services/platform/apperr"
)

// viewSchema is the version of the file layout below; a file of another
// version is rebuilt.
const viewSchema = 2

// viewLayout is a Shape without its functions: what the file's tables look like.
type viewLayout struct {
	Schema  int        `json:"schema"`
	Columns []string   `json:"columns"`
	Indexes [][]string `json:"indexes"`
	Keys    bool       `json:"keys"`
	Version int        `json:"version"`
}

func (sh Shape[T]) viewShape() viewShape { return viewShape{name: sh.Name, layout: sh.layout()} }

func (sh Shape[T]) layout() viewLayout {
	l := viewLayout{Schema: viewSchema, Indexes: sh.Indexes, Keys: sh.Keys != nil, Version: sh.Version}
	for _, c := range sh.Columns {
		l.Columns = append(l.Columns, c.Name)
	}
	return l
}

// viewOrigin is what a view's file was built from: a file built from
// another stream (or one created anew under the same name) is rebuilt.
type viewOrigin struct {
	stream, filter string
	created        time.Time
}

// viewRow is one record as the file keeps it.
type viewRow struct {
	id    string
	seq   uint64
	order string
	text  string
	cols  []string
	keys  []string
	data  []byte // the event, as stored on the stream
}

// viewDB is a view's SQLite file: table records (one row a record: its
// latest event and the shape's columns), table record_keys (Shape.Keys) and
// table meta (the layout, the origin and the sequence covered).
type viewDB struct {
	sql     *sql.DB
	lock    *os.File // held while open: one process a file
	layout  viewLayout
	covered uint64
	tmpDir  string // removed on close when the caller gave no directory
}

var identifier = regexp.MustCompile(`^[a-z][a-z0-9_]*$`)

// lockWait is how long opening a view waits for another holder of its file
// to let go (a service restarted within the same process).
var lockWait = 5 * time.Second

func openViewDB(ctx context.Context, dir string, shape viewShape, origin viewOrigin, lastSeq uint64, log *slog.Logger) (*viewDB, error) {
	layout := shape.layout
	for _, c := range layout.Columns {
		if !identifier.MatchString(c) || c == "id" || c == "seq" || c == "data" || c == "sort_key" || c == "search" {
			return nil, fmt.Errorf("view %s: column %q is not a free SQL identifier", shape.name, c)
		}
	}
	db := &viewDB{layout: layout}
	if dir == "" {
		tmp, err := os.MkdirTemp("", "econdip-view-")
		if err != nil {
			return nil, apperr.Wrap(apperr.Internal, err, "error.internal")
		}
		dir, db.tmpDir = tmp, tmp
	}
	if err := os.MkdirAll(dir, 0o700); err != nil {
		return nil, fmt.Errorf("read model %s: cannot make its folder %s: %w; check the folder's permissions or set ECONDIP_VIEWS_DIR", shape.name, dir, err)
	}
	path := filepath.Join(dir, shape.name+".sqlite")
	lock, err := lockFile(ctx, path+".lock")
	if err != nil {
		return nil, fmt.Errorf("read model %s: %w", shape.name, err)
	}
	db.lock = lock
	dsn := "file:" + path + "?_pragma=journal_mode(WAL)&_pragma=synchronous(NORMAL)&_pragma=busy_timeout(10000)&_pragma=cache_size(-16000)&_pragma=wal_autocheckpoint(10000)&_txlock=immediate"
	if db.sql, err = sql.Open("sqlite", dsn); err != nil {
		db.close()
		return nil, fmt.Errorf("read model %s: open %s: %w", shape.name, path, err)
	}
	db.sql.SetMaxOpenConns(4)
	if err := db.prepare(ctx, origin, lastSeq, log.With("view", shape.name, "file", path)); err != nil {
		db.close()
		return nil, fmt.Errorf("read model %s in %s: %w; deleting the file makes it rebuild from the log", shape.name, path, err)
	}
	return db, nil
}

// viewShape names a Shape's file and layout.
type viewShape struct {
	name   string
	layout viewLayout
}

// lockFile takes an exclusive lock on path, waiting lockWait for a holder in
// this process to let go; another process holding it is an error that says so.
func lockFile(ctx context.Context, path string) (*os.File, error) {
	f, err := os.OpenFile(path, os.O_RDWR|os.O_CREATE, 0o600)
	if err != nil {
		return nil, err
	}
	deadline := time.Now().Add(lockWait)
	for {
		err := syscall.Flock(int(f.Fd()), syscall.LOCK_EX|syscall.LOCK_NB)
		if err == nil {
			return f, nil
		}
		if !errors.Is(err, syscall.EWOULDBLOCK) || time.Now().After(deadline) || ctx.Err() != nil {
			f.Close()
			return nil, fmt.Errorf("its file is in use by another econdip process (lock %s): give each instance its own ECONDIP_VIEWS_DIR", path)
		}
		time.Sleep(50 * time.Millisecond)
	}
}

// prepare makes the tables, or rebuilds them when the file was written
// for another layout or another stream, and reads the sequence covered.
func (db *viewDB) prepare(ctx context.Context, origin viewOrigin, lastSeq uint64, log *slog.Logger) error {
	meta, err := ReadMeta(ctx, db.sql)
	if err != nil {
		return err
	}
	layout, _ := json.Marshal(db.layout)
	from := origin.stream + " " + origin.filter + " " + origin.created.UTC().Format(time.RFC3339Nano)
	covered, _ := strconv.ParseUint(meta["covered"], 10, 64)
	switch {
	case len(meta) == 0:
		log.Info("read model: new file; building it from the log")
	case meta["layout"] != string(layout):
		log.Info("read model: the file has another layout; rebuilding it from the log", "was", meta["layout"], "now", string(layout))
	case meta["origin"] != from:
		log.Warn("read model: the file was built from another stream (recreated since?); rebuilding it from the log", "was", meta["origin"], "now", from)
	case covered > lastSeq:
		log.Warn("read model: the file covers events the stream does not have; rebuilding it from the log", "covered", covered, "stream_last", lastSeq)
	default:
		db.covered = covered
		log.Info("read model: resuming from its file", "covered", covered, "stream_last", lastSeq)
		return nil
	}
	tx, err := db.sql.BeginTx(ctx, nil)
	if err != nil {
		return err
	}
	defer tx.Rollback()
	stmts := []string{`DROP TABLE IF EXISTS records`, `DROP TABLE IF EXISTS record_keys`, `DELETE FROM meta`}
	cols := ""
	for _, c := range db.layout.Columns {
		cols += ", " + c + " TEXT NOT NULL"
	}
	stmts = append(stmts,
		// A rowid table: rows hold whole events (a kilobyte or more), which
		// WITHOUT ROWID tables store badly, and indexes point at the 8-byte rowid.
		`CREATE TABLE records (id TEXT NOT NULL UNIQUE, seq INTEGER NOT NULL, sort_key TEXT NOT NULL, search TEXT NOT NULL`+cols+`, data BLOB NOT NULL)`,
		`CREATE INDEX records_by_order ON records (sort_key)`,
		`CREATE TABLE record_keys (key TEXT NOT NULL, id TEXT NOT NULL, PRIMARY KEY (key, id)) WITHOUT ROWID`,
		`CREATE INDEX record_keys_by_id ON record_keys (id)`)
	for _, ix := range db.layout.Indexes {
		stmts = append(stmts, `CREATE INDEX records_by_`+strings.Join(ix, "_")+` ON records (`+strings.Join(ix, ", ")+`, sort_key)`)
	}
	for _, st := range stmts {
		if _, err := tx.ExecContext(ctx, st); err != nil {
			return fmt.Errorf("%s: %w", st, err)
		}
	}
	if _, err := tx.ExecContext(ctx, `INSERT INTO meta (k, v) VALUES ('layout', ?), ('origin', ?), ('covered', '0')`, string(layout), from); err != nil {
		return err
	}
	db.covered = 0
	return tx.Commit()
}

// write stores rows (in sequence order; a row older than the record's
// stored event changes nothing) and the sequence covered, in one transaction.
func (db *viewDB) write(rows []viewRow, covered uint64) error {
	tx, err := db.sql.Begin()
	if err != nil {
		return err
	}
	defer tx.Rollback()
	if len(rows) > 0 {
		names, marks, sets := "id, seq, sort_key, search", "?, ?, ?, ?", "seq = excluded.seq, sort_key = excluded.sort_key, search = excluded.search"
		for _, c := range db.layout.Columns {
			names += ", " + c
			marks += ", ?"
			sets += ", " + c + " = excluded." + c
		}
		upsert, err := tx.Prepare(`INSERT INTO records (` + names + `, data) VALUES (` + marks + `, ?)
			ON CONFLICT (id) DO UPDATE SET ` + sets + `, data = excluded.data WHERE excluded.seq > records.seq`)
		if err != nil {
			return err
		}
		defer upsert.Close()
		var delKeys, addKey *sql.Stmt
		args := make([]any, 0, 5+len(db.layout.Columns))
		for _, r := range rows {
			args = append(args[:0], r.id, int64(r.seq), r.order, r.text)
			for _, c := range r.cols {
				args = append(args, c)
			}
			args = append(args, r.data)
			res, err := upsert.Exec(args...)
			if err != nil {
				return err
			}
			if n, _ := res.RowsAffected(); n == 0 || !db.layout.Keys {
				continue // the file has a later event of the record, or no keys are kept
			}
			if delKeys == nil {
				if delKeys, err = tx.Prepare(`DELETE FROM record_keys WHERE id = ?`); err != nil {
					return err
				}
				defer delKeys.Close()
				if addKey, err = tx.Prepare(`INSERT OR IGNORE INTO record_keys (key, id) VALUES (?, ?)`); err != nil {
					return err
				}
				defer addKey.Close()
			}
			if _, err := delKeys.Exec(r.id); err != nil {
				return err
			}
			for _, k := range r.keys {
				if _, err := addKey.Exec(k, r.id); err != nil {
					return err
				}
			}
		}
	}
	if covered > db.covered {
		if _, err := tx.Exec(`UPDATE meta SET v = ? WHERE k = 'covered'`, strconv.FormatUint(covered, 10)); err != nil {
			return err
		}
	}
	if err := tx.Commit(); err != nil {
		return err
	}
	db.covered = max(db.covered, covered)
	return nil
}

func (db *viewDB) close() {
	if db.sql != nil {
		db.sql.Close() // later calls answer "database is closed"
	}
	if db.lock != nil {
		db.lock.Close() // releases the flock
		db.lock = nil
	}
	if db.tmpDir != "" {
		os.RemoveAll(db.tmpDir)
	}
}

// ReadMeta makes a SQLite file's meta table (key, value) if it has none,
// and reads it: what the file was written for and how far it covers. The
// read models and the search index keep their layout and origin there.
func ReadMeta(ctx context.Context, db *sql.DB) (map[string]string, error) {
	if _, err := db.ExecContext(ctx, `CREATE TABLE IF NOT EXISTS meta (k TEXT PRIMARY KEY, v TEXT NOT NULL)`); err != nil {
		return nil, err
	}
	rows, err := db.QueryContext(ctx, `SELECT k, v FROM meta`)
	if err != nil {
		return nil, err
	}
	defer rows.Close()
	meta := map[string]string{}
	for rows.Next() {
		var k, v string
		if err := rows.Scan(&k, &v); err != nil {
			return nil, err
		}
		meta[k] = v
	}
	return meta, rows.Err()
}
