// Package companymigrate moves the free-text investors of leads and buyers
// of deals into the company register (issue 18): it groups their
// spellings per country by the register's own matching, creates a company
// per group (or finds the one the register has), and links every record
// to it, all through the services' commands, so each change is an event
// with its history. A second run finds every record linked and changes
// nothing. `econdip companies migrate` runs it.
package companymigrate

import (
	"context"
	"fmt"
	"io"
	"log/slog"
	"sort"
	"strings"
	"time"

	"github.com/nats-io/nats.go/jetstream"

	companies "econdip/services/companies/app"
	cdomain "econdip/services/companies/domain"
	exports "econdip/services/exports/app"
	edomain "econdip/services/exports/domain"
	leads "econdip/services/leads/app"
	ldomain "econdip/services/leads/domain"
	"econdip/services/platform/auth"
	"econdip/services/platform/command"
	"econdip/services/platform/reference"
)

// Actor is the actor of the migration's events.
const Actor = "system.company-migration"

// Spelling is one way a company was written on records, and on how many.
type Spelling struct {
	Name    string
	Leads   int
	Deals   int
	Country string
}

// Group is one company and the spellings that went into it.
type Group struct {
	CompanyID, Company, Country string
	Created                     bool // made by this run; false: the register had it
	Spellings                   []Spelling
	Linked                      int // records linked to it by this run
}

// Failure is a record the migration could not link, and why.
type Failure struct {
	Kind, ID, Name string
	Err            error
}

// Report is what a run did.
type Report struct {
	Groups   []Group
	Created  int
	Linked   int
	Failures []Failure
}

// record is a lead or deal without a company.
type record struct {
	kind, id, post, name, country string
}

// Run migrates the records on js. Progress goes to out; the report is returned.
func Run(ctx context.Context, js jetstream.JetStream, ref *reference.Data, log *slog.Logger, out io.Writer) (Report, error) {
	var rep Report
	co, err := companies.New(ctx, js, ref, log, "")
	if err != nil {
		return rep, err
	}
	ls, err := leads.New(ctx, js, ref, log, "")
	if err != nil {
		return rep, err
	}
	xs, err := exports.New(ctx, js, ref, exports.StreamDecisions{JS: js}, log, "")
	if err != nil {
		return rep, err
	}
	for _, ready := range []func(context.Context) error{co.Ready, ls.Ready, xs.Ready} {
		if err := waitReady(ctx, ready); err != nil {
			return rep, err
		}
	}
	reader := auth.User{ID: Actor, Role: auth.Analyst}
	recs, err := unlinked(ls, xs, reader)
	if err != nil {
		return rep, err
	}
	fmt.Fprintf(out, "%d leads and deals name a company in free text only\n", len(recs))
	if len(recs) == 0 {
		return rep, nil
	}
	known, err := registered(co, reader)
	if err != nil {
		return rep, err
	}
	groups := map[string]*Group{} // by company id
	var order []string
	for _, sp := range spellings(recs) {
		var c cdomain.Company
		created := false
		if found := cdomain.Match(sp.Name, sp.Country, "", known[sp.Country]); len(found) > 0 {
			c = found[0].Company
		} else {
			// The id follows from the spelling's skeleton: a run stopped
			// half-way and run again makes the same company, not another.
			key := "migrate/" + sp.Country + "/" + strings.Join(cdomain.Skeleton(sp.Name), " ")
			c, _, err = co.Create(ctx, auth.User{ID: Actor, Role: auth.Attache}, key, cdomain.Details{Name: sp.Name, Country: sp.Country}, true)
			if err != nil {
				return rep, fmt.Errorf("create the company %q (%s): %w", sp.Name, sp.Country, err)
			}
			known[sp.Country] = append(known[sp.Country], c)
			created = true
			rep.Created++
			fmt.Fprintf(out, "company %s %q (%s) created\n", c.ID, c.Name, c.Country)
		}
		g, ok := groups[c.ID]
		if !ok {
			g = &Group{CompanyID: c.ID, Company: c.Name, Country: c.Country, Created: created}
			groups[c.ID] = g
			order = append(order, c.ID)
		}
		g.Spellings = append(g.Spellings, sp)
		for _, r := range recs {
			if r.name != sp.Name || r.country != sp.Country {
				continue
			}
			if err := link(ctx, ls, xs, r, c.ID); err != nil {
				rep.Failures = append(rep.Failures, Failure{Kind: r.kind, ID: r.id, Name: r.name, Err: err})
				fmt.Fprintf(out, "%s %s (%q) not linked: %v\n", r.kind, r.id, r.name, err)
				continue
			}
			g.Linked++
			rep.Linked++
			if rep.Linked%100 == 0 {
				fmt.Fprintf(out, "%d of %d records linked\n", rep.Linked, len(recs))
			}
		}
	}
	for _, id := range order {
		rep.Groups = append(rep.Groups, *groups[id])
	}
	return rep, nil
}

// waitReady waits for a read model to catch up with the log.
func waitReady(ctx context.Context, ready func(context.Context) error) error {
	ctx, cancel := context.WithTimeout(ctx, 5*time.Minute)
	defer cancel()
	for {
		err := ready(ctx)
		if err == nil {
			return nil
		}
		select {
		case <-ctx.Done():
			return fmt.Errorf("the read models did not catch up with the log: %w", err)
		case <-time.After(100 * time.Millisecond):
		}
	}
}

// unlinked lists the leads and deals with a name but no company.
func unlinked(ls *leads.Service, xs *exports.Service, u auth.User) ([]record, error) {
	var out []record
	for cursor := ""; ; {
		page, err := ls.List(u, leads.Filter{Limit: command.MaxLimit, Cursor: cursor})
		if err != nil {
			return nil, fmt.Errorf("list the leads: %w", err)
		}
		for _, l := range page.Items {
			if l.InvestorID == "" && strings.TrimSpace(l.InvestorName) != "" {
				out = append(out, record{kind: "lead", id: l.ID, post: l.Post, name: strings.TrimSpace(l.InvestorName), country: l.InvestorCountry})
			}
		}
		if cursor = page.Next; cursor == "" {
			break
		}
	}
	for cursor := ""; ; {
		page, err := xs.Deals(u, exports.DealFilter{Limit: command.MaxLimit, Cursor: cursor})
		if err != nil {
			return nil, fmt.Errorf("list the deals: %w", err)
		}
		for _, d := range page.Items {
			if d.BuyerID == "" && strings.TrimSpace(d.BuyerName) != "" {
				out = append(out, record{kind: "deal", id: d.ID, post: d.Post, name: strings.TrimSpace(d.BuyerName), country: d.BuyerCountry})
			}
		}
		if cursor = page.Next; cursor == "" {
			break
		}
	}
	return out, nil
}

// registered is the register's companies (not merged), by country.
func registered(co *companies.Service, u auth.User) (map[string][]cdomain.Company, error) {
	out := map[string][]cdomain.Company{}
	for cursor := ""; ; {
		page, err := co.List(u, companies.Filter{Limit: command.MaxLimit, Cursor: cursor})
		if err != nil {
			return nil, fmt.Errorf("list the companies: %w", err)
		}
		for _, c := range page.Items {
			out[c.Country] = append(out[c.Country], c)
		}
		if cursor = page.Next; cursor == "" {
			return out, nil
		}
	}
}

// spellings are the distinct (name, country) of recs, the most used first
// (so that the commonest spelling names a new company), then by name.
func spellings(recs []record) []Spelling {
	idx := map[[2]string]*Spelling{}
	var out []*Spelling
	for _, r := range recs {
		k := [2]string{r.name, r.country}
		sp, ok := idx[k]
		if !ok {
			sp = &Spelling{Name: r.name, Country: r.country}
			idx[k] = sp
			out = append(out, sp)
		}
		if r.kind == "lead" {
			sp.Leads++
		} else {
			sp.Deals++
		}
	}
	sort.SliceStable(out, func(i, j int) bool {
		a, b := out[i], out[j]
		if a.Leads+a.Deals != b.Leads+b.Deals {
			return a.Leads+a.Deals > b.Leads+b.Deals
		}
		if a.Country != b.Country {
			return a.Country < b.Country
		}
		return a.Name < b.Name
	})
	res := make([]Spelling, len(out))
	for i, sp := range out {
		res[i] = *sp
	}
	return res
}

// link points a record at its company, as the migration actor with the
// record's post: the service fills the name from the company, and the
// record's history shows the old spelling and the company's name.
func link(ctx context.Context, ls *leads.Service, xs *exports.Service, r record, companyID string) error {
	u := auth.User{ID: Actor, Role: auth.Attache, Post: r.post}
	if r.kind == "lead" {
		_, err := ls.Update(ctx, u, r.id, command.AnyVersion, func(d *ldomain.Details) { d.InvestorID = companyID })
		return err
	}
	_, err := xs.UpdateDeal(ctx, u, r.id, command.AnyVersion, func(in *edomain.DealInput) { in.BuyerID = companyID })
	return err
}

// Print writes the report: which spellings went into which company.
func (r Report) Print(w io.Writer) {
	fmt.Fprintf(w, "\n%d companies created, %d records linked, %d not linked\n", r.Created, r.Linked, len(r.Failures))
	for _, g := range r.Groups {
		how := "existing"
		if g.Created {
			how = "created"
		}
		fmt.Fprintf(w, "%s %q (%s, %s): %d records\n", g.CompanyID, g.Company, g.Country, how, g.Linked)
		for _, sp := range g.Spellings {
			fmt.Fprintf(w, "    %q: %d leads, %d deals\n", sp.Name, sp.Leads, sp.Deals)
		}
	}
	for _, f := range r.Failures {
		fmt.Fprintf(w, "not linked: %s %s (%q): %v\n", f.Kind, f.ID, f.Name, f.Err)
	}
}
