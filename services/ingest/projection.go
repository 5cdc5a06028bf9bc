package ingest

import (
	"encoding/json"
	"fmt"
	"time"

	"github.com/google/uuid"

	"econdip/analytics"
	"econdip/events"
	"econdip/services/reference"
)

// project turns one decoded event into the rows it adds to ClickHouse. It
// strips personal data before anything is written: the events table keeps the
// redacted data, and no projection has a column for contact persons.
func project(rows *analytics.Rows, ref *reference.Data, stream string, seq uint64, env events.Envelope, ev events.Event) error {
	id, err := uuid.Parse(env.ID)
	if err != nil {
		return fmt.Errorf("%w: event id %q: %v", events.ErrDecode, env.ID, err)
	}
	redacted := ev
	if s, ok := ev.(events.LeadSnapshot); ok {
		lead := s.State()
		row, err := leadRow(ref, lead, id, seq)
		if err != nil {
			return err
		}
		rows.LeadStates = append(rows.LeadStates, row)
		redacted = redactLead(ev)
	}
	data, err := json.Marshal(redacted)
	if err != nil {
		return fmt.Errorf("encode redacted %s: %w", env.Type, err)
	}
	rows.Events = append(rows.Events, analytics.EventRow{
		EventID: id, Type: env.Type, Source: env.Source, Subject: env.Subject, Time: env.Time.UTC(),
		Actor: env.Actor, Scope: env.Scope, Stream: stream, StreamSeq: seq, Data: string(data),
	})
	return nil
}

func redactLead(ev events.Event) events.Event {
	switch e := ev.(type) {
	case *events.LeadCreatedV1:
		c := *e
		c.Lead = c.Lead.Redacted()
		return c
	case *events.LeadUpdatedV1:
		c := *e
		c.Lead = c.Lead.Redacted()
		return c
	case *events.LeadStageChangedV1:
		c := *e
		c.Lead = c.Lead.Redacted()
		return c
	}
	panic(fmt.Sprintf("redactLead: unhandled lead event %T", ev))
}

func leadRow(ref *reference.Data, l events.LeadV1, eventID uuid.UUID, seq uint64) (analytics.LeadStateRow, error) {
	leadID, err := uuid.Parse(l.ID)
	if err != nil {
		return analytics.LeadStateRow{}, fmt.Errorf("%w: lead id %q: %v", events.ErrDecode, l.ID, err)
	}
	row := analytics.LeadStateRow{
		LeadID: leadID, Version: uint32(l.Version), Post: l.Post, Attache: l.Attache,
		InvestorName: l.InvestorName, InvestorCountry: l.InvestorCountry, Title: l.Title, Sector: l.Sector,
		Clauses: l.Clauses, TargetRegion: l.TargetRegion, InvestmentType: l.InvestmentType,
		Capex: l.Capex.Amount, Currency: l.Capex.Currency, ExpectedJobs: uint32(max(l.ExpectedJobs, 0)),
		TechTransfer: l.TechTransfer, Green: l.Green, Source: l.Source, Stage: l.Stage, Probability: l.Probability,
		LostReason: l.LostReason, CompetingCountry: l.CompetingCountry,
		CreatedAt: l.CreatedAt.UTC(), UpdatedAt: l.UpdatedAt.UTC(), StageChangedAt: l.StageChangedAt.UTC(),
		EventID: eventID, StreamSeq: seq,
	}
	if row.Clauses == nil {
		row.Clauses = []string{}
	}
	if l.ExpectedDecisionDate != "" {
		d, err := time.Parse(time.DateOnly, l.ExpectedDecisionDate)
		if err != nil {
			return row, fmt.Errorf("%w: lead %s expected_decision_date %q: %v", events.ErrDecode, l.ID, l.ExpectedDecisionDate, err)
		}
		row.ExpectedDecisionDate = &d
	}
	// The estimate is converted at the rate of the month it was last stated in.
	conv, err := ref.Convert(l.Capex.Amount, l.Capex.Currency, l.UpdatedAt)
	if err != nil {
		row.FXMissing = true
		row.FXRateMonth = time.Date(1970, 1, 1, 0, 0, 0, 0, time.UTC)
	} else {
		row.CapexUSD, row.CapexKZT, row.FXRateMonth = conv.USD, conv.KZT, conv.RateMonth
	}
	return row, nil
}
