package ingest

import (
	"bytes"
	"fmt"
	"strings"
	"time"
	"unsafe"

	"github.com/go-json-experiment/json/jsontext"

	"github.com/google/uuid"

	"econdip/analytics"
	"econdip/events"
	"econdip/services/platform/kernel"
)

// project turns one decoded event into the rows it adds to ClickHouse. It
// strips personal data before anything is written: the events table keeps the
// redacted data, and no projection has a column for contact persons.
func project(rows *analytics.Rows, stream string, seq uint64, env events.Envelope, ev events.Event) error {
	id, err := uuid.Parse(env.ID)
	if err != nil {
		return fmt.Errorf("%w: event id %q: %v", events.ErrDecode, env.ID, err)
	}
	if s, ok := ev.(events.LeadSnapshot); ok {
		lead := s.State()
		row, err := leadRow(lead, id, seq)
		if err != nil {
			return err
		}
		rows.LeadStates = append(rows.LeadStates, row)
		// Entering a stage: creation enters identified, a stage change the new stage.
		change := analytics.LeadStageRow{LeadID: row.LeadID, Version: row.Version, To: row.Stage, EffectiveOn: row.StageDay,
			Actor: env.Actor, Time: env.Time.UTC(), EventID: id, StreamSeq: seq}
		switch e := ev.(type) {
		case *events.LeadCreatedV1:
			rows.LeadStages = append(rows.LeadStages, change)
		case *events.LeadStageChangedV1:
			change.From = e.From
			rows.LeadStages = append(rows.LeadStages, change)
		}
	}
	if err := projectCommission(rows, seq, env, id, ev); err != nil {
		return err
	}
	if err := projectExports(rows, seq, env, id, ev); err != nil {
		return err
	}
	if c, ok := ev.(events.CompanySnapshot); ok {
		co := c.State().Redacted()
		rows.CompanyStates = append(rows.CompanyStates, analytics.CompanyStateRow{
			CompanyID: co.ID, Version: uint32(max(co.Version, 0)), Name: co.Name, NameLatin: co.NameLatin, Country: co.Country,
			RegNumber: co.RegNumber, Website: co.Website, Aliases: co.Aliases, MergedInto: co.MergedInto,
			CreatedBy: co.CreatedBy, CreatedAt: co.CreatedAt.UTC(), UpdatedAt: co.UpdatedAt.UTC(), EventID: id, StreamSeq: seq})
	}
	if t, ok := ev.(events.TaskSnapshot); ok {
		row, err := taskRow(t.State(), id, seq)
		if err != nil {
			return err
		}
		rows.TaskStates = append(rows.TaskStates, row)
	}
	data, err := redacted(env, ev)
	if err != nil {
		return err
	}
	rows.Events = append(rows.Events, analytics.EventRow{
		EventID: id, Type: env.Type, Source: env.Source, Subject: env.Subject, Time: env.Time.UTC(),
		Actor: env.Actor, Scope: env.Scope, Stream: stream, StreamSeq: seq,
		// data is the message's bytes (ingest decodes in place and holds the
		// message until the insert is done), the copy events.Decode made,
		// or the buffer withoutContacts built: nothing writes any of them,
		// so the row shares them rather than copy them once more.
		Data: unsafe.String(unsafe.SliceData(data), len(data)),
	})
	return nil
}

// redacted returns the event's data as it may be stored in ClickHouse: the
// bytes as they came, not encoded again. Lead events lose their contact
// persons. Commission, session and decision events carry no personal data
// (co-chairs are named in their official role, actors are user ids, as in
// every event's envelope), nor do exporter, deal and barrier events
// (exporters and buyers are companies, progress notes are signed with user
// ids): they are stored as they are; a personal field added to them later
// gets its redaction here.
//
// Company events lose the company's contact persons (issue 18), as lead
// events do.
//
// Task events lose the task's title and note events the note's text (issue
// 17): a task's title is operational text and a note may name people, so
// neither reaches ClickHouse; the row still says that a task changed or a
// note was added, on which record, by whom and when.
//
// Document events lose the file's name (issue 18): a name may name people.
// Their bytes never were in an event (they are in the object store); the
// row keeps the type, size, record, who and when.
func redacted(env events.Envelope, ev events.Event) ([]byte, error) {
	var data []byte
	var err error
	switch ev.(type) {
	case events.LeadSnapshot:
		data, err = withoutContacts(env.Data)
	case events.CompanySnapshot:
		data, err = walkWithout(env.Data, "company", "contacts")
	case events.TaskSnapshot:
		data, err = walkWithout(env.Data, "task", "title")
	case *events.NoteAddedV1, events.NoteAddedV1:
		data, err = walkWithout(env.Data, "note", "text")
	case events.DocumentSnapshot:
		data, err = walkWithout(env.Data, "document", "name")
	default:
		return env.Data, nil
	}
	if err != nil {
		return nil, fmt.Errorf("%w: redact %s data: %v", events.ErrDecode, env.Type, err)
	}
	return data, nil
}

// withoutContacts returns the data of a lead event without the contact
// persons: every member of its lead object named contacts, in any case
// (the decoder matches names as encoding/json does, case-insensitively, so
// "Contacts" is read into Lead.Contacts too; and of repeated names it keeps
// the last). The other members stay as they came; for an event as the leads
// service writes it, the result is the encoding of LeadV1.Redacted.
func withoutContacts(data []byte) ([]byte, error) {
	if out, ok := cutContacts(data); ok {
		return out, nil
	}
	return walkWithoutContacts(data)
}

// walkWithoutContacts is withoutContacts for any data, token by token.
func walkWithoutContacts(data []byte) ([]byte, error) {
	return walkWithout(data, "lead", "contacts")
}

// walkWithout returns data without the members named field (in any case)
// of its members named object (in any case), token by token; everything
// else stays as it came.
func walkWithout(data []byte, object, field string) ([]byte, error) {
	dec := jsontext.NewDecoder(bytes.NewBuffer(data), jsontext.AllowDuplicateNames(true), jsontext.AllowInvalidUTF8(true))
	out := make([]byte, 0, len(data))
	err := copyObject(dec, data, &out, func(name string) memberRule {
		if strings.EqualFold(name, object) {
			return redactMember
		}
		return keepMember
	}, func(name string) memberRule {
		if strings.EqualFold(name, field) {
			return dropMember
		}
		return keepMember
	})
	return out, err
}

// memberRule is what copyObject does with a member.
type memberRule int

const (
	keepMember memberRule = iota
	dropMember
	redactMember // an object copied under the inner rule
)

// copyObject appends the object dec is at to out, member by member as the
// input has them (data is dec's input), doing with each what rule says; a
// member to redact is an object copied under inner (which drops or keeps).
func copyObject(dec *jsontext.Decoder, data []byte, out *[]byte, rule, inner func(name string) memberRule) error {
	if tok, err := dec.ReadToken(); err != nil || tok.Kind() != '{' {
		return fmt.Errorf("not an object (%v)", err)
	}
	*out = append(*out, '{')
	first := true
	for dec.PeekKind() != '}' {
		from := dec.InputOffset()
		name, err := dec.ReadToken()
		if err != nil {
			return err
		}
		r := rule(name.String())
		if r == redactMember && dec.PeekKind() != '{' {
			r = keepMember // not an object: the decoder refused it already
		}
		if r == dropMember {
			if err := dec.SkipValue(); err != nil {
				return err
			}
			continue
		}
		if !first {
			*out = append(*out, ',')
		}
		first = false
		// The name and the value as they came, without the spaces around
		// the colon, as cutObject writes them.
		afterName := dec.InputOffset()
		*out = append(*out, bytes.TrimLeft(data[from:afterName], ", \t\r\n")...)
		*out = append(*out, ':')
		if r == redactMember {
			if err := copyObject(dec, data, out, inner, nil); err != nil {
				return err
			}
			continue
		}
		if err := dec.SkipValue(); err != nil {
			return err
		}
		*out = append(*out, bytes.TrimLeft(data[afterName:dec.InputOffset()], " \t\r\n:")...)
	}
	if _, err := dec.ReadToken(); err != nil {
		return err
	}
	*out = append(*out, '}')
	return nil
}

func leadRow(l events.LeadV1, eventID uuid.UUID, seq uint64) (analytics.LeadStateRow, error) {
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
	if row.StageDay, err = stageDay(l); err != nil {
		return row, err
	}
	return row, nil
}

// projectCommission adds the rows of a commission, session or decision event:
// the commission's or session's state, the decision's state after every
// decision event, and a history row for every status change.
func projectCommission(rows *analytics.Rows, seq uint64, env events.Envelope, eventID uuid.UUID, ev events.Event) error {
	switch e := ev.(type) {
	case *events.CommissionRecordedV1:
		rows.CommissionStates = append(rows.CommissionStates, commissionRow(e.Commission, eventID, seq))
	case events.CommissionRecordedV1:
		rows.CommissionStates = append(rows.CommissionStates, commissionRow(e.Commission, eventID, seq))
	case *events.SessionRecordedV1:
		return appendSession(rows, e.Session, eventID, seq)
	case events.SessionRecordedV1:
		return appendSession(rows, e.Session, eventID, seq)
	}
	s, ok := ev.(events.DecisionSnapshot)
	if !ok {
		return nil
	}
	row, err := decisionRow(s.State(), eventID, seq)
	if err != nil {
		return err
	}
	var change *events.DecisionStatusChangedV1
	switch e := ev.(type) {
	case *events.DecisionStatusChangedV1:
		change = e
	case events.DecisionStatusChangedV1:
		change = &e
	}
	// Both rows are built before either is added: an event that fails goes
	// to the dead letters whole and leaves no half of itself behind.
	if change != nil {
		h, err := statusRow(*change, env, eventID, seq)
		if err != nil {
			return err
		}
		rows.DecisionStatuses = append(rows.DecisionStatuses, h)
	}
	rows.DecisionStates = append(rows.DecisionStates, row)
	return nil
}

func commissionRow(c events.CommissionV1, eventID uuid.UUID, seq uint64) analytics.CommissionStateRow {
	return analytics.CommissionStateRow{
		CommissionID: c.ID, Version: uint32(max(c.Version, 0)), Name: c.Name, PartnerCountry: c.PartnerCountry,
		KazakhCoChair: c.KazakhCoChair, SecretariatAgency: c.SecretariatAgency, PartnerCoChair: c.PartnerCoChair,
		CreatedAt: c.CreatedAt.UTC(), UpdatedAt: c.UpdatedAt.UTC(), EventID: eventID, StreamSeq: seq,
	}
}

func appendSession(rows *analytics.Rows, s events.SessionV1, eventID uuid.UUID, seq uint64) error {
	date, err := day("session "+s.ID, "date", s.Date)
	if err != nil {
		return err
	}
	ids := orEmpty(s.DecisionIDs)
	rows.SessionStates = append(rows.SessionStates, analytics.SessionStateRow{
		SessionID: s.ID, CommissionID: s.CommissionID, Number: uint32(max(s.Number, 0)), Date: date,
		Place: s.Place, ProtocolRef: s.ProtocolRef, DecisionIDs: ids, Decisions: uint32(len(ids)),
		CreatedAt: s.CreatedAt.UTC(), EventID: eventID, StreamSeq: seq,
	})
	return nil
}

func decisionRow(d events.DecisionV1, eventID uuid.UUID, seq uint64) (analytics.DecisionStateRow, error) {
	what := "decision " + d.ID
	row := analytics.DecisionStateRow{
		CommissionID: d.CommissionID, DecisionID: d.ID, Version: uint32(max(d.Version, 0)), PartnerCountry: d.PartnerCountry,
		SessionID: d.SessionID, SessionNumber: uint32(max(d.SessionNumber, 0)), Item: d.Item, Text: d.Text,
		Agencies: orEmpty(d.Agencies), Sector: d.Sector, Clauses: orEmpty(d.Clauses),
		LeadIDs: canonicalIDs(d.LeadIDs), DealIDs: canonicalIDs(d.DealIDs), Status: d.Status,
		CreatedAt: d.CreatedAt.UTC(), UpdatedAt: d.UpdatedAt.UTC(), EventID: eventID, StreamSeq: seq,
	}
	var err error
	if row.SessionDate, err = day(what, "session_date", d.SessionDate); err != nil {
		return row, err
	}
	if row.Deadline, err = day(what, "deadline", d.Deadline); err != nil {
		return row, err
	}
	if row.StatusDate, err = day(what, "status_date", d.StatusDate); err != nil {
		return row, err
	}
	switch {
	case d.DoneOn != "":
		on, err := day(what, "done_on", d.DoneOn)
		if err != nil {
			return row, err
		}
		row.DoneOn = &on
	case d.Status == "done":
		// A done decision always has the day it was done; should an event lack
		// it, the day its current status took effect is that day.
		on := row.StatusDate
		row.DoneOn = &on
	}
	if d.Value != nil {
		row.HasValue, row.Value, row.Currency = true, d.Value.Amount, d.Value.Currency
	}
	return row, nil
}

func statusRow(e events.DecisionStatusChangedV1, env events.Envelope, eventID uuid.UUID, seq uint64) (analytics.DecisionStatusRow, error) {
	on, err := day("decision "+e.Decision.ID, "effective_on", e.EffectiveOn)
	if err != nil {
		return analytics.DecisionStatusRow{}, err
	}
	return analytics.DecisionStatusRow{
		CommissionID: e.Decision.CommissionID, DecisionID: e.Decision.ID, Version: uint32(max(e.Decision.Version, 0)),
		From: e.From, To: e.To, EffectiveOn: on, Actor: env.Actor, Comment: e.Comment, EvidenceRef: e.EvidenceRef,
		Time: env.Time.UTC(), EventID: eventID, StreamSeq: seq,
	}, nil
}

// taskRow is the task_states row of a task's state: everything but its title.
func taskRow(t events.TaskV1, eventID uuid.UUID, seq uint64) (analytics.TaskStateRow, error) {
	due, err := day("task "+t.ID, "due", t.Due)
	if err != nil {
		return analytics.TaskStateRow{}, err
	}
	row := analytics.TaskStateRow{
		TaskID: t.ID, Version: uint32(max(t.Version, 0)), RecordKind: t.Kind, RecordID: t.WorkRef.ID,
		CommissionID: t.CommissionID, Scope: t.Scope, Assignee: t.Assignee, Due: due, Done: t.Done,
		CreatedBy: t.CreatedBy, CreatedAt: t.CreatedAt.UTC(), UpdatedAt: t.UpdatedAt.UTC(), EventID: eventID, StreamSeq: seq,
	}
	if t.DoneAt != nil {
		at := t.DoneAt.UTC()
		row.DoneAt = &at
	}
	return row, nil
}

// day parses a YYYY-MM-DD calendar day to midnight UTC, the form Date columns take.
func day(what, field, s string) (time.Time, error) {
	t, err := time.Parse(time.DateOnly, s)
	if err != nil {
		return t, fmt.Errorf("%w: %s %s %q: %v", events.ErrDecode, what, field, s, err)
	}
	return t, nil
}

// canonicalIDs writes UUIDs in their canonical lower-case form (lead_states
// joins on toString(lead_id)) and drops repeats, keeping the first order.
func canonicalIDs(ids []string) []string {
	out := make([]string, 0, len(ids))
	seen := make(map[string]bool, len(ids))
	for _, id := range ids {
		if u, err := uuid.Parse(id); err == nil {
			id = u.String()
		}
		if !seen[id] {
			seen[id] = true
			out = append(out, id)
		}
	}
	return out
}

func orEmpty(s []string) []string {
	if s == nil {
		return []string{}
	}
	return s
}

// stageDay is the day the lead's current stage took effect (as the attaché
// dated it, or the Astana day it was recorded), midnight UTC.
func stageDay(l events.LeadV1) (time.Time, error) {
	return exportDay("lead "+l.ID, "stage_effective_on", l.StageDay())
}

// projectExports adds the rows of an exporter, deal or barrier event: the
// exporter's, deal's or barrier's state after the event, and a history row
// for every barrier status change. Sector and raw/non-raw are not projected:
// queries take them from hs_classification by HS code.
func projectExports(rows *analytics.Rows, seq uint64, env events.Envelope, eventID uuid.UUID, ev events.Event) error {
	switch e := ev.(type) {
	case *events.ExporterRegisteredV1:
		rows.ExporterStates = append(rows.ExporterStates, exporterRow(e.Exporter, eventID, seq))
		return nil
	case events.ExporterRegisteredV1:
		rows.ExporterStates = append(rows.ExporterStates, exporterRow(e.Exporter, eventID, seq))
		return nil
	}
	if s, ok := ev.(events.DealSnapshot); ok {
		row, err := dealRow(s.State(), eventID, seq)
		if err != nil {
			return err
		}
		rows.DealStates = append(rows.DealStates, row)
		return nil
	}
	s, ok := ev.(events.BarrierSnapshot)
	if !ok {
		return nil
	}
	var change *events.BarrierStatusChangedV1
	switch e := ev.(type) {
	case *events.BarrierStatusChangedV1:
		change = e
	case events.BarrierStatusChangedV1:
		change = &e
	}
	row, err := barrierRow(s.State(), change, eventID, seq)
	if err != nil {
		return err
	}
	// Both rows are built before either is added, as for decisions.
	if change != nil {
		h, err := barrierStatusRow(*change, env, eventID, seq)
		if err != nil {
			return err
		}
		rows.BarrierStatuses = append(rows.BarrierStatuses, h)
	}
	rows.BarrierStates = append(rows.BarrierStates, row)
	return nil
}

func exporterRow(e events.ExporterV1, eventID uuid.UUID, seq uint64) analytics.ExporterStateRow {
	return analytics.ExporterStateRow{
		BIN: e.BIN, Version: uint32(max(e.Version, 0)), Name: e.Name, Region: e.Region, RegisteredBy: e.RegisteredBy,
		CreatedAt: e.CreatedAt.UTC(), UpdatedAt: e.UpdatedAt.UTC(), EventID: eventID, StreamSeq: seq,
	}
}

func dealRow(d events.DealV1, eventID uuid.UUID, seq uint64) (analytics.DealStateRow, error) {
	what := "deal " + d.ID
	row := analytics.DealStateRow{
		DealID: canonicalID(d.ID), Version: uint32(max(d.Version, 0)), Post: d.Post, Attache: d.Attache,
		ExporterBIN: d.ExporterBIN, ExporterName: d.ExporterName, BuyerCountry: d.BuyerCountry, BuyerName: d.BuyerName,
		HSCode: d.HSCode, HSChapter: prefix(d.HSCode, 2), HSHeading: prefix(d.HSCode, 4), Product: d.Product,
		Value: d.Value.Amount, Currency: d.Value.Currency, Unit: d.Unit, Stage: d.Stage,
		LostReason: d.LostReason, Support: orEmpty(d.Support), DecisionID: d.DecisionID, CommissionID: d.CommissionID,
		Clauses: orEmpty(d.Clauses), CreatedAt: d.CreatedAt.UTC(), UpdatedAt: d.UpdatedAt.UTC(), StageChangedAt: d.StageChangedAt.UTC(),
		EventID: eventID, StreamSeq: seq,
	}
	if d.Quantity != nil {
		q := *d.Quantity
		row.Quantity = &q
	}
	if d.ContractDate != "" {
		on, err := exportDay(what, "contract_date", d.ContractDate)
		if err != nil {
			return row, err
		}
		row.ContractDate, row.DealDate = &on, on
	} else {
		// Dated by the day it was created, in Astana time.
		row.DealDate = kernel.AstanaDay(d.CreatedAt).Time()
		if !inDateRange(row.DealDate) {
			return row, fmt.Errorf("%w: %s created_at %s is outside the days ClickHouse can store", events.ErrDecode, what, d.CreatedAt)
		}
	}
	return row, nil
}

// barrierRow projects a barrier's state; change is the status change the
// event records, if it is one.
func barrierRow(b events.BarrierV1, change *events.BarrierStatusChangedV1, eventID uuid.UUID, seq uint64) (analytics.BarrierStateRow, error) {
	what := "barrier " + b.ID
	row := analytics.BarrierStateRow{
		BarrierID: canonicalID(b.ID), Version: uint32(max(b.Version, 0)), Post: b.Post, Attache: b.Attache, Country: b.Country,
		HSCodes: orEmpty(b.HSCodes), Type: b.Type, Title: b.Title, Description: b.Description,
		Status: b.Status, LeadAgency: b.LeadAgency, Clauses: orEmpty(b.Clauses),
		ProgressOn: make([]time.Time, 0, len(b.Progress)), ProgressText: make([]string, 0, len(b.Progress)),
		ProgressAuthor: make([]string, 0, len(b.Progress)),
		CreatedAt:      b.CreatedAt.UTC(), UpdatedAt: b.UpdatedAt.UTC(), EventID: eventID, StreamSeq: seq,
	}
	var err error
	if row.ReportedOn, err = exportDay(what, "reported_on", b.ReportedOn); err != nil {
		return row, err
	}
	switch {
	case b.ResolvedOn != "":
		on, err := exportDay(what, "resolved_on", b.ResolvedOn)
		if err != nil {
			return row, err
		}
		row.ResolvedOn = &on
	case b.Status == "resolved" && change != nil && change.To == "resolved":
		// Resolved without resolved_on: the day the change took effect.
		on, err := exportDay(what, "effective_on", change.EffectiveOn)
		if err != nil {
			return row, err
		}
		row.ResolvedOn = &on
	}
	for i, n := range b.Progress {
		on, err := exportDay(what, fmt.Sprintf("progress[%d].on", i), n.On)
		if err != nil {
			return row, err
		}
		row.ProgressOn = append(row.ProgressOn, on)
		row.ProgressText = append(row.ProgressText, n.Text)
		row.ProgressAuthor = append(row.ProgressAuthor, n.Author)
	}
	if v := b.ValueAtStake; v != nil {
		row.HasValue, row.ValueAtStake, row.Currency = true, v.Amount, v.Currency
	}
	return row, nil
}

func barrierStatusRow(e events.BarrierStatusChangedV1, env events.Envelope, eventID uuid.UUID, seq uint64) (analytics.BarrierStatusRow, error) {
	on, err := exportDay("barrier "+e.Barrier.ID, "effective_on", e.EffectiveOn)
	if err != nil {
		return analytics.BarrierStatusRow{}, err
	}
	return analytics.BarrierStatusRow{
		BarrierID: canonicalID(e.Barrier.ID), Version: uint32(max(e.Barrier.Version, 0)), From: e.From, To: e.To,
		EffectiveOn: on, Actor: env.Actor, Comment: e.Comment, Time: env.Time.UTC(), EventID: eventID, StreamSeq: seq,
	}, nil
}

// exportDay is day, refusing days a ClickHouse Date cannot hold (the driver
// would store them wrapped around rather than fail).
func exportDay(what, field, s string) (time.Time, error) {
	t, err := day(what, field, s)
	if err == nil && !inDateRange(t) {
		err = fmt.Errorf("%w: %s %s %q is outside 1970-01-01 to 2105-12-31", events.ErrDecode, what, field, s)
	}
	return t, err
}

func inDateRange(t time.Time) bool {
	return t.Year() >= 1970 && t.Year() <= 2105
}

// canonicalID writes a UUID in its canonical lower-case form, as
// decision_states.deal_ids holds it; anything else stays as it is.
func canonicalID(id string) string {
	if u, err := uuid.Parse(id); err == nil {
		return u.String()
	}
	return id
}

// prefix is the first n characters of s, or s when it is shorter.
func prefix(s string, n int) string {
	if len(s) < n {
		return s
	}
	return s[:n]
}

// cutContacts is withoutContacts for data whose object names are plain
// ASCII without escapes, as encoding/json writes them: it reads the bytes
// without decoding them (the decoder has checked they are valid JSON).
// ok is false for any other data, which the token walk then redacts.
func cutContacts(data []byte) (out []byte, ok bool) {
	out = make([]byte, 0, len(data))
	end, ok := cutObject(data, skipSpace(data, 0), &out, "lead")
	return out, ok && skipSpace(data, end) == len(data)
}

// cutObject appends the object at data[i] to out without the members named
// drop (any case), or, when drop is "lead", with the contacts of its lead
// members cut. It returns the index after the object.
func cutObject(data []byte, i int, out *[]byte, drop string) (int, bool) {
	if i >= len(data) || data[i] != '{' {
		return 0, false
	}
	*out = append(*out, '{')
	i = skipSpace(data, i+1)
	read, wrote := false, false // a member read from data, written to out
	for i < len(data) && data[i] != '}' {
		if read {
			if data[i] != ',' {
				return 0, false
			}
			i = skipSpace(data, i+1)
		}
		read = true
		from := i
		name, next, ok := plainName(data, i)
		if !ok {
			return 0, false
		}
		i = skipSpace(data, next)
		if i >= len(data) || data[i] != ':' {
			return 0, false
		}
		i = skipSpace(data, i+1)
		match := asciiEqualFold(name, drop)
		if match && drop == "contacts" {
			if i, ok = skipJSON(data, i); !ok {
				return 0, false
			}
			i = skipSpace(data, i)
			continue
		}
		if wrote {
			*out = append(*out, ',')
		}
		wrote = true
		*out = append(*out, data[from:next]...)
		*out = append(*out, ':')
		if match && drop == "lead" && i < len(data) && data[i] == '{' {
			i, ok = cutObject(data, i, out, "contacts")
		} else {
			start := i
			if i, ok = skipJSON(data, i); ok {
				*out = append(*out, data[start:i]...)
			}
		}
		if !ok {
			return 0, false
		}
		i = skipSpace(data, i)
	}
	if i >= len(data) {
		return 0, false
	}
	*out = append(*out, '}')
	return i + 1, true
}

// plainName reads the object name at data[i]: its text and the index after
// its closing quote; ok is false unless it is printable ASCII without escapes.
func plainName(data []byte, i int) (name []byte, next int, ok bool) {
	if i >= len(data) || data[i] != '"' {
		return nil, 0, false
	}
	for j := i + 1; j < len(data); j++ {
		switch c := data[j]; {
		case c == '"':
			return data[i+1 : j], j + 1, true
		case c == '\\' || c < 0x20 || c >= 0x80:
			return nil, 0, false
		}
	}
	return nil, 0, false
}

// skipJSON returns the index after the JSON value at data[i], which is valid.
func skipJSON(data []byte, i int) (int, bool) {
	if i >= len(data) {
		return 0, false
	}
	switch data[i] {
	case '"':
		for j := i + 1; j < len(data); j++ {
			switch data[j] {
			case '\\':
				j++
			case '"':
				return j + 1, true
			}
		}
		return 0, false
	case '{', '[':
		depth := 0
		for j := i; j < len(data); j++ {
			switch data[j] {
			case '"':
				end, ok := skipJSON(data, j)
				if !ok {
					return 0, false
				}
				j = end - 1
			case '{', '[':
				depth++
			case '}', ']':
				if depth--; depth == 0 {
					return j + 1, true
				}
			}
		}
		return 0, false
	}
	j := i // a number, true, false or null
	for j < len(data) && !isSpace(data[j]) && data[j] != ',' && data[j] != '}' && data[j] != ']' {
		j++
	}
	return j, j > i
}

func skipSpace(data []byte, i int) int {
	for i < len(data) && isSpace(data[i]) {
		i++
	}
	return i
}

func isSpace(c byte) bool { return c == ' ' || c == '\t' || c == '\n' || c == '\r' }

// asciiEqualFold reports whether name is word (lower-case ASCII) in any case.
func asciiEqualFold(name []byte, word string) bool {
	if len(name) != len(word) {
		return false
	}
	for i := range name {
		if name[i]|0x20 != word[i] {
			return false
		}
	}
	return true
}
