package dashboards

import (
	"context"
	"maps"
	"strconv"
	"strings"
	"time"

	"github.com/ClickHouse/clickhouse-go/v2/lib/driver"
	"github.com/gofiber/fiber/v2"

	"econdip/analytics"
	"econdip/services/platform/apperr"
	"econdip/services/platform/auth"
	"econdip/services/platform/httpx"
	"econdip/services/platform/kernel"
)

// commissionFilter reads the figures' filters from the URL (commission, years,
// as_of, and in: the unit the page shows money in, read again by who needs
// it, unitParam); a secretariat sees its own commission only, attachés none.
func commissionFilter(c *fiber.Ctx) (analytics.CommissionFilter, time.Time, error) {
	u := currentUser(c)
	f := analytics.CommissionFilter{CommissionID: c.Query("commission")}
	switch auth.ReachOf(u, auth.ReadCommFigures) { // the access policy: a secretariat its own commission
	case auth.All:
	case auth.Own:
		f.CommissionID = u.Commission
	default:
		return f, time.Time{}, apperr.E(apperr.Forbidden, "error.figures_role")
	}
	var fe apperr.Fields
	f.Years = httpx.YearsParam(c, "years", &fe)
	asOf, given := httpx.DayParam(c, "as_of", &fe)
	unitParam(c, &fe)
	if !given {
		asOf = kernel.Today(time.Now()).Time()
	}
	return f, asOf, fe.Err()
}

func rateText(r *analytics.Execution) string {
	if r.Rate == nil {
		return ""
	}
	return r.Rate.StringFixed(4)
}

func u64(n uint64) string { return strconv.FormatUint(n, 10) }

func executionRecord(e analytics.Execution) []string {
	return []string{u64(e.Due), u64(e.DoneOnTime), u64(e.DoneLate), u64(e.Overdue), u64(e.Cancelled), u64(e.Total), rateText(&e)}
}

var executionHeader = []string{"due", "done_on_time", "done_late", "overdue", "cancelled", "total", "execution_rate"}

func lateRecord(d analytics.LateDecision) []string {
	done := ""
	if d.DoneOn != nil {
		done = d.DoneOn.Format(time.DateOnly)
	}
	return []string{d.CommissionID, strconv.Itoa(int(d.SessionNumber)), d.Item, d.Text, strings.Join(d.Agencies, ";"),
		d.Deadline.Format(time.DateOnly), d.Status, done, strconv.Itoa(int(d.DaysLate))}
}

var lateHeader = []string{"commission", "session", "item", "decision", "agencies", "deadline", "status", "done_on", "days_late"}

func tallyRecord(t analytics.DecisionTally) []string {
	return []string{u64(t.Decisions), u64(t.Done), u64(t.Open), u64(t.Overdue), u64(t.Cancelled)}
}

var tallyHeader = []string{"decisions", "done", "open", "overdue", "cancelled"}

// figure serves one table of the Commissions page as JSON or CSV, with
// names beside the rows (names: the page's names of agencies, sectors and
// clauses for the scripts).
func figure[T any](c *fiber.Ctx, conn driver.Conn, t table[T],
	query func(context.Context, driver.Conn, time.Time, analytics.CommissionFilter) ([]T, error), names ...fiber.Map) error {
	f, asOf, err := commissionFilter(c)
	if err != nil {
		return err
	}
	rows, err := query(c.UserContext(), conn, asOf, f)
	if err != nil {
		return figuresUnavailable(err)
	}
	var fe apperr.Fields
	extra := fiber.Map{"as_of": asOf.Format(time.DateOnly), "in": unitName(unitParam(c, &fe))}
	for _, n := range names {
		maps.Copy(extra, n)
	}
	return t.send(c, rows, extra)
}

func (s *Server) commissionFigure(c *fiber.Ctx) error {
	name := strings.TrimSuffix(c.Params("figure"), ".csv")
	lang := httpx.Lang(c)
	agencies := fiber.Map{"agency_names": s.agencyNames(lang)}
	switch name {
	case "execution":
		return figure(c, s.cfg.CH, table[analytics.CommissionExecution]{name: "commission-execution",
			header: append([]string{"commission", "name", "partner_country"}, executionHeader...),
			record: func(r analytics.CommissionExecution) []string {
				return append([]string{r.CommissionID, r.Name, r.PartnerCountry}, executionRecord(r.Execution)...)
			}}, analytics.ExecutionByCommission)
	case "agencies":
		return figure(c, s.cfg.CH, table[analytics.AgencyExecution]{name: "agency-execution",
			header: append([]string{"agency"}, executionHeader...),
			record: func(r analytics.AgencyExecution) []string {
				return append([]string{r.Agency}, executionRecord(r.Execution)...)
			}},
			analytics.ExecutionByAgency, agencies)
	case "years":
		return figure(c, s.cfg.CH, table[analytics.YearExecution]{name: "execution-by-year",
			header: append([]string{"commission", "deadline_year"}, executionHeader...),
			record: func(r analytics.YearExecution) []string {
				return append([]string{r.CommissionID, strconv.Itoa(int(r.Year))}, executionRecord(r.Execution)...)
			}}, analytics.ExecutionByYear)
	case "overdue":
		return figure(c, s.cfg.CH, table[analytics.LateDecision]{name: "overdue-decisions", header: lateHeader, record: lateRecord}, analytics.OverdueDecisions, agencies)
	case "late":
		return figure(c, s.cfg.CH, table[analytics.LateDecision]{name: "decisions-done-late", header: lateHeader, record: lateRecord}, analytics.DoneLateDecisions, agencies)
	case "sectors":
		return figure(c, s.cfg.CH, table[analytics.SectorDecisions]{name: "decisions-by-sector", header: append([]string{"sector"}, tallyHeader...),
			record: func(r analytics.SectorDecisions) []string {
				return append([]string{r.Sector}, tallyRecord(r.DecisionTally)...)
			}},
			analytics.DecisionsBySector, fiber.Map{"sector_names": s.sectorNames(lang)})
	case "clauses":
		return figure(c, s.cfg.CH, table[analytics.ClauseDecisions]{name: "decisions-by-clause", header: append([]string{"clause"}, tallyHeader...),
			record: func(r analytics.ClauseDecisions) []string {
				return append([]string{r.Clause}, tallyRecord(r.DecisionTally)...)
			}},
			analytics.DecisionsByClause, fiber.Map{"clause_titles": s.clauseTitles(lang)})
	case "investment":
		return figure(c, s.cfg.CH, table[analytics.CommissionInvestment]{name: "decisions-that-led-to-investment",
			header: []string{"commission", "name", "decisions", "decisions_with_leads", "leads", "capex_usd", "leads_without_rate", "leads_not_found",
				"capex_kzt", "leads_stale_rate", "max_rate_age_days", "leads_rate_too_old"},
			record: func(r analytics.CommissionInvestment) []string {
				return []string{r.CommissionID, r.Name, u64(r.Decisions), u64(r.DecisionsWithLeads), u64(r.Leads), r.CapexUSD.StringFixed(2), u64(r.LeadsWithoutRate), u64(r.LeadsNotFound),
					r.CapexKZT.StringFixed(2), u64(r.Stale), strconv.Itoa(int(r.MaxRateAge)), u64(r.TooOld)}
			}}, analytics.DecisionInvestment)
	case "decision-exports": // issue 18: exports that followed from IGC decisions, by commission and year
		return figure(c, s.cfg.CH, table[analytics.DecisionExportsYear]{name: "exports-from-decisions",
			header: []string{"commission", "name", "year", "deals", "value_usd", "deals_without_rate", "kzt", "stale_rate", "max_rate_age_days", "rate_too_old"},
			record: func(r analytics.DecisionExportsYear) []string {
				return []string{r.CommissionID, r.Name, strconv.Itoa(int(r.Year)), u64(r.Deals), r.ValueUSD.StringFixed(2), u64(r.DealsWithoutRate),
					r.ValueKZT.StringFixed(2), u64(r.Stale), strconv.Itoa(int(r.MaxRateAge)), u64(r.TooOld)}
			}}, analytics.DecisionExports,
			// The list behind a number is the deals' records: only for a role that may read the export figures (not a secretariat).
			fiber.Map{"deals_list": auth.ReachOf(currentUser(c), auth.ReadExpFigures) != auth.None})
	case "decision-leads":
		// A secretariat may link its decisions to leads (the attaché or
		// Kazakh Invest gives it the id) but may not read leads: it sees the
		// ids it linked, never a lead's title, stage or capex.
		query := analytics.DecisionsWithLeads
		if auth.ReachOf(currentUser(c), auth.ReadLeads) != auth.All {
			query = func(ctx context.Context, conn driver.Conn, asOf time.Time, f analytics.CommissionFilter) ([]analytics.DecisionLeads, error) {
				rows, err := analytics.DecisionsWithLeads(ctx, conn, asOf, f)
				for i := range rows {
					rows[i].WithholdLeadDetails()
				}
				return rows, err
			}
		}
		return figure(c, s.cfg.CH, table[analytics.DecisionLeads]{name: "decisions-with-leads",
			// lead_rate_days: each lead's rate day, in the order of leads ("" without one).
			header: []string{"commission", "session", "item", "decision", "status", "leads", "capex_usd", "leads_without_rate",
				"capex_kzt", "lead_rate_days", "leads_stale_rate", "leads_rate_too_old"},
			record: func(r analytics.DecisionLeads) []string {
				ids, days := make([]string, len(r.Leads)), make([]string, len(r.Leads))
				for i, l := range r.Leads {
					ids[i], days[i] = l.LeadID, l.RateDay
				}
				capex, noRate, kzt, stale, tooOld := r.CapexUSD.StringFixed(2), u64(r.LeadsWithoutRate), r.CapexKZT.StringFixed(2), u64(r.Stale), u64(r.TooOld)
				if r.DetailsWithheld {
					capex, noRate, kzt, stale, tooOld = "", "", "", "", ""
					days = nil
				}
				return []string{r.CommissionID, strconv.Itoa(int(r.SessionNumber)), r.Item, r.Text, r.Status, strings.Join(ids, ";"), capex, noRate,
					kzt, strings.Join(days, ";"), stale, tooOld}
			}}, query)
	}
	return apperr.E(apperr.NotFound, "error.not_found", name)
}

// commissionsPage offers in its commission filter only the commissions whose
// figures the user may see (commissionOptions): a secretariat its own,
// analysts every commission.
func (s *Server) commissionsPage(c *fiber.Ctx) error {
	f, asOf, err := commissionFilter(c)
	if err != nil {
		return err
	}
	u := currentUser(c)
	known := map[string]string{}
	if all, err := analytics.ExecutionByCommission(c.UserContext(), s.cfg.CH, asOf, analytics.CommissionFilter{}); err == nil {
		for _, e := range all {
			known[e.CommissionID] = e.Name
		}
	} else {
		s.cfg.Log.Warn("commissions page: no list of commissions for the filter", "err", err)
	}
	if f.CommissionID != "" && known[f.CommissionID] == "" {
		known[f.CommissionID] = f.CommissionID // keep the one asked for selectable
	}
	opts, all := commissionOptions(u, known)
	locked := auth.ReachOf(u, auth.ReadCommFigures) == auth.Own
	var fe apperr.Fields // read by commissionFilter already
	inKZT := unitParam(c, &fe)
	return s.render(c, 200, "commissions", "ui.analyst.commissions.title", fiber.Map{
		"Commission": f.CommissionID, "Commissions": opts, "AllCommissions": all, "Years": c.Query("years"), "AsOf": asOf.Format(time.DateOnly),
		"Locked": locked, "CommissionName": cmpOr(known[u.Commission], u.Commission), "Unit": s.unitSwitchOf(c, inKZT),
	})
}
