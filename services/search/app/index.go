// Package app is the global search's index: an SQLite FTS5 table, one row
// a record, kept in a file under the views folder and fed by the record
// streams (Sources) from the sequence each covers, as eventstore's views
// are; and the search itself, with the user's scope inside the FTS5 query.
//
// Why SQLite FTS5 and not bleve or ClickHouse: contacts are personal data
// and never go to ClickHouse (the index searches them for those who may see
// them), and SQLite (modernc.org/sqlite, FTS5 compiled in) is a dependency
// the read models already vetted, pure Go, no cgo: no new module, no new
// server. It indexes in bulk fast on two cores (one transaction a batch)
// and answers prefix queries from its inverted index.
package app

import (
	"context"
	"database/sql"
	"errors"
	"fmt"
	"log/slog"
	"os"
	"path/filepath"
	"strconv"
	"sync"
	"sync/atomic"
	"time"

	"github.com/nats-io/nats.go/jetstream"

	"econdip/events"
	"econdip/services/platform/apperr"
	"econdip/services/platform/auth"
	"econdip/services/platform/eventstore"
	"econdip/services/platform/textfold"
	"econdip/services/search/domain"
)

// layout is the version of the file's tables and of what the sources put
// in them; a file of another layout is rebuilt from the streams. Change it
// whenever a Source decodes the same event into another document.
const layout = "search-1"

// FileName is the index's file in its folder.
const FileName = "search.sqlite"

// flushBatch and flushAfter bound a write: a batch of events is stored in
// one transaction when it is this long or this old.
const (
	flushBatch = 2000
	flushAfter = 50 * time.Millisecond
)

// Index is the search index of the record streams.
type Index struct {
	db     *sql.DB
	lock   *os.File
	log    *slog.Logger
	path   string
	tmpDir string

	postCountry func(post string) string

	in      chan received
	pending atomic.Int64  // sources still catching up
	caught  []atomic.Bool // by source: caught up
	ready   chan struct{}
	closed  chan struct{}
	covered map[string]uint64 // by stream; the writer's alone
	mu      sync.Mutex        // guards target
	target  map[string]uint64 // each stream's last sequence when the index opened
}

// received is one event of a source on its way to the file.
type received struct {
	src     int
	seq     uint64
	doc     domain.Doc
	ok      bool // a record's event (else only the sequence moves on)
	caught  bool // the source's last pending event at delivery
	dropped bool // undecodable: logged, skipped
}

// Open opens the index in dir (a temporary folder when empty, removed when
// ctx ends), brings it up to the sources' streams and keeps it there until
// ctx ends. It returns at once; reads wait, for a while, until it caught up.
//
// postCountry names the country of a post (reference.Data.Post): an
// attaché reads the commissions with their post's country.
func Open(ctx context.Context, js jetstream.JetStream, dir string, sources []Source, postCountry func(post string) string, log *slog.Logger) (*Index, error) {
	ix, err := openFile(ctx, dir, log)
	if err != nil {
		return nil, err
	}
	ix.postCountry = postCountry
	origins := make([]string, len(sources))
	for i, src := range sources {
		info, err := streamInfo(ctx, js, src.Stream)
		if err != nil {
			ix.close()
			return nil, err
		}
		origins[i] = fmt.Sprint(src.Filters, " ", info.Created.UTC().Format(time.RFC3339Nano))
		ix.target[src.Stream] = info.State.LastSeq
	}
	if err := ix.prepare(ctx, sources, origins); err != nil {
		ix.close()
		return nil, fmt.Errorf("search index in %s: %w; deleting the file makes it rebuild from the streams", ix.path, err)
	}
	ix.pending.Store(int64(len(sources)))
	ix.caught = make([]atomic.Bool, len(sources))
	var stops []func()
	for i, src := range sources {
		stop, err := ix.follow(ctx, js, i, src)
		if err != nil {
			for _, s := range stops {
				s()
			}
			ix.close()
			return nil, err
		}
		stops = append(stops, stop)
	}
	if len(sources) == 0 {
		close(ix.ready)
	}
	done := make(chan struct{})
	go func() {
		ix.write(ctx, sources)
		close(done)
	}()
	go func() {
		<-ctx.Done()
		for _, s := range stops {
			s()
		}
		<-done
		ix.close()
		close(ix.closed)
	}()
	return ix, nil
}

// openFile opens (or makes) the index's file in dir, holding its lock.
func openFile(ctx context.Context, dir string, log *slog.Logger) (*Index, error) {
	ix := &Index{log: log.With("index", "search"), in: make(chan received, 4*flushBatch), ready: make(chan struct{}),
		closed: make(chan struct{}), covered: map[string]uint64{}, target: map[string]uint64{}}
	if dir == "" {
		tmp, err := os.MkdirTemp("", "econdip-search-")
		if err != nil {
			return nil, apperr.Wrap(apperr.Internal, err, "error.internal")
		}
		dir, ix.tmpDir = tmp, tmp
	}
	if err := os.MkdirAll(dir, 0o700); err != nil {
		return nil, fmt.Errorf("search index: cannot make its folder %s: %w; check the folder's permissions or set ECONDIP_VIEWS_DIR", dir, err)
	}
	path := filepath.Join(dir, FileName)
	ix.path = path
	lock, err := eventstore.LockFile(ctx, path+".lock")
	if err != nil {
		ix.close()
		return nil, fmt.Errorf("search index: %w", err)
	}
	ix.lock = lock
	dsn := "file:" + path + "?_pragma=journal_mode(WAL)&_pragma=synchronous(NORMAL)&_pragma=busy_timeout(10000)&_pragma=cache_size(-32000)&_txlock=immediate"
	if ix.db, err = sql.Open("sqlite", dsn); err != nil {
		ix.close()
		return nil, fmt.Errorf("search index: open %s: %w", path, err)
	}
	ix.db.SetMaxOpenConns(4)
	return ix, nil
}

func streamInfo(ctx context.Context, js jetstream.JetStream, stream string) (*jetstream.StreamInfo, error) {
	st, err := js.Stream(ctx, stream)
	if err != nil {
		return nil, apperr.Wrap(apperr.Unavailable, err, "error.store_unavailable")
	}
	info, err := st.Info(ctx)
	if err != nil {
		return nil, apperr.Wrap(apperr.Unavailable, err, "error.store_unavailable")
	}
	return info, nil
}

// prepare makes the tables, or rebuilds them for another layout, and
// forgets a source whose stream was recreated (or whose filters changed):
// its records are indexed again from its first event.
func (ix *Index) prepare(ctx context.Context, sources []Source, origins []string) error {
	meta, err := eventstore.ReadMeta(ctx, ix.db)
	if err != nil {
		return err
	}
	tx, err := ix.db.BeginTx(ctx, nil)
	if err != nil {
		return err
	}
	defer tx.Rollback()
	if meta["layout"] != layout {
		if len(meta) > 0 {
			ix.log.Info("search index: the file has another layout; rebuilding it from the streams", "was", meta["layout"], "now", layout)
		}
		for _, st := range []string{`DROP TABLE IF EXISTS docs`, `DROP TABLE IF EXISTS keys`, `DROP TABLE IF EXISTS commissions`, `DELETE FROM meta`,
			// One row a record. The indexed columns hold folded text
			// (textfold.Fold); label, subtitle and parent are shown, not searched.
			// Prefix indexes of 2 to 8 letters: a query word is a prefix,
			// and without them FTS5 merges the lists of every word it
			// starts (казак: казак, казактар, казакша ...) at each search;
			// with them a million records answer in tens of milliseconds,
			// for a third more indexing time (BENCHMARKS.md, Search).
			`CREATE VIRTUAL TABLE docs USING fts5(kind, scope, title, text, contacts,
				id UNINDEXED, label UNINDEXED, subtitle UNINDEXED, parent UNINDEXED,
				tokenize = 'unicode61 remove_diacritics 2', prefix = '2 3 4 5 6 7 8')`,
			// A record's row in docs (its rowid), its stream and the sequence of its event.
			`CREATE TABLE keys (rowid INTEGER PRIMARY KEY, key TEXT NOT NULL UNIQUE, stream TEXT NOT NULL, seq INTEGER NOT NULL)`,
			`CREATE INDEX keys_by_stream ON keys (stream)`,
			// Each commission's partner country: the scope of its sessions,
			// and what a secretariat may link its decisions to.
			`CREATE TABLE IF NOT EXISTS commissions (id TEXT PRIMARY KEY, country TEXT NOT NULL)`,
		} {
			if _, err := tx.ExecContext(ctx, st); err != nil {
				return fmt.Errorf("%s: %w", st, err)
			}
		}
		if _, err := tx.ExecContext(ctx, `INSERT INTO meta (k, v) VALUES ('layout', ?)`, layout); err != nil {
			return err
		}
		meta = map[string]string{}
	}
	for i, src := range sources {
		covered, _ := strconv.ParseUint(meta["covered:"+src.Stream], 10, 64)
		switch {
		case meta["origin:"+src.Stream] == "":
			ix.log.Info("search index: indexing a stream from its first event", "stream", src.Stream)
		case meta["origin:"+src.Stream] != origins[i] || covered > ix.target[src.Stream]:
			ix.log.Warn("search index: the stream was recreated or its subjects changed; indexing it again", "stream", src.Stream)
			if _, err := tx.ExecContext(ctx, `DELETE FROM docs WHERE rowid IN (SELECT rowid FROM keys WHERE stream = ?)`, src.Stream); err != nil {
				return err
			}
			if _, err := tx.ExecContext(ctx, `DELETE FROM keys WHERE stream = ?`, src.Stream); err != nil {
				return err
			}
			covered = 0
		default:
			ix.log.Info("search index: resuming from its file", "stream", src.Stream, "covered", covered, "stream_last", ix.target[src.Stream])
		}
		ix.covered[src.Stream] = covered
		if _, err := tx.ExecContext(ctx, `INSERT INTO meta (k, v) VALUES (?, ?), (?, ?) ON CONFLICT (k) DO UPDATE SET v = excluded.v`,
			"origin:"+src.Stream, origins[i], "covered:"+src.Stream, strconv.FormatUint(covered, 10)); err != nil {
			return err
		}
	}
	return tx.Commit()
}

// follow delivers the source's events after the sequence the file covers
// to the writer, until stop.
func (ix *Index) follow(ctx context.Context, js jetstream.JetStream, i int, src Source) (stop func(), err error) {
	cons, err := js.OrderedConsumer(ctx, src.Stream, jetstream.OrderedConsumerConfig{
		FilterSubjects: src.Filters,
		DeliverPolicy:  jetstream.DeliverByStartSequencePolicy,
		OptStartSeq:    ix.covered[src.Stream] + 1,
	})
	if err != nil {
		return nil, apperr.Wrap(apperr.Unavailable, err, "error.store_unavailable")
	}
	if n := cons.CachedInfo().NumPending; n == 0 {
		ix.caughtUp(i)
	} else {
		ix.log.Info("search index catching up", "stream", src.Stream, "from_seq", ix.covered[src.Stream]+1, "events", n)
	}
	var last atomic.Uint64
	cc, err := cons.Consume(func(msg jetstream.Msg) {
		meta, err := msg.Metadata()
		if err != nil || meta.Sequence.Stream <= last.Load() {
			return // delivered again after a reset: taken already
		}
		last.Store(meta.Sequence.Stream)
		r := received{src: i, seq: meta.Sequence.Stream, caught: meta.NumPending == 0}
		if _, ev, err := events.Decode(msg.Data()); err != nil {
			ix.log.Error("search index: undecodable event in the log; skipped", "stream", src.Stream, "seq", r.seq, "err", err)
			r.dropped = true
		} else {
			r.doc, r.ok = src.Decode(ev)
		}
		select {
		case ix.in <- r: // waits while the writer is behind: a catch-up holds a few batches
		case <-ctx.Done():
		}
	})
	if err != nil {
		return nil, apperr.Wrap(apperr.Unavailable, err, "error.store_unavailable")
	}
	return cc.Stop, nil
}

// caughtUp marks source i caught up; the index is ready when all are.
func (ix *Index) caughtUp(i int) {
	if ix.caught[i].CompareAndSwap(false, true) && ix.pending.Add(-1) == 0 {
		close(ix.ready)
	}
}

// write stores what the followers deliver, a batch a transaction, until ctx ends.
func (ix *Index) write(ctx context.Context, sources []Source) {
	var batch []received
	timer := time.NewTimer(time.Hour)
	timer.Stop()
	flush := func() {
		if len(batch) == 0 {
			return
		}
		for {
			err := ix.store(batch, sources)
			if err == nil {
				break
			}
			ix.log.Error("search index: storing events failed; retrying", "events", len(batch), "err", err)
			select {
			case <-ctx.Done():
				return
			case <-time.After(time.Second):
			}
		}
		for _, r := range batch {
			if r.caught && !ix.caught[r.src].Load() {
				ix.log.Info("search index caught up", "stream", sources[r.src].Stream, "seq", r.seq)
				ix.caughtUp(r.src)
			}
		}
		batch = batch[:0]
	}
	for {
		select {
		case <-ctx.Done():
			for len(ix.in) > 0 {
				batch = append(batch, <-ix.in)
			}
			flush()
			return
		case r := <-ix.in:
			if len(batch) == 0 {
				timer.Reset(flushAfter)
			}
			batch = append(batch, r)
			if len(batch) >= flushBatch {
				timer.Stop()
				flush()
			}
		case <-timer.C:
			flush()
		}
	}
}

// store writes a batch and the sequences it covers in one transaction.
func (ix *Index) store(batch []received, sources []Source) error {
	tx, err := ix.db.Begin()
	if err != nil {
		return err
	}
	defer tx.Rollback()
	find, err := tx.Prepare(`SELECT rowid, seq FROM keys WHERE key = ?`)
	if err != nil {
		return err
	}
	defer find.Close()
	addKey, err := tx.Prepare(`INSERT INTO keys (key, stream, seq) VALUES (?, ?, ?)`)
	if err != nil {
		return err
	}
	defer addKey.Close()
	setKey, err := tx.Prepare(`UPDATE keys SET seq = ? WHERE rowid = ?`)
	if err != nil {
		return err
	}
	defer setKey.Close()
	del, err := tx.Prepare(`DELETE FROM docs WHERE rowid = ?`)
	if err != nil {
		return err
	}
	defer del.Close()
	setCommission, err := tx.Prepare(`INSERT INTO commissions (id, country) VALUES (?, ?) ON CONFLICT (id) DO UPDATE SET country = excluded.country`)
	if err != nil {
		return err
	}
	defer setCommission.Close()
	countryOf, err := tx.Prepare(`SELECT country FROM commissions WHERE id = ?`)
	if err != nil {
		return err
	}
	defer countryOf.Close()
	add, err := tx.Prepare(`INSERT INTO docs (rowid, kind, scope, title, text, contacts, id, label, subtitle, parent) VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?)`)
	if err != nil {
		return err
	}
	defer add.Close()
	covered := map[string]uint64{}
	for _, r := range batch {
		stream := sources[r.src].Stream
		covered[stream] = max(covered[stream], r.seq)
		if !r.ok || r.doc.ID == "" {
			continue
		}
		d := r.doc
		if d.Kind == domain.Commission {
			if _, err := setCommission.Exec(d.ID, d.Country); err != nil {
				return err
			}
			continue
		}
		if d.Kind == domain.Session && d.Country == "" {
			if err := countryOf.QueryRow(d.Parent).Scan(&d.Country); err != nil && !errors.Is(err, sql.ErrNoRows) {
				return err
			}
		}
		key := string(d.Kind) + "/" + d.ID
		var rowid int64
		var seq uint64
		switch err := find.QueryRow(key).Scan(&rowid, &seq); {
		case errors.Is(err, sql.ErrNoRows):
			res, err := addKey.Exec(key, stream, int64(r.seq))
			if err != nil {
				return err
			}
			if rowid, err = res.LastInsertId(); err != nil {
				return err
			}
		case err != nil:
			return err
		case seq >= r.seq:
			continue // the file has a later event of the record
		default:
			if _, err := setKey.Exec(int64(r.seq), rowid); err != nil {
				return err
			}
			if _, err := del.Exec(rowid); err != nil {
				return err
			}
		}
		if _, err := add.Exec(rowid, string(d.Kind), d.ScopeTokens(), textfold.Fold(d.Title), textfold.Fold(d.Subtitle+"\n"+d.Text),
			textfold.Fold(d.Contacts), d.ID, d.Title, d.Subtitle, d.Parent); err != nil {
			return err
		}
	}
	for stream, seq := range covered {
		if seq <= ix.covered[stream] {
			continue
		}
		if _, err := tx.Exec(`UPDATE meta SET v = ? WHERE k = ?`, strconv.FormatUint(seq, 10), "covered:"+stream); err != nil {
			return err
		}
	}
	if err := tx.Commit(); err != nil {
		return err
	}
	for stream, seq := range covered {
		ix.covered[stream] = max(ix.covered[stream], seq)
	}
	return nil
}

func (ix *Index) close() {
	if ix.db != nil {
		ix.db.Close()
	}
	if ix.lock != nil {
		ix.lock.Close()
	}
	if ix.tmpDir != "" {
		os.RemoveAll(ix.tmpDir)
	}
}

// Closed is closed once the index stopped following and let go of its file.
func (ix *Index) Closed() <-chan struct{} { return ix.closed }

// catchUpWait is how long a search waits for an index still catching up.
const catchUpWait = 3 * time.Second

// Ready is nil once the index has caught up with the streams as they were
// when it opened (for /readyz).
func (ix *Index) Ready(context.Context) error {
	select {
	case <-ix.ready:
		return nil
	default:
		return fmt.Errorf("search index catching up: %d of its streams still indexing", ix.pending.Load())
	}
}

// Request is one search.
type Request struct {
	Q     string        // the search box
	Kinds []domain.Kind // nil: every kind
	Limit int           // 0: domain.DefaultSize; at most domain.MaxSize
	// ForLink adds what the user may link a decision to (the picker:
	// auth.LinkTargets) to what they may read.
	ForLink bool
}

// Search returns the records of the request's words that u may read (or
// link to), best first. The scope is part of the FTS5 query, so the limit
// counts only what u may find.
func (ix *Index) Search(ctx context.Context, u auth.User, r Request) ([]domain.Hit, error) {
	limit := r.Limit
	if limit <= 0 {
		limit = domain.DefaultSize
	}
	limit = min(limit, domain.MaxSize)
	query := domain.ParseQuery(r.Q)
	if query.Empty() {
		return []domain.Hit{}, nil
	}
	select {
	case <-ix.ready:
	case <-time.After(catchUpWait):
		return nil, apperr.E(apperr.Unavailable, "search.error.catching_up")
	case <-ctx.Done():
		return nil, ctx.Err()
	}
	var postCountry string
	if u.Post != "" && ix.postCountry != nil {
		postCountry = ix.postCountry(u.Post)
	}
	scope := domain.ScopeOf(u, postCountry)
	if r.ForLink && u.Commission != "" {
		var country string
		if err := ix.db.QueryRowContext(ctx, `SELECT country FROM commissions WHERE id = ?`, u.Commission).Scan(&country); err != nil && !errors.Is(err, sql.ErrNoRows) {
			return nil, apperr.Wrap(apperr.Internal, err, "error.internal")
		}
		scope = scope.Join(domain.LinkScope(u, country))
	}
	// Records whose title has every word first, then the others; each
	// newest first (by the row's age: the record's first indexing). FTS5
	// walks its doclists from the newest row and stops at the limit, where
	// an order by relevance (bm25) would score every match first: tens of
	// thousands for a common word in a million records.
	out := []domain.Hit{}
	seen := map[string]bool{}
	for _, match := range []string{query.TitleMatch(scope, r.Kinds), query.Match(scope, r.Kinds)} {
		if match == "" || len(out) >= limit {
			break
		}
		rows, err := ix.db.QueryContext(ctx, `SELECT kind, id, label, subtitle, parent FROM docs WHERE docs MATCH ? ORDER BY rowid DESC LIMIT ?`, match, limit+len(out))
		if err != nil {
			return nil, apperr.Wrap(apperr.Internal, fmt.Errorf("search %q: %w", match, err), "error.internal")
		}
		for rows.Next() && len(out) < limit {
			var h domain.Hit
			var kind string
			if err := rows.Scan(&kind, &h.ID, &h.Title, &h.Subtitle, &h.Parent); err != nil {
				rows.Close()
				return nil, apperr.Wrap(apperr.Internal, err, "error.internal")
			}
			h.Kind = domain.Kind(kind)
			if seen[kind+"/"+h.ID] {
				continue
			}
			seen[kind+"/"+h.ID] = true
			h.URL = domain.PageOf(u, h.Kind, h.ID, h.Parent)
			out = append(out, h)
		}
		err = rows.Err()
		rows.Close()
		if err != nil {
			return nil, apperr.Wrap(apperr.Internal, err, "error.internal")
		}
	}
	return out, nil
}
