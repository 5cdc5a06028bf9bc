package analytics

import (
	"context"
	"fmt"
	"time"

	"github.com/ClickHouse/clickhouse-go/v2/lib/driver"
	"github.com/google/uuid"
	"github.com/shopspring/decimal"
)

// EventRow is one row of the events table.
type EventRow struct {
	EventID   uuid.UUID
	Type      string
	Source    string
	Subject   string
	Time      time.Time
	Actor     string
	Scope     string
	Stream    string
	StreamSeq uint64
	Data      string // the event data without personal fields
}

// LeadStateRow is one row of the lead_states table.
type LeadStateRow struct {
	LeadID               uuid.UUID
	Version              uint32
	Post                 string
	Attache              string
	InvestorName         string
	InvestorCountry      string
	Title                string
	Sector               string
	Clauses              []string
	TargetRegion         string
	InvestmentType       string
	Capex                decimal.Decimal
	Currency             string
	ExpectedJobs         uint32
	TechTransfer         bool
	Green                bool
	ExpectedDecisionDate *time.Time
	Source               string
	Stage                string
	Probability          decimal.Decimal
	LostReason           string
	CompetingCountry     string
	CreatedAt            time.Time
	UpdatedAt            time.Time
	StageChangedAt       time.Time
	StageDay             time.Time // the day the current stage took effect (Astana), midnight UTC
	EventID              uuid.UUID
	StreamSeq            uint64
}

// LeadStageRow is one row of the lead_stage_history table: a lead entering a
// stage (From is empty for the identified stage of a new lead).
type LeadStageRow struct {
	LeadID      uuid.UUID
	Version     uint32
	From        string
	To          string
	EffectiveOn time.Time // midnight UTC of the Astana day
	Actor       string
	Time        time.Time
	EventID     uuid.UUID
	StreamSeq   uint64
}

// CommissionStateRow is one row of the commission_states table.
type CommissionStateRow struct {
	CommissionID      string
	Version           uint32
	Name              string
	PartnerCountry    string
	KazakhCoChair     string
	SecretariatAgency string
	PartnerCoChair    string
	CreatedAt         time.Time
	UpdatedAt         time.Time
	EventID           uuid.UUID
	StreamSeq         uint64
}

// SessionStateRow is one row of the session_states table.
type SessionStateRow struct {
	SessionID    string
	CommissionID string
	Number       uint32
	Date         time.Time // a calendar day: midnight UTC
	Place        string
	ProtocolRef  string
	DecisionIDs  []string
	Decisions    uint32 // len(DecisionIDs)
	CreatedAt    time.Time
	EventID      uuid.UUID
	StreamSeq    uint64
}

// DecisionStateRow is one row of the decision_states table. Days are
// calendar days (Astana time, as the events carry them) at midnight UTC.
type DecisionStateRow struct {
	CommissionID   string
	DecisionID     string
	Version        uint32
	PartnerCountry string
	SessionID      string
	SessionNumber  uint32
	SessionDate    time.Time
	Item           string
	Text           string
	Agencies       []string
	Deadline       time.Time
	Sector         string
	Clauses        []string
	HasValue       bool
	Value          decimal.Decimal
	Currency       string
	LeadIDs        []string
	DealIDs        []string
	Status         string
	StatusDate     time.Time
	DoneOn         *time.Time // nil unless done
	CreatedAt      time.Time
	UpdatedAt      time.Time
	EventID        uuid.UUID
	StreamSeq      uint64
}

// DecisionStatusRow is one row of the decision_status_history table.
type DecisionStatusRow struct {
	CommissionID string
	DecisionID   string
	Version      uint32 // the decision's version after the change
	From         string
	To           string
	EffectiveOn  time.Time
	Actor        string
	Comment      string
	EvidenceRef  string
	Time         time.Time
	EventID      uuid.UUID
	StreamSeq    uint64
}

// ExporterStateRow is one row of the exporter_states table.
type ExporterStateRow struct {
	BIN          string
	Version      uint32
	Name         string
	Region       string
	RegisteredBy string
	CreatedAt    time.Time
	UpdatedAt    time.Time
	EventID      uuid.UUID
	StreamSeq    uint64
}

// DealStateRow is one row of the deal_states table. Days are calendar days
// (Astana time) at midnight UTC. Sector and raw/non-raw are not here: queries
// take them from hs_classification by HSCode.
type DealStateRow struct {
	DealID         string
	Version        uint32
	Post           string
	Attache        string
	ExporterBIN    string
	ExporterName   string
	BuyerCountry   string
	BuyerName      string
	HSCode         string
	HSChapter      string // first 2 digits of HSCode
	HSHeading      string // first 4 digits of HSCode
	Product        string
	Value          decimal.Decimal
	Currency       string
	Quantity       *decimal.Decimal // nil: none stated
	Unit           string
	Stage          string
	LostReason     string
	Support        []string
	DecisionID     string
	CommissionID   string
	ContractDate   *time.Time // nil until contracted
	DealDate       time.Time  // ContractDate when set, else the day of CreatedAt in Astana time
	Clauses        []string
	CreatedAt      time.Time
	UpdatedAt      time.Time
	StageChangedAt time.Time
	EventID        uuid.UUID
	StreamSeq      uint64
}

// BarrierStateRow is one row of the barrier_states table. Progress notes
// are the parallel ProgressOn, ProgressText and ProgressAuthor.
type BarrierStateRow struct {
	BarrierID      string
	Version        uint32
	Post           string
	Attache        string
	Country        string
	HSCodes        []string
	Type           string
	Title          string
	Description    string
	HasValue       bool
	ValueAtStake   decimal.Decimal
	Currency       string
	Status         string
	LeadAgency     string
	Clauses        []string
	ReportedOn     time.Time
	ResolvedOn     *time.Time // nil unless resolved
	ProgressOn     []time.Time
	ProgressText   []string
	ProgressAuthor []string
	CreatedAt      time.Time
	UpdatedAt      time.Time
	EventID        uuid.UUID
	StreamSeq      uint64
}

// BarrierStatusRow is one row of the barrier_status_history table.
type BarrierStatusRow struct {
	BarrierID   string
	Version     uint32 // the barrier's version after the change
	From        string
	To          string
	EffectiveOn time.Time
	Actor       string
	Comment     string
	Time        time.Time
	EventID     uuid.UUID
	StreamSeq   uint64
}

// TaskStateRow is one row of the task_states table: a task without its
// title, which stays out of ClickHouse.
type TaskStateRow struct {
	TaskID       string
	Version      uint32
	RecordKind   string
	RecordID     string
	CommissionID string
	Scope        string
	Assignee     string
	Due          time.Time // midnight UTC of the Astana day
	Done         bool
	DoneAt       *time.Time
	CreatedBy    string
	CreatedAt    time.Time
	UpdatedAt    time.Time
	EventID      uuid.UUID
	StreamSeq    uint64
}

// CompanyStateRow is one row of the company_states table: a company
// without its contact persons, which stay out of ClickHouse.
type CompanyStateRow struct {
	CompanyID  string
	Version    uint32
	Name       string
	NameLatin  string
	Country    string
	RegNumber  string
	Website    string
	Aliases    []string
	MergedInto string
	CreatedBy  string
	CreatedAt  time.Time
	UpdatedAt  time.Time
	EventID    uuid.UUID
	StreamSeq  uint64
}

// Rows is what one batch of events projects to, table by table.
type Rows struct {
	Events           []EventRow
	LeadStates       []LeadStateRow
	LeadStages       []LeadStageRow
	CommissionStates []CommissionStateRow
	SessionStates    []SessionStateRow
	DecisionStates   []DecisionStateRow
	DecisionStatuses []DecisionStatusRow
	ExporterStates   []ExporterStateRow
	DealStates       []DealStateRow
	BarrierStates    []BarrierStateRow
	BarrierStatuses  []BarrierStatusRow
	TaskStates       []TaskStateRow
	CompanyStates    []CompanyStateRow
}

// Len counts all rows.
func (r *Rows) Len() int {
	return len(r.Events) + len(r.LeadStates) + len(r.LeadStages) + len(r.CommissionStates) + len(r.SessionStates) +
		len(r.DecisionStates) + len(r.DecisionStatuses) +
		len(r.ExporterStates) + len(r.DealStates) + len(r.BarrierStates) + len(r.BarrierStatuses) +
		len(r.TaskStates) + len(r.CompanyStates)
}

// Write inserts the rows, one ClickHouse batch per table. Inserting the same
// rows again is harmless: every table collapses duplicates (see migrations).
func Write(ctx context.Context, conn driver.Conn, rows *Rows) error {
	if len(rows.Events) > 0 {
		b, err := conn.PrepareBatch(ctx, "INSERT INTO events (event_id, type, source, subject, time, actor, scope, stream, stream_seq, data, ingested_at)")
		if err != nil {
			return fmt.Errorf("prepare events batch: %w", err)
		}
		now := time.Now().UTC()
		for _, e := range rows.Events {
			if err := b.Append(e.EventID, e.Type, e.Source, e.Subject, e.Time, e.Actor, e.Scope, e.Stream, e.StreamSeq, e.Data, now); err != nil {
				b.Abort()
				return fmt.Errorf("append event %s: %w", e.EventID, err)
			}
		}
		if err := b.Send(); err != nil {
			return fmt.Errorf("insert %d events: %w", len(rows.Events), err)
		}
	}
	if len(rows.LeadStates) > 0 {
		b, err := conn.PrepareBatch(ctx, `INSERT INTO lead_states (lead_id, version, post, attache, investor_name, investor_country,
			title, sector, clauses, target_region, investment_type, capex, currency,
			expected_jobs, tech_transfer, green, expected_decision_date, source, stage, probability, lost_reason, competing_country,
			created_at, updated_at, stage_changed_at, stage_day, event_id, stream_seq)`)
		if err != nil {
			return fmt.Errorf("prepare lead_states batch: %w", err)
		}
		for _, l := range rows.LeadStates {
			if err := b.Append(l.LeadID, l.Version, l.Post, l.Attache, l.InvestorName, l.InvestorCountry,
				l.Title, l.Sector, l.Clauses, l.TargetRegion, l.InvestmentType, l.Capex, l.Currency,
				l.ExpectedJobs, boolByte(l.TechTransfer), boolByte(l.Green),
				l.ExpectedDecisionDate, l.Source, l.Stage, l.Probability, l.LostReason, l.CompetingCountry,
				l.CreatedAt, l.UpdatedAt, l.StageChangedAt, l.StageDay, l.EventID, l.StreamSeq); err != nil {
				b.Abort()
				return fmt.Errorf("append lead %s: %w", l.LeadID, err)
			}
		}
		if err := b.Send(); err != nil {
			return fmt.Errorf("insert %d lead states: %w", len(rows.LeadStates), err)
		}
	}
	if err := insert(ctx, conn, "lead_stage_history", "lead_id, version, from_stage, to_stage, effective_on, actor, time, event_id, stream_seq",
		rows.LeadStages, func(h LeadStageRow) []any {
			return []any{h.LeadID, h.Version, h.From, h.To, h.EffectiveOn, h.Actor, h.Time, h.EventID, h.StreamSeq}
		}); err != nil {
		return err
	}
	if err := insert(ctx, conn, "commission_states", `commission_id, version, name, partner_country, kazakh_co_chair,
		secretariat_agency, partner_co_chair, created_at, updated_at, event_id, stream_seq`, rows.CommissionStates,
		func(c CommissionStateRow) []any {
			return []any{c.CommissionID, c.Version, c.Name, c.PartnerCountry, c.KazakhCoChair,
				c.SecretariatAgency, c.PartnerCoChair, c.CreatedAt, c.UpdatedAt, c.EventID, c.StreamSeq}
		}); err != nil {
		return err
	}
	if err := insert(ctx, conn, "session_states", `session_id, commission_id, number, date, place, protocol_ref,
		decision_ids, decisions, created_at, event_id, stream_seq`, rows.SessionStates,
		func(s SessionStateRow) []any {
			return []any{s.SessionID, s.CommissionID, s.Number, s.Date, s.Place, s.ProtocolRef,
				orEmpty(s.DecisionIDs), s.Decisions, s.CreatedAt, s.EventID, s.StreamSeq}
		}); err != nil {
		return err
	}
	if err := insert(ctx, conn, "decision_states", `commission_id, decision_id, version, partner_country, session_id,
		session_number, session_date, item, text, agencies, deadline, sector, clauses, has_value, value, currency,
		lead_ids, deal_ids, status, status_date, done_on,
		created_at, updated_at, event_id, stream_seq`, rows.DecisionStates,
		func(d DecisionStateRow) []any {
			return []any{d.CommissionID, d.DecisionID, d.Version, d.PartnerCountry, d.SessionID,
				d.SessionNumber, d.SessionDate, d.Item, d.Text, orEmpty(d.Agencies), d.Deadline, d.Sector, orEmpty(d.Clauses),
				boolByte(d.HasValue), d.Value, d.Currency,
				orEmpty(d.LeadIDs), orEmpty(d.DealIDs), d.Status, d.StatusDate, d.DoneOn,
				d.CreatedAt, d.UpdatedAt, d.EventID, d.StreamSeq}
		}); err != nil {
		return err
	}
	if err := insert(ctx, conn, "decision_status_history", `commission_id, decision_id, version, from_status, to_status,
		effective_on, actor, comment, evidence_ref, time, event_id, stream_seq`, rows.DecisionStatuses,
		func(h DecisionStatusRow) []any {
			return []any{h.CommissionID, h.DecisionID, h.Version, h.From, h.To,
				h.EffectiveOn, h.Actor, h.Comment, h.EvidenceRef, h.Time, h.EventID, h.StreamSeq}
		}); err != nil {
		return err
	}
	if err := writeExports(ctx, conn, rows); err != nil {
		return err
	}
	if err := insert(ctx, conn, "company_states", `company_id, version, name, name_latin, country, reg_number,
		website, aliases, merged_into, created_by, created_at, updated_at, event_id, stream_seq`, rows.CompanyStates,
		func(c CompanyStateRow) []any {
			return []any{c.CompanyID, c.Version, c.Name, c.NameLatin, c.Country, c.RegNumber,
				c.Website, orEmpty(c.Aliases), c.MergedInto, c.CreatedBy, c.CreatedAt, c.UpdatedAt, c.EventID, c.StreamSeq}
		}); err != nil {
		return err
	}
	return insert(ctx, conn, "task_states", `task_id, version, record_kind, record_id, commission_id, scope,
		assignee, due, done, done_at, created_by, created_at, updated_at, event_id, stream_seq`, rows.TaskStates,
		func(t TaskStateRow) []any {
			return []any{t.TaskID, t.Version, t.RecordKind, t.RecordID, t.CommissionID, t.Scope,
				t.Assignee, t.Due, boolByte(t.Done), t.DoneAt, t.CreatedBy, t.CreatedAt, t.UpdatedAt, t.EventID, t.StreamSeq}
		})
}

// writeExports inserts the exporter, deal and barrier rows.
func writeExports(ctx context.Context, conn driver.Conn, rows *Rows) error {
	if err := insert(ctx, conn, "exporter_states", `bin, version, name, region, registered_by,
		created_at, updated_at, event_id, stream_seq`, rows.ExporterStates,
		func(e ExporterStateRow) []any {
			return []any{e.BIN, e.Version, e.Name, e.Region, e.RegisteredBy, e.CreatedAt, e.UpdatedAt, e.EventID, e.StreamSeq}
		}); err != nil {
		return err
	}
	if err := insert(ctx, conn, "deal_states", `deal_id, version, post, attache, exporter_bin, exporter_name,
		buyer_country, buyer_name, hs_code, hs_chapter, hs_heading, product, value, currency,
		quantity, unit, stage, lost_reason, support, decision_id, commission_id,
		contract_date, deal_date, clauses, created_at, updated_at, stage_changed_at, event_id, stream_seq`, rows.DealStates,
		func(d DealStateRow) []any {
			return []any{d.DealID, d.Version, d.Post, d.Attache, d.ExporterBIN, d.ExporterName,
				d.BuyerCountry, d.BuyerName, d.HSCode, d.HSChapter, d.HSHeading, d.Product, d.Value, d.Currency,
				d.Quantity, d.Unit, d.Stage, d.LostReason, orEmpty(d.Support), d.DecisionID, d.CommissionID,
				d.ContractDate, d.DealDate, orEmpty(d.Clauses), d.CreatedAt, d.UpdatedAt, d.StageChangedAt, d.EventID, d.StreamSeq}
		}); err != nil {
		return err
	}
	if err := insert(ctx, conn, "barrier_states", `barrier_id, version, post, attache, country, hs_codes, type, title,
		description, has_value, value_at_stake, currency,
		status, lead_agency, clauses, reported_on, resolved_on, progress_on, progress_text, progress_author,
		created_at, updated_at, event_id, stream_seq`, rows.BarrierStates,
		func(b BarrierStateRow) []any {
			on := b.ProgressOn
			if on == nil {
				on = []time.Time{}
			}
			return []any{b.BarrierID, b.Version, b.Post, b.Attache, b.Country, orEmpty(b.HSCodes), b.Type, b.Title,
				b.Description, boolByte(b.HasValue), b.ValueAtStake, b.Currency,
				b.Status, b.LeadAgency, orEmpty(b.Clauses), b.ReportedOn, b.ResolvedOn, on, orEmpty(b.ProgressText), orEmpty(b.ProgressAuthor),
				b.CreatedAt, b.UpdatedAt, b.EventID, b.StreamSeq}
		}); err != nil {
		return err
	}
	return insert(ctx, conn, "barrier_status_history", `barrier_id, version, from_status, to_status, effective_on,
		actor, comment, time, event_id, stream_seq`, rows.BarrierStatuses,
		func(h BarrierStatusRow) []any {
			return []any{h.BarrierID, h.Version, h.From, h.To, h.EffectiveOn, h.Actor, h.Comment, h.Time, h.EventID, h.StreamSeq}
		})
}

// insert writes rows into table as one batch with an explicit column list
// (the only insert form that works on 18.16 and current servers alike);
// values returns one row's values in the order of columns.
func insert[R any](ctx context.Context, conn driver.Conn, table, columns string, rows []R, values func(R) []any) error {
	if len(rows) == 0 {
		return nil
	}
	b, err := conn.PrepareBatch(ctx, "INSERT INTO "+table+" ("+columns+")")
	if err != nil {
		return fmt.Errorf("prepare %s batch: %w", table, err)
	}
	for i, r := range rows {
		if err := b.Append(values(r)...); err != nil {
			b.Abort()
			return fmt.Errorf("append row %d of %s: %w", i, table, err)
		}
	}
	if err := b.Send(); err != nil {
		return fmt.Errorf("insert %d rows into %s: %w", len(rows), table, err)
	}
	return nil
}

// orEmpty turns a nil slice into an empty one for Array columns.
func orEmpty(s []string) []string {
	if s == nil {
		return []string{}
	}
	return s
}

func boolByte(b bool) uint8 {
	if b {
		return 1
	}
	return 0
}
