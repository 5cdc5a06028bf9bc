package app_test

import (
	"slices"
	"testing"
	"time"

	"econdip/services/companies/app"
	"econdip/services/companies/domain"
	"econdip/services/platform/apperr"
	"econdip/services/platform/auth"
	"econdip/services/platform/natsx/natstest"
	"econdip/services/platform/obs"
	"econdip/services/platform/reference"
)

var (
	berlin  = auth.User{ID: "attache.de-berlin", Role: auth.Attache, Post: "de-berlin"}
	beijing = auth.User{ID: "attache.cn-beijing", Role: auth.Attache, Post: "cn-beijing"}
	analyst = auth.User{ID: "analyst", Role: auth.Analyst}
	sec     = auth.User{ID: "sec.igc-cn", Role: auth.Secretariat, Commission: "igc-cn"}
	admin   = auth.User{ID: "admin", Role: auth.Admin}
)

func start(t *testing.T) *app.Service {
	t.Helper()
	ns := natstest.Start(t)
	svc, err := app.New(t.Context(), ns.JS, reference.Default(), obs.Discard(), t.TempDir())
	if err != nil {
		t.Fatal(err)
	}
	return svc
}

func code(err error) apperr.Code { return apperr.CodeOf(err) }

func TestCompanyCommands(t *testing.T) {
	svc := start(t)
	ctx := t.Context()
	kz, _, err := svc.Create(ctx, berlin, "k1", domain.Details{Name: "Kazakh Aluminium LLP", Country: "KZ",
		Contacts: []domain.Contact{{Name: "Aidos Nurlanov", Email: "a@example.kz"}}}, false)
	if err != nil {
		t.Fatal(err)
	}
	// A retry is the same company; another attaché (any post) may edit it.
	again, replayed, err := svc.Create(ctx, berlin, "k1", domain.Details{Name: "Kazakh Aluminium LLP", Country: "KZ",
		Contacts: []domain.Contact{{Name: "Aidos Nurlanov", Email: "a@example.kz"}}}, false)
	if err != nil || !replayed || again.ID != kz.ID {
		t.Fatalf("retry: %v replayed=%v", err, replayed)
	}
	// The pair: flagged before it is created, created when confirmed.
	dup := domain.Details{Name: "ТОО «Қазақ Алюминий»", Country: "KZ"}
	if _, _, err := svc.Create(ctx, beijing, "", dup, false); code(err) != apperr.Invalid {
		t.Fatalf("a likely duplicate is refused unless confirmed: %v", err)
	}
	found, err := svc.Match(beijing, dup.Name, "KZ", "", "")
	if err != nil || len(found) != 1 || found[0].Company.ID != kz.ID {
		t.Fatalf("match: %+v %v", found, err)
	}
	if other, err := svc.Match(beijing, "Astana Motors", "KZ", "", ""); err != nil || len(other) != 0 {
		t.Fatalf("a different name matches nothing: %+v %v", other, err)
	}
	qa, _, err := svc.Create(ctx, beijing, "", dup, true)
	if err != nil || qa.NameLatin != "TOO Qazaq Alyuminiy" {
		t.Fatalf("create anyway: %+v %v", qa, err)
	}
	// Who may do what: analysts and secretariats read without contacts.
	for _, u := range []auth.User{analyst, sec} {
		got, err := svc.Get(ctx, u, kz.ID)
		if err != nil || len(got.Contacts) != 0 {
			t.Errorf("%s reads %v without contacts: %+v", u.Role, err, got.Contacts)
		}
	}
	if got, _ := svc.Get(ctx, beijing, kz.ID); len(got.Contacts) != 1 {
		t.Errorf("an attaché sees the contacts")
	}
	if _, _, err := svc.Create(ctx, analyst, "", domain.Details{Name: "X GmbH", Country: "DE"}, true); code(err) != apperr.Forbidden {
		t.Errorf("an analyst creates: %v", err)
	}
	if _, err := svc.Merge(ctx, berlin, kz.ID, kz.Version, qa.ID, qa.Version); code(err) != apperr.Forbidden {
		t.Errorf("an attaché merges: %v", err)
	}
	// Edit: a stale version is a conflict.
	edited, err := svc.Update(ctx, beijing, kz.ID, kz.Version, func(d *domain.Details) { d.Website = "https://kazal.example.kz" })
	if err != nil || edited.Version != 2 {
		t.Fatalf("update: %v", err)
	}
	if _, err := svc.Update(ctx, berlin, kz.ID, kz.Version, func(d *domain.Details) { d.RegNumber = "1" }); code(err) != apperr.Conflict {
		t.Fatalf("a stale update: %v", err)
	}
	// Merge: stale versions are refused, then the survivor takes the names.
	if _, err := svc.Merge(ctx, admin, kz.ID, kz.Version, qa.ID, qa.Version); code(err) != apperr.Conflict {
		t.Fatalf("merge from a stale survivor version: %v", err)
	}
	if _, err := svc.Merge(ctx, admin, kz.ID, edited.Version, qa.ID, qa.Version+1); code(err) != apperr.Conflict {
		t.Fatalf("merge from a stale absorbed version: %v", err)
	}
	survivor, err := svc.Merge(ctx, admin, kz.ID, edited.Version, qa.ID, qa.Version)
	if err != nil || !slices.Contains(survivor.Aliases, "ТОО «Қазақ Алюминий»") {
		t.Fatalf("merge: %+v %v", survivor, err)
	}
	if again, err := svc.Merge(ctx, admin, kz.ID, edited.Version, qa.ID, qa.Version); err != nil || again.ID != kz.ID {
		t.Fatalf("a merge retried answers the survivor: %v", err)
	}
	absorbed, _ := svc.Get(ctx, analyst, qa.ID)
	if absorbed.MergedInto != kz.ID {
		t.Fatalf("absorbed: merged_into %q", absorbed.MergedInto)
	}
	if _, err := svc.Update(ctx, beijing, qa.ID, absorbed.Version, func(d *domain.Details) { d.Website = "https://x.example" }); code(err) != apperr.Conflict {
		t.Errorf("a merged company is not edited: %v", err)
	}
	hist, err := svc.History(ctx, analyst, qa.ID)
	if err != nil || len(hist) != 2 || hist[1].MergedInto != kz.ID || hist[0].Name != "ТОО «Қазақ Алюминий»" {
		t.Fatalf("history of the absorbed: %+v %v", hist, err)
	}
	// Lists: by country, by any spelling (also Kazakh letters in another
	// case, and the skeleton), merged apart.
	deadline := time.Now().Add(10 * time.Second)
	for {
		page, err := svc.List(analyst, app.Filter{Country: "KZ"})
		if err != nil {
			t.Fatal(err)
		}
		if page.Total == 1 && page.Items[0].ID == kz.ID {
			break
		}
		if time.Now().After(deadline) {
			t.Fatalf("list: %+v", page)
		}
		time.Sleep(20 * time.Millisecond)
	}
	for _, q := range []string{"ҚАЗАҚ", "қазақ", "aluminium", "Qazaq"} {
		page, err := svc.List(analyst, app.Filter{Query: q})
		if err != nil || page.Total != 1 || page.Items[0].ID != kz.ID {
			t.Errorf("search %q: %+v %v", q, page.Items, err)
		}
	}
	if page, _ := svc.List(analyst, app.Filter{Merged: true}); page.Total != 1 || page.Items[0].ID != qa.ID {
		t.Errorf("merged list: %+v", page.Items)
	}
	if _, err := svc.List(analyst, app.Filter{Country: "XX"}); code(err) != apperr.Invalid {
		t.Errorf("an unknown country: %v", err)
	}
}

func TestCompanyValidation(t *testing.T) {
	svc := start(t)
	_, _, err := svc.Create(t.Context(), berlin, "", domain.Details{Name: " ", Country: "XX", Website: "ftp://x",
		Contacts: []domain.Contact{{Name: "", Email: "not-an-email"}}}, true)
	f, _ := apperr.FieldsOf(err)
	for _, field := range []string{"name", "country", "website", "contacts[0].name", "contacts[0].email"} {
		if !f.Has(field) {
			t.Errorf("no error on %s: %v", field, err)
		}
	}
}
