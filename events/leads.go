package events

import (
	"fmt"
	"time"

	"github.com/shopspring/decimal"

	"econdip/services/platform/kernel"
)

// Lead event types. The version is part of the name.
const (
	TypeLeadCreated      = "econdip.lead.created.v1"
	TypeLeadUpdated      = "econdip.lead.updated.v1"
	TypeLeadStageChanged = "econdip.lead.stage_changed.v1"
)

// Money is the kernel's Money under the contract's own name, so an event
// field reads events.Money beside the other contract types; it is the same
// type (an alias), with the same JSON: the amount travels as a string.
type Money = kernel.Money

// Contact is a person at the investor. Personal data: it stays in the
// operational store (the LEADS stream) and is never projected into ClickHouse
// or written to logs.
type Contact struct {
	Name  string `json:"name"`
	Email string `json:"email,omitempty"`
	Phone string `json:"phone,omitempty"`
	Role  string `json:"role,omitempty"`
}

// LeadV1 is the full state of an investor lead after an event. Every lead
// event carries it, so the last event of a lead is its current state and a
// projection never needs earlier events.
type LeadV1 struct {
	ID      string `json:"id"`
	Version int    `json:"version"`
	Post    string `json:"post"`
	Attache string `json:"attache"`
	// InvestorID is the investor's company in the register (issue 18);
	// InvestorName and InvestorCountry stay as its display copy. Empty on
	// leads recorded before the register, until the migration links them.
	InvestorID           string          `json:"investor_id,omitempty"`
	InvestorName         string          `json:"investor_name"`
	InvestorCountry      string          `json:"investor_country"`
	Title                string          `json:"title"`
	Sector               string          `json:"sector,omitempty"`
	Clauses              []string        `json:"clauses"`
	TargetRegion         string          `json:"target_region,omitempty"`
	InvestmentType       string          `json:"investment_type"`
	Capex                Money           `json:"capex"`
	ExpectedJobs         int             `json:"expected_jobs"`
	TechTransfer         bool            `json:"tech_transfer"`
	Green                bool            `json:"green"`
	ExpectedDecisionDate string          `json:"expected_decision_date,omitempty"` // YYYY-MM-DD
	Source               string          `json:"source"`
	SourceRef            string          `json:"source_ref,omitempty"`
	Stage                string          `json:"stage"`
	Probability          decimal.Decimal `json:"probability"` // 0..1, the stage's default unless set
	LostReason           string          `json:"lost_reason,omitempty"`
	CompetingCountry     string          `json:"competing_country,omitempty"`
	Contacts             []Contact       `json:"contacts,omitempty"`
	CreatedAt            time.Time       `json:"created_at"`
	UpdatedAt            time.Time       `json:"updated_at"`
	StageChangedAt       time.Time       `json:"stage_changed_at"`
	// StageEffectiveOn is the Astana day (YYYY-MM-DD) the current stage took
	// effect, for identified the day the lead was identified: an attaché may
	// record last week's signing today. Events from before the field lack it;
	// read it through StageDay.
	StageEffectiveOn string `json:"stage_effective_on,omitempty"`
}

// StageDay is the Astana day (YYYY-MM-DD) the current stage took effect:
// StageEffectiveOn, or for older events that lack it the Astana day of
// StageChangedAt, which is what they meant. It is "" only when both are missing.
func (l LeadV1) StageDay() string {
	if l.StageEffectiveOn != "" {
		return l.StageEffectiveOn
	}
	if l.StageChangedAt.IsZero() {
		return ""
	}
	return kernel.AstanaDay(l.StageChangedAt).String()
}

// Validate checks what a consumer relies on; the producer validated the rest.
func (l LeadV1) Validate() error {
	switch {
	case l.ID == "":
		return fmt.Errorf("lead.id is empty")
	case l.Version < 1:
		return fmt.Errorf("lead.version %d is below 1", l.Version)
	case l.Post == "":
		return fmt.Errorf("lead.post is empty")
	case l.Stage == "":
		return fmt.Errorf("lead.stage is empty")
	case len(l.Capex.Currency) != 3:
		return fmt.Errorf("lead.capex.currency %q is not an ISO 4217 code", l.Capex.Currency)
	case l.CreatedAt.IsZero() || l.UpdatedAt.IsZero():
		return fmt.Errorf("lead.created_at and lead.updated_at are required")
	}
	if l.StageEffectiveOn != "" {
		if _, err := time.Parse(time.DateOnly, l.StageEffectiveOn); err != nil {
			return fmt.Errorf("lead.stage_effective_on %q is not a YYYY-MM-DD day", l.StageEffectiveOn)
		}
	}
	return nil
}

// Redacted returns the lead without personal data, for projections and logs.
func (l LeadV1) Redacted() LeadV1 {
	l.Contacts = nil
	return l
}

// LeadSnapshot is implemented by every lead event.
type LeadSnapshot interface {
	Event
	State() LeadV1
}

// LeadCreatedV1 records a new investor lead.
type LeadCreatedV1 struct {
	Lead LeadV1 `json:"lead"`
}

// LeadUpdatedV1 records changed fields of a lead (not its stage).
type LeadUpdatedV1 struct {
	Lead    LeadV1   `json:"lead"`
	Changed []string `json:"changed"`
}

// LeadStageChangedV1 records a move through the pipeline.
type LeadStageChangedV1 struct {
	Lead    LeadV1 `json:"lead"`
	From    string `json:"from"`
	To      string `json:"to"`
	Comment string `json:"comment,omitempty"`
}

func (LeadCreatedV1) EventType() string      { return TypeLeadCreated }
func (LeadUpdatedV1) EventType() string      { return TypeLeadUpdated }
func (LeadStageChangedV1) EventType() string { return TypeLeadStageChanged }

func (e LeadCreatedV1) State() LeadV1      { return e.Lead }
func (e LeadUpdatedV1) State() LeadV1      { return e.Lead }
func (e LeadStageChangedV1) State() LeadV1 { return e.Lead }

func (e LeadCreatedV1) Validate() error { return e.Lead.Validate() }
func (e LeadUpdatedV1) Validate() error { return e.Lead.Validate() }
func (e LeadStageChangedV1) Validate() error {
	if e.To != e.Lead.Stage {
		return fmt.Errorf("to %q differs from lead.stage %q", e.To, e.Lead.Stage)
	}
	return e.Lead.Validate()
}

func init() {
	register(func() Event { return &LeadCreatedV1{} })
	register(func() Event { return &LeadUpdatedV1{} })
	register(func() Event { return &LeadStageChangedV1{} })
}
