package events

import (
	"fmt"
	"time"

	"github.com/shopspring/decimal"
)

// Export deal, exporter and trade barrier event types.
const (
	TypeExporterRegistered   = "econdip.exporter.registered.v1"
	TypeDealCreated          = "econdip.deal.created.v1"
	TypeDealUpdated          = "econdip.deal.updated.v1"
	TypeDealStageChanged     = "econdip.deal.stage_changed.v1"
	TypeBarrierReported      = "econdip.barrier.reported.v1"
	TypeBarrierUpdated       = "econdip.barrier.updated.v1"
	TypeBarrierStatusChanged = "econdip.barrier.status_changed.v1"
)

// ExporterV1 is a Kazakh exporting company.
type ExporterV1 struct {
	BIN          string    `json:"bin"` // 12-digit business identification number
	Version      int       `json:"version"`
	Name         string    `json:"name"`
	Region       string    `json:"region,omitempty"` // ISO 3166-2:KZ
	RegisteredBy string    `json:"registered_by"`
	CreatedAt    time.Time `json:"created_at"`
	UpdatedAt    time.Time `json:"updated_at"`
}

// DealV1 is the full state of an export deal after an event. Sector and
// raw/non-raw are not in the event: analytics derive them from the HS code
// through the editable mapping, so a changed mapping reclassifies every deal.
type DealV1 struct {
	ID           string `json:"id"`
	Version      int    `json:"version"`
	Post         string `json:"post"`
	Attache      string `json:"attache"`
	ExporterBIN  string `json:"exporter_bin"`
	ExporterName string `json:"exporter_name"`
	BuyerCountry string `json:"buyer_country"`
	BuyerName    string `json:"buyer_name,omitempty"`
	// BuyerID is the buyer's company in the register (issue 18); BuyerName
	// stays as its display copy.
	BuyerID        string           `json:"buyer_id,omitempty"`
	HSCode         string           `json:"hs_code"` // 6 digits, HS 2022
	Product        string           `json:"product,omitempty"`
	Value          Money            `json:"value"`
	Quantity       *decimal.Decimal `json:"quantity,omitempty"`
	Unit           string           `json:"unit,omitempty"`
	Stage          string           `json:"stage"`
	LostReason     string           `json:"lost_reason,omitempty"`
	Support        []string         `json:"support"`
	DecisionID     string           `json:"decision_id,omitempty"` // the IGC decision it followed from
	CommissionID   string           `json:"commission_id,omitempty"`
	ContractDate   string           `json:"contract_date,omitempty"` // YYYY-MM-DD, set when contracted
	Clauses        []string         `json:"clauses"`
	CreatedAt      time.Time        `json:"created_at"`
	UpdatedAt      time.Time        `json:"updated_at"`
	StageChangedAt time.Time        `json:"stage_changed_at"`
}

// Validate checks what consumers rely on.
func (d DealV1) Validate() error {
	switch {
	case d.ID == "" || d.Post == "" || d.Version < 1:
		return fmt.Errorf("deal needs id, post and a version of at least 1")
	case len(d.ExporterBIN) != 12:
		return fmt.Errorf("deal exporter_bin %q is not 12 digits", d.ExporterBIN)
	case len(d.HSCode) != 6:
		return fmt.Errorf("deal hs_code %q is not 6 digits", d.HSCode)
	case len(d.BuyerCountry) != 2:
		return fmt.Errorf("deal buyer_country %q is not ISO alpha-2", d.BuyerCountry)
	case len(d.Value.Currency) != 3:
		return fmt.Errorf("deal value currency %q is not ISO 4217", d.Value.Currency)
	case d.ContractDate != "" && !isDate(d.ContractDate):
		return fmt.Errorf("deal contract_date %q is not YYYY-MM-DD", d.ContractDate)
	case d.Stage == "":
		return fmt.Errorf("deal stage is empty")
	}
	return nil
}

// ProgressNote is a dated update on a barrier.
type ProgressNote struct {
	On     string `json:"on"` // YYYY-MM-DD
	Text   string `json:"text"`
	Author string `json:"author"`
}

// BarrierV1 is the full state of a trade barrier met by Kazakh producers.
type BarrierV1 struct {
	ID           string         `json:"id"`
	Version      int            `json:"version"`
	Post         string         `json:"post"`
	Attache      string         `json:"attache"`
	Country      string         `json:"country"`
	HSCodes      []string       `json:"hs_codes"`
	Type         string         `json:"type"` // tariff, sps, technical, procedural, discrimination
	Title        string         `json:"title"`
	Description  string         `json:"description"`
	ValueAtStake *Money         `json:"value_at_stake,omitempty"`
	Status       string         `json:"status"`
	LeadAgency   string         `json:"lead_agency"`
	Clauses      []string       `json:"clauses"`
	ReportedOn   string         `json:"reported_on"`           // YYYY-MM-DD
	ResolvedOn   string         `json:"resolved_on,omitempty"` // YYYY-MM-DD, when fully resolved
	Progress     []ProgressNote `json:"progress"`
	CreatedAt    time.Time      `json:"created_at"`
	UpdatedAt    time.Time      `json:"updated_at"`
}

// Validate checks what consumers rely on.
func (b BarrierV1) Validate() error {
	switch {
	case b.ID == "" || b.Post == "" || b.Version < 1:
		return fmt.Errorf("barrier needs id, post and a version of at least 1")
	case len(b.Country) != 2:
		return fmt.Errorf("barrier country %q is not ISO alpha-2", b.Country)
	case !isDate(b.ReportedOn):
		return fmt.Errorf("barrier reported_on %q is not YYYY-MM-DD", b.ReportedOn)
	case b.ResolvedOn != "" && !isDate(b.ResolvedOn):
		return fmt.Errorf("barrier resolved_on %q is not YYYY-MM-DD", b.ResolvedOn)
	case b.Status == "" || b.Type == "":
		return fmt.Errorf("barrier status and type are required")
	case b.ValueAtStake != nil && len(b.ValueAtStake.Currency) != 3:
		return fmt.Errorf("barrier value currency %q is not ISO 4217", b.ValueAtStake.Currency)
	}
	return nil
}

// ExporterRegisteredV1 records an exporter (again, with new details: the full state).
type ExporterRegisteredV1 struct {
	Exporter ExporterV1 `json:"exporter"`
}

// DealCreatedV1 records a new export deal.
type DealCreatedV1 struct {
	Deal DealV1 `json:"deal"`
}

// DealUpdatedV1 records changed details of a deal (not its stage).
type DealUpdatedV1 struct {
	Deal    DealV1   `json:"deal"`
	Changed []string `json:"changed"`
}

// DealStageChangedV1 records a move through the deal's stages.
type DealStageChangedV1 struct {
	Deal    DealV1 `json:"deal"`
	From    string `json:"from"`
	To      string `json:"to"`
	Comment string `json:"comment,omitempty"`
}

// BarrierReportedV1 records a new trade barrier.
type BarrierReportedV1 struct {
	Barrier BarrierV1 `json:"barrier"`
}

// BarrierUpdatedV1 records changed details or a progress note.
type BarrierUpdatedV1 struct {
	Barrier BarrierV1 `json:"barrier"`
	Changed []string  `json:"changed"`
}

// BarrierStatusChangedV1 records a status change, effective on a day.
type BarrierStatusChangedV1 struct {
	Barrier     BarrierV1 `json:"barrier"`
	From        string    `json:"from"`
	To          string    `json:"to"`
	EffectiveOn string    `json:"effective_on"`
	Comment     string    `json:"comment"`
}

// DealSnapshot and BarrierSnapshot are implemented by every deal and barrier event.
type DealSnapshot interface {
	Event
	State() DealV1
}

// BarrierSnapshot is implemented by every barrier event.
type BarrierSnapshot interface {
	Event
	State() BarrierV1
}

func (ExporterRegisteredV1) EventType() string   { return TypeExporterRegistered }
func (DealCreatedV1) EventType() string          { return TypeDealCreated }
func (DealUpdatedV1) EventType() string          { return TypeDealUpdated }
func (DealStageChangedV1) EventType() string     { return TypeDealStageChanged }
func (BarrierReportedV1) EventType() string      { return TypeBarrierReported }
func (BarrierUpdatedV1) EventType() string       { return TypeBarrierUpdated }
func (BarrierStatusChangedV1) EventType() string { return TypeBarrierStatusChanged }

func (e DealCreatedV1) State() DealV1             { return e.Deal }
func (e DealUpdatedV1) State() DealV1             { return e.Deal }
func (e DealStageChangedV1) State() DealV1        { return e.Deal }
func (e BarrierReportedV1) State() BarrierV1      { return e.Barrier }
func (e BarrierUpdatedV1) State() BarrierV1       { return e.Barrier }
func (e BarrierStatusChangedV1) State() BarrierV1 { return e.Barrier }

func (e ExporterRegisteredV1) Validate() error {
	if len(e.Exporter.BIN) != 12 || e.Exporter.Name == "" || e.Exporter.Version < 1 {
		return fmt.Errorf("exporter needs a 12-digit bin, a name and a version")
	}
	return nil
}
func (e DealCreatedV1) Validate() error { return e.Deal.Validate() }
func (e DealUpdatedV1) Validate() error { return e.Deal.Validate() }
func (e DealStageChangedV1) Validate() error {
	if e.To != e.Deal.Stage {
		return fmt.Errorf("to %q differs from deal.stage %q", e.To, e.Deal.Stage)
	}
	return e.Deal.Validate()
}
func (e BarrierReportedV1) Validate() error { return e.Barrier.Validate() }
func (e BarrierUpdatedV1) Validate() error  { return e.Barrier.Validate() }
func (e BarrierStatusChangedV1) Validate() error {
	if e.To != e.Barrier.Status || !isDate(e.EffectiveOn) {
		return fmt.Errorf("status change to %q on %q does not match barrier status %q", e.To, e.EffectiveOn, e.Barrier.Status)
	}
	return e.Barrier.Validate()
}

func init() {
	register(func() Event { return &ExporterRegisteredV1{} })
	register(func() Event { return &DealCreatedV1{} })
	register(func() Event { return &DealUpdatedV1{} })
	register(func() Event { return &DealStageChangedV1{} })
	register(func() Event { return &BarrierReportedV1{} })
	register(func() Event { return &BarrierUpdatedV1{} })
	register(func() Event { return &BarrierStatusChangedV1{} })
}
