package httpapi

import (
	"time"

	"econdip/services/commissions/app"
	"econdip/services/commissions/domain"
	"econdip/services/platform/httpx"
	"econdip/services/platform/kernel"
)

// CommissionRequest creates (POST) or changes (PUT, with version) a commission.
type CommissionRequest struct {
	Version           *int   `json:"version,omitempty"`
	ID                string `json:"id"`
	Name              string `json:"name"`
	PartnerCountry    string `json:"partner_country"`
	KazakhCoChair     string `json:"kazakh_co_chair"`
	SecretariatAgency string `json:"secretariat_agency"`
	PartnerCoChair    string `json:"partner_co_chair"`
}

func (r CommissionRequest) input() domain.CommissionInput {
	return domain.CommissionInput{ID: r.ID, Name: r.Name, PartnerCountry: r.PartnerCountry, KazakhCoChair: r.KazakhCoChair,
		SecretariatAgency: r.SecretariatAgency, PartnerCoChair: r.PartnerCoChair}
}

// CommissionJSON is a commission as the API returns it.
type CommissionJSON struct {
	ID                string    `json:"id"`
	Version           int       `json:"version"`
	Name              string    `json:"name"`
	PartnerCountry    string    `json:"partner_country"`
	KazakhCoChair     string    `json:"kazakh_co_chair"`
	SecretariatAgency string    `json:"secretariat_agency"`
	PartnerCoChair    string    `json:"partner_co_chair"`
	CreatedAt         time.Time `json:"created_at"`
	UpdatedAt         time.Time `json:"updated_at"`
}

// CommissionToJSON is the API form of a commission.
func CommissionToJSON(c domain.Commission) CommissionJSON {
	return CommissionJSON{ID: c.ID, Version: c.Version, Name: c.Name, PartnerCountry: c.PartnerCountry,
		KazakhCoChair: c.KazakhCoChair, SecretariatAgency: c.SecretariatAgency, PartnerCoChair: c.PartnerCoChair,
		CreatedAt: c.CreatedAt, UpdatedAt: c.UpdatedAt}
}

// DecisionRequest is one decision of a protocol.
type DecisionRequest struct {
	Item     string           `json:"item"`
	Text     string           `json:"text"`
	Agencies []string         `json:"agencies,omitempty"`
	Deadline string           `json:"deadline"`
	Sector   string           `json:"sector"`
	Clauses  []string         `json:"clauses,omitempty"`
	Value    *httpx.MoneyJSON `json:"value,omitempty"`
	LeadIDs  []string         `json:"lead_ids,omitempty"`
}

// ProtocolRequest is a session with its decisions, recorded all or nothing.
type ProtocolRequest struct {
	Number      int               `json:"number"`
	Date        string            `json:"date"`
	Place       string            `json:"place"`
	ProtocolRef string            `json:"protocol_ref"`
	Decisions   []DecisionRequest `json:"decisions,omitempty"`
}

// Input is the domain form of the request.
func (r ProtocolRequest) Input() domain.SessionInput {
	in := domain.SessionInput{Number: r.Number, Date: r.Date, Place: r.Place, ProtocolRef: r.ProtocolRef}
	for _, d := range r.Decisions {
		di := domain.DecisionInput{Item: d.Item, Text: d.Text, Agencies: d.Agencies, Deadline: d.Deadline,
			Sector: d.Sector, Clauses: d.Clauses, LeadIDs: d.LeadIDs}
		if d.Value != nil {
			di.ValueAmount, di.ValueCurrency = string(d.Value.Amount), d.Value.Currency
		}
		in.Decisions = append(in.Decisions, di)
	}
	return in
}

// SessionJSON is a session.
type SessionJSON struct {
	ID           string    `json:"id"`
	CommissionID string    `json:"commission_id"`
	Number       int       `json:"number"`
	Date         string    `json:"date"`
	Place        string    `json:"place"`
	ProtocolRef  string    `json:"protocol_ref,omitempty"`
	DecisionIDs  []string  `json:"decision_ids"`
	CreatedAt    time.Time `json:"created_at"`
}

// SessionToJSON is the API form of a session.
func SessionToJSON(s domain.Session) SessionJSON {
	return SessionJSON{ID: s.ID, CommissionID: s.CommissionID, Number: s.Number, Date: s.Date.String(), Place: s.Place,
		ProtocolRef: s.ProtocolRef, DecisionIDs: s.DecisionIDs, CreatedAt: s.CreatedAt}
}

// DecisionJSON is a decision with the facts derived as of today (Astana).
type DecisionJSON struct {
	ID             string           `json:"id"`
	Version        int              `json:"version"`
	CommissionID   string           `json:"commission_id"`
	PartnerCountry string           `json:"partner_country"`
	SessionID      string           `json:"session_id"`
	SessionNumber  int              `json:"session_number"`
	SessionDate    string           `json:"session_date"`
	Item           string           `json:"item"`
	Text           string           `json:"text"`
	Agencies       []string         `json:"agencies"`
	Deadline       string           `json:"deadline"`
	Sector         string           `json:"sector,omitempty"`
	Clauses        []string         `json:"clauses"`
	Value          *httpx.MoneyJSON `json:"value,omitempty"`
	LeadIDs        []string         `json:"lead_ids"`
	DealIDs        []string         `json:"deal_ids"`
	Status         string           `json:"status"`
	StatusDate     string           `json:"status_date"`
	DoneOn         string           `json:"done_on,omitempty"`
	AsOf           string           `json:"as_of"`
	Overdue        bool             `json:"overdue"`
	DoneLate       bool             `json:"done_late"`
	DaysLate       int              `json:"days_late"`
	NextStatuses   []string         `json:"next_statuses"`
	CreatedAt      time.Time        `json:"created_at"`
	UpdatedAt      time.Time        `json:"updated_at"`
}

// DecisionToJSON is the API form of a decision as of today.
func DecisionToJSON(d domain.Decision, today kernel.Day) DecisionJSON {
	out := DecisionJSON{ID: d.ID, Version: d.Version, CommissionID: d.CommissionID, PartnerCountry: d.PartnerCountry,
		SessionID: d.SessionID, SessionNumber: d.SessionNumber, SessionDate: d.SessionDate.String(), Item: d.Item, Text: d.Text,
		Agencies: d.Agencies, Deadline: d.Deadline.String(), Sector: d.Sector, Clauses: d.Clauses, LeadIDs: d.LeadIDs,
		DealIDs: d.DealIDs, Status: string(d.Status), StatusDate: d.StatusDate.String(), DoneOn: d.DoneOn.String(),
		AsOf: today.String(), Overdue: d.Overdue(today), DoneLate: d.DoneLate(), DaysLate: d.DaysLate(today),
		NextStatuses: []string{}, CreatedAt: d.CreatedAt, UpdatedAt: d.UpdatedAt}
	if d.Value != nil {
		out.Value = &httpx.MoneyJSON{Amount: httpx.NumberText(d.Value.Amount.String()), Currency: d.Value.Currency}
	}
	for _, s := range domain.NextStatuses(d.Status) {
		out.NextStatuses = append(out.NextStatuses, string(s))
	}
	return out
}

// ProtocolJSON is a session with its decisions.
type ProtocolJSON struct {
	Session   SessionJSON    `json:"session"`
	Decisions []DecisionJSON `json:"decisions"`
	CSV       *CSVReadJSON   `json:"csv,omitempty"` // how an imported file was read
}

// CSVReadJSON says how a protocol's CSV file was read.
type CSVReadJSON struct {
	Separator   string `json:"separator"`    // "," or ";"
	DecimalMark string `json:"decimal_mark"` // "." or ","
	BOM         bool   `json:"bom"`
	ReadAs      string `json:"read_as"` // "comma" or "semicolon"
}

func protocolToJSON(p app.Protocol, today kernel.Day) ProtocolJSON {
	out := ProtocolJSON{Session: SessionToJSON(p.Session), Decisions: []DecisionJSON{}}
	for _, d := range p.Decisions {
		out.Decisions = append(out.Decisions, DecisionToJSON(d, today))
	}
	return out
}

// StatusRequest changes a decision's status.
type StatusRequest struct {
	Version     *int   `json:"version,omitempty"`
	Status      string `json:"status"`
	EffectiveOn string `json:"effective_on"`
	Comment     string `json:"comment"`
	EvidenceRef string `json:"evidence_ref"`
}

// LinkRequest links a decision to a lead or deal it led to.
type LinkRequest struct {
	Version  *int   `json:"version,omitempty"`
	Kind     string `json:"kind"`
	TargetID string `json:"target_id"`
}

// ChangeJSON is one entry of a decision's history.
type ChangeJSON struct {
	EventID     string    `json:"event_id"`
	Type        string    `json:"type"`
	Actor       string    `json:"actor"`
	Time        time.Time `json:"time"`
	Version     int       `json:"version"`
	From        string    `json:"from,omitempty"`
	To          string    `json:"to,omitempty"`
	EffectiveOn string    `json:"effective_on,omitempty"`
	Comment     string    `json:"comment,omitempty"`
	EvidenceRef string    `json:"evidence_ref,omitempty"`
	LinkKind    string    `json:"link_kind,omitempty"`
	LinkTarget  string    `json:"link_target,omitempty"`
}
