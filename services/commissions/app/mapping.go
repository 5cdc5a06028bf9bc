package app

import (
	"econdip/events"
	"econdip/services/commissions/domain"
	"econdip/services/platform/kernel"
)

func commissionToEvent(c domain.Commission) events.CommissionV1 {
	return events.CommissionV1{ID: c.ID, Version: c.Version, Name: c.Name, PartnerCountry: c.PartnerCountry,
		KazakhCoChair: c.KazakhCoChair, SecretariatAgency: c.SecretariatAgency, PartnerCoChair: c.PartnerCoChair,
		CreatedAt: c.CreatedAt, UpdatedAt: c.UpdatedAt}
}

func commissionFromEvent(e events.CommissionV1) domain.Commission {
	return domain.Commission{ID: e.ID, Version: e.Version, Name: e.Name, PartnerCountry: e.PartnerCountry,
		KazakhCoChair: e.KazakhCoChair, SecretariatAgency: e.SecretariatAgency, PartnerCoChair: e.PartnerCoChair,
		CreatedAt: e.CreatedAt, UpdatedAt: e.UpdatedAt}
}

func sessionToEvent(s domain.Session) events.SessionV1 {
	return events.SessionV1{ID: s.ID, CommissionID: s.CommissionID, Number: s.Number, Date: s.Date.String(),
		Place: s.Place, ProtocolRef: s.ProtocolRef, DecisionIDs: s.DecisionIDs, CreatedAt: s.CreatedAt}
}

func sessionFromEvent(e events.SessionV1) domain.Session {
	return domain.Session{ID: e.ID, CommissionID: e.CommissionID, Number: e.Number, Date: kernel.DayOrZero(e.Date),
		Place: e.Place, ProtocolRef: e.ProtocolRef, DecisionIDs: e.DecisionIDs, CreatedAt: e.CreatedAt}
}

func decisionToEvent(d domain.Decision) events.DecisionV1 {
	var value *events.Money
	if d.Value != nil {
		value = &events.Money{Amount: d.Value.Amount, Currency: d.Value.Currency}
	}
	return events.DecisionV1{ID: d.ID, Version: d.Version, CommissionID: d.CommissionID, PartnerCountry: d.PartnerCountry,
		SessionID: d.SessionID, SessionNumber: d.SessionNumber, SessionDate: d.SessionDate.String(), Item: d.Item,
		Text: d.Text, Agencies: orEmpty(d.Agencies), Deadline: d.Deadline.String(), Sector: d.Sector, Clauses: orEmpty(d.Clauses),
		Value: value, LeadIDs: orEmpty(d.LeadIDs), DealIDs: orEmpty(d.DealIDs), Status: string(d.Status),
		StatusDate: d.StatusDate.String(), DoneOn: d.DoneOn.String(), CreatedAt: d.CreatedAt, UpdatedAt: d.UpdatedAt}
}

func decisionFromEvent(e events.DecisionV1) domain.Decision {
	var value *kernel.Money
	if e.Value != nil {
		value = &kernel.Money{Amount: e.Value.Amount, Currency: e.Value.Currency}
	}
	return domain.Decision{ID: e.ID, Version: e.Version, CommissionID: e.CommissionID, PartnerCountry: e.PartnerCountry,
		SessionID: e.SessionID, SessionNumber: e.SessionNumber, SessionDate: kernel.DayOrZero(e.SessionDate), Item: e.Item,
		Text: e.Text, Agencies: e.Agencies, Deadline: kernel.DayOrZero(e.Deadline), Sector: e.Sector, Clauses: e.Clauses,
		Value: value, LeadIDs: e.LeadIDs, DealIDs: e.DealIDs, Status: domain.Status(e.Status),
		StatusDate: kernel.DayOrZero(e.StatusDate), DoneOn: kernel.DayOrZero(e.DoneOn), CreatedAt: e.CreatedAt, UpdatedAt: e.UpdatedAt}
}

func orEmpty(s []string) []string {
	if s == nil {
		return []string{}
	}
	return s
}

func commissionState(ev events.Event) (events.CommissionV1, bool) {
	e, ok := ev.(*events.CommissionRecordedV1)
	if !ok {
		return events.CommissionV1{}, false
	}
	return e.Commission, true
}

func sessionState(ev events.Event) (events.SessionV1, bool) {
	e, ok := ev.(*events.SessionRecordedV1)
	if !ok {
		return events.SessionV1{}, false
	}
	return e.Session, true
}

func decisionState(ev events.Event) (events.DecisionV1, bool) {
	s, ok := ev.(events.DecisionSnapshot)
	if !ok {
		return events.DecisionV1{}, false
	}
	return s.State(), true
}
