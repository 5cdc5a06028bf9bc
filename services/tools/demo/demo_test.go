package demo_test

import (
	"reflect"
	"slices"
	"strings"
	"testing"
	"time"

	"econdip/services/commissions/domain"
	"econdip/services/platform/kernel"
	"econdip/services/platform/reference"
	"econdip/services/tools/demo"
)

const seed = 2030

// days the demo may be generated on: the real today and fixed days, so the
// checks hold whenever the tests run.
func days() []kernel.Day {
	return []kernel.Day{kernel.Today(time.Now()), kernel.MustDay("2026-11-27"), kernel.MustDay("2027-06-30"), kernel.MustDay("2030-01-15")}
}

func generate(today kernel.Day) ([]demo.Lead, []demo.Commission) {
	leads := demo.Generate(seed, 240, reference.Default())
	return leads, demo.GenerateCommissions(seed, today, leads)
}

func TestGenerationIsDeterministic(t *testing.T) {
	today := kernel.MustDay("2026-11-27")
	_, a := generate(today)
	_, b := generate(today)
	if !reflect.DeepEqual(a, b) {
		t.Fatal("same seed and day gave different commissions")
	}
	_, other := func() ([]demo.Lead, []demo.Commission) {
		leads := demo.Generate(seed+1, 240, reference.Default())
		return leads, demo.GenerateCommissions(seed+1, today, leads)
	}()
	if reflect.DeepEqual(a, other) {
		t.Error("another seed gave the same commissions")
	}
	if !reflect.DeepEqual(demo.Generate(seed, 240, reference.Default()), demo.Generate(seed, 240, reference.Default())) {
		t.Error("same seed gave different leads")
	}
	// A later day only adds what happened in between: the protocols of
	// sessions already held and the changes already made stay the same.
	_, later := generate(kernel.MustDay("2027-06-30"))
	for ci, c := range a {
		for si, s := range c.Sessions {
			ls := later[ci].Sessions[si]
			if !reflect.DeepEqual(s.Request, ls.Request) {
				t.Errorf("%s session %d: protocol differs on a later day", c.Request.ID, s.Request.Number)
			}
			for di, ch := range s.Changes {
				got := statusChanges(ls.Changes[di])
				if want := statusChanges(ch); len(got) < len(want) || !slices.Equal(got[:len(want)], want) {
					t.Errorf("%s session %d item %d: changes %v on a later day, %v before", c.Request.ID, s.Request.Number, di+1, got, want)
				}
			}
		}
	}
}

func statusChanges(list []demo.Change) []demo.Change {
	var out []demo.Change
	for _, c := range list {
		if !c.IsLink() {
			out = append(out, c)
		}
	}
	return out
}

func TestCommissionsAreValid(t *testing.T) {
	ref := reference.Default()
	for _, today := range days() {
		_, cs := generate(today)
		ids := demo.CommissionIDs()
		if len(cs) != len(ids) || len(cs) != 10 {
			t.Fatalf("%d commissions, %d ids, want 10", len(cs), len(ids))
		}
		for i, c := range cs {
			in := domain.CommissionInput{ID: c.Request.ID, Name: c.Request.Name, PartnerCountry: c.Request.PartnerCountry,
				KazakhCoChair: c.Request.KazakhCoChair, SecretariatAgency: c.Request.SecretariatAgency, PartnerCoChair: c.Request.PartnerCoChair}
			if err := in.Validate(ref); err != nil {
				t.Errorf("commission %s: %v", c.Request.ID, err)
			}
			if ids[i] != c.Request.ID || !strings.HasPrefix(c.Request.ID, "igc-") {
				t.Errorf("commission %d: id %s, CommissionIDs says %s", i, c.Request.ID, ids[i])
			}
			if n := len(c.Sessions); n < 1 || n > 3 {
				t.Errorf("%s: %d sessions, want 1 to 3", c.Request.ID, n)
			}
			last := 0
			texts := map[string]bool{}
			for _, s := range c.Sessions {
				if s.Request.Number <= last {
					t.Errorf("%s: session numbers not increasing: %d after %d", c.Request.ID, s.Request.Number, last)
				}
				last = s.Request.Number
				if y := s.Request.Date[:4]; y < "2020" || y > "2026" {
					t.Errorf("%s session %d: date %s outside 2020-2026", c.Request.ID, s.Request.Number, s.Request.Date)
				}
				if n := len(s.Request.Decisions); n < 4 || n > 12 {
					t.Errorf("%s session %d: %d decisions, want 4 to 12", c.Request.ID, s.Request.Number, n)
				}
				if len(s.Changes) != len(s.Request.Decisions) {
					t.Fatalf("%s session %d: %d change lists for %d decisions", c.Request.ID, s.Request.Number, len(s.Changes), len(s.Request.Decisions))
				}
				if _, _, _, err := s.Request.Input().Validate(ref, today, domain.JSONRows); err != nil {
					t.Errorf("%s session %d on %s: %v", c.Request.ID, s.Request.Number, today, err)
				}
				for _, d := range s.Request.Decisions {
					if texts[d.Text] {
						t.Errorf("%s: decision text repeated: %s", c.Request.ID, d.Text)
					}
					texts[d.Text] = true
					if strings.ContainsAny(d.Text, "{}") {
						t.Errorf("%s: placeholder left in %q", c.Request.ID, d.Text)
					}
					sd, dl := kernel.MustDay(s.Request.Date), kernel.MustDay(d.Deadline)
					if days := dl.DaysSince(sd); days < 55 || days > 18*31+31 {
						t.Errorf("%s: deadline %s is %d days after the session %s", c.Request.ID, d.Deadline, days, s.Request.Date)
					}
				}
			}
		}
	}
}

// TestStatusPathsAreAllowed replays each decision's changes through the
// domain, as the service will: every move allowed by CanChange, every day in
// order, none in the future, none before the session; links go to leads of
// investors from the partner country.
func TestStatusPathsAreAllowed(t *testing.T) {
	for _, today := range days() {
		leads, cs := generate(today)
		for _, c := range cs {
			for _, s := range c.Sessions {
				for i, changes := range s.Changes {
					req := s.Request.Decisions[i]
					d := domain.Decision{Status: domain.Open, SessionDate: kernel.MustDay(s.Request.Date), StatusDate: kernel.MustDay(s.Request.Date), Deadline: kernel.MustDay(req.Deadline)}
					where := c.Request.ID + " session " + s.Request.Date + " item " + req.Item
					prev := d.StatusDate
					for _, ch := range changes {
						if ch.IsLink() {
							if ch.Lead < 0 || ch.Lead >= len(leads) || leads[ch.Lead].Request.InvestorCountry != c.Request.PartnerCountry {
								t.Errorf("%s: link to lead %d, not an investor from %s", where, ch.Lead, c.Request.PartnerCountry)
							}
							continue
						}
						if !domain.CanChange(d.Status, ch.Status) {
							t.Errorf("%s: %s -> %s not allowed", where, d.Status, ch.Status)
						}
						on := kernel.MustDay(ch.EffectiveOn)
						if on.After(today) || on.Before(prev) {
							t.Errorf("%s: %s on %s: after today %s or before the last change %s", where, ch.Status, on, today, prev)
						}
						if strings.TrimSpace(ch.Comment) == "" || strings.ContainsAny(ch.Comment, "{}") {
							t.Errorf("%s: comment %q", where, ch.Comment)
						}
						if _, err := d.ChangeStatus(domain.StatusChange{To: ch.Status, EffectiveOn: ch.EffectiveOn, Comment: ch.Comment, EvidenceRef: ch.EvidenceRef}, today); err != nil {
							t.Errorf("%s: %v", where, err)
						}
						prev = on
					}
				}
			}
		}
	}
}

func TestSpreadOfOutcomes(t *testing.T) {
	today := kernel.Today(time.Now())
	_, cs := generate(today)
	count := map[string]int{}
	linksBy := map[string]int{}
	for _, c := range cs {
		for _, s := range c.Sessions {
			for i, changes := range s.Changes {
				d := domain.Decision{Status: domain.Open, SessionDate: kernel.MustDay(s.Request.Date), StatusDate: kernel.MustDay(s.Request.Date),
					Deadline: kernel.MustDay(s.Request.Decisions[i].Deadline)}
				for _, ch := range changes {
					if ch.IsLink() {
						linksBy[c.Request.PartnerCountry]++
						continue
					}
					if _, err := d.ChangeStatus(domain.StatusChange{To: ch.Status, EffectiveOn: ch.EffectiveOn, Comment: ch.Comment}, today); err != nil {
						t.Fatal(err)
					}
				}
				count[string(d.Status)]++
				switch {
				case d.DoneLate():
					count["done late"]++
				case d.Status == domain.Done:
					count["done on time"]++
				case d.Overdue(today):
					count["overdue"]++
				}
			}
		}
	}
	t.Logf("as of %s: %v; links by partner %v", today, count, linksBy)
	for _, k := range []string{"done late", "done on time", "overdue", "cancelled", "open", "in_progress"} {
		if count[k] == 0 {
			t.Errorf("no decision %s", k)
		}
	}
	if count["done"] <= count["open"]+count["in_progress"] {
		t.Errorf("most decisions should be done: %v", count)
	}
	for _, country := range []string{"CN", "UZ", "TR", "AE", "DE"} {
		if linksBy[country] == 0 {
			t.Errorf("no decision of the %s commission links to a lead", country)
		}
	}
	if !slices.Contains(demo.CommissionIDs(), "igc-cn") {
		t.Error("igc-cn missing")
	}
}

// Leads are dated in the demo's window, each move after the one before, so
// committed investment has a history by year; the days do not depend on the
// day the demo is generated.
func TestLeadsAreDatedInTheWindow(t *testing.T) {
	leads := demo.Generate(seed, 240, reference.Default())
	years := map[int]int{}
	for i, l := range leads {
		prev, err := time.Parse(time.DateOnly, l.Request.IdentifiedOn)
		if err != nil || prev.Year() < 2020 || prev.After(demo.WindowEnd) {
			t.Fatalf("lead %d identified on %q", i, l.Request.IdentifiedOn)
		}
		if len(l.Days) != len(l.Path) {
			t.Fatalf("lead %d: %d days for %d moves", i, len(l.Days), len(l.Path))
		}
		for j, d := range l.Days {
			on, err := time.Parse(time.DateOnly, d)
			if err != nil || !on.After(prev) || on.After(demo.WindowEnd) {
				t.Fatalf("lead %d move %d to %s on %q after %s", i, j, l.Path[j], d, prev.Format(time.DateOnly))
			}
			if l.Path[j] == "committed" {
				years[on.Year()]++
			}
			prev = on
		}
	}
	// Commitments in most years of the window, not all in one.
	if len(years) < 5 {
		t.Errorf("commitments by year: %v", years)
	}
}
