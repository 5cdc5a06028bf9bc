package eventstore

import (
	"database/sql"
	"encoding/base64"
	"fmt"
	"maps"
	"slices"
	"strings"

	"econdip/services/platform/apperr"
)

// Query asks a view for records: those whose columns equal Match (a value
// of "" matches any), whose Shape.Text holds Text, and that Keep keeps (for
// what the columns cannot say; nil keeps all), in the view's order.
type Query[T any] struct {
	Match map[string]string
	Text  string // lower case
	Keep  func(T) bool
	// The page: Limit records (0: all) after the record the cursor After
	// names (a Result.Next; "" from the first), skipping Offset more.
	Limit, Offset int
	After         string
}

// Result is a page of a query.
type Result[T any] struct {
	Records []Record[T]
	Total   int    // records the query matches, on every page
	Next    string // the cursor of the next page; "" on the last
}

// ErrCursor refuses a cursor that no page gave.
var ErrCursor = apperr.E(apperr.Invalid, "error.cursor")

// read readies the view for a read: caught up, and with what the follower
// received and writers put stored.
func (v *View[T]) read() error {
	if err := v.readable(); err != nil {
		return err
	}
	v.mu.Lock()
	queued := len(v.queue) > 0
	v.mu.Unlock()
	if queued {
		v.flush()
	}
	return nil
}

func unavailable(err error) error {
	return apperr.Wrap(apperr.Unavailable, err, "error.view_unavailable")
}

// Get returns the record with id; ok is false when the view has none.
func (v *View[T]) Get(id string) (rec Record[T], ok bool, err error) {
	if err := v.read(); err != nil {
		return Record[T]{}, false, err
	}
	var seq int64
	var data []byte
	err = v.db.sql.QueryRow(`SELECT seq, data FROM records WHERE id = ?`, id).Scan(&seq, &data)
	if err == sql.ErrNoRows {
		return Record[T]{}, false, nil
	}
	if err != nil {
		return Record[T]{}, false, unavailable(err)
	}
	rec, err = v.store.decode(data, uint64(seq))
	return rec, err == nil, err
}

// Lookup returns the records with key among their Shape.Keys, in the
// view's order: an index lookup, not a scan.
func (v *View[T]) Lookup(key string) ([]Record[T], error) {
	if err := v.read(); err != nil {
		return nil, err
	}
	rows, err := v.db.sql.Query(`SELECT r.seq, r.data FROM record_keys k JOIN records r ON r.id = k.id WHERE k.key = ? ORDER BY r.sort_key`, key)
	if err != nil {
		return nil, unavailable(err)
	}
	return v.records(rows, nil)
}

// Select returns every record q matches, in the view's order (q's page is ignored).
func (v *View[T]) Select(q Query[T]) ([]Record[T], error) {
	q.Limit, q.Offset, q.After = 0, 0, ""
	r, err := v.List(q)
	return r.Records, err
}

// Len is the number of records in the view.
func (v *View[T]) Len() (int, error) {
	if err := v.read(); err != nil {
		return 0, err
	}
	var n int
	if err := v.db.sql.QueryRow(`SELECT count(*) FROM records`).Scan(&n); err != nil {
		return 0, unavailable(err)
	}
	return n, nil
}

// List answers q. Without Keep, the total is a count over an index and the
// page a range of it (a cursor starts the range at the record it names,
// without reading what comes before); with Keep, the records the columns
// match are read and decoded in order.
func (v *View[T]) List(q Query[T]) (Result[T], error) {
	var after string
	if q.After != "" {
		raw, err := base64.RawURLEncoding.DecodeString(q.After)
		if err != nil || len(raw) == 0 {
			return Result[T]{}, ErrCursor
		}
		after = string(raw)
	}
	where, args, err := v.where(q)
	if err != nil {
		return Result[T]{}, err
	}
	if err := v.read(); err != nil {
		return Result[T]{}, err
	}
	if q.Keep != nil {
		return v.listKept(q, where, args, after)
	}
	var res Result[T]
	if err := v.db.sql.QueryRow(`SELECT count(*) FROM records`+where, args...).Scan(&res.Total); err != nil {
		return Result[T]{}, unavailable(err)
	}
	pageWhere, pageArgs := where, args
	if after != "" {
		pageWhere, pageArgs = and(where, "sort_key > ?"), append(slices.Clone(args), after)
	}
	limit := -1 // SQLite: no limit
	if q.Limit > 0 {
		limit = q.Limit + 1 // one more tells whether a next page exists
	}
	// The page's ids come from the index alone; only the page's rows are read.
	rows, err := v.db.sql.Query(`SELECT r.seq, r.data, r.sort_key FROM (SELECT id FROM records`+pageWhere+
		` ORDER BY sort_key LIMIT ? OFFSET ?) AS p JOIN records r ON r.id = p.id ORDER BY r.sort_key`,
		append(pageArgs, limit, q.Offset)...)
	if err != nil {
		return Result[T]{}, unavailable(err)
	}
	var keys []string
	if res.Records, err = v.records(rows, &keys); err != nil {
		return Result[T]{}, err
	}
	if q.Limit > 0 && len(res.Records) > q.Limit {
		res.Records = res.Records[:q.Limit]
		res.Next = base64.RawURLEncoding.EncodeToString([]byte(keys[q.Limit-1]))
	}
	return res, nil
}

// listKept answers a query with Keep: every record the columns match is
// decoded, in order; the total counts those Keep keeps.
func (v *View[T]) listKept(q Query[T], where string, args []any, after string) (Result[T], error) {
	rows, err := v.db.sql.Query(`SELECT seq, data, sort_key FROM records`+where+` ORDER BY sort_key`, args...)
	if err != nil {
		return Result[T]{}, unavailable(err)
	}
	defer rows.Close()
	var res Result[T]
	skip, last, more := q.Offset, "", false
	for rows.Next() {
		var seq int64
		var data []byte
		var key string
		if err := rows.Scan(&seq, &data, &key); err != nil {
			return Result[T]{}, unavailable(err)
		}
		rec, err := v.store.decode(data, uint64(seq))
		if err != nil {
			return Result[T]{}, err
		}
		if !q.Keep(rec.State) {
			continue
		}
		res.Total++
		switch {
		case after != "" && key <= after:
		case skip > 0:
			skip--
		case q.Limit == 0 || len(res.Records) < q.Limit:
			res.Records, last = append(res.Records, rec), key
		default:
			more = true
		}
	}
	if err := rows.Err(); err != nil {
		return Result[T]{}, unavailable(err)
	}
	if more {
		res.Next = base64.RawURLEncoding.EncodeToString([]byte(last))
	}
	return res, nil
}

// where is the SQL condition of q's columns and text, and its arguments.
func (v *View[T]) where(q Query[T]) (string, []any, error) {
	var conds []string
	var args []any
	for _, col := range slices.Sorted(maps.Keys(q.Match)) {
		val := q.Match[col]
		if val == "" {
			continue
		}
		if !slices.Contains(v.db.layout.Columns, col) {
			return "", nil, apperr.Wrap(apperr.Internal, fmt.Errorf("view %s has no column %q", v.name, col), "error.internal")
		}
		conds = append(conds, col+" = ?")
		args = append(args, val)
	}
	if q.Text != "" {
		conds = append(conds, "instr(search, ?) > 0")
		args = append(args, q.Text)
	}
	return and("", conds...), args, nil
}

// and joins conditions to a WHERE clause.
func and(where string, conds ...string) string {
	if len(conds) == 0 {
		return where
	}
	if where == "" {
		return " WHERE " + strings.Join(conds, " AND ")
	}
	return where + " AND " + strings.Join(conds, " AND ")
}

// records decodes rows of (seq, data[, sort_key]); keys, when not nil, gets the sort keys.
func (v *View[T]) records(rows *sql.Rows, keys *[]string) ([]Record[T], error) {
	defer rows.Close()
	var out []Record[T]
	for rows.Next() {
		var seq int64
		var data []byte
		var key string
		dest := []any{&seq, &data}
		if keys != nil {
			dest = append(dest, &key)
		}
		if err := rows.Scan(dest...); err != nil {
			return nil, unavailable(err)
		}
		rec, err := v.store.decode(data, uint64(seq))
		if err != nil {
			return nil, err
		}
		out = append(out, rec)
		if keys != nil {
			*keys = append(*keys, key)
		}
	}
	if err := rows.Err(); err != nil {
		return nil, unavailable(err)
	}
	return out, nil
}
