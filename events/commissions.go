package events

import (
	"fmt"
	"time"
)

// Commission event types.
const (
	TypeCommissionRecorded    = "econdip.commission.recorded.v1"
	TypeSessionRecorded       = "econdip.session.recorded.v1"
	TypeDecisionRecorded      = "econdip.decision.recorded.v1"
	TypeDecisionStatusChanged = "econdip.decision.status_changed.v1"
	TypeDecisionLinked        = "econdip.decision.linked.v1"
)

// CommissionV1 is the full state of an intergovernmental commission.
type CommissionV1 struct {
	ID                string    `json:"id"` // e.g. "igc-cn"
	Version           int       `json:"version"`
	Name              string    `json:"name"`
	PartnerCountry    string    `json:"partner_country"`
	KazakhCoChair     string    `json:"kazakh_co_chair"`
	SecretariatAgency string    `json:"secretariat_agency"`
	PartnerCoChair    string    `json:"partner_co_chair"`
	CreatedAt         time.Time `json:"created_at"`
	UpdatedAt         time.Time `json:"updated_at"`
}

// SessionV1 is one session of a commission and the decisions its protocol records.
type SessionV1 struct {
	ID           string    `json:"id"`
	CommissionID string    `json:"commission_id"`
	Number       int       `json:"number"`
	Date         string    `json:"date"` // YYYY-MM-DD
	Place        string    `json:"place"`
	ProtocolRef  string    `json:"protocol_ref,omitempty"`
	DecisionIDs  []string  `json:"decision_ids"`
	CreatedAt    time.Time `json:"created_at"`
}

// DecisionV1 is the full state of a commission decision after an event.
// Overdue and done-late are not stored: they follow from Deadline and DoneOn.
type DecisionV1 struct {
	ID             string    `json:"id"`
	Version        int       `json:"version"`
	CommissionID   string    `json:"commission_id"`
	PartnerCountry string    `json:"partner_country"`
	SessionID      string    `json:"session_id"`
	SessionNumber  int       `json:"session_number"`
	SessionDate    string    `json:"session_date"`
	Item           string    `json:"item"` // the protocol's item number, e.g. "3.2"
	Text           string    `json:"text"`
	Agencies       []string  `json:"agencies"`
	Deadline       string    `json:"deadline"` // YYYY-MM-DD, Astana time
	Sector         string    `json:"sector,omitempty"`
	Clauses        []string  `json:"clauses"`
	Value          *Money    `json:"value,omitempty"`
	LeadIDs        []string  `json:"lead_ids"`
	DealIDs        []string  `json:"deal_ids"`
	Status         string    `json:"status"`
	StatusDate     string    `json:"status_date"`       // day the current status took effect
	DoneOn         string    `json:"done_on,omitempty"` // day it was done
	CreatedAt      time.Time `json:"created_at"`
	UpdatedAt      time.Time `json:"updated_at"`
}

// Validate checks what consumers rely on.
func (d DecisionV1) Validate() error {
	switch {
	case d.ID == "" || d.CommissionID == "" || d.SessionID == "":
		return fmt.Errorf("decision id, commission_id and session_id are required")
	case d.Version < 1:
		return fmt.Errorf("decision version %d is below 1", d.Version)
	case !isDate(d.Deadline) || !isDate(d.SessionDate) || !isDate(d.StatusDate):
		return fmt.Errorf("decision deadline, session_date and status_date must be YYYY-MM-DD")
	case d.DoneOn != "" && !isDate(d.DoneOn):
		return fmt.Errorf("decision done_on %q is not YYYY-MM-DD", d.DoneOn)
	case d.Status == "":
		return fmt.Errorf("decision status is empty")
	case d.Value != nil && len(d.Value.Currency) != 3:
		return fmt.Errorf("decision value currency %q is not ISO 4217", d.Value.Currency)
	}
	return nil
}

func isDate(s string) bool {
	_, err := time.Parse(time.DateOnly, s)
	return err == nil
}

// CommissionRecordedV1 records a commission or a change to it (the full state each time).
type CommissionRecordedV1 struct {
	Commission CommissionV1 `json:"commission"`
}

// SessionRecordedV1 records a session; its decisions are recorded by
// DecisionRecordedV1 events published in the same atomic batch.
type SessionRecordedV1 struct {
	Session SessionV1 `json:"session"`
}

// DecisionRecordedV1 records a decision of a session's protocol.
type DecisionRecordedV1 struct {
	Decision DecisionV1 `json:"decision"`
}

// DecisionStatusChangedV1 records a status change, effective on a day.
type DecisionStatusChangedV1 struct {
	Decision    DecisionV1 `json:"decision"`
	From        string     `json:"from"`
	To          string     `json:"to"`
	EffectiveOn string     `json:"effective_on"`
	Comment     string     `json:"comment"`
	EvidenceRef string     `json:"evidence_ref,omitempty"`
}

// DecisionLinkedV1 records that a decision led to an investor lead or an export deal.
type DecisionLinkedV1 struct {
	Decision DecisionV1 `json:"decision"`
	Kind     string     `json:"kind"` // "lead" or "deal"
	TargetID string     `json:"target_id"`
}

// DecisionSnapshot is implemented by every decision event.
type DecisionSnapshot interface {
	Event
	State() DecisionV1
}

func (CommissionRecordedV1) EventType() string    { return TypeCommissionRecorded }
func (SessionRecordedV1) EventType() string       { return TypeSessionRecorded }
func (DecisionRecordedV1) EventType() string      { return TypeDecisionRecorded }
func (DecisionStatusChangedV1) EventType() string { return TypeDecisionStatusChanged }
func (DecisionLinkedV1) EventType() string        { return TypeDecisionLinked }

func (e DecisionRecordedV1) State() DecisionV1      { return e.Decision }
func (e DecisionStatusChangedV1) State() DecisionV1 { return e.Decision }
func (e DecisionLinkedV1) State() DecisionV1        { return e.Decision }

func (e CommissionRecordedV1) Validate() error {
	c := e.Commission
	if c.ID == "" || len(c.PartnerCountry) != 2 || c.Version < 1 {
		return fmt.Errorf("commission needs id, version and a 2-letter partner_country")
	}
	return nil
}

func (e SessionRecordedV1) Validate() error {
	s := e.Session
	if s.ID == "" || s.CommissionID == "" || !isDate(s.Date) || s.Number < 1 {
		return fmt.Errorf("session needs id, commission_id, number and date")
	}
	return nil
}

func (e DecisionRecordedV1) Validate() error { return e.Decision.Validate() }
func (e DecisionStatusChangedV1) Validate() error {
	if e.To != e.Decision.Status || !isDate(e.EffectiveOn) {
		return fmt.Errorf("status change to %q on %q does not match decision status %q", e.To, e.EffectiveOn, e.Decision.Status)
	}
	return e.Decision.Validate()
}
func (e DecisionLinkedV1) Validate() error {
	if (e.Kind != "lead" && e.Kind != "deal") || e.TargetID == "" {
		return fmt.Errorf("link kind %q must be lead or deal, with a target_id", e.Kind)
	}
	return e.Decision.Validate()
}

func init() {
	register(func() Event { return &CommissionRecordedV1{} })
	register(func() Event { return &SessionRecordedV1{} })
	register(func() Event { return &DecisionRecordedV1{} })
	register(func() Event { return &DecisionStatusChangedV1{} })
	register(func() Event { return &DecisionLinkedV1{} })
}
