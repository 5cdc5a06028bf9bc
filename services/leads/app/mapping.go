package app

import (
	"econdip/events"
	"econdip/services/leads/domain"
	"econdip/services/platform/kernel"
)

// toEvent and fromEvent translate between the domain lead and the public
// event contract, which evolve separately.
func toEvent(l domain.Lead) events.LeadV1 {
	contacts := make([]events.Contact, len(l.Contacts))
	for i, c := range l.Contacts {
		contacts[i] = events.Contact{Name: c.Name, Email: c.Email, Phone: c.Phone, Role: c.Role}
	}
	return events.LeadV1{
		ID: l.ID, Version: l.Version, Post: l.Post, Attache: l.Attache, InvestorID: l.InvestorID,
		InvestorName: l.InvestorName, InvestorCountry: l.InvestorCountry, Title: l.Title,
		Sector: l.Sector, Clauses: append([]string{}, l.Clauses...), TargetRegion: l.TargetRegion,
		InvestmentType: l.InvestmentType, Capex: l.Capex,
		ExpectedJobs: l.ExpectedJobs, TechTransfer: l.TechTransfer, Green: l.Green,
		ExpectedDecisionDate: l.ExpectedDecisionDate.String(), Source: l.Source, SourceRef: l.SourceRef,
		Stage: string(l.Stage), Probability: l.Probability, LostReason: l.LostReason,
		CompetingCountry: l.CompetingCountry, Contacts: contacts,
		CreatedAt: l.CreatedAt, UpdatedAt: l.UpdatedAt, StageChangedAt: l.StageChangedAt,
		StageEffectiveOn: l.StageEffectiveOn.String(),
	}
}

func fromEvent(e events.LeadV1) domain.Lead {
	contacts := make([]domain.Contact, len(e.Contacts))
	for i, c := range e.Contacts {
		contacts[i] = domain.Contact{Name: c.Name, Email: c.Email, Phone: c.Phone, Role: c.Role}
	}
	return domain.Lead{
		ID: e.ID, Version: e.Version, Post: e.Post, Attache: e.Attache, InvestorID: e.InvestorID,
		InvestorName: e.InvestorName, InvestorCountry: e.InvestorCountry, Title: e.Title,
		Sector: e.Sector, Clauses: e.Clauses, TargetRegion: e.TargetRegion,
		InvestmentType: e.InvestmentType, Capex: e.Capex,
		ExpectedJobs: e.ExpectedJobs, TechTransfer: e.TechTransfer, Green: e.Green,
		ExpectedDecisionDate: kernel.DayOrZero(e.ExpectedDecisionDate), Source: e.Source, SourceRef: e.SourceRef,
		Stage: domain.Stage(e.Stage), Probability: e.Probability, LostReason: e.LostReason,
		CompetingCountry: e.CompetingCountry, Contacts: contacts,
		CreatedAt: e.CreatedAt, UpdatedAt: e.UpdatedAt, StageChangedAt: e.StageChangedAt,
		StageEffectiveOn: kernel.DayOrZero(e.StageDay()), // older events lack it: the day the stage was recorded
	}
}

func leadState(ev events.Event) (events.LeadV1, bool) {
	s, ok := ev.(events.LeadSnapshot)
	if !ok {
		return events.LeadV1{}, false
	}
	return s.State(), true
}
