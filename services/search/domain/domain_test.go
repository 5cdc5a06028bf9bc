package domain_test

import (
	"database/sql"
	"slices"
	"strings"
	"testing"

	_ "modernc.org/sqlite"

	"econdip/services/platform/auth"
	"econdip/services/search/domain"
)

func TestParseQuery(t *testing.T) {
	for _, c := range []struct {
		name, q string
		want    []string
	}{
		{"Kazakh capitals fold", "ҚАЗАҚ Өскемен", []string{"казак", "оскемен"}},
		{"every Kazakh letter", "ӘҒҚҢӨҰҮҺІ әғқңөұүһік", []string{"агкноуух", "агкноуухик"}},
		{"ё is е", "Мёд", []string{"мед"}},
		{"punctuation separates", `"Қазақ-Алтын", (ТОО)`, []string{"казак", "алтын", "тоо"}},
		{"Russian endings cut", "пшеницы", []string{"пшениц"}},
		{"words once", "gold GOLD Gold", []string{"gold"}},
		{"FTS operators are words", "a AND b OR NOT c NEAR(d)", []string{"a", "and", "b", "or", "not", "c", "near", "d"}},
		{"no words", ` "*:^(){}-+ `, nil},
	} {
		t.Run(c.name, func(t *testing.T) {
			got := domain.ParseQuery(c.q).Terms
			if !slices.Equal(got, c.want) {
				t.Fatalf("ParseQuery(%q) = %q, want %q", c.q, got, c.want)
			}
		})
	}
	if n := len(domain.ParseQuery(strings.Repeat("word", 1) + strings.Repeat(" x y z a b c d e f g h", 3)).Terms); n != 8 {
		t.Fatalf("a long query keeps %d words, want 8", n)
	}
}

func TestScopeOf(t *testing.T) {
	attache := domain.ScopeOf(auth.User{ID: "a", Role: auth.Attache, Post: "de-berlin"}, "DE")
	analyst := domain.ScopeOf(auth.User{ID: "b", Role: auth.Analyst}, "")
	admin := domain.ScopeOf(auth.User{ID: "c", Role: auth.Admin}, "")
	secretariat := domain.ScopeOf(auth.User{ID: "d", Role: auth.Secretariat, Commission: "igc-cn"}, "")
	nobody := domain.ScopeOf(auth.User{}, "")
	lead := domain.Doc{Kind: domain.Lead, ID: "l", Owner: "de-berlin"}
	other := domain.Doc{Kind: domain.Lead, ID: "l", Owner: "cn-beijing"}
	deal := domain.Doc{Kind: domain.Deal, ID: "d", Owner: "de-berlin"}
	decision := domain.Doc{Kind: domain.Decision, ID: "x", Owner: "igc-cn", Country: "CN"}
	germanDecision := domain.Doc{Kind: domain.Decision, ID: "y", Owner: "igc-de", Country: "DE"}
	chineseLead := domain.Doc{Kind: domain.Lead, ID: "l", Owner: "cn-beijing", Country: "CN"}
	linking := domain.LinkScope(auth.User{ID: "d", Role: auth.Secretariat, Commission: "igc-cn"}, "CN")
	exporter := domain.Doc{Kind: domain.Exporter, ID: "123456789012"}
	company := domain.Doc{Kind: domain.Company, ID: "c1"}
	finds := func(s domain.Scope, d domain.Doc) bool {
		if s.All {
			return true
		}
		for _, tok := range strings.Fields(d.ScopeTokens()) {
			if slices.Contains(s.Tokens, tok) {
				return true
			}
		}
		return false
	}
	for _, c := range []struct {
		name  string
		scope domain.Scope
		doc   domain.Doc
		want  bool
	}{
		{"attaché: own post's lead", attache, lead, true},
		{"attaché: another post's lead", attache, other, false},
		{"attaché: own post's deal", attache, deal, true},
		{"attaché: a decision of another country", attache, decision, false},
		{"attaché: a decision of the post's country", attache, germanDecision, true},
		{"secretariat linking: a lead of the partner country", linking, chineseLead, true},
		{"secretariat linking: a lead of another country", linking, other, false},
		{"secretariat linking: a decision", linking, decision, false},
		{"secretariat: a lead of the partner country", secretariat, chineseLead, false},
		{"attaché: an exporter", attache, exporter, true},
		{"attaché: a company", attache, company, true},
		{"secretariat: own decision", secretariat, decision, true},
		{"secretariat: a lead", secretariat, lead, false},
		{"secretariat: an exporter", secretariat, exporter, false},
		{"secretariat: a company", secretariat, company, true},
		{"analyst: everything", analyst, other, true},
		{"admin: everything", admin, decision, true},
		{"signed out: nothing", nobody, company, false},
	} {
		if got := finds(c.scope, c.doc); got != c.want {
			t.Errorf("%s: finds %v, want %v", c.name, got, c.want)
		}
	}
	if len(attache.Contacts) == 0 || len(analyst.Contacts) != 0 || len(admin.Contacts) != 0 || len(secretariat.Contacts) != 0 {
		t.Fatalf("contacts are the attaché's alone: attaché %v analyst %v admin %v secretariat %v",
			attache.Contacts, analyst.Contacts, admin.Contacts, secretariat.Contacts)
	}
}

// FuzzMatch: whatever a user types (the search box, the kinds list), the
// MATCH expression is one FTS5 accepts (no syntax error, no operator of the
// user's), for every kind of scope, and only known kinds are asked.
func FuzzMatch(f *testing.F) {
	for _, s := range []string{"ҚАЗАҚ алтын", `"`, `a" OR "b`, "NEAR(a b)", "col:a", "a*", "^a", "{title}: x", "-a +b", "''", "\x00", "a\u0301"} {
		f.Add(s, "lead,deal")
	}
	f.Add("x", `lead" OR "x`)
	db, err := sql.Open("sqlite", ":memory:")
	if err != nil {
		f.Fatal(err)
	}
	db.SetMaxOpenConns(1)
	f.Cleanup(func() { db.Close() })
	if _, err := db.Exec(`CREATE VIRTUAL TABLE docs USING fts5(kind, scope, title, text, contacts, id UNINDEXED, tokenize = 'unicode61 remove_diacritics 2', prefix = '2 3')`); err != nil {
		f.Fatal(err)
	}
	if _, err := db.Exec(`INSERT INTO docs (kind, scope, title, text, contacts, id) VALUES ('lead', ?, 'казак алтын', 'a b', 'c', 'l1')`,
		domain.Doc{Kind: domain.Lead, Owner: "de-berlin"}.ScopeTokens()); err != nil {
		f.Fatal(err)
	}
	scopes := []domain.Scope{
		domain.ScopeOf(auth.User{ID: "a", Role: auth.Attache, Post: "de-berlin"}, "DE"),
		domain.ScopeOf(auth.User{ID: "b", Role: auth.Analyst}, ""),
		domain.ScopeOf(auth.User{ID: "d", Role: auth.Secretariat, Commission: "igc-cn"}, ""),
	}
	f.Fuzz(func(t *testing.T, q, kindList string) {
		kinds, _ := domain.ParseKinds(kindList)
		for _, k := range kinds {
			if !slices.Contains(domain.Kinds, k) {
				t.Fatalf("kinds %q gave %q, not a kind", kindList, k)
			}
		}
		for i, s := range scopes {
			for _, m := range []string{domain.ParseQuery(q).Match(s, kinds), domain.ParseQuery(q).TitleMatch(s, kinds)} {
				if m == "" {
					continue
				}
				var n int
				if err := db.QueryRow(`SELECT count(*) FROM docs WHERE docs MATCH ?`, m).Scan(&n); err != nil {
					t.Fatalf("scope %d: query %q, kinds %q made %q, which FTS5 refuses: %v", i, q, kindList, m, err)
				}
			}
		}
	})
}

// A hit's link is a page that exists for its reader: record pages take a
// decision under its commission, sessions open their commission's decisions.
func TestPageOfNamesARouteTheReaderHas(t *testing.T) {
	analyst := auth.User{ID: "a", Role: auth.Analyst}
	attache := auth.User{ID: "b", Role: auth.Attache, Post: "de-berlin"}
	secretariat := auth.User{ID: "c", Role: auth.Secretariat, Commission: "kz-cn"}
	for _, c := range []struct {
		u          auth.User
		kind       domain.Kind
		id, parent string
		want       string
	}{
		{analyst, domain.Lead, "L1", "", "/records/lead/L1"},
		{analyst, domain.Decision, "D1", "kz-cn", "/records/decision/kz-cn/D1"},
		{analyst, domain.Session, "S1", "kz-cn", "/records/decisions?commission=kz-cn"},
		{analyst, domain.Exporter, "E1", "", ""},
		{analyst, domain.Company, "C1", "", "/companies/C1"},
		{attache, domain.Lead, "L1", "", "/attache/leads/L1"},
		{attache, domain.Barrier, "B1", "", "/attache/barriers/B1"},
		{secretariat, domain.Decision, "D1", "kz-cn", "/secretariat/decisions/D1"},
		{secretariat, domain.Lead, "L1", "", ""},
	} {
		if got := domain.PageOf(c.u, c.kind, c.id, c.parent); got != c.want {
			t.Errorf("PageOf(%s, %s %s) = %q, want %q", c.u.Role, c.kind, c.id, got, c.want)
		}
	}
}
