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
	CapexUSD             decimal.Decimal
	CapexKZT             decimal.Decimal
	FXRateMonth          time.Time
	FXMissing            bool
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
	EventID              uuid.UUID
	StreamSeq            uint64
}

// Rows is what one batch of events projects to, table by table.
type Rows struct {
	Events     []EventRow
	LeadStates []LeadStateRow
}

// Len counts all rows.
func (r *Rows) Len() int { return len(r.Events) + len(r.LeadStates) }

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
			title, sector, clauses, target_region, investment_type, capex, currency, capex_usd, capex_kzt, fx_rate_month, fx_missing,
			expected_jobs, tech_transfer, green, expected_decision_date, source, stage, probability, lost_reason, competing_country,
			created_at, updated_at, stage_changed_at, event_id, stream_seq)`)
		if err != nil {
			return fmt.Errorf("prepare lead_states batch: %w", err)
		}
		for _, l := range rows.LeadStates {
			if err := b.Append(l.LeadID, l.Version, l.Post, l.Attache, l.InvestorName, l.InvestorCountry,
				l.Title, l.Sector, l.Clauses, l.TargetRegion, l.InvestmentType, l.Capex, l.Currency, l.CapexUSD, l.CapexKZT,
				l.FXRateMonth, boolByte(l.FXMissing), l.ExpectedJobs, boolByte(l.TechTransfer), boolByte(l.Green),
				l.ExpectedDecisionDate, l.Source, l.Stage, l.Probability, l.LostReason, l.CompetingCountry,
				l.CreatedAt, l.UpdatedAt, l.StageChangedAt, l.EventID, l.StreamSeq); err != nil {
				b.Abort()
				return fmt.Errorf("append lead %s: %w", l.LeadID, err)
			}
		}
		if err := b.Send(); err != nil {
			return fmt.Errorf("insert %d lead states: %w", len(rows.LeadStates), err)
		}
	}
	return nil
}

func boolByte(b bool) uint8 {
	if b {
		return 1
	}
	return 0
}
