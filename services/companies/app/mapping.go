package app

import (
	"econdip/events"
	"econdip/services/companies/domain"
)

// toEvent and fromEvent translate between the domain company and the
// public event contract, which evolve separately.
func toEvent(c domain.Company) events.CompanyV1 {
	contacts := make([]events.Contact, len(c.Contacts))
	for i, p := range c.Contacts {
		contacts[i] = events.Contact{Name: p.Name, Email: p.Email, Phone: p.Phone, Role: p.Role}
	}
	aliases := append([]string{}, c.Aliases...)
	return events.CompanyV1{ID: c.ID, Version: c.Version, Name: c.Name, NameLatin: c.NameLatin, Country: c.Country,
		RegNumber: c.RegNumber, Website: c.Website, Aliases: aliases, Contacts: contacts, MergedInto: c.MergedInto,
		CreatedBy: c.CreatedBy, CreatedAt: c.CreatedAt, UpdatedAt: c.UpdatedAt}
}

func fromEvent(e events.CompanyV1) domain.Company {
	var contacts []domain.Contact
	for _, p := range e.Contacts {
		contacts = append(contacts, domain.Contact{Name: p.Name, Email: p.Email, Phone: p.Phone, Role: p.Role})
	}
	return domain.Company{ID: e.ID, Version: e.Version, Name: e.Name, NameLatin: e.NameLatin, Country: e.Country,
		RegNumber: e.RegNumber, Website: e.Website, Aliases: e.Aliases, Contacts: contacts, MergedInto: e.MergedInto,
		CreatedBy: e.CreatedBy, CreatedAt: e.CreatedAt, UpdatedAt: e.UpdatedAt}
}

func companyState(ev events.Event) (events.CompanyV1, bool) {
	s, ok := ev.(events.CompanySnapshot)
	if !ok {
		return events.CompanyV1{}, false
	}
	return s.State(), true
}
