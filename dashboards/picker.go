package dashboards

import (
	"slices"
	"strings"

	"econdip/services/platform/i18n"
	"econdip/services/platform/reference"
)

// picker is a set of checkboxes of one field name, in groups: the
// "checkbox-picker" and "clause-picker" templates of layout.html draw it
// inside a <details> whose summary lists what is chosen, so a long list
// stays one line until opened and works without a script.
type picker struct {
	Name   string // the form field; one value per ticked box
	Label  string // the summary's label
	ID     string // the <details> element's id
	Open   bool
	Groups []pickerGroup
	Chosen []string // values ticked, for the summary
}

type pickerGroup struct {
	Title   string
	Options []pickerOption
}

type pickerOption struct {
	Value, Code, Title string // Code is shown before the title (a clause's number), empty for none
	Chosen             bool
}

// newClausePicker groups the Concept's clauses by chapter (the number before
// the point: 2.2 and 2.7 are chapter 2), each chapter titled by its areas.
// The template func clausePicker calls it: {{template "clause-picker"
// (clausePicker "clauses" .Clauses .Chosen)}}.
func newClausePicker(lang i18n.Lang, name string, clauses []reference.Clause, chosen []string) picker {
	p := picker{Name: name, ID: "picker-" + name, Label: i18n.T(lang, "ui.clause_picker.label"), Chosen: chosen}
	var chapters []string
	groups := map[string]*pickerGroup{}
	areas := map[string][]string{}
	for _, c := range clauses {
		chapter, _, _ := strings.Cut(c.ID, ".")
		g := groups[chapter]
		if g == nil {
			g = &pickerGroup{}
			groups[chapter] = g
			chapters = append(chapters, chapter)
		}
		if !slices.Contains(areas[chapter], c.Area) {
			areas[chapter] = append(areas[chapter], c.Area)
		}
		g.Options = append(g.Options, pickerOption{Value: c.ID, Code: c.ID, Title: c.Title(lang), Chosen: slices.Contains(chosen, c.ID)})
	}
	for _, ch := range chapters {
		var names []string
		for _, a := range areas[ch] {
			names = append(names, label(lang, "concept_area", a))
		}
		g := groups[ch]
		g.Title = i18n.T(lang, "ui.clause_picker.chapter", ch, strings.Join(names, ", "))
		p.Groups = append(p.Groups, *g)
	}
	return p
}

// agencyPicker offers the state bodies by full name, grouped by kind
// (ministries, agencies, holdings ...).
func agencyPicker(lang i18n.Lang, name string, agencies []reference.Agency, chosen []string) picker {
	p := picker{Name: name, ID: "picker-" + name, Label: i18n.T(lang, "ui.secretariat.agencies"), Chosen: namesOfAgencies(lang, agencies, chosen)}
	idx := map[string]int{}
	for _, a := range agencies {
		i, ok := idx[a.Kind]
		if !ok {
			i = len(p.Groups)
			idx[a.Kind] = i
			p.Groups = append(p.Groups, pickerGroup{Title: label(lang, "agency_kind", a.Kind)})
		}
		p.Groups[i].Options = append(p.Groups[i].Options, pickerOption{Value: a.Code, Title: a.Name(lang), Chosen: slices.Contains(chosen, a.Code)})
	}
	return p
}

// namesOfAgencies names agency codes in lang (an unknown code shows as it is).
func namesOfAgencies(lang i18n.Lang, agencies []reference.Agency, codes []string) []string {
	out := make([]string, 0, len(codes))
	for _, code := range codes {
		name := code
		for _, a := range agencies {
			if a.Code == code {
				name = a.Name(lang)
				break
			}
		}
		out = append(out, name)
	}
	return out
}
