package app

import (
	"fmt"
	"strconv"
	"strings"

	"econdip/events"
	"econdip/services/search/domain"
)

// Source is one stream the index follows: the subjects of its records
// (Filters; tasks and notes under a record's subject are not records) and
// how an event on them becomes the record's document. Decode returns false
// for an event that carries no record (it is skipped).
type Source struct {
	Stream  string
	Filters []string
	Decode  func(events.Event) (domain.Doc, bool)
}

// Sources are the streams the search indexes; a new record stream is one
// more entry.
func Sources() []Source {
	return []Source{
		{Stream: events.StreamLeads, Filters: []string{events.AllLeads}, Decode: leadDoc},
		{Stream: events.StreamExports, Filters: []string{events.AllDeals, events.AllBarriers, events.AllExporters}, Decode: exportsDoc},
		{Stream: events.StreamCommissions, Filters: []string{events.AllCommissions, events.AllSessions, events.AllDecisions}, Decode: commissionsDoc},
		{Stream: events.StreamCompanies, Filters: []string{events.AllCompanies}, Decode: companyDoc},
	}
}

// companyDoc finds a company by its names and other spellings; every
// reader of the register finds it (no Owner). Its contacts are not
// indexed: no post owns a company, so no reader's scope would reach them.
// An absorbed company stays findable by its old name and opens its page,
// which leads to the survivor.
func companyDoc(ev events.Event) (domain.Doc, bool) {
	s, ok := ev.(events.CompanySnapshot)
	if !ok {
		return domain.Doc{}, false
	}
	c := s.State()
	latin := c.NameLatin
	if latin == c.Name {
		latin = "" // a Latin name shown once
	}
	return domain.Doc{Kind: domain.Company, ID: c.ID, Country: c.Country, Title: c.Name,
		Subtitle: join(" · ", latin, c.Country),
		Text:     join(" ", append([]string{c.NameLatin, c.RegNumber, c.Website}, c.Aliases...)...)}, true
}

func leadDoc(ev events.Event) (domain.Doc, bool) {
	s, ok := ev.(events.LeadSnapshot)
	if !ok {
		return domain.Doc{}, false
	}
	l := s.State()
	var contacts []string
	for _, c := range l.Contacts {
		contacts = append(contacts, c.Name, c.Email, c.Phone, c.Role)
	}
	return domain.Doc{Kind: domain.Lead, ID: l.ID, Owner: l.Post, Country: l.InvestorCountry, Title: l.Title,
		Subtitle: join(" · ", l.InvestorName, l.InvestorCountry),
		Text:     join(" ", l.Sector, l.TargetRegion, l.SourceRef, l.CompetingCountry),
		Contacts: join(" ", contacts...)}, true
}

func exportsDoc(ev events.Event) (domain.Doc, bool) {
	switch e := ev.(type) {
	case events.DealSnapshot:
		d := e.State()
		return domain.Doc{Kind: domain.Deal, ID: d.ID, Owner: d.Post, Country: d.BuyerCountry,
			Title:    join(" → ", d.ExporterName, join(" ", d.BuyerName, d.BuyerCountry)),
			Subtitle: join(" · ", d.Product, d.HSCode),
			Text:     join(" ", d.ExporterBIN)}, true
	case events.BarrierSnapshot:
		b := e.State()
		return domain.Doc{Kind: domain.Barrier, ID: b.ID, Owner: b.Post, Title: b.Title,
			Subtitle: join(" · ", b.Country, b.Type),
			Text:     join(" ", b.Description, b.LeadAgency, strings.Join(b.HSCodes, " "))}, true
	case *events.ExporterRegisteredV1:
		x := e.Exporter
		return domain.Doc{Kind: domain.Exporter, ID: x.BIN, Title: x.Name, Subtitle: join(" · ", x.BIN, x.Region)}, true
	}
	return domain.Doc{}, false
}

func commissionsDoc(ev events.Event) (domain.Doc, bool) {
	switch e := ev.(type) {
	case *events.CommissionRecordedV1:
		// Not searched: its partner country is the scope of its sessions.
		return domain.Doc{Kind: domain.Commission, ID: e.Commission.ID, Country: e.Commission.PartnerCountry}, true
	case *events.SessionRecordedV1:
		// The session's country is its commission's (the index fills it in).
		s := e.Session
		return domain.Doc{Kind: domain.Session, ID: s.ID, Owner: s.CommissionID, Parent: s.CommissionID,
			Title:    fmt.Sprintf("%s №%d", s.CommissionID, s.Number),
			Subtitle: join(" · ", s.Date, s.Place),
			Text:     s.ProtocolRef}, true
	case events.DecisionSnapshot:
		d := e.State()
		return domain.Doc{Kind: domain.Decision, ID: d.ID, Owner: d.CommissionID, Parent: d.CommissionID, Country: d.PartnerCountry,
			Title:    short(d.Text, 120),
			Subtitle: join(" · ", d.CommissionID+" №"+strconv.Itoa(d.SessionNumber), d.Item, d.SessionDate),
			Text:     join(" ", d.Text, d.Sector, strings.Join(d.Agencies, " "), d.PartnerCountry)}, true
	}
	return domain.Doc{}, false
}

// join joins the non-empty parts.
func join(sep string, parts ...string) string {
	var out []string
	for _, p := range parts {
		if p = strings.TrimSpace(p); p != "" {
			out = append(out, p)
		}
	}
	return strings.Join(out, sep)
}

// short cuts s at n runes, on a word boundary where one is near.
func short(s string, n int) string {
	r := []rune(strings.TrimSpace(s))
	if len(r) <= n {
		return string(r)
	}
	cut := n
	for i := n; i > n*3/4; i-- {
		if r[i] == ' ' {
			cut = i
			break
		}
	}
	return strings.TrimSpace(string(r[:cut])) + "…"
}
