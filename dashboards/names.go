package dashboards

// Names of reference codes in a page's language, and the filters' choices a
// user may pick from, made by the same access rule as the figures.

import (
	"slices"
	"strings"

	"golang.org/x/text/collate"
	textlang "golang.org/x/text/language"

	"econdip/analytics"
	"econdip/services/leads/domain"
	"econdip/services/platform/auth"
	"econdip/services/platform/i18n"
	"econdip/services/platform/reference"
)

// choice is an option of a select.
type choice struct{ Code, Name string }

// The reference names, in the page's language (the reference package's
// Name(lang) methods fall back to English where a translation is missing).

// sectorName names a priority sector code ("unassigned": records without one).
func (s *Server) sectorName(lang i18n.Lang, code string) string {
	if code == "unassigned" || code == "" {
		return i18n.T(lang, "ui.analyst.no_sector")
	}
	if sec, ok := s.cfg.Ref.Sector(code); ok {
		return sec.Name(lang)
	}
	return code
}

// sectorNames maps every sector code, and "unassigned", to its name, for scripts.
func (s *Server) sectorNames(lang i18n.Lang) map[string]string {
	names := map[string]string{"unassigned": s.sectorName(lang, "unassigned")}
	for _, sec := range s.cfg.Ref.Sectors() {
		names[sec.Code] = s.sectorName(lang, sec.Code)
	}
	return names
}

// sectorChoices are the priority sectors, then "no sector given".
func (s *Server) sectorChoices(lang i18n.Lang) []choice {
	var out []choice
	for _, sec := range s.cfg.Ref.Sectors() {
		out = append(out, choice{sec.Code, s.sectorName(lang, sec.Code)})
	}
	return append(out, choice{"unassigned", s.sectorName(lang, "unassigned")})
}

// countryName names an ISO alpha-2 country code.
func (s *Server) countryName(lang i18n.Lang, code string) string {
	if c, ok := s.cfg.Ref.Country(code); ok {
		return c.Name(lang)
	}
	return code
}

// agencyName names a state body's code.
func (s *Server) agencyName(lang i18n.Lang, code string) string {
	if a, ok := s.cfg.Ref.Agency(code); ok {
		return a.Name(lang)
	}
	return code
}

// clauseTitle is a Concept clause's title.
func (s *Server) clauseTitle(lang i18n.Lang, id string) string {
	if cl, ok := s.cfg.Ref.Clause(id); ok {
		return cl.Title(lang)
	}
	return id
}

// postNames maps every post code to its city, for scripts.
func (s *Server) postNames(lang i18n.Lang) map[string]string {
	names := map[string]string{}
	for _, p := range s.cfg.Ref.Posts() {
		names[p.Code] = s.postCity(lang, p.Code)
	}
	return names
}

// postOptions are the posts the post filter offers u for action a, by the
// rule that limits the figures (auth.ReachOf, as postScope): every post and
// "all posts" (all = true) where the reach is all; the user's own post alone
// where it is their own; none where the role has no reach.
func (s *Server) postOptions(lang i18n.Lang, u auth.User, a auth.Action) (opts []choice, all bool) {
	switch auth.ReachOf(u, a) {
	case auth.All:
		for _, p := range s.cfg.Ref.Posts() {
			opts = append(opts, choice{p.Code, s.postCity(lang, p.Code)})
		}
		order := nameOrder(lang)
		slices.SortStableFunc(opts, func(a, b choice) int { return order(a.Name, b.Name) })
		return opts, true
	case auth.Own:
		if u.Post != "" {
			return []choice{{u.Post, s.postCity(lang, u.Post)}}, false
		}
	}
	return nil, false
}

// commissionOptions are the commissions the commission filter offers u, by
// the rule that limits the commission figures (commissionFilter): every
// commission in known (id → name) and "all commissions" where the reach is
// all; the user's own alone where it is their own.
func commissionOptions(u auth.User, known map[string]string) (opts []choice, all bool) {
	switch auth.ReachOf(u, auth.ReadCommFigures) {
	case auth.All:
		for id, name := range known {
			opts = append(opts, choice{id, cmpOr(name, id)})
		}
		slices.SortFunc(opts, func(a, b choice) int { return strings.Compare(a.Name, b.Name) })
		return opts, true
	case auth.Own:
		if u.Commission != "" {
			return []choice{{u.Commission, cmpOr(known[u.Commission], u.Commission)}}, false
		}
	}
	return nil, false
}

// stageIndex is a lead stage's place in the pipeline (domain.Stages);
// an unknown stage goes last.
func stageIndex(stage string) int {
	if i := slices.Index(domain.Stages, domain.Stage(stage)); i >= 0 {
		return i
	}
	return len(domain.Stages)
}

// metricLabel names a scorecard metric (reference.Metric) in lang.
func metricLabel(lang i18n.Lang, m string) string {
	key := "ui.analyst.metric." + m
	if !i18n.Has(i18n.EN, key) || !reference.Metric(m).Valid() {
		return m
	}
	return i18n.T(lang, key)
}

// countryNames maps the buyer countries of rows to their names, for scripts.
func (s *Server) countryNames(lang i18n.Lang, rows []analytics.ExportRecord) map[string]string {
	names := map[string]string{}
	for _, r := range rows {
		names[r.BuyerCountry] = s.countryName(lang, r.BuyerCountry)
	}
	return names
}

// nameOrder compares names in lang's alphabetical order (Cyrillic and
// Latin); one per sort, as a Collator is not safe for concurrent use.
func nameOrder(lang i18n.Lang) func(a, b string) int {
	return collate.New(textlang.Make(string(lang))).CompareString
}

// agencyNames maps every state body's code to its name, for scripts.
func (s *Server) agencyNames(lang i18n.Lang) map[string]string {
	names := map[string]string{}
	for _, a := range s.cfg.Ref.Agencies() {
		names[a.Code] = s.agencyName(lang, a.Code)
	}
	return names
}

// clauseTitles maps every Concept clause's id to its title, for scripts.
func (s *Server) clauseTitles(lang i18n.Lang) map[string]string {
	names := map[string]string{}
	for _, cl := range s.cfg.Ref.Clauses() {
		names[cl.ID] = s.clauseTitle(lang, cl.ID)
	}
	return names
}
