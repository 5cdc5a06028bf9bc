package app_test

import (
	"context"
	"fmt"
	"math/rand/v2"
	"slices"
	"strings"
	"testing"
	"time"

	"github.com/nats-io/nats.go/jetstream"

	"econdip/events"
	"econdip/services/platform/auth"
	"econdip/services/platform/kernel"
	"econdip/services/platform/natsx/natstest"
	"econdip/services/platform/obs"
	"econdip/services/platform/reference"
	"econdip/services/search"
	"econdip/services/search/app"
	"econdip/services/search/domain"
)

var (
	berlin   = auth.User{ID: "attache.de-berlin", Role: auth.Attache, Post: "de-berlin"}
	beijing  = auth.User{ID: "attache.cn-beijing", Role: auth.Attache, Post: "cn-beijing"}
	analyst  = auth.User{ID: "analyst", Role: auth.Analyst}
	admin    = auth.User{ID: "admin", Role: auth.Admin}
	secretCN = auth.User{ID: "secretariat.igc-cn", Role: auth.Secretariat, Commission: "igc-cn"}
)

func lead(id, post, title, investor string, contacts ...events.Contact) events.LeadV1 {
	now := time.Date(2026, 12, 1, 9, 0, 0, 0, time.UTC)
	return events.LeadV1{ID: id, Version: 1, Post: post, Attache: "attache." + post, InvestorName: investor, InvestorCountry: "DE",
		Title: title, Stage: "prospect", Capex: kernel.Money{Currency: "EUR"}, CreatedAt: now, UpdatedAt: now, StageChangedAt: now,
		Contacts: contacts}
}

func publish(tb testing.TB, js jetstream.JetStream, subject string, ev events.Event) {
	tb.Helper()
	env, err := events.New(events.Meta{Source: "test", Subject: subject, Actor: "test", Scope: "global"}, ev)
	if err != nil {
		tb.Fatal(err)
	}
	if _, err := events.Publish(context.Background(), js, subject, env, events.PublishOptions{}); err != nil {
		tb.Fatal(err)
	}
}

func publishLead(tb testing.TB, js jetstream.JetStream, l events.LeadV1) {
	tb.Helper()
	publish(tb, js, events.MustSubject(events.LeadSubject(l.ID)), events.LeadCreatedV1{Lead: l})
}

func open(tb testing.TB, ctx context.Context, js jetstream.JetStream, dir string) *app.Index {
	tb.Helper()
	ix, err := app.Open(ctx, js, dir, app.Sources(), search.PostCountry(reference.Default()), obs.Discard())
	if err != nil {
		tb.Fatal(err)
	}
	deadline := time.Now().Add(30 * time.Second)
	for ix.Ready(ctx) != nil {
		if time.Now().After(deadline) {
			tb.Fatal(ix.Ready(ctx))
		}
		time.Sleep(10 * time.Millisecond)
	}
	return ix
}

// ids searches and returns the ids found, sorted.
func ids(tb testing.TB, ix *app.Index, u auth.User, q string, kinds ...domain.Kind) []string {
	tb.Helper()
	hits, err := ix.Search(context.Background(), u, app.Request{Q: q, Kinds: kinds, Limit: domain.MaxSize})
	if err != nil {
		tb.Fatal(err)
	}
	out := []string{}
	for _, h := range hits {
		out = append(out, h.ID)
	}
	slices.Sort(out)
	return out
}

// eventually searches until the answer is want (the index stores a batch
// within its flush interval).
func eventually(tb testing.TB, ix *app.Index, u auth.User, q string, want ...string) {
	tb.Helper()
	if want == nil {
		want = []string{}
	}
	slices.Sort(want)
	deadline := time.Now().Add(10 * time.Second)
	for {
		got := ids(tb, ix, u, q)
		if slices.Equal(got, want) {
			return
		}
		if time.Now().After(deadline) {
			tb.Fatalf("%s searching %q: got %v, want %v", u.ID, q, got, want)
		}
		time.Sleep(10 * time.Millisecond)
	}
}

func TestFindsKazakhWordsInAnyCaseAndOrder(t *testing.T) {
	ns := natstest.Start(t)
	ix := open(t, t.Context(), ns.JS, t.TempDir())
	publishLead(t, ns.JS, lead("l1", "de-berlin", "Қазақ Алтын", "Rhein Maschinenbau GmbH"))
	publishLead(t, ns.JS, lead("l2", "de-berlin", "Өскемен мырыш зауыты", "Zink AG"))
	publishLead(t, ns.JS, lead("l3", "de-berlin", "Tractor plant", "Казахстанские Тракторы"))
	for _, c := range []struct {
		q    string
		want []string
	}{
		{"ҚАЗАҚ", []string{"l1"}},
		{"казак", []string{"l1"}},       // "казахстанские" starts with "казах", not "казак"
		{"алтын қазақ", []string{"l1"}}, // words in any order
		{"АЛТЫН Казақ", []string{"l1"}},
		{"оскемен", []string{"l2"}},
		{"ӨСКЕМЕН зауыт", []string{"l2"}},
		{"зауыты мырыш", []string{"l2"}},
		{"rhein tractor", nil},                    // every word is required
		{"maschinenbau", []string{"l1"}},          // the investor is in the subtitle
		{"tractor казахстанской", []string{"l3"}}, // stemmed: "казахстанск"
		{"  ", nil},
		{`"AND OR NOT * ( ) : ^ {}`, nil},
	} {
		eventually(t, ix, berlin, c.q, c.want...)
	}
}

func TestAttacheNeverFindsAnotherPostsRecords(t *testing.T) {
	ns := natstest.Start(t)
	ix := open(t, t.Context(), ns.JS, t.TempDir())
	posts := []string{"de-berlin", "cn-beijing", "tr-ankara", "us-washington"}
	words := []string{"Алтын", "Steel", "Мұнай", "Green", "Астық", "Tractor"}
	rng := rand.New(rand.NewPCG(1, 2))
	byPost := map[string][]string{}
	for i := range 300 {
		post := posts[rng.IntN(len(posts))]
		id := fmt.Sprintf("lead-%03d", i)
		title := words[rng.IntN(len(words))] + " " + words[rng.IntN(len(words))]
		publishLead(t, ns.JS, lead(id, post, title, "Investor "+post))
		byPost[post] = append(byPost[post], id)
	}
	// Every lead indexed: each post finds all of its own (the limit counts
	// only the user's records, so a post's every lead fits). On a busy
	// machine the index trails the stream: wait for it, with room.
	deadline := time.Now().Add(30 * time.Second)
	for _, post := range posts {
		u := auth.User{ID: "attache." + post, Role: auth.Attache, Post: post}
		for len(ids(t, ix, u, "investor")) != min(len(byPost[post]), domain.MaxSize) {
			if time.Now().After(deadline) {
				t.Fatalf("%s found %d of their %d leads", u.ID, len(ids(t, ix, u, "investor")), len(byPost[post]))
			}
			time.Sleep(10 * time.Millisecond)
		}
	}
	for _, post := range posts {
		u := auth.User{ID: "attache." + post, Role: auth.Attache, Post: post}
		for _, w := range append(words, "investor", "de", "cn", "") {
			for _, id := range ids(t, ix, u, w) {
				if !slices.Contains(byPost[post], id) {
					t.Fatalf("%s searching %q found %s, a lead of another post", u.ID, w, id)
				}
			}
		}
	}
	// A secretariat reads no leads at all.
	eventually(t, ix, secretCN, "investor")
}

func TestContactsOnlyForThoseWhoMaySeeThem(t *testing.T) {
	ns := natstest.Start(t)
	ix := open(t, t.Context(), ns.JS, t.TempDir())
	publishLead(t, ns.JS, lead("l1", "de-berlin", "Wind farm", "Nordwind AG",
		events.Contact{Name: "Jürgen Bauer", Email: "j.bauer@nordwind.example", Phone: "+49 30 1234"}))
	eventually(t, ix, berlin, "wind")
	eventually(t, ix, berlin, "bauer", "l1")
	eventually(t, ix, berlin, "nordwind.example farm", "l1")
	eventually(t, ix, analyst, "wind farm", "l1")
	eventually(t, ix, analyst, "bauer")
	eventually(t, ix, admin, "bauer")
	eventually(t, ix, beijing, "bauer")
}

func TestResumesAfterRestart(t *testing.T) {
	ns := natstest.Start(t)
	dir := t.TempDir()
	ctx, stop := context.WithCancel(t.Context())
	ix := open(t, ctx, ns.JS, dir)
	publishLead(t, ns.JS, lead("l1", "de-berlin", "Алтын кен орны", "Gold GmbH"))
	eventually(t, ix, berlin, "алтын", "l1")
	stop()
	<-ix.Closed()

	// Written while the index was down.
	publishLead(t, ns.JS, lead("l2", "de-berlin", "Алтын зауыты", "Gold GmbH"))
	updated := lead("l1", "de-berlin", "Мыс кен орны", "Gold GmbH")
	updated.Version = 2
	publish(t, ns.JS, events.MustSubject(events.LeadSubject("l1")), events.LeadUpdatedV1{Lead: updated, Changed: []string{"title"}})

	// Reopened, it reads only the two events written since (the consumer
	// starts after the covered sequence): the stream's first event is gone
	// from its view of the world, yet l1 is still found.
	st, _ := ns.JS.Stream(t.Context(), events.StreamLeads)
	if err := st.DeleteMsg(t.Context(), 1); err != nil {
		t.Fatal(err)
	}
	ix = open(t, t.Context(), ns.JS, dir)
	eventually(t, ix, berlin, "алтын", "l2")
	eventually(t, ix, berlin, "мыс", "l1")
	eventually(t, ix, berlin, "gold", "l1", "l2")
}

func TestDecisionsAndSessionsForTheirCommission(t *testing.T) {
	ns := natstest.Start(t)
	ix := open(t, t.Context(), ns.JS, t.TempDir())
	now := time.Now()
	for _, cid := range []string{"igc-cn", "igc-tr"} {
		publish(t, ns.JS, events.MustSubject(events.CommissionSubject(cid)), events.CommissionRecordedV1{Commission: events.CommissionV1{
			ID: cid, Version: 1, Name: cid, PartnerCountry: strings.ToUpper(cid[4:]), CreatedAt: now, UpdatedAt: now}})
		publish(t, ns.JS, events.MustSubject(events.SessionSubject(cid, "s-"+cid)), events.SessionRecordedV1{Session: events.SessionV1{
			ID: "s-" + cid, CommissionID: cid, Number: 7, Date: "2026-05-01", Place: "Астана", CreatedAt: now}})
		publish(t, ns.JS, events.MustSubject(events.DecisionSubject(cid, "d-"+cid)), events.DecisionRecordedV1{Decision: events.DecisionV1{
			ID: "d-" + cid, Version: 1, CommissionID: cid, SessionID: "s-" + cid, SessionNumber: 7, SessionDate: "2026-05-01",
			Item: "3.1", Text: "Өзара сауда көлемін арттыру", PartnerCountry: strings.ToUpper(cid[4:]), Deadline: "2026-12-31", Status: "open", StatusDate: "2026-05-01", CreatedAt: now, UpdatedAt: now}})
	}
	eventually(t, ix, secretCN, "сауда", "d-igc-cn")
	eventually(t, ix, secretCN, "астана", "s-igc-cn")
	eventually(t, ix, analyst, "сауда", "d-igc-cn", "d-igc-tr")
	eventually(t, ix, berlin, "сауда")
	// An attaché reads the commissions of their post's country: Beijing's
	// the Chinese one's decisions and sessions.
	eventually(t, ix, beijing, "сауда", "d-igc-cn")
	eventually(t, ix, beijing, "астана", "s-igc-cn")
	hits, err := ix.Search(t.Context(), secretCN, app.Request{Q: "сауда", Kinds: []domain.Kind{domain.Decision}, Limit: 5})
	if err != nil || len(hits) != 1 || hits[0].URL != "/secretariat/decisions/d-igc-cn" {
		t.Fatalf("secretariat's hit: %+v, %v", hits, err)
	}
	hits, _ = ix.Search(t.Context(), analyst, app.Request{Q: "сауда", Kinds: []domain.Kind{domain.Lead}, Limit: 5})
	if len(hits) != 0 {
		t.Fatalf("kinds=lead found decisions: %+v", hits)
	}
}

// TestPickerFindsThePartnerCountrysLeadsAndDeals: a secretariat finds, to
// link a decision, the leads and deals of its commission's partner
// country, and nothing of them in its ordinary search.
func TestPickerFindsThePartnerCountrysLeadsAndDeals(t *testing.T) {
	ns := natstest.Start(t)
	ix := open(t, t.Context(), ns.JS, t.TempDir())
	now := time.Now()
	publish(t, ns.JS, events.MustSubject(events.CommissionSubject("igc-cn")), events.CommissionRecordedV1{Commission: events.CommissionV1{
		ID: "igc-cn", Version: 1, Name: "KZ-CN", PartnerCountry: "CN", CreatedAt: now, UpdatedAt: now}})
	chinese := lead("l-cn", "cn-beijing", "Solar panels", "Sun Co", events.Contact{Name: "Li Wei"})
	chinese.InvestorCountry = "CN"
	publishLead(t, ns.JS, chinese)
	publishLead(t, ns.JS, lead("l-de", "de-berlin", "Solar farm", "Sonne GmbH"))
	publish(t, ns.JS, events.MustSubject(events.DealSubject("d-cn")), events.DealCreatedV1{Deal: events.DealV1{ID: "d-cn", Version: 1,
		Post: "cn-beijing", ExporterName: "Solar Steppe LLP", ExporterBIN: "123456789012", BuyerCountry: "CN", BuyerName: "Shanghai Solar",
		HSCode: "854143", Value: kernel.Money{Currency: "USD"}, Stage: "negotiation", CreatedAt: now, UpdatedAt: now, StageChangedAt: now}})
	eventually(t, ix, analyst, "solar", "l-cn", "l-de", "d-cn")
	link := func(q string) []string {
		hits, err := ix.Search(t.Context(), secretCN, app.Request{Q: q, Kinds: []domain.Kind{domain.Lead, domain.Deal}, ForLink: true})
		if err != nil {
			t.Fatal(err)
		}
		var out []string
		for _, h := range hits {
			out = append(out, h.ID+" "+h.URL)
		}
		slices.Sort(out)
		return out
	}
	if got := link("solar"); !slices.Equal(got, []string{"d-cn ", "l-cn "}) {
		t.Fatalf("the secretariat's picker found %q, want the Chinese lead and deal without a page", got)
	}
	if got := link("li wei"); len(got) != 0 {
		t.Fatalf("the picker searched contacts: %q", got)
	}
	eventually(t, ix, secretCN, "solar")
	if got, err := ix.Search(t.Context(), beijing, app.Request{Q: "solar", ForLink: true}); err != nil || len(got) != 2 {
		t.Fatalf("an attaché's picker adds nothing to what they read: %+v, %v", got, err)
	}
}

// Companies are found by their names and other spellings by every reader
// of the register, never by their contacts.
func TestCompaniesByTheirNamesForEveryReader(t *testing.T) {
	ns := natstest.Start(t)
	ix := open(t, t.Context(), ns.JS, t.TempDir())
	now := time.Date(2026, 12, 1, 9, 0, 0, 0, time.UTC)
	c := events.CompanyV1{ID: "c1", Version: 1, Name: "ТОО «Қазақ Алюминий»", NameLatin: "Kazakh Aluminium LLP", Country: "KZ",
		Aliases: []string{"KazAlu"}, Contacts: []events.Contact{{Name: "Zhanar Sarsenova"}}, CreatedBy: "attache.de-berlin", CreatedAt: now, UpdatedAt: now}
	publish(t, ns.JS, events.MustSubject(events.CompanySubject(c.ID)), events.CompanyCreatedV1{Company: c})
	for _, u := range []auth.User{berlin, analyst, secretCN} {
		eventually(t, ix, u, "АЛЮМИНИЙ қазақ", "c1")
		eventually(t, ix, u, "aluminium", "c1")
		eventually(t, ix, u, "kazalu", "c1")
		eventually(t, ix, u, "sarsenova")
	}
}
