package app

import (
	"context"
	"crypto/sha256"
	"encoding/hex"
	"encoding/json"
	"slices"
	"strconv"
	"time"

	"github.com/google/uuid"

	"econdip/events"
	"econdip/services/exports/dealcsv"
	"econdip/services/exports/domain"
	"econdip/services/platform/apperr"
	"econdip/services/platform/auth"
	"econdip/services/platform/command"
	"econdip/services/platform/eventstore"
	"econdip/services/platform/kernel"
)

// PlannedDeal is one row of an import file as the service reads it: the
// deal it makes, and whether that deal exists already (imported before).
type PlannedDeal struct {
	Row    int
	Deal   domain.Deal
	Exists bool
	// Similar are deals of the post with the same exporter, buyer and HS
	// code that this row would not recreate: most likely the row changed
	// since an earlier import. The import creates the row's deal anyway;
	// the preview shows them so the attaché can change the old one instead.
	Similar []string
}

// ImportPlan is what an import file creates: its deals in the file's order.
type ImportPlan struct {
	Deals         []PlannedDeal
	New, Existing int
	// Digest names the plan (each row's deal id and whether it exists): a
	// confirmation that names it is applied only if the file still plans
	// the same, so what is stored is what the preview showed.
	Digest string
}

// importFieldColumns maps the fields the deal rules name to the columns of
// an import file.
var importFieldColumns = map[string]string{"value.amount": "value", "value.currency": "currency"}

// PlanDealImport checks every row of an import file for the user's post as
// the deal form is checked (domain rules, a registered exporter, an
// existing IGC decision of the host country) and the stage it reached, and
// says which deals it would create and which exist already. Nothing is
// stored. Every wrong cell of every row is reported at once, named
// rows[<row>].<column>; one wrong cell refuses the whole file.
func (s *Service) PlanDealImport(ctx context.Context, u auth.User, lines []dealcsv.Line) (ImportPlan, error) {
	if err := auth.Allow(u, auth.WriteExports); err != nil {
		return ImportPlan{}, err
	}
	host, err := s.hostCountry(u.Post)
	if err != nil {
		return ImportPlan{}, err
	}
	var f apperr.Fields
	if len(lines) == 0 {
		f.Add("file", "error.dealimport_empty")
		return ImportPlan{}, f.Err()
	}
	if len(lines) > domain.MaxImportRows {
		f.Add("file", "error.dealimport_too_many", domain.MaxImportRows)
		return ImportPlan{}, f.Err()
	}
	now := s.now().UTC().Truncate(time.Millisecond)
	today := s.Today()
	plan := ImportPlan{}
	seen := map[string]int{} // content seed → how many rows had it so far
	for _, l := range lines {
		d, err := s.importDeal(ctx, u, host, l.Deal, now, today)
		if fe, err := apperr.FieldsOf(err); err != nil {
			return ImportPlan{}, err
		} else if fe != nil {
			for _, e := range fe {
				col := e.Field
				if c, ok := importFieldColumns[col]; ok {
					col = c
				}
				e.Field = dealcsv.Field(l.Row, col)
				f = append(f, e)
			}
			continue
		}
		seed := importSeed(u.Post, d)
		seen[seed]++
		d.ID = uuid.NewSHA1(idNamespace, []byte(seed+"\x00"+strconv.Itoa(seen[seed]))).String()
		plan.Deals = append(plan.Deals, PlannedDeal{Row: l.Row, Deal: d})
	}
	if err := f.Err(); err != nil {
		return ImportPlan{}, err
	}
	sum := sha256.New()
	for i := range plan.Deals {
		p := &plan.Deals[i]
		_, err := s.deals.Store.Load(ctx, p.Deal.ID)
		switch {
		case err == nil:
			p.Exists = true
			plan.Existing++
		case apperr.CodeOf(err) == apperr.NotFound:
			plan.New++
			if p.Similar, err = s.similarDeals(p.Deal, plan.Deals); err != nil {
				return ImportPlan{}, err
			}
		default:
			return ImportPlan{}, err
		}
		sum.Write([]byte(p.Deal.ID + strconv.FormatBool(p.Exists) + "\n"))
	}
	plan.Digest = hex.EncodeToString(sum.Sum(nil)[:16])
	return plan, nil
}

// importDeal is the deal a row makes, checked: the rules of a new deal
// (checkDeal, as CreateDeal) and the moves to the stage the row names.
func (s *Service) importDeal(ctx context.Context, u auth.User, host string, r domain.ImportRow, now time.Time, today kernel.Day) (domain.Deal, error) {
	c, err := s.checkDeal(ctx, r.DealInput, host, nil)
	f, err := apperr.FieldsOf(err)
	if err != nil {
		return domain.Deal{}, err
	}
	d := domain.Deal{Version: 1, Post: u.Post, Attache: u.ID, Stage: domain.Opportunity, CreatedAt: now, UpdatedAt: now, StageAt: now}
	if len(f) == 0 {
		d.Apply(r.DealInput, c.value, c.quantity, c.exporterName)
	}
	moved, err := apperr.FieldsOf(d.Reach(r, today))
	if err != nil {
		return domain.Deal{}, err
	}
	return d, append(f, moved...).Err()
}

// importSeed is what a row's deal id derives from: the post and the deal's
// details as stored (amounts as numbers: 1000 and 1000.00 are the same;
// lists without repeats, sorted), never the row's position, the user or the
// time. The same row uploaded again, by any attaché of the post, in any
// order, in either dialect, names the same deal; a row with any detail
// changed names another. Equal rows of one file are told apart by their
// count (the second is the seed's second deal).
func importSeed(post string, d domain.Deal) string {
	sorted := func(s []string) []string { s = slices.Clone(s); slices.Sort(s); return s }
	var qty string
	if d.Quantity != nil {
		qty = d.Quantity.String()
	}
	raw, _ := json.Marshal([]any{post, d.ExporterBIN, d.BuyerCountry, d.BuyerName, d.HSCode, d.Product,
		d.Value.Amount.String(), d.Value.Currency, qty, d.Unit, sorted(d.Support), sorted(d.Clauses),
		d.CommissionID, d.DecisionID, string(d.Stage), d.ContractDate.String(), d.LostReason})
	return "deal-import\x00" + string(raw)
}

// similarDeals lists the ids of the post's deals (in the read model) with
// the deal's exporter, buyer and HS code, other than the rows of this file.
func (s *Service) similarDeals(d domain.Deal, file []PlannedDeal) ([]string, error) {
	var out []string
	same, err := s.deals.View.Select(eventstore.Query[events.DealV1]{
		Match: map[string]string{"post": d.Post, "exporter_bin": d.ExporterBIN},
		Keep:  func(o events.DealV1) bool { return o.BuyerName == d.BuyerName && o.HSCode == d.HSCode },
	})
	if err != nil {
		return nil, err
	}
	for _, r := range same {
		if !slices.ContainsFunc(file, func(p PlannedDeal) bool { return p.Deal.ID == r.State.ID }) {
			out = append(out, r.State.ID)
		}
	}
	slices.Sort(out)
	return out, nil
}

// ImportDeals creates the deals of an import file that do not exist yet,
// all in one JetStream atomic batch, so a crash stores all of them or none.
// The file is checked as PlanDealImport checks it, and refused whole on any
// wrong cell. With expect (a preview's Digest), the file must still plan
// exactly that, else Conflict (error.dealimport_changed) and nothing is
// stored. A file whose deals all exist creates nothing and is no error:
// uploading the same file twice creates its deals once. If another import
// stores some of the same deals between the check and the write, the
// batch is refused whole and the file is planned and written again.
func (s *Service) ImportDeals(ctx context.Context, u auth.User, lines []dealcsv.Line, expect string) (ImportPlan, error) {
	for try := 1; ; try++ {
		plan, err := s.PlanDealImport(ctx, u, lines)
		if err != nil {
			return ImportPlan{}, err
		}
		if expect != "" && plan.Digest != expect {
			return plan, apperr.E(apperr.Conflict, "error.dealimport_changed")
		}
		var toCreate []domain.Deal
		for _, p := range plan.Deals {
			if !p.Exists {
				toCreate = append(toCreate, p.Deal)
			}
		}
		if len(toCreate) == 0 {
			return plan, nil
		}
		ids := make([]string, len(toCreate))
		for i, d := range toCreate {
			ids[i] = d.ID
		}
		_, err = s.deals.CreateAll(ctx, u, auth.WriteExports, ids, func(i int, id string, now time.Time) (domain.Deal, command.Event[events.DealV1], error) {
			d := toCreate[i]
			d.CreatedAt, d.UpdatedAt, d.StageAt = now, now, now
			return d, func(st events.DealV1) events.Event { return events.DealCreatedV1{Deal: st} }, nil
		})
		if apperr.CodeOf(err) == apperr.Conflict && try < 3 {
			continue // another upload got some of these deals in first: plan again
		}
		if err != nil {
			return ImportPlan{}, err
		}
		s.log.InfoContext(ctx, "deals imported", "post", u.Post, "actor", u.ID, "created", len(toCreate), "existing", plan.Existing)
		return plan, nil
	}
}
