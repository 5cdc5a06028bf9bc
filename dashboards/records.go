package dashboards

// Lists of records behind the figures (issue 18): /records/leads, /deals,
// /barriers and /decisions, each filtered by the keys of a figure (the same
// parameters as the figure's page, so a page's number links to its list by
// adding its keys), sorted, paginated and downloadable as CSV (.csv, the
// CSV rules of every export), every choice kept in the URL. The rows come
// from analytics' List* functions, which read the base queries of the
// figures: a list filtered by a figure's keys counts what the figure counts.
// Rows link to the record pages (recordpages.go).

import (
	"bytes"
	"net/url"
	"slices"
	"strconv"
	"strings"
	"time"

	"github.com/gofiber/fiber/v2"

	"econdip/analytics"
	"econdip/services/leads/domain"
	"econdip/services/platform/apperr"
	"econdip/services/platform/auth"
	"econdip/services/platform/csvx"
	"econdip/services/platform/httpx"
	"econdip/services/platform/i18n"
)

// recordsPages are the templates of this file and recordpages.go.
var recordsPages = []string{"records_list", "record"}

// recordsRoutes mounts the record pages and the lists. The lists take the
// figures' actions (their scope is the figures': an attaché's own post, a
// secretariat's own commission); the record pages the records' read actions,
// and the services' APIs decide, with the user's own token, what they answer.
func (s *Server) recordsRoutes(ui auth.Router) {
	ui.Get("/records/leads", auth.ReadInvestment, s.recordList("leads"))
	ui.Get("/records/leads.csv", auth.ReadInvestment, s.recordList("leads"))
	ui.Get("/records/deals", auth.ReadExpFigures, s.recordList("deals"))
	ui.Get("/records/deals.csv", auth.ReadExpFigures, s.recordList("deals"))
	ui.Get("/records/barriers", auth.ReadExpFigures, s.recordList("barriers"))
	ui.Get("/records/barriers.csv", auth.ReadExpFigures, s.recordList("barriers"))
	ui.Get("/records/decisions", auth.ReadCommFigures, s.recordList("decisions"))
	ui.Get("/records/decisions.csv", auth.ReadCommFigures, s.recordList("decisions"))
	ui.Get("/records/lead/:id", auth.ReadLeads, s.leadRecordPage)
	ui.Get("/records/deal/:id", auth.ReadExports, s.dealRecordPage)
	ui.Get("/records/barrier/:id", auth.ReadExports, s.barrierRecordPage)
	ui.Get("/records/decision/:cid/:did", auth.ReadCommissions, s.decisionRecordPage)
}

// listRow is one row of a list: its record page and its cells, as the
// page shows them and as the CSV writes them (machine values).
type listRow struct {
	Href  string
	Cells []listCell
	CSV   []string
}

type listCell struct {
	Text string
	Num  bool
}

// listColumn is a column of a list: its name (csv.col.<name> labels it),
// the sort key it orders by ("" for none) and the links that sort by it.
type listColumn struct {
	Name, Label string
	Sort        string
	Num         bool
	Sorted      string // "asc", "desc" or ""
	Href        string // sorts by the column (the other way when sorted)
}

// listFilter is a filter of a list's form: a text field (or a select with Options).
type listFilter struct {
	Name, Label, Value string
	Options            []choice
	Locked             bool // fixed by the user's scope
}

// listPage is the data of records_list.html.
type listPage struct {
	Kind      string
	Title     string
	Filters   []listFilter
	Sort      string
	Desc      bool
	Columns   []listColumn
	Rows      []listRow
	Total     uint64
	Page      int
	Pages     int
	Size      int
	First     int // the number of the page's first row
	Last      int
	PrevHref  string
	NextHref  string
	CSVHref   string
	ExcelHref string
	ClearHref string
	Errors    map[string]string
}

// listQuery is what a list reads from the URL besides its filters.
type listQuery struct {
	page, size int
	analytics.ListPage
}

const (
	listSize    = 50
	listMaxSize = 500
	csvMaxRows  = 100000 // a CSV download's rows at most (the list says how many there are)
)

func readListQuery(c *fiber.Ctx, kind string, fe *apperr.Fields) listQuery {
	q := listQuery{page: 1, size: listSize}
	if v := strings.TrimSpace(c.Query("page")); v != "" {
		n, err := strconv.Atoi(v)
		if err != nil || n < 1 || n > 1_000_000 {
			fe.Add("page", "error.one_of", "1, 2, 3, …")
		} else {
			q.page = n
		}
	}
	if v := strings.TrimSpace(c.Query("size")); v != "" {
		n, err := strconv.Atoi(v)
		if err != nil || n < 1 || n > listMaxSize {
			fe.Add("size", "error.one_of", "1 … "+strconv.Itoa(listMaxSize))
		} else {
			q.size = n
		}
	}
	q.Sort = strings.TrimSpace(c.Query("sort"))
	if q.Sort != "" && !slices.Contains(analytics.ListSorts[kind], q.Sort) {
		fe.Add("sort", "error.one_of", strings.Join(analytics.ListSorts[kind], ", "))
		q.Sort = ""
	}
	q.Desc = c.Query("desc") == "1"
	q.Limit, q.Offset = q.size, (q.page-1)*q.size
	return q
}

// listSource is one kind of list: its columns, its filters' names, and the
// query of a page of rows (with the total) for the request.
type listSource struct {
	title   string
	columns []string
	sorts   map[string]string // column → sort key
	nums    map[string]bool
	filters []string
	query   func(c *fiber.Ctx, p analytics.ListPage) ([]listRow, uint64, error)
}

func (s *Server) listSources() map[string]listSource {
	return map[string]listSource{
		"leads": {title: "ui.records.leads_title",
			columns: []string{"lead_id", "title", "investor_name", "country", "post", "sector", "stage", "capex", "currency", "capex_usd", "kzt", "no_rate", "stage_day"},
			sorts: map[string]string{"title": "title", "investor_name": "investor", "country": "country", "post": "post", "sector": "sector",
				"stage": "stage", "capex_usd": "capex", "stage_day": "updated"},
			nums:    map[string]bool{"capex": true, "capex_usd": true, "kzt": true},
			filters: []string{"post", "country", "sector", "clause", "stage", "metric", "years", "commission", "as_of", "decision_years"},
			query:   s.leadRows},
		"deals": {title: "ui.records.deals_title",
			columns: []string{"deal_id", "exporter_name", "buyer_country", "hs_code", "sector", "raw", "stage", "deal_date", "value", "currency", "value_usd", "kzt", "no_rate", "post"},
			sorts: map[string]string{"exporter_name": "exporter", "buyer_country": "buyer_country", "hs_code": "hs_code", "sector": "sector", "stage": "stage",
				"deal_date": "deal_date", "value_usd": "value", "post": "post"},
			nums:    map[string]bool{"value": true, "value_usd": true, "kzt": true},
			filters: []string{"post", "buyer_country", "sector", "clause", "stage", "years", "chapter", "raw", "commission", "as_of", "decision_years"},
			query:   s.dealRows},
		"barriers": {title: "ui.records.barriers_title",
			columns: []string{"barrier_id", "title", "country", "type", "status", "value", "currency", "value_usd", "kzt", "no_rate", "reported_on", "resolved_on", "post"},
			sorts: map[string]string{"title": "title", "country": "country", "type": "type", "status": "status", "value_usd": "value",
				"reported_on": "reported_on", "post": "post"},
			nums:    map[string]bool{"value": true, "value_usd": true, "kzt": true},
			filters: []string{"post", "country", "type", "state", "status", "resolved_years"},
			query:   s.barrierRows},
		"decisions": {title: "ui.records.decisions_title",
			columns: []string{"commission", "session", "session_date", "item", "text", "agencies", "sector", "deadline", "status", "done_on", "leads", "deals"},
			sorts: map[string]string{"commission": "commission", "session": "session", "item": "item", "sector": "sector", "deadline": "deadline",
				"status": "status"},
			nums:    map[string]bool{"leads": true, "deals": true},
			filters: []string{"commission", "years", "as_of", "flag", "status", "sector", "clause", "agency", "with_leads"},
			query:   s.decisionRows},
	}
}

// recordList serves a list as a page, or as CSV when the path ends in .csv.
func (s *Server) recordList(kind string) fiber.Handler {
	return func(c *fiber.Ctx) error {
		src := s.listSources()[kind]
		lang := httpx.Lang(c)
		var fe apperr.Fields
		q := readListQuery(c, kind, &fe)
		if err := fe.Err(); err != nil {
			return err
		}
		if strings.HasSuffix(c.Path(), ".csv") {
			return s.listCSV(c, kind, src, q.ListPage)
		}
		rows, total, err := src.query(c, q.ListPage)
		if err != nil {
			return err
		}
		p := listPage{Kind: kind, Title: src.title, Rows: rows, Total: total, Page: q.page, Size: q.size, Sort: q.Sort, Desc: q.Desc,
			Pages: max(1, int((total+uint64(q.size)-1)/uint64(q.size)))} // whole pages, rounded up, in integers
		if len(rows) > 0 {
			p.First, p.Last = (q.page-1)*q.size+1, (q.page-1)*q.size+len(rows)
		}
		values := listValues(c)
		at := func(change func(url.Values)) string {
			v := cloneValues(values)
			change(v)
			if len(v) == 0 {
				return "/records/" + kind
			}
			return "/records/" + kind + "?" + v.Encode()
		}
		sortKey := q.Sort
		if sortKey == "" {
			sortKey = analytics.ListSorts[kind][0]
		}
		for _, name := range src.columns {
			col := listColumn{Name: name, Label: i18n.T(lang, "ui.records.col."+name), Sort: src.sorts[name], Num: src.nums[name]}
			if col.Sort != "" {
				desc := false
				if col.Sort == sortKey {
					col.Sorted = "asc"
					if q.Desc {
						col.Sorted = "desc"
					} else {
						desc = true
					}
				}
				col.Href = at(func(v url.Values) {
					v.Set("sort", col.Sort)
					v.Del("page")
					if desc {
						v.Set("desc", "1")
					} else {
						v.Del("desc")
					}
				})
			}
			p.Columns = append(p.Columns, col)
		}
		if q.page > 1 {
			p.PrevHref = at(func(v url.Values) { v.Set("page", strconv.Itoa(q.page-1)) })
		}
		if q.page < p.Pages {
			p.NextHref = at(func(v url.Values) { v.Set("page", strconv.Itoa(q.page+1)) })
		}
		csv := cloneValues(values)
		csv.Del("page")
		csv.Del("size")
		p.CSVHref = "/records/" + kind + ".csv"
		if len(csv) > 0 {
			p.CSVHref += "?" + csv.Encode()
		}
		p.ExcelHref = excelURL(p.CSVHref)
		p.ClearHref = "/records/" + kind
		for _, name := range src.filters {
			f := listFilter{Name: name, Label: i18n.T(lang, "ui.records.filter."+name), Value: values.Get(name)}
			if vs := values[name]; len(vs) > 1 {
				f.Value = strings.Join(vs, ",")
			}
			p.Filters = append(p.Filters, f)
		}
		s.lockFilters(c, &p)
		return s.render(c, 200, "records_list", src.title, p)
	}
}

// lockFilters shows the post (commission) a user's scope fixes as such.
func (s *Server) lockFilters(c *fiber.Ctx, p *listPage) {
	u := currentUser(c)
	for i, f := range p.Filters {
		switch {
		case f.Name == "post" && u.Post != "" && auth.ReachOf(u, listAction[p.Kind]) == auth.Own:
			p.Filters[i].Value, p.Filters[i].Locked = u.Post, true
		case f.Name == "commission" && u.Commission != "" && auth.ReachOf(u, auth.ReadCommFigures) == auth.Own:
			p.Filters[i].Value, p.Filters[i].Locked = u.Commission, true
		}
	}
}

var listAction = map[string]auth.Action{"leads": auth.ReadInvestment, "deals": auth.ReadExpFigures, "barriers": auth.ReadExpFigures, "decisions": auth.ReadCommFigures}

// listValues are the request's query parameters but the language's.
func listValues(c *fiber.Ctx) url.Values {
	v, err := url.ParseQuery(string(c.Request().URI().QueryString()))
	if err != nil {
		return url.Values{}
	}
	v.Del("lang")
	return v
}

func cloneValues(v url.Values) url.Values {
	out := url.Values{}
	for k, vs := range v {
		out[k] = slices.Clone(vs)
	}
	return out
}

// listCSV writes every row of the list (up to csvMaxRows) in the list's order.
func (s *Server) listCSV(c *fiber.Ctx, kind string, src listSource, p analytics.ListPage) error {
	f, err := csvFormat(c)
	if err != nil {
		return err
	}
	var b bytes.Buffer
	var w *csvx.Writer
	p.Limit = 1000
	for p.Offset = 0; p.Offset < csvMaxRows; p.Offset += p.Limit {
		rows, total, err := src.query(c, p)
		if err != nil {
			return err
		}
		if w == nil {
			w = startCSV(c, &b, f, "records-"+kind, src.columns)
		}
		for _, r := range rows {
			_ = w.Write(r.CSV)
		}
		if uint64(p.Offset+len(rows)) >= total || len(rows) == 0 {
			break
		}
	}
	w.Flush()
	return c.Send(b.Bytes())
}

// asOfParam reads as_of (a day), today in Astana when absent.
func asOfParam(c *fiber.Ctx, fe *apperr.Fields) time.Time {
	asOf, given := httpx.DayParam(c, "as_of", fe)
	if !given {
		return astanaToday()
	}
	return asOf
}

// commissionScope is the commission a list of a secretariat is limited to,
// or the one the URL names (analysts, administrators).
func commissionScope(c *fiber.Ctx) (string, error) {
	u := currentUser(c)
	switch auth.ReachOf(u, auth.ReadCommFigures) {
	case auth.All:
		return strings.TrimSpace(c.Query("commission")), nil
	case auth.Own:
		return u.Commission, nil
	}
	// An attaché reads leads and deals of their post; a commission filter
	// narrows those and reveals nothing else.
	return strings.TrimSpace(c.Query("commission")), nil
}

func (s *Server) leadRows(c *fiber.Ctx, p analytics.ListPage) ([]listRow, uint64, error) {
	var fe apperr.Fields
	post, err := s.postScope(c, &fe, auth.ReadInvestment, "error.leads_read_role")
	if err != nil {
		return nil, 0, err
	}
	f := analytics.LeadListFilter{Post: post, Country: s.countryParam(c, "country", &fe), Sector: strings.TrimSpace(c.Query("sector")),
		Clause: strings.TrimSpace(c.Query("clause")), Metric: strings.TrimSpace(c.Query("metric")), Years: httpx.YearsParam(c, "years", &fe)}
	if _, ok := s.cfg.Ref.Sector(f.Sector); f.Sector != "" && f.Sector != "unassigned" && !ok {
		fe.Add("sector", "error.unknown_sector", f.Sector)
	}
	for _, st := range listParam(c, "stage") {
		if _, ok := domain.Probability[domain.Stage(st)]; !ok {
			fe.Add("stage", "error.unknown_stage", st, strings.Join(stageColumns(), ", "))
			continue
		}
		f.Stages = append(f.Stages, st)
	}
	if f.Metric != "" && f.Metric != analytics.Committed && f.Metric != analytics.Realised {
		fe.Add("metric", "error.one_of", analytics.Committed+", "+analytics.Realised)
	}
	if f.Commission, err = commissionScope(c); err != nil {
		return nil, 0, err
	}
	f.AsOf, f.DecisionYears = asOfParam(c, &fe), httpx.YearsParam(c, "decision_years", &fe)
	if err := fe.Err(); err != nil {
		return nil, 0, err
	}
	rows, total, err := analytics.ListLeads(c.UserContext(), s.cfg.CH, f, p)
	if err != nil {
		return nil, 0, figuresUnavailable(err)
	}
	lang := httpx.Lang(c)
	out := make([]listRow, len(rows))
	for i, r := range rows {
		usd, kzt := r.CapexUSD.StringFixed(2), r.CapexKZT.StringFixed(2)
		if r.NoRate {
			usd, kzt = "", ""
		}
		out[i] = listRow{Href: "/records/lead/" + url.PathEscape(r.ID),
			Cells: []listCell{{Text: shortID(r.ID)}, {Text: r.Title}, {Text: r.Investor}, {Text: s.countryName(lang, r.Country)}, {Text: s.postCity(lang, r.Post)},
				{Text: s.sectorName(lang, r.Sector)}, {Text: label(lang, "lead_stage", r.Stage)}, {Text: numberText(lang, r.Capex), Num: true}, {Text: r.Currency},
				{Text: numOrDash(lang, usd), Num: true}, {Text: numOrDash(lang, kzt), Num: true}, {Text: yesNo(lang, r.NoRate)}, {Text: i18n.Date(lang, r.StageDay)}},
			CSV: []string{r.ID, r.Title, r.Investor, r.Country, r.Post, r.Sector, r.Stage, r.Capex.String(), r.Currency, usd, kzt, strconv.FormatBool(r.NoRate), r.StageDay}}
	}
	return out, total, nil
}

func (s *Server) dealRows(c *fiber.Ctx, p analytics.ListPage) ([]listRow, uint64, error) {
	ef, err := s.exportFilter(c)
	if err != nil {
		return nil, 0, err
	}
	var fe apperr.Fields
	f := analytics.DealListFilter{ExportFilter: ef, Clause: strings.TrimSpace(c.Query("clause")), Chapter: strings.TrimSpace(c.Query("chapter")),
		Raw: strings.TrimSpace(c.Query("raw"))}
	if f.Raw != "" && f.Raw != "0" && f.Raw != "1" {
		fe.Add("raw", "error.one_of", "0, 1")
	}
	if f.Commission, err = commissionScope(c); err != nil {
		return nil, 0, err
	}
	f.AsOf, f.DecisionYears = asOfParam(c, &fe), httpx.YearsParam(c, "decision_years", &fe)
	if err := fe.Err(); err != nil {
		return nil, 0, err
	}
	rows, total, err := analytics.ListDeals(c.UserContext(), s.cfg.CH, f, p)
	if err != nil {
		return nil, 0, figuresUnavailable(err)
	}
	lang := httpx.Lang(c)
	out := make([]listRow, len(rows))
	for i, r := range rows {
		usd, kzt := r.USD.StringFixed(2), r.KZT.StringFixed(2)
		if r.NoRate {
			usd, kzt = "", ""
		}
		out[i] = listRow{Href: "/records/deal/" + url.PathEscape(r.ID),
			Cells: []listCell{{Text: shortID(r.ID)}, {Text: r.Exporter}, {Text: s.countryName(lang, r.BuyerCountry)}, {Text: r.HSCode}, {Text: s.sectorName(lang, r.Sector)},
				{Text: yesNo(lang, r.Raw)}, {Text: label(lang, "deal_stage", r.Stage)}, {Text: i18n.Date(lang, r.DealDate)}, {Text: numberText(lang, r.Value), Num: true},
				{Text: r.Currency}, {Text: numOrDash(lang, usd), Num: true}, {Text: numOrDash(lang, kzt), Num: true}, {Text: yesNo(lang, r.NoRate)}, {Text: s.postCity(lang, r.Post)}},
			CSV: []string{r.ID, r.Exporter, r.BuyerCountry, r.HSCode, r.Sector, strconv.FormatBool(r.Raw), r.Stage, r.DealDate, r.Value.String(), r.Currency, usd, kzt,
				strconv.FormatBool(r.NoRate), r.Post}}
	}
	return out, total, nil
}

func (s *Server) barrierRows(c *fiber.Ctx, p analytics.ListPage) ([]listRow, uint64, error) {
	bf, err := s.barrierFilter(c)
	if err != nil {
		return nil, 0, err
	}
	var fe apperr.Fields
	f := analytics.BarrierListFilter{BarrierFilter: bf, State: strings.TrimSpace(c.Query("state")), Statuses: listParam(c, "status"),
		ResolvedYears: httpx.YearsParam(c, "resolved_years", &fe)}
	if f.State != "" && !slices.Contains([]string{"open", "dormant", "resolved"}, f.State) {
		fe.Add("state", "error.one_of", "open, dormant, resolved")
	}
	if err := fe.Err(); err != nil {
		return nil, 0, err
	}
	rows, total, err := analytics.ListBarriers(c.UserContext(), s.cfg.CH, f, p)
	if err != nil {
		return nil, 0, figuresUnavailable(err)
	}
	lang := httpx.Lang(c)
	out := make([]listRow, len(rows))
	for i, r := range rows {
		value, usd, kzt := "", "", ""
		if r.HasValue {
			value = r.Value.String()
			if !r.NoRate {
				usd, kzt = r.USD.StringFixed(2), r.KZT.StringFixed(2)
			}
		}
		out[i] = listRow{Href: "/records/barrier/" + url.PathEscape(r.ID),
			Cells: []listCell{{Text: shortID(r.ID)}, {Text: r.Title}, {Text: s.countryName(lang, r.Country)}, {Text: label(lang, "barrier_type", r.Type)},
				{Text: label(lang, "barrier_status", r.Status)}, {Text: numOrDash(lang, value), Num: true}, {Text: r.Currency}, {Text: numOrDash(lang, usd), Num: true},
				{Text: numOrDash(lang, kzt), Num: true}, {Text: yesNo(lang, r.HasValue && r.NoRate)}, {Text: i18n.Date(lang, r.ReportedOn)}, {Text: dayOrDash(lang, r.ResolvedOn)},
				{Text: s.postCity(lang, r.Post)}},
			CSV: []string{r.ID, r.Title, r.Country, r.Type, r.Status, value, r.Currency, usd, kzt, strconv.FormatBool(r.HasValue && r.NoRate), r.ReportedOn, r.ResolvedOn, r.Post}}
	}
	return out, total, nil
}

func (s *Server) decisionRows(c *fiber.Ctx, p analytics.ListPage) ([]listRow, uint64, error) {
	cf, asOf, err := commissionFilter(c)
	if err != nil {
		return nil, 0, err
	}
	var fe apperr.Fields
	f := analytics.DecisionListFilter{CommissionFilter: cf, AsOf: asOf, Flag: strings.TrimSpace(c.Query("flag")), Statuses: listParam(c, "status"),
		Sector: strings.TrimSpace(c.Query("sector")), Clause: strings.TrimSpace(c.Query("clause")), Agency: strings.TrimSpace(c.Query("agency")),
		WithLeads: c.Query("with_leads") == "1"}
	if f.Flag != "" && !slices.Contains([]string{"due", "on_time", "late", "overdue", "cancelled"}, f.Flag) {
		fe.Add("flag", "error.one_of", "due, on_time, late, overdue, cancelled")
	}
	if err := fe.Err(); err != nil {
		return nil, 0, err
	}
	rows, total, err := analytics.ListDecisions(c.UserContext(), s.cfg.CH, f, p)
	if err != nil {
		return nil, 0, figuresUnavailable(err)
	}
	lang := httpx.Lang(c)
	out := make([]listRow, len(rows))
	for i, r := range rows {
		names := make([]string, len(r.Agencies))
		for j, a := range r.Agencies {
			names[j] = s.agencyName(lang, a)
		}
		session := strconv.Itoa(int(r.SessionNumber))
		out[i] = listRow{Href: "/records/decision/" + url.PathEscape(r.CommissionID) + "/" + url.PathEscape(r.ID),
			Cells: []listCell{{Text: r.CommissionID}, {Text: session, Num: true}, {Text: i18n.Date(lang, r.SessionDate)}, {Text: r.Item}, {Text: r.Text},
				{Text: strings.Join(names, ", ")}, {Text: s.sectorName(lang, r.Sector)}, {Text: i18n.Date(lang, r.Deadline)}, {Text: label(lang, "decision_status", r.Status)},
				{Text: dayOrDash(lang, r.DoneOn)}, {Text: strconv.Itoa(r.Leads), Num: true}, {Text: strconv.Itoa(r.Deals), Num: true}},
			CSV: []string{r.CommissionID, session, r.SessionDate, r.Item, r.Text, strings.Join(r.Agencies, ";"), r.Sector, r.Deadline, r.Status, r.DoneOn,
				strconv.Itoa(r.Leads), strconv.Itoa(r.Deals)}}
	}
	return out, total, nil
}

// shortID is the first block of a UUID, enough to tell rows apart on a page
// (the CSV has the whole id).
func shortID(id string) string {
	if i := strings.IndexByte(id, '-'); i > 0 {
		return id[:i]
	}
	return id
}

func numOrDash(lang i18n.Lang, v string) string {
	if v == "" {
		return "–"
	}
	return numberText(lang, v)
}

func dayOrDash(lang i18n.Lang, d string) string {
	if d == "" {
		return "–"
	}
	return i18n.Date(lang, d)
}

func yesNo(lang i18n.Lang, b bool) string {
	if b {
		return i18n.T(lang, "ui.records.yes")
	}
	return ""
}
