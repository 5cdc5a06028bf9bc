package analytics

// The audit trail of records: every event of the LEADS, COMMISSIONS and
// EXPORTS streams that ingest wrote to the events table, with who made it,
// when, on which record and what it changed. Account events (the USERS
// stream) are not in ClickHouse: each account's history is read from the
// stream itself (identity.History).
//
// What changed is read from the event data with visitParamExtract*, which
// ClickHouse 18.16 and current releases both have (JSONExtract* is newer).
// visitParam* take the first key of that name anywhere in the data; the
// records the events carry (lead, deal, barrier, decision, ...) have no key
// called changed, from or to, so the first one is the event's own. The
// audit test holds this against real event data.

import (
	"context"
	"encoding/json"
	"fmt"
	"strings"
	"time"

	"github.com/ClickHouse/clickhouse-go/v2"
	"github.com/ClickHouse/clickhouse-go/v2/lib/driver"
)

// MaxAuditRows is the most events one audit export holds.
const MaxAuditRows = 1_000_000

// auditBlockRows is the block size ClickHouse sends an audit export in.
const auditBlockRows = 8192

// AuditFilter is the time range of an audit export: From inclusive, To
// exclusive; IngestedBefore (zero: no cut) keeps only the events ingest
// wrote before it, so a count and the rows read after it, with the same
// filter, agree while ingest goes on writing.
type AuditFilter struct {
	From, To       time.Time
	IngestedBefore time.Time
}

// AuditRow is one event of the audit trail.
type AuditRow struct {
	Time       time.Time `json:"time"` // UTC, to the second (the events table keeps seconds)
	Actor      string    `json:"actor"`
	Type       string    `json:"type"`        // e.g. econdip.lead.updated.v1
	RecordType string    `json:"record_type"` // lead, deal, barrier, exporter, commission, session, decision
	RecordID   string    `json:"record_id"`
	Scope      string    `json:"scope"` // the writer's scope, e.g. post:de-berlin
	Subject    string    `json:"subject"`
	// Changed lists the fields an updated event changed.
	Changed []string `json:"changed,omitempty"`
	// From and To are the stage or status before and after a stage or status change.
	From    string `json:"from,omitempty"`
	To      string `json:"to,omitempty"`
	EventID string `json:"event_id"`
}

// AuditHeader is the CSV header of the audit export; AuditRow.Record gives the fields.
var AuditHeader = []string{"time", "actor", "event_type", "record_type", "record_id", "scope", "changed", "from", "to", "subject", "event_id"}

// Record is the row as CSV fields, in AuditHeader's order: time in RFC 3339
// (UTC), changed fields separated by ";".
func (r AuditRow) Record() []string {
	return []string{r.Time.UTC().Format(time.RFC3339), r.Actor, r.Type, r.RecordType, r.RecordID, r.Scope,
		strings.Join(r.Changed, ";"), r.From, r.To, r.Subject, r.EventID}
}

func auditWhere(f AuditFilter) (string, []any, error) {
	if f.From.IsZero() || f.To.IsZero() || !f.From.Before(f.To) {
		return "", nil, fmt.Errorf("audit range %s to %s is empty", f.From, f.To)
	}
	// Unix seconds: toDateTime(number) means the same instant on every server,
	// whatever its time zone, and leaves time itself compared (partition pruning).
	where, args := "time >= toDateTime(?) AND time < toDateTime(?)", []any{f.From.Unix(), f.To.Unix()}
	if !f.IngestedBefore.IsZero() {
		where, args = where+" AND ingested_at < toDateTime(?)", append(args, f.IngestedBefore.Unix())
	}
	return where, args, nil
}

// AuditCount counts the events in the range.
func AuditCount(ctx context.Context, conn driver.Conn, f AuditFilter) (uint64, error) {
	where, args, err := auditWhere(f)
	if err != nil {
		return 0, err
	}
	var n uint64
	if err := conn.QueryRow(ctx, "SELECT toUInt64(count()) FROM events FINAL WHERE "+where, args...).Scan(&n); err != nil {
		return 0, fmt.Errorf("count audit events: %w", err)
	}
	return n, nil
}

// Audit calls each for the events in the range, oldest first (events of one
// stream in the same second in stream order), at most limit of them. The
// rows are read as ClickHouse sends them, not gathered first; an error of
// each stops the query and is returned.
func Audit(ctx context.Context, conn driver.Conn, f AuditFilter, limit int, each func(AuditRow) error) error {
	where, args, err := auditWhere(f)
	if err != nil {
		return err
	}
	if limit <= 0 || limit > MaxAuditRows {
		limit = MaxAuditRows
	}
	q := `SELECT time, actor, type, subject, scope, toString(event_id) AS id,
			visitParamExtractRaw(data, 'changed') AS changed_raw,
			visitParamExtractString(data, 'from') AS from_state,
			visitParamExtractString(data, 'to') AS to_state
		FROM events FINAL
		WHERE ` + where + `
		ORDER BY time, stream, stream_seq, event_id
		LIMIT ` + fmt.Sprint(limit)
	// Small blocks: the driver holds a few decoded blocks at a time, and a
	// million-row export should not hold a few hundred thousand rows.
	ctx = clickhouse.Context(ctx, clickhouse.WithSettings(clickhouse.Settings{"max_block_size": auditBlockRows}))
	rows, err := conn.Query(ctx, q, args...)
	if err != nil {
		return fmt.Errorf("audit events: %w", err)
	}
	defer rows.Close()
	for rows.Next() {
		var r AuditRow
		var changed string
		if err := rows.Scan(&r.Time, &r.Actor, &r.Type, &r.Subject, &r.Scope, &r.EventID, &changed, &r.From, &r.To); err != nil {
			return fmt.Errorf("audit event row: %w", err)
		}
		r.Time = r.Time.UTC()
		if changed != "" {
			if err := json.Unmarshal([]byte(changed), &r.Changed); err != nil {
				return fmt.Errorf("audit event %s: changed is %q, not a list of names: %w", r.EventID, changed, err)
			}
		}
		r.RecordType, r.RecordID = recordOf(r.Type, r.Subject)
		if err := each(r); err != nil {
			return err
		}
	}
	return rows.Err()
}

// recordOf names the record of an event. Producers give the subject as
// "<record>/<id>" (lead/…, decision/…, commission/igc-cn); a subject of
// another form is taken as the id, and the event type
// (econdip.<record>.<verb>.v1) names the record.
func recordOf(eventType, subject string) (string, string) {
	if kind, id, ok := strings.Cut(subject, "/"); ok {
		return kind, id
	}
	kind := ""
	if parts := strings.Split(eventType, "."); len(parts) >= 4 {
		kind = parts[1]
	}
	return kind, subject
}
