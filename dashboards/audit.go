package dashboards

// The audit trail of records for administrators: every event of leads,
// commissions and exports in a range of Astana days, from ClickHouse's
// events table (analytics.Audit). Account events are not there (the USERS
// stream is not projected): each account's history is on its page.

import (
	"bufio"
	"context"
	"net/url"
	"strconv"
	"strings"
	"time"

	"github.com/gofiber/fiber/v2"

	"econdip/analytics"
	"econdip/services/platform/apperr"
	"econdip/services/platform/csvx"
	"econdip/services/platform/httpx"
	"econdip/services/platform/i18n"
	"econdip/services/platform/kernel"
)

const (
	maxAuditDays     = 366    // the longest range of one export
	auditPreviewRows = 100    // rows the page shows
	auditJSONRows    = 10_000 // rows the JSON answer holds; the CSV holds up to analytics.MaxAuditRows
	// auditStall is how long the CSV may wait for the client to take the
	// next rows: the server's write timeout is for the whole answer, which a
	// large export over a slow line outlasts.
	auditStall = 30 * time.Second
	// auditStreamTimeout bounds the whole export.
	auditStreamTimeout = 15 * time.Minute
	auditFlushRows     = 2000
)

// auditRange is a range of Astana days as typed, and the instants it spans.
type auditRange struct {
	From, To string
	Filter   analytics.AuditFilter
}

// auditRangeOf reads from and to (YYYY-MM-DD, Astana days, both included);
// neither given means the last 30 days.
func auditRangeOf(c *fiber.Ctx) (auditRange, error) {
	r := auditRange{From: strings.TrimSpace(c.Query("from")), To: strings.TrimSpace(c.Query("to"))}
	if r.From == "" && r.To == "" {
		today := kernel.Today(time.Now())
		r.From, r.To = today.AddDays(-29).String(), today.String()
	}
	var f apperr.Fields
	day := func(field, v string) time.Time {
		if v == "" {
			f.Add(field, "error.required")
			return time.Time{}
		}
		d := httpx.ParseDay(field, v, &f)
		return time.Date(d.Year(), d.Month(), d.Day(), 0, 0, 0, 0, kernel.Astana)
	}
	from, to := day("from", r.From), day("to", r.To)
	if len(f) == 0 {
		// Calendar days, counted in UTC: Almaty's offset changed (UTC+6 to +5, 2024).
		switch days := kernel.DayOrZero(r.To).DaysSince(kernel.DayOrZero(r.From)) + 1; {
		case to.Before(from):
			f.Add("to", "error.to_before_from", r.To, r.From)
		case days > maxAuditDays:
			f.Add("to", "error.range_days", maxAuditDays, days)
		}
	}
	if err := f.Err(); err != nil {
		return r, err
	}
	// The events ingest wrote until a few seconds ago: a count and the rows
	// read after it agree while ingest goes on (an insert's rows carry the
	// time it began, and are visible once it ends, well within auditSettle).
	r.Filter = analytics.AuditFilter{From: from, To: to.AddDate(0, 0, 1), IngestedBefore: time.Now().Add(-auditSettle).Truncate(time.Second)}
	return r, nil
}

// auditSettle is how long before an export's start an event must have been
// ingested to be in it.
const auditSettle = 5 * time.Second

func (r auditRange) query() string { return url.Values{"from": {r.From}, "to": {r.To}}.Encode() }

// tooManyForOneFile refuses a range with more events than one export holds:
// a cut-off audit trail would look complete.
func tooManyForOneFile(total uint64) error {
	var f apperr.Fields
	f.Add("to", "error.audit_too_many", total, analytics.MaxAuditRows)
	return f.Err()
}

func (s *Server) auditPage(c *fiber.Ctx) error {
	r, err := auditRangeOf(c)
	data := fiber.Map{"From": r.From, "To": r.To, "Errors": map[string]string{}, "MaxDays": maxAuditDays,
		"Limit": i18n.Int(httpx.Lang(c), analytics.MaxAuditRows), "JSONLimit": i18n.Int(httpx.Lang(c), auditJSONRows)}
	if err == nil {
		var total uint64
		if total, err = analytics.AuditCount(c.UserContext(), s.cfg.CH, r.Filter); err != nil {
			return figuresUnavailable(err)
		}
		data["Total"], data["Count"] = total, int(min(total, uint64(analytics.MaxAuditRows)+1))
		if total > analytics.MaxAuditRows {
			err = tooManyForOneFile(total)
		}
	}
	if err != nil {
		msg, err := formErrorsOf(httpx.Lang(c), err, data["Errors"].(map[string]string))
		if err != nil {
			return err
		}
		data["Error"] = msg
		return s.render(c, fiber.StatusBadRequest, "admin_audit", "ui.audit.title", data)
	}
	var rows []analytics.AuditRow
	if err := analytics.Audit(c.UserContext(), s.cfg.CH, r.Filter, auditPreviewRows, func(row analytics.AuditRow) error {
		rows = append(rows, row)
		return nil
	}); err != nil {
		return figuresUnavailable(err)
	}
	data["Rows"], data["CSV"], data["JSON"] = s.auditViews(httpx.Lang(c), rows), "/api/audit.csv?"+r.query(), "/api/audit?"+r.query()
	return s.render(c, 200, "admin_audit", "ui.audit.title", data)
}

// auditView is an audit row as the page shows it: names, not codes.
type auditView struct {
	analytics.AuditRow
	Event, Record, ScopeText, Change string
}

// statusKinds are the enumerations of a record type's stage or status.
var statusKinds = map[string]string{"lead": "lead_stage", "deal": "deal_stage", "barrier": "barrier_status", "decision": "decision_status"}

func (s *Server) auditViews(lang i18n.Lang, rows []analytics.AuditRow) []auditView {
	out := make([]auditView, len(rows))
	for i, r := range rows {
		// econdip.lead.stage_changed.v1 is the catalogue's enum.event_type.lead_stage_changed.
		event := strings.ReplaceAll(strings.TrimSuffix(strings.TrimPrefix(r.Type, "econdip."), ".v1"), ".", "_")
		v := auditView{AuditRow: r, Event: label(lang, "event_type", event), Record: label(lang, "record_type", r.RecordType),
			ScopeText: s.scopeText(lang, r.Scope)}
		switch {
		case r.To != "":
			kind := statusKinds[r.RecordType]
			v.Change = label(lang, kind, r.From) + " → " + label(lang, kind, r.To)
		case len(r.Changed) > 0:
			v.Change = strings.Join(r.Changed, ", ")
		}
		out[i] = v
	}
	return out
}

// auditJSON answers /api/audit: at most auditJSONRows events, and how many the range has.
func (s *Server) auditJSON(c *fiber.Ctx) error {
	r, err := auditRangeOf(c)
	if err != nil {
		return err
	}
	total, err := analytics.AuditCount(c.UserContext(), s.cfg.CH, r.Filter)
	if err != nil {
		return figuresUnavailable(err)
	}
	rows := []analytics.AuditRow{}
	if err := analytics.Audit(c.UserContext(), s.cfg.CH, r.Filter, auditJSONRows, func(row analytics.AuditRow) error {
		rows = append(rows, row)
		return nil
	}); err != nil {
		return figuresUnavailable(err)
	}
	noStore(c)
	return c.JSON(fiber.Map{"from": r.From, "to": r.To, "time_zone": "Asia/Almaty (UTC+5): from and to are days there; times are UTC",
		"total": total, "limit": auditJSONRows, "truncated": total > uint64(len(rows)), "rows": rows})
}

// auditCSV answers /api/audit.csv: every event of the range, streamed as
// ClickHouse sends them. X-Audit-Rows says how many rows follow the header;
// if the export fails midway the connection is closed without the final
// chunk, so no client takes a cut-off file for a whole one.
func (s *Server) auditCSV(c *fiber.Ctx) error {
	r, err := auditRangeOf(c)
	if err != nil {
		return err
	}
	total, err := analytics.AuditCount(c.UserContext(), s.cfg.CH, r.Filter)
	if err != nil {
		return figuresUnavailable(err)
	}
	if total > analytics.MaxAuditRows {
		return tooManyForOneFile(total)
	}
	format, err := csvFormat(c)
	if err != nil {
		return err
	}
	header, numeric := csvColumns(httpx.Lang(c), format, analytics.AuditHeader)
	c.Set(fiber.HeaderContentDisposition, `attachment; filename="`+csvFileName("audit-"+r.From+"-to-"+r.To, format)+`"`)
	c.Set("X-Audit-Rows", strconv.FormatUint(total, 10))
	c.Set("X-Audit-Ingested-Before", r.Filter.IngestedBefore.UTC().Format(time.RFC3339))
	noStore(c)
	// Not c.Type("csv", "utf-8"): Fiber's csv type has its charset already, and that gives it twice.
	c.Set(fiber.HeaderContentType, "text/csv; charset=utf-8")
	conn, ch, log, filter := c.Context().Conn(), s.cfg.CH, s.cfg.Log, r.Filter
	c.Context().SetBodyStreamWriter(func(w *bufio.Writer) {
		ctx, cancel := context.WithTimeout(context.Background(), auditStreamTimeout)
		defer cancel()
		cw := csvx.NewFormatWriter(w, format, numeric)
		_ = cw.Write(header)
		n := 0
		err := analytics.Audit(ctx, ch, filter, analytics.MaxAuditRows, func(row analytics.AuditRow) error {
			if err := cw.Write(row.Record()); err != nil {
				return err
			}
			if n++; n%auditFlushRows == 0 {
				cw.Flush()
				_ = conn.SetWriteDeadline(time.Now().Add(auditStall))
				return w.Flush()
			}
			return nil
		})
		cw.Flush()
		if err == nil {
			err = w.Flush()
		}
		if err != nil {
			log.Warn("audit export cut short", "rows", n, "of", total, "err", err)
			_ = conn.Close()
		}
	})
	return nil
}
