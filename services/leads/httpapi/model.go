package httpapi

import (
	"time"

	"econdip/services/leads/domain"
	"econdip/services/platform/httpx"
)

// ContactJSON is a contact person.
type ContactJSON struct {
	Name  string `json:"name"`
	Email string `json:"email,omitempty"`
	Phone string `json:"phone,omitempty"`
	Role  string `json:"role,omitempty"`
}

// LeadJSON is a lead as the API returns it.
type LeadJSON struct {
	ID                   string          `json:"id"`
	Version              int             `json:"version"`
	Post                 string          `json:"post"`
	Attache              string          `json:"attache"`
	InvestorID           string          `json:"investor_id,omitempty"`
	InvestorName         string          `json:"investor_name"`
	InvestorCountry      string          `json:"investor_country"`
	Title                string          `json:"title"`
	Sector               string          `json:"sector,omitempty"`
	Clauses              []string        `json:"clauses"`
	TargetRegion         string          `json:"target_region,omitempty"`
	InvestmentType       string          `json:"investment_type"`
	Capex                httpx.MoneyJSON `json:"capex"`
	ExpectedJobs         int             `json:"expected_jobs"`
	TechTransfer         bool            `json:"tech_transfer"`
	Green                bool            `json:"green"`
	ExpectedDecisionDate string          `json:"expected_decision_date,omitempty"`
	Source               string          `json:"source"`
	SourceRef            string          `json:"source_ref,omitempty"`
	Stage                string          `json:"stage"`
	Probability          string          `json:"probability"`
	LostReason           string          `json:"lost_reason,omitempty"`
	CompetingCountry     string          `json:"competing_country,omitempty"`
	Contacts             []ContactJSON   `json:"contacts,omitempty"`
	CreatedAt            time.Time       `json:"created_at"`
	UpdatedAt            time.Time       `json:"updated_at"`
	StageChangedAt       time.Time       `json:"stage_changed_at"`
	StageEffectiveOn     string          `json:"stage_effective_on"` // YYYY-MM-DD, Astana day the stage took effect
}

// CreateRequest is the body of POST /api/v1/leads.
type CreateRequest struct {
	InvestorID           string          `json:"investor_id"` // a company of the register: fills investor_name and investor_country
	InvestorName         string          `json:"investor_name"`
	InvestorCountry      string          `json:"investor_country"`
	Title                string          `json:"title"`
	Sector               string          `json:"sector"`
	Clauses              []string        `json:"clauses,omitempty"`
	TargetRegion         string          `json:"target_region"`
	InvestmentType       string          `json:"investment_type"`
	Capex                httpx.MoneyJSON `json:"capex"`
	ExpectedJobs         int             `json:"expected_jobs"`
	TechTransfer         bool            `json:"tech_transfer"`
	Green                bool            `json:"green"`
	ExpectedDecisionDate string          `json:"expected_decision_date"`
	Source               string          `json:"source"`
	SourceRef            string          `json:"source_ref"`
	Contacts             []ContactJSON   `json:"contacts,omitempty"`
	IdentifiedOn         string          `json:"identified_on"` // YYYY-MM-DD; empty: today
}

// PatchRequest is the body of PATCH /api/v1/leads/:id: the version read, and
// the fields to change. A field left out keeps its value; null is refused
// (DecodeStrict), so a change is never dropped in silence.
type PatchRequest struct {
	Version              *int             `json:"version,omitempty"`
	InvestorID           *string          `json:"investor_id,omitempty"`
	InvestorName         *string          `json:"investor_name,omitempty"`
	InvestorCountry      *string          `json:"investor_country,omitempty"`
	Title                *string          `json:"title,omitempty"`
	Sector               *string          `json:"sector,omitempty"`
	Clauses              *[]string        `json:"clauses,omitempty"`
	TargetRegion         *string          `json:"target_region,omitempty"`
	InvestmentType       *string          `json:"investment_type,omitempty"`
	Capex                *httpx.MoneyJSON `json:"capex,omitempty"`
	ExpectedJobs         *int             `json:"expected_jobs,omitempty"`
	TechTransfer         *bool            `json:"tech_transfer,omitempty"`
	Green                *bool            `json:"green,omitempty"`
	ExpectedDecisionDate *string          `json:"expected_decision_date,omitempty"`
	Source               *string          `json:"source,omitempty"`
	SourceRef            *string          `json:"source_ref,omitempty"`
	Contacts             *[]ContactJSON   `json:"contacts,omitempty"`
}

// MoveRequest is the body of POST /api/v1/leads/:id/stage.
type MoveRequest struct {
	Version          *int   `json:"version,omitempty"`
	Stage            string `json:"stage"`
	EffectiveOn      string `json:"effective_on"` // YYYY-MM-DD, the day the move took effect; empty: today
	LostReason       string `json:"lost_reason"`
	CompetingCountry string `json:"competing_country"`
	Comment          string `json:"comment"`
}

func (r CreateRequest) details() domain.Details {
	return domain.Details{
		InvestorID: r.InvestorID, InvestorName: r.InvestorName, InvestorCountry: r.InvestorCountry, Title: r.Title, Sector: r.Sector,
		Clauses: r.Clauses, TargetRegion: r.TargetRegion, InvestmentType: r.InvestmentType,
		CapexAmount: string(r.Capex.Amount), CapexCurrency: r.Capex.Currency, ExpectedJobs: r.ExpectedJobs,
		TechTransfer: r.TechTransfer, Green: r.Green, ExpectedDecisionDate: r.ExpectedDecisionDate,
		Source: r.Source, SourceRef: r.SourceRef, Contacts: contactsIn(r.Contacts), IdentifiedOn: r.IdentifiedOn,
	}
}

func set[T any](dst *T, src *T) {
	if src != nil {
		*dst = *src
	}
}

func (r PatchRequest) apply(d *domain.Details) {
	set(&d.InvestorID, r.InvestorID)
	set(&d.InvestorName, r.InvestorName)
	set(&d.InvestorCountry, r.InvestorCountry)
	set(&d.Title, r.Title)
	set(&d.Sector, r.Sector)
	set(&d.Clauses, r.Clauses)
	set(&d.TargetRegion, r.TargetRegion)
	set(&d.InvestmentType, r.InvestmentType)
	if r.Capex != nil {
		d.CapexAmount, d.CapexCurrency = string(r.Capex.Amount), r.Capex.Currency
	}
	set(&d.ExpectedJobs, r.ExpectedJobs)
	set(&d.TechTransfer, r.TechTransfer)
	set(&d.Green, r.Green)
	set(&d.ExpectedDecisionDate, r.ExpectedDecisionDate)
	set(&d.Source, r.Source)
	set(&d.SourceRef, r.SourceRef)
	if r.Contacts != nil {
		d.Contacts = contactsIn(*r.Contacts)
	}
}

func contactsIn(in []ContactJSON) []domain.Contact {
	out := make([]domain.Contact, len(in))
	for i, c := range in {
		out[i] = domain.Contact{Name: c.Name, Email: c.Email, Phone: c.Phone, Role: c.Role}
	}
	return out
}

// ToJSON is the API form of a lead.
func ToJSON(l domain.Lead) LeadJSON {
	var contacts []ContactJSON
	for _, c := range l.Contacts {
		contacts = append(contacts, ContactJSON{Name: c.Name, Email: c.Email, Phone: c.Phone, Role: c.Role})
	}
	clauses := l.Clauses
	if clauses == nil {
		clauses = []string{}
	}
	return LeadJSON{
		ID: l.ID, Version: l.Version, Post: l.Post, Attache: l.Attache, InvestorID: l.InvestorID, InvestorName: l.InvestorName,
		InvestorCountry: l.InvestorCountry, Title: l.Title, Sector: l.Sector, Clauses: clauses,
		TargetRegion: l.TargetRegion, InvestmentType: l.InvestmentType,
		Capex:        httpx.MoneyJSON{Amount: httpx.NumberText(l.Capex.Amount.String()), Currency: l.Capex.Currency},
		ExpectedJobs: l.ExpectedJobs, TechTransfer: l.TechTransfer, Green: l.Green,
		ExpectedDecisionDate: l.ExpectedDecisionDate.String(), Source: l.Source, SourceRef: l.SourceRef,
		Stage: string(l.Stage), Probability: l.Probability.String(), LostReason: l.LostReason,
		CompetingCountry: l.CompetingCountry, Contacts: contacts,
		CreatedAt: l.CreatedAt, UpdatedAt: l.UpdatedAt, StageChangedAt: l.StageChangedAt, StageEffectiveOn: l.StageEffectiveOn.String(),
	}
}
