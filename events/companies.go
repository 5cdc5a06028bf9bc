package events

import (
	"fmt"
	"time"
)

// Company event types (issue 18): the shared register of investors and
// foreign buyers that leads and deals pick from.
const (
	TypeCompanyCreated = "econdip.company.created.v1"
	TypeCompanyUpdated = "econdip.company.updated.v1"
	TypeCompanyMerged  = "econdip.company.merged.v1"
)

// CompanyV1 is the full state of a company after an event; the last event
// of a company is its current state. Contacts are personal data: they stay
// in the COMPANIES stream and never reach ClickHouse or a log (Redacted).
type CompanyV1 struct {
	ID        string `json:"id"` // uuid
	Version   int    `json:"version"`
	Name      string `json:"name"`       // in the company's own script
	NameLatin string `json:"name_latin"` // the Latin form (given, or transliterated)
	Country   string `json:"country"`    // ISO 3166-1 alpha-2
	RegNumber string `json:"reg_number,omitempty"`
	Website   string `json:"website,omitempty"`
	// Aliases are other spellings: typed by users, or the names of the
	// companies merged into this one.
	Aliases  []string  `json:"aliases"`
	Contacts []Contact `json:"contacts,omitempty"`
	// MergedInto is set on a company absorbed by another: the survivor's id.
	MergedInto string    `json:"merged_into,omitempty"`
	CreatedBy  string    `json:"created_by"`
	CreatedAt  time.Time `json:"created_at"`
	UpdatedAt  time.Time `json:"updated_at"`
}

// Validate checks what a consumer relies on; the producer validated the rest.
func (c CompanyV1) Validate() error {
	switch {
	case c.ID == "":
		return fmt.Errorf("company.id is empty")
	case c.Version < 1:
		return fmt.Errorf("company.version %d is below 1", c.Version)
	case c.Name == "":
		return fmt.Errorf("company.name is empty")
	case len(c.Country) != 2:
		return fmt.Errorf("company.country %q is not an ISO 3166-1 alpha-2 code", c.Country)
	case c.CreatedAt.IsZero() || c.UpdatedAt.IsZero():
		return fmt.Errorf("company.created_at and company.updated_at are required")
	}
	return nil
}

// Redacted returns the company without personal data, for projections and logs.
func (c CompanyV1) Redacted() CompanyV1 {
	c.Contacts = nil
	return c
}

// CompanySnapshot is implemented by every company event.
type CompanySnapshot interface {
	Event
	State() CompanyV1
}

// CompanyCreatedV1 records a new company.
type CompanyCreatedV1 struct {
	Company CompanyV1 `json:"company"`
}

// CompanyUpdatedV1 records changed fields of a company. A merge adds the
// absorbed company's names to the survivor's aliases with this event
// (changed ["aliases"], Absorbed naming the absorbed company).
type CompanyUpdatedV1 struct {
	Company CompanyV1 `json:"company"`
	Changed []string  `json:"changed"`
	// Absorbed is the id of the company whose names a merge added.
	Absorbed string `json:"absorbed,omitempty"`
}

// CompanyRef names a company by id and its names at the time of an event.
type CompanyRef struct {
	ID        string `json:"id"`
	Name      string `json:"name"`
	NameLatin string `json:"name_latin"`
}

// CompanyMergedV1 records that a company was absorbed by another: it is
// stored on the absorbed company (its state has MergedInto set), and
// carries the survivor's names so that the services holding records of
// the absorbed company re-point them without a lookup.
type CompanyMergedV1 struct {
	Company CompanyV1  `json:"company"`
	Into    CompanyRef `json:"into"`
}

func (CompanyCreatedV1) EventType() string { return TypeCompanyCreated }
func (CompanyUpdatedV1) EventType() string { return TypeCompanyUpdated }
func (CompanyMergedV1) EventType() string  { return TypeCompanyMerged }

func (e CompanyCreatedV1) State() CompanyV1 { return e.Company }
func (e CompanyUpdatedV1) State() CompanyV1 { return e.Company }
func (e CompanyMergedV1) State() CompanyV1  { return e.Company }

func (e CompanyCreatedV1) Validate() error { return e.Company.Validate() }
func (e CompanyUpdatedV1) Validate() error { return e.Company.Validate() }
func (e CompanyMergedV1) Validate() error {
	if e.Into.ID == "" || e.Into.ID != e.Company.MergedInto {
		return fmt.Errorf("into.id %q differs from company.merged_into %q", e.Into.ID, e.Company.MergedInto)
	}
	if e.Into.ID == e.Company.ID {
		return fmt.Errorf("a company cannot be merged into itself")
	}
	return e.Company.Validate()
}

func init() {
	register(func() Event { return &CompanyCreatedV1{} })
	register(func() Event { return &CompanyUpdatedV1{} })
	register(func() Event { return &CompanyMergedV1{} })
}
