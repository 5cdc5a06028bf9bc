// Package domain is the global search's rules, without I/O: what a record
// looks like to the index (Doc), how a search box becomes an FTS5 query
// that can never be a syntax error (ParseQuery, Query.Match), and which
// records a user may find (ScopeOf), decided by the access policy of
// services/platform/auth.
package domain

import (
	"encoding/hex"
	"net/url"
	"slices"
	"strings"
	"unicode"
	"unicode/utf8"

	"econdip/services/platform/auth"
	"econdip/services/platform/textfold"
)

// Kind is the kind of a record the search finds.
type Kind string

// The kinds of records.
const (
	Lead     Kind = "lead"
	Deal     Kind = "deal"
	Barrier  Kind = "barrier"
	Decision Kind = "decision"
	Session  Kind = "session"
	Company  Kind = "company"
	Exporter Kind = "exporter"
	// Commission is not searched: a commission's document gives the index
	// its partner country (Country), the scope of its sessions.
	Commission Kind = "commission"
)

// Kinds lists every kind, in the order results are grouped.
var Kinds = []Kind{Lead, Deal, Barrier, Decision, Session, Company, Exporter}

// ParseKinds reads a comma-separated list of kinds ("lead,deal"); empty is
// every kind, an unknown kind is ignored (nil, false when none is known).
func ParseKinds(s string) ([]Kind, bool) {
	if strings.TrimSpace(s) == "" {
		return nil, true
	}
	var out []Kind
	for _, k := range strings.Split(s, ",") {
		k := Kind(strings.TrimSpace(k))
		for _, known := range Kinds {
			if k == known && !contains(out, k) {
				out = append(out, k)
			}
		}
	}
	return out, len(out) > 0
}

func contains(ks []Kind, k Kind) bool {
	for _, x := range ks {
		if x == k {
			return true
		}
	}
	return false
}

// Family is a set of kinds one action of the policy reads: leads
// (ReadLeads), deals and barriers (ReadExports), sessions and decisions
// (ReadCommissions), exporters (ReadExporters), companies (any signed-in user).
type Family string

// The families.
const (
	FamLeads       Family = "leads"
	FamExports     Family = "exports"
	FamCommissions Family = "commissions"
	FamExporters   Family = "exporters"
	FamCompanies   Family = "companies"
)

// families maps each family to the action that reads it.
var families = []struct {
	fam    Family
	action auth.Action
}{
	{FamLeads, auth.ReadLeads}, {FamExports, auth.ReadExports}, {FamCommissions, auth.ReadCommissions},
	{FamExporters, auth.ReadExporters}, {FamCompanies, auth.SignedIn},
}

// FamilyOf is the family of a kind.
func FamilyOf(k Kind) Family {
	switch k {
	case Lead:
		return FamLeads
	case Deal, Barrier:
		return FamExports
	case Decision, Session:
		return FamCommissions
	case Exporter:
		return FamExporters
	}
	return FamCompanies
}

// Doc is one record as the index keeps it: one row a record, replaced by
// each of its events.
type Doc struct {
	Kind Kind
	ID   string
	// Owner is the post (leads, deals, barriers) or the commission
	// (sessions, decisions) whose readers may find the record; empty for
	// companies and exporters, which every reader of their family finds.
	Owner    string
	Title    string // shown as the result's title
	Subtitle string // shown under it: the investor, the country, the session...
	Text     string // further words the record is found by
	Contacts string // contact persons: searched only for readers who may see them
	Parent   string // the commission of a session or decision (for its page)
	// Country is the partner country of a commission, session or decision
	// (attachés of a post in it read them), and the investor's country of a
	// lead or the buyer's of a deal (a secretariat of a commission with it
	// may link its decisions to them: auth.LinkTargets).
	Country string
}

// ScopeTokens are the words of the index's scope column for d: the
// family (every reader of the family with reach All finds it) and, where
// the record has one, its owner (readers with reach Own).
func (d Doc) ScopeTokens() string {
	f := FamilyOf(d.Kind)
	out := []string{token(string(f))}
	if d.Owner != "" {
		out = append(out, token(string(f)+"/"+d.Owner))
	}
	if d.Country != "" {
		switch d.Kind {
		case Decision, Session:
			out = append(out, token(string(f)+"/country/"+d.Country))
		case Lead, Deal:
			out = append(out, token("link/"+d.Country))
		}
	}
	return strings.Join(out, " ")
}

// token makes one word of the FTS5 unicode61 tokenizer out of a scope (it
// would split "leads/de-berlin" at '/' and '-'): hex, behind a letter.
func token(s string) string { return "s" + hex.EncodeToString([]byte(s)) }

// Scope is what one user may find: per family, every record (reach All)
// or their own post's or commission's, and the scopes whose contact
// persons they may see.
type Scope struct {
	// All: every family at reach All, no scope filter at all.
	All bool
	// Tokens are the scope words a record must have one of (when !All).
	Tokens []string
	// Contacts are the scope words of the records whose contacts the user
	// may search; empty: contacts are not searched.
	Contacts []string
	// AllContacts: the user may search the contacts of every record of
	// Tokens that has any (leads, companies), so the query need not say
	// twice which records' contacts it searches.
	AllContacts bool
}

// ScopeOf is the scope of u, from the policy's matrix: a family read with
// reach Own yields the user's post (leads, exports) or commission, or for
// an attaché the commissions of their post's country (postCountry), as the
// commissions service decides; with All, the family; with None, nothing.
// Contact persons are the post's, for those who may write its leads (the
// leads service shows them to no one else); company contacts are for the
// same users.
func ScopeOf(u auth.User, postCountry string) Scope {
	var s Scope
	all := true
	for _, f := range families {
		switch auth.ReachOf(u, f.action) {
		case auth.All:
			s.Tokens = append(s.Tokens, token(string(f.fam)))
		case auth.Own:
			all = false
			if own := ownerOf(u, f.fam); own != "" {
				s.Tokens = append(s.Tokens, token(string(f.fam)+"/"+own))
			} else if f.fam == FamCommissions && postCountry != "" {
				s.Tokens = append(s.Tokens, token(string(f.fam)+"/country/"+postCountry))
			}
		default:
			all = false
		}
	}
	s.All = all && u.ID != ""
	if u.Post != "" && auth.ReachOf(u, auth.WriteLeads) == auth.Own {
		s.Contacts = append(s.Contacts, token(string(FamLeads)+"/"+u.Post), token(string(FamCompanies)))
		// Every lead the user finds is their post's, every company theirs
		// to see: the contacts of all they find are theirs to search.
		s.AllContacts = !s.All && !slices.Contains(s.Tokens, token(string(FamLeads)))
	}
	return s
}

// LinkScope is what u may find to link a decision to (auth.LinkTargets):
// with reach Own, the leads and deals of the partner country of their
// commission (commissionCountry); nothing else. Titles only: contacts are
// never searched for it.
func LinkScope(u auth.User, commissionCountry string) Scope {
	if auth.ReachOf(u, auth.LinkTargets) == auth.None || commissionCountry == "" {
		return Scope{}
	}
	return Scope{Tokens: []string{token("link/" + commissionCountry)}}
}

// Join is the records either scope finds.
func (s Scope) Join(o Scope) Scope {
	return Scope{All: s.All || o.All, Tokens: append(slices.Clone(s.Tokens), o.Tokens...), Contacts: append(slices.Clone(s.Contacts), o.Contacts...),
		AllContacts: s.AllContacts && len(o.Tokens) == 0}
}

// ownerOf is the post or commission the user's Own reach on a family is.
func ownerOf(u auth.User, f Family) string {
	switch f {
	case FamLeads, FamExports:
		return u.Post
	case FamCommissions:
		return u.Commission
	}
	return ""
}

// Query is a parsed search box: folded, stemmed words, each matched as a
// prefix, all of them required, in any order.
type Query struct {
	Terms []string
}

// Limits of a query: more words narrow nothing a person types, and long
// words are no words.
const (
	maxTerms    = 8
	maxTermLen  = 64
	DefaultSize = 20
	MaxSize     = 100
)

// ParseQuery splits q into words the way the index's tokenizer does
// (letters and digits; everything else separates), folded like the index
// (textfold.Fold: case, Kazakh letters, ё) and stemmed (textfold.Stem), so
// "ҚАЗАҚ", "казак" and "Қазақ" are one word. Empty when q has no word.
func ParseQuery(q string) Query {
	var out Query
	for _, w := range strings.FieldsFunc(textfold.Fold(q), func(r rune) bool { return !unicode.IsLetter(r) && !unicode.IsNumber(r) }) {
		if utf8.RuneCountInString(w) > maxTermLen {
			w = string([]rune(w)[:maxTermLen])
		}
		w = textfold.Stem(w)
		if w == "" || containsString(out.Terms, w) {
			continue
		}
		out.Terms = append(out.Terms, w)
		if len(out.Terms) == maxTerms {
			break
		}
	}
	return out
}

func containsString(ss []string, s string) bool {
	for _, x := range ss {
		if x == s {
			return true
		}
	}
	return false
}

// Empty reports whether the query has no word.
func (q Query) Empty() bool { return len(q.Terms) == 0 }

// words is the query's FTS5 expression: every term a quoted prefix
// ("казак"*), ANDed. A term holds letters and digits only, and a quote in
// it would be doubled anyway: no input becomes an FTS5 operator.
func (q Query) words() string {
	parts := make([]string, len(q.Terms))
	for i, t := range q.Terms {
		parts[i] = `"` + strings.ReplaceAll(t, `"`, `""`) + `"*`
	}
	return strings.Join(parts, " AND ")
}

// Match is the FTS5 MATCH expression of q for a user of scope s, over the
// given kinds (nil: all): the words in the title and text columns of
// records in the user's scope, or also in the contacts column of records
// whose contacts the user may see. The scope is part of the expression,
// so LIMIT counts only records the user may read. Empty when the user may
// find nothing or q has no word.
func (q Query) Match(s Scope, kinds []Kind) string { return q.match(s, kinds, "{title text}", true) }

// TitleMatch is Match with every word in the title: the results listed
// first.
func (q Query) TitleMatch(s Scope, kinds []Kind) string { return q.match(s, kinds, "title", false) }

func (q Query) match(s Scope, kinds []Kind, cols string, contacts bool) string {
	if q.Empty() || (!s.All && len(s.Tokens) == 0) {
		return ""
	}
	w := q.words()
	var kindFilter string
	if len(kinds) > 0 {
		ks := make([]string, len(kinds))
		for i, k := range kinds {
			ks[i] = `"` + string(k) + `"`
		}
		kindFilter = " AND (kind : (" + strings.Join(ks, " OR ") + "))"
	}
	if contacts && s.AllContacts {
		cols, contacts = "{title text contacts}", false
	}
	text := "(" + cols + " : (" + w + "))"
	if !s.All {
		text += " AND (scope : (" + strings.Join(s.Tokens, " OR ") + "))"
	}
	if !contacts || len(s.Contacts) == 0 {
		return "(" + text + ")" + kindFilter
	}
	withContacts := "({title text contacts} : (" + w + ")) AND (scope : (" + strings.Join(s.Contacts, " OR ") + "))"
	return "((" + text + ") OR (" + withContacts + "))" + kindFilter
}

// Hit is one result.
type Hit struct {
	Kind     Kind   `json:"kind"`
	ID       string `json:"id"`
	Title    string `json:"title"`
	Subtitle string `json:"subtitle"`
	URL      string `json:"url"`
	Parent   string `json:"-"`
}

// PageOf is the dashboard page of a record for u: the attaché's and the
// secretariat's own pages where they have one, else the record pages every
// reader has (/records/<kind>/<id>; a decision's is under its commission,
// parent); a session opens its commission's decisions, companies have their
// page. A record with no page for u (one u may only link to, an exporter) has "".
func PageOf(u auth.User, k Kind, id, parent string) string {
	switch {
	case k == Lead && auth.ReachOf(u, auth.ReadLeads) == auth.None, k == Deal && auth.ReachOf(u, auth.ReadExports) == auth.None:
		return ""
	case k == Company:
		return "/companies/" + id
	case k == Exporter:
		return ""
	case u.Role == auth.Attache && k == Lead:
		return "/attache/leads/" + id
	case u.Role == auth.Attache && k == Deal:
		return "/attache/deals/" + id
	case u.Role == auth.Attache && k == Barrier:
		return "/attache/barriers/" + id
	case u.Role == auth.Secretariat && k == Decision:
		return "/secretariat/decisions/" + id
	case k == Decision:
		return "/records/decision/" + url.PathEscape(parent) + "/" + url.PathEscape(id)
	case k == Session:
		return "/records/decisions?commission=" + url.QueryEscape(parent)
	}
	return "/records/" + string(k) + "/" + url.PathEscape(id)
}
