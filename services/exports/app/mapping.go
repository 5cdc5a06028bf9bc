package app

import (
	"github.com/shopspring/decimal"

	"econdip/events"
	"econdip/services/exports/domain"
	"econdip/services/platform/kernel"
)

// toEvent and fromEvent translate between the app's records and the public
// event contract, which evolve separately.

func exporterToEvent(e domain.Exporter) events.ExporterV1 {
	return events.ExporterV1{BIN: e.BIN, Version: e.Version, Name: e.Name, Region: e.Region,
		RegisteredBy: e.RegisteredBy, CreatedAt: e.CreatedAt, UpdatedAt: e.UpdatedAt}
}

func exporterFromEvent(e events.ExporterV1) domain.Exporter {
	return domain.Exporter{BIN: e.BIN, Version: e.Version, Name: e.Name, Region: e.Region,
		RegisteredBy: e.RegisteredBy, CreatedAt: e.CreatedAt, UpdatedAt: e.UpdatedAt}
}

func dealToEvent(d domain.Deal) events.DealV1 {
	var qty *decimal.Decimal
	if d.Quantity != nil {
		q := *d.Quantity
		qty = &q
	}
	return events.DealV1{
		ID: d.ID, Version: d.Version, Post: d.Post, Attache: d.Attache,
		ExporterBIN: d.ExporterBIN, ExporterName: d.ExporterName, BuyerID: d.BuyerID, BuyerCountry: d.BuyerCountry, BuyerName: d.BuyerName,
		HSCode: d.HSCode, Product: d.Product, Value: d.Value,
		Quantity: qty, Unit: d.Unit, Stage: string(d.Stage), LostReason: d.LostReason, Support: orEmpty(d.Support),
		DecisionID: d.DecisionID, CommissionID: d.CommissionID, ContractDate: d.ContractDate.String(), Clauses: orEmpty(d.Clauses),
		CreatedAt: d.CreatedAt, UpdatedAt: d.UpdatedAt, StageChangedAt: d.StageAt,
	}
}

func dealFromEvent(e events.DealV1) domain.Deal {
	return domain.Deal{
		ID: e.ID, Version: e.Version, Post: e.Post, Attache: e.Attache,
		ExporterBIN: e.ExporterBIN, ExporterName: e.ExporterName, BuyerID: e.BuyerID, BuyerCountry: e.BuyerCountry, BuyerName: e.BuyerName,
		HSCode: e.HSCode, Product: e.Product, Value: e.Value,
		Quantity: e.Quantity, Unit: e.Unit, Stage: domain.Stage(e.Stage), LostReason: e.LostReason, Support: orEmpty(e.Support),
		DecisionID: e.DecisionID, CommissionID: e.CommissionID, ContractDate: kernel.DayOrZero(e.ContractDate), Clauses: orEmpty(e.Clauses),
		CreatedAt: e.CreatedAt, UpdatedAt: e.UpdatedAt, StageAt: e.StageChangedAt,
	}
}

func barrierToEvent(b domain.Barrier) events.BarrierV1 {
	var value *events.Money
	if b.ValueAtStake != nil {
		value = &events.Money{Amount: b.ValueAtStake.Amount, Currency: b.ValueAtStake.Currency}
	}
	progress := make([]events.ProgressNote, len(b.Progress))
	for i, n := range b.Progress {
		progress[i] = events.ProgressNote{On: n.On.String(), Text: n.Text, Author: n.Author}
	}
	return events.BarrierV1{
		ID: b.ID, Version: b.Version, Post: b.Post, Attache: b.Attache, Country: b.Country, HSCodes: orEmpty(b.HSCodes),
		Type: b.Type, Title: b.Title, Description: b.Description, ValueAtStake: value, Status: string(b.Status),
		LeadAgency: b.LeadAgency, Clauses: orEmpty(b.Clauses), ReportedOn: b.ReportedOn.String(), ResolvedOn: b.ResolvedOn.String(),
		Progress: progress, CreatedAt: b.CreatedAt, UpdatedAt: b.UpdatedAt,
	}
}

func barrierFromEvent(e events.BarrierV1) domain.Barrier {
	var value *kernel.Money
	if e.ValueAtStake != nil {
		value = &kernel.Money{Amount: e.ValueAtStake.Amount, Currency: e.ValueAtStake.Currency}
	}
	progress := make([]domain.Note, len(e.Progress))
	for i, n := range e.Progress {
		progress[i] = domain.Note{On: kernel.DayOrZero(n.On), Text: n.Text, Author: n.Author}
	}
	return domain.Barrier{
		ID: e.ID, Version: e.Version, Post: e.Post, Attache: e.Attache, Country: e.Country, HSCodes: orEmpty(e.HSCodes),
		Type: e.Type, Title: e.Title, Description: e.Description, ValueAtStake: value, Status: domain.Status(e.Status),
		LeadAgency: e.LeadAgency, Clauses: orEmpty(e.Clauses), ReportedOn: kernel.DayOrZero(e.ReportedOn), ResolvedOn: kernel.DayOrZero(e.ResolvedOn),
		Progress: progress, CreatedAt: e.CreatedAt, UpdatedAt: e.UpdatedAt,
	}
}

func orEmpty(s []string) []string {
	if s == nil {
		return []string{}
	}
	return s
}

func exporterState(ev events.Event) (events.ExporterV1, bool) {
	switch e := ev.(type) {
	case *events.ExporterRegisteredV1:
		return e.Exporter, true
	case events.ExporterRegisteredV1:
		return e.Exporter, true
	}
	return events.ExporterV1{}, false
}

func dealState(ev events.Event) (events.DealV1, bool) {
	s, ok := ev.(events.DealSnapshot)
	if !ok {
		return events.DealV1{}, false
	}
	return s.State(), true
}

func barrierState(ev events.Event) (events.BarrierV1, bool) {
	s, ok := ev.(events.BarrierSnapshot)
	if !ok {
		return events.BarrierV1{}, false
	}
	return s.State(), true
}
