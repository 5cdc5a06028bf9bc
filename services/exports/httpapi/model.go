package httpapi

import (
	"time"

	"econdip/services/exports/app"
	"econdip/services/exports/domain"
	"econdip/services/platform/httpx"
)

// ExporterRequest is the body of POST /api/v1/exporters. Without a version
// it registers the BIN (or returns it as registered already); with the
// version read, it changes the registered name and region.
type ExporterRequest struct {
	Version *int   `json:"version,omitempty"`
	BIN     string `json:"bin"`
	Name    string `json:"name"`
	Region  string `json:"region"`
}

// ExporterJSON is an exporter as the API returns it.
type ExporterJSON struct {
	BIN          string    `json:"bin"`
	Version      int       `json:"version"`
	Name         string    `json:"name"`
	Region       string    `json:"region,omitempty"`
	RegisteredBy string    `json:"registered_by"`
	CreatedAt    time.Time `json:"created_at"`
	UpdatedAt    time.Time `json:"updated_at"`
}

// ExporterToJSON is the API form of an exporter.
func ExporterToJSON(e domain.Exporter) ExporterJSON {
	return ExporterJSON{BIN: e.BIN, Version: e.Version, Name: e.Name, Region: e.Region, RegisteredBy: e.RegisteredBy,
		CreatedAt: e.CreatedAt, UpdatedAt: e.UpdatedAt}
}

// DealRequest is the body of POST /api/v1/deals.
type DealRequest struct {
	ExporterBIN  string            `json:"exporter_bin"`
	BuyerID      string            `json:"buyer_id"` // a company of the register: fills buyer_name and buyer_country
	BuyerCountry string            `json:"buyer_country"`
	BuyerName    string            `json:"buyer_name"`
	HSCode       string            `json:"hs_code"`
	Product      string            `json:"product"`
	Value        httpx.MoneyJSON   `json:"value"`
	Quantity     *httpx.NumberText `json:"quantity,omitempty"`
	Unit         string            `json:"unit"`
	Support      []string          `json:"support,omitempty"`
	CommissionID string            `json:"commission_id"`
	DecisionID   string            `json:"decision_id"`
	Clauses      []string          `json:"clauses,omitempty"`
}

func (r DealRequest) input() domain.DealInput {
	in := domain.DealInput{ExporterBIN: r.ExporterBIN, BuyerID: r.BuyerID, BuyerCountry: r.BuyerCountry, BuyerName: r.BuyerName,
		HSCode: r.HSCode, Product: r.Product, ValueAmount: string(r.Value.Amount), ValueCurrency: r.Value.Currency,
		Unit: r.Unit, Support: r.Support, DecisionID: r.DecisionID, CommissionID: r.CommissionID, Clauses: r.Clauses}
	if r.Quantity != nil {
		in.Quantity = string(*r.Quantity)
	}
	return in
}

// DealPatch is the body of PATCH /api/v1/deals/:id: the version read and the
// fields to change. An empty quantity removes it; empty commission_id and
// decision_id unlink the decision.
type DealPatch struct {
	Version      *int              `json:"version,omitempty"`
	ExporterBIN  *string           `json:"exporter_bin,omitempty"`
	BuyerID      *string           `json:"buyer_id,omitempty"`
	BuyerCountry *string           `json:"buyer_country,omitempty"`
	BuyerName    *string           `json:"buyer_name,omitempty"`
	HSCode       *string           `json:"hs_code,omitempty"`
	Product      *string           `json:"product,omitempty"`
	Value        *httpx.MoneyJSON  `json:"value,omitempty"`
	Quantity     *httpx.NumberText `json:"quantity,omitempty"`
	Unit         *string           `json:"unit,omitempty"`
	Support      *[]string         `json:"support,omitempty"`
	CommissionID *string           `json:"commission_id,omitempty"`
	DecisionID   *string           `json:"decision_id,omitempty"`
	Clauses      *[]string         `json:"clauses,omitempty"`
}

func set[T any](dst *T, src *T) {
	if src != nil {
		*dst = *src
	}
}

func (p DealPatch) apply(in *domain.DealInput) {
	set(&in.ExporterBIN, p.ExporterBIN)
	set(&in.BuyerID, p.BuyerID)
	set(&in.BuyerCountry, p.BuyerCountry)
	set(&in.BuyerName, p.BuyerName)
	set(&in.HSCode, p.HSCode)
	set(&in.Product, p.Product)
	if p.Value != nil {
		in.ValueAmount, in.ValueCurrency = string(p.Value.Amount), p.Value.Currency
	}
	if p.Quantity != nil {
		in.Quantity = string(*p.Quantity)
	}
	set(&in.Unit, p.Unit)
	set(&in.Support, p.Support)
	set(&in.CommissionID, p.CommissionID)
	set(&in.DecisionID, p.DecisionID)
	set(&in.Clauses, p.Clauses)
}

// MoveRequest is the body of POST /api/v1/deals/:id/stage.
type MoveRequest struct {
	Version      *int   `json:"version,omitempty"`
	Stage        string `json:"stage"`
	LostReason   string `json:"lost_reason"`
	ContractDate string `json:"contract_date"` // when moving to contracted; empty: today
	Comment      string `json:"comment"`
}

// DealJSON is a deal as the API returns it. Sector, sector name and raw come
// from the HS code under the current mapping (not stored with the deal).
type DealJSON struct {
	ID             string            `json:"id"`
	Version        int               `json:"version"`
	Post           string            `json:"post"`
	Attache        string            `json:"attache"`
	ExporterBIN    string            `json:"exporter_bin"`
	ExporterName   string            `json:"exporter_name"`
	BuyerCountry   string            `json:"buyer_country"`
	BuyerName      string            `json:"buyer_name,omitempty"`
	BuyerID        string            `json:"buyer_id,omitempty"`
	HSCode         string            `json:"hs_code"`
	HSDescription  string            `json:"hs_description"`
	Sector         string            `json:"sector,omitempty"`
	SectorName     string            `json:"sector_name,omitempty"`
	Raw            bool              `json:"raw"`
	Product        string            `json:"product,omitempty"`
	Value          httpx.MoneyJSON   `json:"value"`
	Quantity       *httpx.NumberText `json:"quantity,omitempty"`
	Unit           string            `json:"unit,omitempty"`
	Stage          string            `json:"stage"`
	NextStages     []string          `json:"next_stages"`
	LostReason     string            `json:"lost_reason,omitempty"`
	Support        []string          `json:"support"`
	CommissionID   string            `json:"commission_id,omitempty"`
	DecisionID     string            `json:"decision_id,omitempty"`
	ContractDate   string            `json:"contract_date,omitempty"`
	Clauses        []string          `json:"clauses"`
	CreatedAt      time.Time         `json:"created_at"`
	UpdatedAt      time.Time         `json:"updated_at"`
	StageChangedAt time.Time         `json:"stage_changed_at"`
}

func orEmpty(s []string) []string {
	if s == nil {
		return []string{}
	}
	return s
}

// DealToJSON is the API form of a deal, classified by hs.
func DealToJSON(d domain.Deal, hs app.HSInfo) DealJSON {
	out := DealJSON{
		ID: d.ID, Version: d.Version, Post: d.Post, Attache: d.Attache, ExporterBIN: d.ExporterBIN, ExporterName: d.ExporterName,
		BuyerCountry: d.BuyerCountry, BuyerName: d.BuyerName, BuyerID: d.BuyerID, HSCode: d.HSCode, HSDescription: hs.Description,
		Sector: hs.Sector, SectorName: hs.SectorName, Raw: hs.Raw, Product: d.Product,
		Value: httpx.MoneyJSON{Amount: httpx.NumberText(d.Value.Amount.String()), Currency: d.Value.Currency},
		Unit:  d.Unit, Stage: string(d.Stage), NextStages: []string{}, LostReason: d.LostReason, Support: orEmpty(d.Support),
		CommissionID: d.CommissionID, DecisionID: d.DecisionID, ContractDate: d.ContractDate.String(), Clauses: orEmpty(d.Clauses),
		CreatedAt: d.CreatedAt, UpdatedAt: d.UpdatedAt, StageChangedAt: d.StageAt,
	}
	if d.Quantity != nil {
		q := httpx.NumberText(d.Quantity.String())
		out.Quantity = &q
	}
	for _, s := range domain.NextStages(d.Stage) {
		out.NextStages = append(out.NextStages, string(s))
	}
	return out
}

// BarrierRequest is the body of POST /api/v1/barriers.
type BarrierRequest struct {
	Country      string           `json:"country"`
	HSCodes      []string         `json:"hs_codes,omitempty"`
	Type         string           `json:"type"`
	Title        string           `json:"title"`
	Description  string           `json:"description"`
	ValueAtStake *httpx.MoneyJSON `json:"value_at_stake,omitempty"`
	LeadAgency   string           `json:"lead_agency"`
	Clauses      []string         `json:"clauses,omitempty"`
	ReportedOn   string           `json:"reported_on"`
}

func (r BarrierRequest) input() domain.BarrierInput {
	in := domain.BarrierInput{Country: r.Country, HSCodes: r.HSCodes, Type: r.Type, Title: r.Title, Description: r.Description,
		LeadAgency: r.LeadAgency, Clauses: r.Clauses, ReportedOn: r.ReportedOn}
	if r.ValueAtStake != nil {
		in.ValueAmount, in.ValueCurrency = string(r.ValueAtStake.Amount), r.ValueAtStake.Currency
	}
	return in
}

// NoteRequest is a progress note: the day it happened (empty: today) and what.
type NoteRequest struct {
	On   string `json:"on"`
	Text string `json:"text"`
}

// BarrierPatch is the body of PATCH /api/v1/barriers/:id: the version read,
// the details to change and/or a progress note to add. The country and the
// day it was reported stay. A value_at_stake with an empty amount and
// currency removes it.
type BarrierPatch struct {
	Version      *int             `json:"version,omitempty"`
	HSCodes      *[]string        `json:"hs_codes,omitempty"`
	Type         *string          `json:"type,omitempty"`
	Title        *string          `json:"title,omitempty"`
	Description  *string          `json:"description,omitempty"`
	ValueAtStake *httpx.MoneyJSON `json:"value_at_stake,omitempty"`
	LeadAgency   *string          `json:"lead_agency,omitempty"`
	Clauses      *[]string        `json:"clauses,omitempty"`
	Progress     *NoteRequest     `json:"progress,omitempty"`
}

func (p BarrierPatch) apply(in *domain.BarrierInput) {
	set(&in.HSCodes, p.HSCodes)
	set(&in.Type, p.Type)
	set(&in.Title, p.Title)
	set(&in.Description, p.Description)
	if p.ValueAtStake != nil {
		in.ValueAmount, in.ValueCurrency = string(p.ValueAtStake.Amount), p.ValueAtStake.Currency
	}
	set(&in.LeadAgency, p.LeadAgency)
	set(&in.Clauses, p.Clauses)
}

// StatusRequest is the body of POST /api/v1/barriers/:id/status.
type StatusRequest struct {
	Version     *int   `json:"version,omitempty"`
	Status      string `json:"status"`
	EffectiveOn string `json:"effective_on"` // empty: today
	Comment     string `json:"comment"`
}

// NoteJSON is a progress note.
type NoteJSON struct {
	On     string `json:"on"`
	Text   string `json:"text"`
	Author string `json:"author"`
}

func noteToJSON(n domain.Note) NoteJSON {
	return NoteJSON{On: n.On.String(), Text: n.Text, Author: n.Author}
}

// BarrierJSON is a barrier as the API returns it.
type BarrierJSON struct {
	ID           string           `json:"id"`
	Version      int              `json:"version"`
	Post         string           `json:"post"`
	Attache      string           `json:"attache"`
	Country      string           `json:"country"`
	HSCodes      []string         `json:"hs_codes"`
	Type         string           `json:"type"`
	Title        string           `json:"title"`
	Description  string           `json:"description"`
	ValueAtStake *httpx.MoneyJSON `json:"value_at_stake,omitempty"`
	Status       string           `json:"status"`
	NextStatuses []string         `json:"next_statuses"`
	LeadAgency   string           `json:"lead_agency"`
	Clauses      []string         `json:"clauses"`
	ReportedOn   string           `json:"reported_on"`
	ResolvedOn   string           `json:"resolved_on,omitempty"`
	Progress     []NoteJSON       `json:"progress"`
	CreatedAt    time.Time        `json:"created_at"`
	UpdatedAt    time.Time        `json:"updated_at"`
}

// BarrierToJSON is the API form of a barrier.
func BarrierToJSON(b domain.Barrier) BarrierJSON {
	out := BarrierJSON{ID: b.ID, Version: b.Version, Post: b.Post, Attache: b.Attache, Country: b.Country,
		HSCodes: orEmpty(b.HSCodes), Type: b.Type, Title: b.Title, Description: b.Description, Status: string(b.Status),
		NextStatuses: []string{}, LeadAgency: b.LeadAgency, Clauses: orEmpty(b.Clauses), ReportedOn: b.ReportedOn.String(),
		ResolvedOn: b.ResolvedOn.String(), Progress: []NoteJSON{}, CreatedAt: b.CreatedAt, UpdatedAt: b.UpdatedAt}
	if b.ValueAtStake != nil {
		out.ValueAtStake = &httpx.MoneyJSON{Amount: httpx.NumberText(b.ValueAtStake.Amount.String()), Currency: b.ValueAtStake.Currency}
	}
	for _, s := range domain.NextStatuses(b.Status) {
		out.NextStatuses = append(out.NextStatuses, string(s))
	}
	for _, n := range b.Progress {
		out.Progress = append(out.Progress, noteToJSON(n))
	}
	return out
}

// ChangeJSON is one entry of a deal's or barrier's history.
type ChangeJSON struct {
	EventID     string    `json:"event_id"`
	Type        string    `json:"type"`
	Actor       string    `json:"actor"`
	Time        time.Time `json:"time"`
	Version     int       `json:"version"`
	Changed     []string  `json:"changed,omitempty"`
	From        string    `json:"from,omitempty"`
	To          string    `json:"to,omitempty"`
	EffectiveOn string    `json:"effective_on,omitempty"`
	Comment     string    `json:"comment,omitempty"`
	Note        *NoteJSON `json:"note,omitempty"`
	// Buyer is a deal's buyer name after the change.
	Buyer string `json:"buyer_name,omitempty"`
}

func changesToJSON(changes []app.Change) []ChangeJSON {
	out := make([]ChangeJSON, len(changes))
	for i, c := range changes {
		out[i] = ChangeJSON{EventID: c.EventID, Type: c.Type, Actor: c.Actor, Time: c.Time, Version: c.Version,
			Changed: c.Changed, From: c.From, To: c.To, EffectiveOn: c.EffectiveOn, Comment: c.Comment, Buyer: c.Buyer}
		if c.Note != nil {
			n := noteToJSON(*c.Note)
			out[i].Note = &n
		}
	}
	return out
}

// HSJSON is one result of the HS code picker.
type HSJSON struct {
	Code        string `json:"code"`
	Description string `json:"description"`
	Level       int    `json:"level"` // 2 chapter, 4 heading, 6 subheading (the only level a deal takes)
	Parent      string `json:"parent,omitempty"`
	Section     string `json:"section,omitempty"`
	Sector      string `json:"sector,omitempty"` // priority sector under the current mapping; empty: none
	SectorName  string `json:"sector_name,omitempty"`
	Raw         bool   `json:"raw"` // a raw commodity export under the current mapping
}

// ImportJSON answers a deal import: what the file creates (a dry run) or
// created, row by row.
type ImportJSON struct {
	DryRun   bool            `json:"dry_run"`
	New      int             `json:"new"`      // deals the file has that did not exist
	Created  int             `json:"created"`  // stored by this request (0 on a dry run)
	Existing int             `json:"existing"` // imported before: nothing stored for them
	Digest   string          `json:"digest"`   // pass as ?expect= to store only what was previewed
	Dialect  DialectJSON     `json:"dialect"`
	Deals    []ImportRowJSON `json:"deals"`
}

// DialectJSON is how the file was read.
type DialectJSON struct {
	Separator   string `json:"separator"`
	DecimalMark string `json:"decimal_mark"`
	BOM         bool   `json:"bom"`
}

// ImportRowJSON is one row of an import: its deal, and "new" (a dry run),
// "created" or "exists".
type ImportRowJSON struct {
	Row     int      `json:"row"`
	Status  string   `json:"status"`
	Deal    DealJSON `json:"deal"`
	Similar []string `json:"similar,omitempty"` // ids of the post's deals with the same exporter, buyer and HS code
}
