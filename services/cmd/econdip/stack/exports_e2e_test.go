package stack_test

import (
	"context"
	"fmt"
	"net/http"
	"slices"
	"strings"
	"sync"
	"testing"

	"econdip/events"
	"econdip/services/cmd/econdip/stack"
	"econdip/services/exports/domain"
	"econdip/services/exports/httpapi"
	"econdip/services/test/stacktest"
)

// Valid BINs, computed by hand (weights 1..11 on the first 11 digits, sum mod 11):
//
//	99034000459?: 9·1+9·2+0·3+3·4+4·5+0·6+0·7+0·8+4·9+5·10+9·11 = 244; 244 mod 11 = 2 → 990340004592
//	05044000123?: 0·1+5·2+0·3+4·4+4·5+0·6+0·7+0·8+1·9+2·10+3·11 = 108; 108 mod 11 = 9 → 050440001239
//	12114000777?: 1·1+2·2+1·3+1·4+4·5+0·6+0·7+0·8+7·9+7·10+7·11 = 242; 242 mod 11 = 0 → 121140007770
//	00114000555?: 0·1+0·2+1·3+1·4+4·5+0·6+0·7+0·8+5·9+5·10+5·11 = 177; 177 mod 11 = 1 → 001140005551 (never registered)
//
// Each has month 01-12 in digits 3-4, entity type 4 (resident legal entity)
// in digit 5 and division 0 (head office) in digit 6.
const (
	binAluminium  = "990340004592"
	binRefinery   = "050440001239"
	binOilfield   = "121140007770"
	binUnknown    = "001140005551"
	binBadCheck   = "990340004593" // the aluminium BIN with a wrong check digit
	exportsPrefix = "/api/v1"
)

func exportsURL(s *stack.Stack, path string) string {
	return "http://" + s.ExportsAddr + exportsPrefix + path
}

// errorBody is the JSON of an error answer.
type errorBody struct {
	Error  string
	Code   string
	Fields []struct{ Field, Code, Message string }
}

// field returns the first field error on name.
func (e errorBody) field(name string) (code, message string, ok bool) {
	for _, f := range e.Fields {
		if f.Field == name {
			return f.Code, f.Message, true
		}
	}
	return "", "", false
}

func registerExporter(t *testing.T, s *stack.Stack, token, bin, name string) httpapi.ExporterJSON {
	t.Helper()
	r := stacktest.Do(t, "POST", exportsURL(s, "/exporters"), token, fmt.Sprintf(`{"bin":%q,"name":%q,"region":"KZ-55"}`, bin, name))
	if r.Status != http.StatusCreated && r.Status != http.StatusOK {
		t.Fatalf("register exporter %s: %d %s", bin, r.Status, r.Body)
	}
	var e httpapi.ExporterJSON
	r.JSON(t, &e)
	return e
}

// dealBody is a valid deal for the Berlin post, on the given HS code.
func dealBody(bin, hs, amount string) string {
	return fmt.Sprintf(`{"exporter_bin":%q,"buyer_country":"DE","buyer_name":"Hamburg Metall AG","hs_code":%q,
	"product":"export lot","value":{"amount":%s,"currency":"EUR"},"quantity":"1200","unit":"t",
	"support":["b2b_meeting","trade_mission"],"clauses":["2.7"]}`, bin, hs, amount)
}

func createDeal(t *testing.T, s *stack.Stack, token, body string, headers ...string) httpapi.DealJSON {
	t.Helper()
	r := stacktest.Do(t, "POST", exportsURL(s, "/deals"), token, body, headers...)
	if r.Status != http.StatusCreated {
		t.Fatalf("create deal: %d %s", r.Status, r.Body)
	}
	var d httpapi.DealJSON
	r.JSON(t, &d)
	return d
}

func moveDeal(t *testing.T, s *stack.Stack, token string, d httpapi.DealJSON, extra string) (httpapi.DealJSON, stacktest.Response) {
	t.Helper()
	r := stacktest.Do(t, "POST", exportsURL(s, "/deals/"+d.ID+"/stage"), token, fmt.Sprintf(`{"version":%d,%s}`, d.Version, extra))
	var out httpapi.DealJSON
	if r.Status == 200 {
		r.JSON(t, &out)
	}
	return out, r
}

func mustMove(t *testing.T, s *stack.Stack, token string, d httpapi.DealJSON, extra string) httpapi.DealJSON {
	t.Helper()
	out, r := moveDeal(t, s, token, d, extra)
	if r.Status != 200 {
		t.Fatalf("move %s with %s: %d %s", d.Stage, extra, r.Status, r.Body)
	}
	return out
}

// exportEventsMatchTheirSchemas checks every event the exports service
// stored against the JSON Schema of its type, when the test ends.
func exportEventsMatchTheirSchemas(t *testing.T, s *stack.Stack) {
	t.Cleanup(func() {
		ctx := context.Background()
		st, err := s.JS.Stream(ctx, events.StreamExports)
		if err != nil {
			t.Fatal(err)
		}
		info, err := st.Info(ctx)
		if err != nil {
			t.Fatal(err)
		}
		for seq := info.State.FirstSeq; seq <= info.State.LastSeq && info.State.Msgs > 0; seq++ {
			msg, err := st.GetMsg(ctx, seq)
			if err != nil {
				t.Fatal(err)
			}
			if err := events.ValidateSchema(msg.Data); err != nil {
				t.Errorf("event %d on %s: %v", seq, msg.Subject, err)
			}
		}
		if info.State.Msgs == 0 {
			t.Error("the test stored no exports events")
		}
	})
}

func TestExportersDealsAndTheirStages(t *testing.T) {
	s := stacktest.Start(t)
	exportEventsMatchTheirSchemas(t, s)
	for _, bin := range []string{binAluminium, binRefinery, binOilfield, binUnknown} {
		if rule := domain.CheckBIN(bin); rule != domain.BINOK {
			t.Fatalf("the hand-computed BIN %s fails rule %q", bin, rule)
		}
	}

	// A wrong check digit is refused, naming the field and the rule.
	r := stacktest.Do(t, "POST", exportsURL(s, "/exporters"), berlin, `{"bin":"`+binBadCheck+`","name":"Typo JSC"}`)
	var eb errorBody
	r.JSON(t, &eb)
	code, msg, ok := eb.field("bin")
	if r.Status != 400 || !ok || code != "error.bin_check_digit" || !strings.Contains(msg, "check digit") {
		t.Fatalf("wrong check digit: %d %s", r.Status, r.Body)
	}

	// Registering: 201 the first time; the same BIN again returns the registry's record.
	alu := registerExporter(t, s, berlin, binAluminium, "Pavlodar Aluminium JSC")
	if alu.Version != 1 || alu.RegisteredBy != "attache.de-berlin" || alu.Region != "KZ-55" {
		t.Fatalf("registered exporter: %+v", alu)
	}
	r = stacktest.Do(t, "POST", exportsURL(s, "/exporters"), beijing, `{"bin":"`+binAluminium+`","name":"Another name"}`)
	var again httpapi.ExporterJSON
	r.JSON(t, &again)
	if r.Status != 200 || again.Name != "Pavlodar Aluminium JSC" || again.Version != 1 || r.Header.Get("Exporter-Registered-Before") != "true" {
		t.Fatalf("second registration: %d %s", r.Status, r.Body)
	}
	// With the version read, the name changes; a stale version is a conflict.
	r = stacktest.Do(t, "POST", exportsURL(s, "/exporters"), admin, `{"version":1,"bin":"`+binAluminium+`","name":"Kazakhstan Aluminium Smelter JSC","region":"KZ-55"}`)
	r.JSON(t, &again)
	if r.Status != 200 || again.Version != 2 || again.Name != "Kazakhstan Aluminium Smelter JSC" {
		t.Fatalf("rename: %d %s", r.Status, r.Body)
	}
	if r := stacktest.Do(t, "POST", exportsURL(s, "/exporters"), berlin, `{"version":1,"bin":"`+binAluminium+`","name":"Late"}`); r.Status != 409 {
		t.Fatalf("stale rename: %d %s", r.Status, r.Body)
	}
	registerExporter(t, s, berlin, binRefinery, "Pavlodar Refinery LLP")
	registerExporter(t, s, berlin, binOilfield, "Tengiz Crude JSC")
	if r := stacktest.Do(t, "GET", exportsURL(s, "/exporters/"+binAluminium), analyst, ""); r.Status != 200 || !strings.Contains(string(r.Body), "Smelter") {
		t.Fatalf("exporter lookup: %d %s", r.Status, r.Body)
	}
	var reg struct {
		Exporters []httpapi.ExporterJSON
		Total     int
	}
	stacktest.Do(t, "GET", exportsURL(s, "/exporters?q=pavlodar"), beijing, "").JSON(t, &reg)
	if reg.Total != 1 || reg.Exporters[0].BIN != binRefinery {
		t.Fatalf("exporters named Pavlodar: %+v", reg)
	}

	// The HS picker: 6-digit codes first, each with sector and raw flag.
	var hs struct{ Results []httpapi.HSJSON }
	r = stacktest.Do(t, "GET", exportsURL(s, "/hs?q=aluminium&limit=20"), berlin, "")
	r.JSON(t, &hs)
	if r.Status != 200 || len(hs.Results) != 20 || hs.Results[0].Level != 6 {
		t.Fatalf("picker: %d %s", r.Status, r.Body)
	}
	i := slices.IndexFunc(hs.Results, func(h httpapi.HSJSON) bool { return h.Code == "760110" })
	if i < 0 || hs.Results[i].Sector != "non_ferrous_metallurgy" || hs.Results[i].Raw {
		t.Fatalf("760110 in the picker: %+v", hs.Results)
	}
	stacktest.Do(t, "GET", exportsURL(s, "/hs?q=2709"), berlin, "").JSON(t, &hs)
	if len(hs.Results) != 2 || hs.Results[0].Code != "270900" || !hs.Results[0].Raw || hs.Results[0].Sector != "mining" || hs.Results[1].Level != 4 {
		t.Fatalf("picker for 2709: %+v", hs.Results)
	}
	stacktest.Do(t, "GET", exportsURL(s, "/hs?q=commodities%20not%20specified"), berlin, "").JSON(t, &hs)
	if len(hs.Results) != 0 {
		t.Fatalf("Comtrade's chapter 99 is not HS, the picker must not offer it: %+v", hs.Results)
	}

	// Three deals, classified by their HS codes under the mapping.
	aluminium := createDeal(t, s, berlin, dealBody(binAluminium, "760110", `"2450000.50"`))
	refined := createDeal(t, s, berlin, dealBody(binRefinery, "271012", `"800000"`))
	crude := createDeal(t, s, berlin, dealBody(binOilfield, "270900", `15000000`))
	for _, c := range []struct {
		d      httpapi.DealJSON
		sector string
		raw    bool
	}{{aluminium, "non_ferrous_metallurgy", false}, {refined, "petrochemistry_refining", false}, {crude, "mining", true}} {
		if c.d.Sector != c.sector || c.d.Raw != c.raw || c.d.Stage != "opportunity" || c.d.Version != 1 || c.d.Post != "de-berlin" {
			t.Fatalf("deal %s: %+v", c.d.HSCode, c.d)
		}
	}
	if aluminium.ExporterName != "Kazakhstan Aluminium Smelter JSC" || aluminium.Value.Amount != "2450000.5" || aluminium.Value.Currency != "EUR" ||
		aluminium.Quantity == nil || *aluminium.Quantity != "1200" || strings.Join(aluminium.NextStages, ",") != "negotiating,lost" {
		t.Fatalf("aluminium deal: %+v", aluminium)
	}

	// Aluminium goes all the way: contracted three days ago, shipped, paid.
	aluminium = mustMove(t, s, berlin, aluminium, `"stage":"negotiating"`)
	aluminium = mustMove(t, s, berlin, aluminium, fmt.Sprintf(`"stage":"contracted","contract_date":%q,"comment":"signed at the trade fair"`, astanaDay(-3)))
	if aluminium.ContractDate != astanaDay(-3) {
		t.Fatalf("contract date: %+v", aluminium)
	}
	aluminium = mustMove(t, s, berlin, aluminium, `"stage":"shipped"`)
	aluminium = mustMove(t, s, berlin, aluminium, `"stage":"paid"`)
	if aluminium.Stage != "paid" || aluminium.Version != 5 || aluminium.ContractDate != astanaDay(-3) || len(aluminium.NextStages) != 0 {
		t.Fatalf("paid deal: %+v", aluminium)
	}
	// Refined products: contracted today by default, then lost.
	refined = mustMove(t, s, berlin, refined, `"stage":"negotiating"`)
	refined = mustMove(t, s, berlin, refined, `"stage":"contracted"`)
	if refined.ContractDate != astanaDay(0) {
		t.Fatalf("contract date defaults to today: %+v", refined)
	}
	refined = mustMove(t, s, berlin, refined, `"stage":"lost","lost_reason":"buyer went bankrupt"`)
	if refined.Stage != "lost" || refined.LostReason != "buyer went bankrupt" {
		t.Fatalf("lost deal: %+v", refined)
	}
	crude = mustMove(t, s, berlin, crude, `"stage":"negotiating"`)

	// History says who moved it, from where to where.
	var h struct{ History []httpapi.ChangeJSON }
	stacktest.Do(t, "GET", exportsURL(s, "/deals/"+aluminium.ID+"/history"), analyst, "").JSON(t, &h)
	if len(h.History) != 5 || h.History[0].Type != events.TypeDealCreated || h.History[2].To != "contracted" ||
		h.History[2].Comment != "signed at the trade fair" || h.History[4].From != "shipped" || h.History[4].Actor != "attache.de-berlin" {
		t.Fatalf("history: %+v", h.History)
	}

	// Lists: the analyst sees every post and filters; another post sees none of Berlin's.
	list := func(token, query string) (ids []string) {
		t.Helper()
		var out struct {
			Deals []httpapi.DealJSON
			Total int
		}
		r := stacktest.Do(t, "GET", exportsURL(s, "/deals"+query), token, "")
		if r.Status != 200 {
			t.Fatalf("list %s: %d %s", query, r.Status, r.Body)
		}
		r.JSON(t, &out)
		for _, d := range out.Deals {
			ids = append(ids, d.HSCode)
		}
		if out.Total != len(out.Deals) {
			t.Fatalf("list %s: total %d for %d deals on one page", query, out.Total, len(out.Deals))
		}
		slices.Sort(ids)
		return ids
	}
	for _, c := range []struct{ token, query, want string }{
		{analyst, "", "270900,271012,760110"},
		{admin, "?post=de-berlin", "270900,271012,760110"},
		{analyst, "?hs=27", "270900,271012"},
		{analyst, "?hs=7601", "760110"},
		{analyst, "?sector=mining", "270900"},
		{analyst, "?stage=paid", "760110"},
		{analyst, "?buyer_country=CN", ""},
		{berlin, "?post=cn-beijing", "270900,271012,760110"}, // an attaché always gets the own post
		{beijing, "", ""},
	} {
		if got := strings.Join(list(c.token, c.query), ","); got != c.want {
			t.Errorf("deals%s for %s: %s, want %s", c.query, c.token, got, c.want)
		}
	}
	var paged struct {
		Deals         []httpapi.DealJSON
		Total, Offset int
	}
	stacktest.Do(t, "GET", exportsURL(s, "/deals?limit=2&offset=2"), analyst, "").JSON(t, &paged)
	if paged.Total != 3 || len(paged.Deals) != 1 || paged.Offset != 2 {
		t.Fatalf("second page: %+v", paged)
	}
}

func TestBadExportInputGetsFieldErrorsAndStoresNothing(t *testing.T) {
	s := stacktest.Start(t)
	exportEventsMatchTheirSchemas(t, s)
	registerExporter(t, s, berlin, binAluminium, "Kazakhstan Aluminium Smelter JSC")
	deal := createDeal(t, s, berlin, dealBody(binAluminium, "760110", `"1000"`))
	r := stacktest.Do(t, "POST", exportsURL(s, "/barriers"), beijing, barrierBody(astanaDay(-3)))
	if r.Status != http.StatusCreated {
		t.Fatalf("report barrier: %d %s", r.Status, r.Body)
	}
	var barrier httpapi.BarrierJSON
	r.JSON(t, &barrier)
	good := dealBody(binAluminium, "760110", `"1000"`)
	cases := []struct {
		name, method, path, token, body string
		status                          int
		field, code                     string // the field the error must name, and its reason
	}{
		{"HS code that does not exist", "POST", "/deals", berlin, strings.Replace(good, "760110", "999999", 1), 400, "hs_code", "error.hs_unknown"},
		{"HS heading instead of a subheading", "POST", "/deals", berlin, strings.Replace(good, "760110", "7601", 1), 400, "hs_code", "error.hs_format"},
		{"value 1e309", "POST", "/deals", berlin, strings.Replace(good, `"1000"`, `1e309`, 1), 400, "value.amount", "error.exponent"},
		{"value 12,5", "POST", "/deals", berlin, strings.Replace(good, `"1000"`, `"12,5"`, 1), 400, "value.amount", "error.decimal_comma"},
		{"value of the wrong JSON type", "POST", "/deals", berlin, strings.Replace(good, `"1000"`, `true`, 1), 400, "value.amount", "error.json_type"},
		{"unknown currency", "POST", "/deals", berlin, strings.Replace(good, `"EUR"`, `"XYZ"`, 1), 400, "value.currency", "error.unknown_currency"},
		{"buyer outside the post's country", "POST", "/deals", berlin, strings.Replace(good, `"DE"`, `"CN"`, 1), 400, "buyer_country", "error.buyer_not_host"},
		{"exporter not registered", "POST", "/deals", berlin, strings.Replace(good, binAluminium, binUnknown, 1), 400, "exporter_bin", "error.exporter_not_registered"},
		{"exporter BIN with a wrong check digit", "POST", "/deals", berlin, strings.Replace(good, binAluminium, binBadCheck, 1), 400, "exporter_bin", "error.bin_check_digit"},
		{"unknown field", "POST", "/deals", berlin, strings.Replace(good, `"product"`, `"colour":"red","product"`, 1), 400, "colour", "error.unknown_field"},
		{"decision that does not exist", "POST", "/deals", berlin, strings.Replace(good, `"clauses"`, `"commission_id":"igc-de","decision_id":"7c9e6679-7425-40de-944b-e07fc1f90ae7","clauses"`, 1), 400, "decision_id", "error.unknown_target"},
		{"decision id that is not an id", "POST", "/deals", berlin, strings.Replace(good, `"clauses"`, `"commission_id":"igc-de","decision_id":"*","clauses"`, 1), 400, "decision_id", "error.not_an_id"},
		{"missing token", "POST", "/deals", "", good, 401, "", ""},
		{"analyst may not write", "POST", "/deals", analyst, good, 403, "", ""},
		{"secretariat may not read deals", "GET", "/deals", secCN, "", 403, "", ""},
		{"stage out of order", "POST", "/deals/" + deal.ID + "/stage", berlin, `{"version":1,"stage":"shipped"}`, 400, "stage", "error.deal_stage_move"},
		{"unknown stage", "POST", "/deals/" + deal.ID + "/stage", berlin, `{"version":1,"stage":"won"}`, 400, "stage", "error.unknown_stage"},
		{"lost without a reason", "POST", "/deals/" + deal.ID + "/stage", berlin, `{"version":1,"stage":"lost"}`, 400, "lost_reason", "error.required"},
		{"update without a version", "PATCH", "/deals/" + deal.ID, berlin, `{"product":"x"}`, 400, "version", "error.version_required"},
		{"update to a buyer elsewhere", "PATCH", "/deals/" + deal.ID, berlin, `{"version":1,"buyer_country":"FR"}`, 400, "buyer_country", "error.buyer_not_host"},
		{"another post's deal: read", "GET", "/deals/" + deal.ID, beijing, "", 403, "", ""},
		{"another post's deal: update", "PATCH", "/deals/" + deal.ID, beijing, `{"version":1,"product":"mine now"}`, 403, "", ""},
		{"another post's deal: move", "POST", "/deals/" + deal.ID + "/stage", beijing, `{"version":1,"stage":"negotiating"}`, 403, "", ""},
		{"another post's deal: history", "GET", "/deals/" + deal.ID + "/history", beijing, "", 403, "", ""},
		{"unknown deal", "GET", "/deals/00000000-0000-4000-8000-000000000000", berlin, "", 404, "", ""},
		{"deal id with a wildcard", "GET", "/deals/*", berlin, "", 404, "", ""},
		{"list with a bad HS prefix", "GET", "/deals?hs=7a", analyst, "", 400, "hs", "error.hs_prefix"},
		{"list with a bad stage", "GET", "/deals?stage=won", analyst, "", 400, "stage", "error.unknown_stage"},
		{"list with a bad limit", "GET", "/deals?limit=many", analyst, "", 400, "limit", "error.not_a_whole_number"},
		{"exporter BIN with a wrong check digit", "POST", "/exporters", berlin, `{"bin":"` + binBadCheck + `","name":"x"}`, 400, "bin", "error.bin_check_digit"},
		{"exporter BIN too short", "POST", "/exporters", berlin, `{"bin":"12345","name":"x"}`, 400, "bin", "error.bin_length"},
		{"exporter without a name", "POST", "/exporters", berlin, `{"bin":"` + binRefinery + `","name":" "}`, 400, "name", "error.required"},
		{"exporter in an unknown region", "POST", "/exporters", berlin, `{"bin":"` + binRefinery + `","name":"x","region":"KZ-99"}`, 400, "region", "error.unknown_region"},
		{"analyst may not register exporters", "POST", "/exporters", analyst, `{"bin":"` + binRefinery + `","name":"x"}`, 403, "", ""},
		{"version for an unregistered BIN", "POST", "/exporters", berlin, `{"version":1,"bin":"` + binRefinery + `","name":"x"}`, 404, "", ""},
		{"exporter lookup with a wildcard", "GET", "/exporters/*", berlin, "", 404, "", ""},
		{"barrier in another country", "POST", "/barriers", berlin, barrierBody(astanaDay(-3)), 400, "country", "error.barrier_not_host"},
		{"barrier status out of order", "POST", "/barriers/" + barrier.ID + "/status", beijing, `{"version":1,"status":"resolved","comment":"x"}`, 400, "status", "error.barrier_status_move"},
		{"barrier status without a comment", "POST", "/barriers/" + barrier.ID + "/status", beijing, `{"version":1,"status":"verified"}`, 400, "comment", "error.required"},
		{"barrier status before it was reported", "POST", "/barriers/" + barrier.ID + "/status", beijing, `{"version":1,"status":"verified","comment":"x","effective_on":"` + astanaDay(-4) + `"}`, 400, "effective_on", "error.before_reported"},
		{"progress note without text", "PATCH", "/barriers/" + barrier.ID, beijing, `{"version":1,"progress":{"on":"` + astanaDay(0) + `","text":""}}`, 400, "progress.text", "error.required"},
		{"progress note in the future", "PATCH", "/barriers/" + barrier.ID, beijing, `{"version":1,"progress":{"on":"` + astanaDay(2) + `","text":"x"}}`, 400, "progress.on", "error.future_date"},
		{"barrier country cannot change", "PATCH", "/barriers/" + barrier.ID, beijing, `{"version":1,"country":"DE"}`, 400, "country", "error.unknown_field"},
		{"another post's barrier", "GET", "/barriers/" + barrier.ID, berlin, "", 403, "", ""},
		{"stale barrier version", "POST", "/barriers/" + barrier.ID + "/status", beijing, `{"version":3,"status":"verified","comment":"x"}`, 409, "", ""},
		{"HS picker without a query", "GET", "/hs", berlin, "", 400, "q", "error.too_short"},
		{"HS picker without a token", "GET", "/hs?q=wheat", "", "", 401, "", ""},
	}
	before := streamMsgs(t, s, events.StreamExports)
	for _, tc := range cases {
		t.Run(tc.name, func(t *testing.T) {
			r := stacktest.Do(t, tc.method, exportsURL(s, tc.path), tc.token, tc.body)
			if r.Status != tc.status || strings.Contains(string(r.Body), "%!") {
				t.Fatalf("status %d, want %d: %s", r.Status, tc.status, r.Body)
			}
			var body errorBody
			r.JSON(t, &body)
			if body.Error == "" {
				t.Fatalf("no error message: %s", r.Body)
			}
			if tc.field != "" {
				code, msg, ok := body.field(tc.field)
				if !ok || code != tc.code || msg == "" {
					t.Fatalf("the error does not name field %q with %q: %s", tc.field, tc.code, r.Body)
				}
			}
		})
	}
	if after := streamMsgs(t, s, events.StreamExports); after != before {
		t.Fatalf("bad requests stored %d events", after-before)
	}
	// The exporter error says what to do.
	r = stacktest.Do(t, "POST", exportsURL(s, "/deals"), berlin, strings.Replace(good, binAluminium, binUnknown, 1))
	if !strings.Contains(string(r.Body), "register it first") {
		t.Fatalf("unregistered exporter message: %s", r.Body)
	}
}

func TestIdempotentDealCreateAndLostUpdates(t *testing.T) {
	s := stacktest.Start(t)
	exportEventsMatchTheirSchemas(t, s)
	registerExporter(t, s, berlin, binAluminium, "Kazakhstan Aluminium Smelter JSC")
	first := createDeal(t, s, berlin, dealBody(binAluminium, "760110", `"1000"`), "Idempotency-Key", "deal-form-7")
	before := streamMsgs(t, s, events.StreamExports)
	r := stacktest.Do(t, "POST", exportsURL(s, "/deals"), berlin, dealBody(binAluminium, "760110", `"1000"`), "Idempotency-Key", "deal-form-7")
	var again httpapi.DealJSON
	r.JSON(t, &again)
	if r.Status != http.StatusCreated || again.ID != first.ID || r.Header.Get("Idempotent-Replayed") != "true" {
		t.Fatalf("retry: %d %s", r.Status, r.Body)
	}
	moved := mustMove(t, s, berlin, first, `"stage":"negotiating"`)
	r = stacktest.Do(t, "POST", exportsURL(s, "/deals"), berlin, dealBody(binAluminium, "760110", `"1000"`), "Idempotency-Key", "deal-form-7")
	r.JSON(t, &again)
	if again.ID != first.ID || again.Version != 1 {
		t.Fatalf("late retry returns the creation: %+v", again)
	}
	if after := streamMsgs(t, s, events.StreamExports); after != before+1 { // +1: the move only
		t.Fatalf("stream grew from %d to %d; retries must add nothing", before, after)
	}

	// Eight concurrent updates of version 2: one wins, the others get 409.
	const writers = 8
	var wg sync.WaitGroup
	statuses := make([]int, writers)
	for i := range writers {
		wg.Add(1)
		go func() {
			defer wg.Done()
			body := fmt.Sprintf(`{"version":%d,"value":{"amount":"%d000","currency":"USD"}}`, moved.Version, i+2)
			statuses[i] = stacktest.Do(t, "PATCH", exportsURL(s, "/deals/"+first.ID), berlin, body).Status
		}()
	}
	wg.Wait()
	if slices.Index(statuses, 200) < 0 || len(slices.DeleteFunc(slices.Clone(statuses), func(st int) bool { return st == 409 })) != 1 {
		t.Fatalf("statuses %v: want one 200 and %d × 409", statuses, writers-1)
	}
	// A stale version is refused, naming both versions.
	r = stacktest.Do(t, "PATCH", exportsURL(s, "/deals/"+first.ID), berlin, `{"version":2,"product":"late"}`)
	if r.Status != 409 || !strings.Contains(string(r.Body), "version 2") || !strings.Contains(string(r.Body), "version 3") {
		t.Fatalf("stale update: %d %s", r.Status, r.Body)
	}
	// An update that changes nothing stores nothing.
	var now httpapi.DealJSON
	stacktest.Do(t, "GET", exportsURL(s, "/deals/"+first.ID), berlin, "").JSON(t, &now)
	before = streamMsgs(t, s, events.StreamExports)
	if r := stacktest.Do(t, "PATCH", exportsURL(s, "/deals/"+first.ID), berlin, fmt.Sprintf(`{"version":%d,"hs_code":"760110"}`, now.Version)); r.Status != 200 {
		t.Fatalf("no-op update: %d %s", r.Status, r.Body)
	}
	if after := streamMsgs(t, s, events.StreamExports); after != before {
		t.Fatalf("a no-op update stored %d events", after-before)
	}
	// A real update names what changed; removing the quantity drops its unit.
	r = stacktest.Do(t, "PATCH", exportsURL(s, "/deals/"+first.ID), berlin, fmt.Sprintf(`{"version":%d,"hs_code":"760120","quantity":""}`, now.Version))
	var updated httpapi.DealJSON
	r.JSON(t, &updated)
	if r.Status != 200 || updated.HSCode != "760120" || updated.Quantity != nil || updated.Unit != "" || updated.Version != now.Version+1 {
		t.Fatalf("update: %d %s", r.Status, r.Body)
	}
	var h struct{ History []httpapi.ChangeJSON }
	stacktest.Do(t, "GET", exportsURL(s, "/deals/"+first.ID+"/history"), berlin, "").JSON(t, &h)
	if last := h.History[len(h.History)-1]; strings.Join(last.Changed, ",") != "hs_code,quantity,unit" || last.Type != events.TypeDealUpdated {
		t.Fatalf("history: %+v", h.History)
	}
}

// barrierBody is a barrier met by Kazakh wheat in China, reported on a day.
func barrierBody(reportedOn string) string {
	return fmt.Sprintf(`{"country":"CN","hs_codes":["1001","110100"],"type":"sps","title":"Phytosanitary suspension of Kazakh wheat",
	"description":"Imports suspended after a quarantine pest finding","value_at_stake":{"amount":"25000000","currency":"USD"},
	"lead_agency":"mti","clauses":["2.6","2.7"],"reported_on":%q}`, reportedOn)
}

func barrierStatus(t *testing.T, s *stack.Stack, b httpapi.BarrierJSON, status, on string) (httpapi.BarrierJSON, stacktest.Response) {
	t.Helper()
	r := stacktest.Do(t, "POST", exportsURL(s, "/barriers/"+b.ID+"/status"), beijing,
		fmt.Sprintf(`{"version":%d,"status":%q,"effective_on":%q,"comment":"per the ministry's note"}`, b.Version, status, on))
	var out httpapi.BarrierJSON
	if r.Status == 200 {
		r.JSON(t, &out)
	}
	return out, r
}

func TestBarrierReportProgressAndStatus(t *testing.T) {
	s := stacktest.Start(t)
	exportEventsMatchTheirSchemas(t, s)
	r := stacktest.Do(t, "POST", exportsURL(s, "/barriers"), beijing, barrierBody(astanaDay(-10)), "Idempotency-Key", "barrier-1")
	if r.Status != http.StatusCreated {
		t.Fatalf("report: %d %s", r.Status, r.Body)
	}
	var b httpapi.BarrierJSON
	r.JSON(t, &b)
	if b.Status != "reported" || b.Country != "CN" || b.ReportedOn != astanaDay(-10) || b.ValueAtStake == nil ||
		b.ValueAtStake.Amount != "25000000" || len(b.Progress) != 0 || strings.Join(b.NextStatuses, ",") != "verified,dormant" {
		t.Fatalf("reported barrier: %+v", b)
	}
	if r := stacktest.Do(t, "POST", exportsURL(s, "/barriers"), beijing, barrierBody(astanaDay(-10)), "Idempotency-Key", "barrier-1"); r.Status != 201 || r.Header.Get("Idempotent-Replayed") != "true" {
		t.Fatalf("retried report: %d %s", r.Status, r.Body)
	}

	// A progress note with a detail change, then a note alone.
	r = stacktest.Do(t, "PATCH", exportsURL(s, "/barriers/"+b.ID), beijing, fmt.Sprintf(
		`{"version":1,"title":"Phytosanitary suspension of Kazakh wheat and flour","progress":{"on":%q,"text":"Raised at the SPS working group"}}`, astanaDay(-8)))
	r.JSON(t, &b)
	if r.Status != 200 || b.Version != 2 || len(b.Progress) != 1 || b.Progress[0].Author != "attache.cn-beijing" || b.Progress[0].On != astanaDay(-8) {
		t.Fatalf("note: %d %s", r.Status, r.Body)
	}
	r = stacktest.Do(t, "PATCH", exportsURL(s, "/barriers/"+b.ID), beijing, `{"version":2,"progress":{"text":"GACC inspection team visit agreed"}}`)
	r.JSON(t, &b)
	if r.Status != 200 || len(b.Progress) != 2 || b.Progress[1].On != astanaDay(0) || b.Progress[0].Text != "Raised at the SPS working group" {
		t.Fatalf("second note: %d %s", r.Status, r.Body)
	}

	// Status changes: out of order refused naming the allowed ones, then in order, backdated.
	_, r = barrierStatus(t, s, b, "in_negotiation", "")
	if r.Status != 400 || !strings.Contains(strings.ToLower(string(r.Body)), "verified, dormant") {
		t.Fatalf("out of order: %d %s", r.Status, r.Body)
	}
	b, r = barrierStatus(t, s, b, "verified", astanaDay(-7))
	if r.Status != 200 {
		t.Fatalf("verified: %d %s", r.Status, r.Body)
	}
	if _, r = barrierStatus(t, s, b, "in_negotiation", astanaDay(-8)); r.Status != 400 || !strings.Contains(string(r.Body), "error.before_last_change") {
		t.Fatalf("before the last change: %d %s", r.Status, r.Body)
	}
	b, _ = barrierStatus(t, s, b, "in_negotiation", astanaDay(-5))
	b, r = barrierStatus(t, s, b, "resolved", astanaDay(-1))
	if r.Status != 200 || b.Status != "resolved" || b.ResolvedOn != astanaDay(-1) || len(b.NextStatuses) != 0 || b.Version != 6 {
		t.Fatalf("resolved: %d %s", r.Status, r.Body)
	}
	if _, r = barrierStatus(t, s, b, "dormant", ""); r.Status != 400 || !strings.Contains(string(r.Body), "final") {
		t.Fatalf("resolved is final: %d %s", r.Status, r.Body)
	}

	var h struct{ History []httpapi.ChangeJSON }
	stacktest.Do(t, "GET", exportsURL(s, "/barriers/"+b.ID+"/history"), analyst, "").JSON(t, &h)
	types := []string{}
	for _, c := range h.History {
		types = append(types, strings.TrimPrefix(c.Type, "econdip.barrier."))
	}
	if strings.Join(types, " ") != "reported.v1 updated.v1 updated.v1 status_changed.v1 status_changed.v1 status_changed.v1" ||
		strings.Join(h.History[1].Changed, ",") != "title,progress" || h.History[1].Note == nil || h.History[1].Note.Text != "Raised at the SPS working group" ||
		h.History[5].From != "in_negotiation" || h.History[5].To != "resolved" || h.History[5].EffectiveOn != astanaDay(-1) {
		t.Fatalf("history: %+v", h.History)
	}

	var list struct {
		Barriers []httpapi.BarrierJSON
		Total    int
	}
	stacktest.Do(t, "GET", exportsURL(s, "/barriers?status=resolved&hs=100190"), analyst, "").JSON(t, &list)
	if list.Total != 1 || list.Barriers[0].ID != b.ID {
		t.Fatalf("analyst's list: %+v", list)
	}
	stacktest.Do(t, "GET", exportsURL(s, "/barriers"), berlin, "").JSON(t, &list)
	if list.Total != 0 {
		t.Fatalf("Berlin sees Beijing's barriers: %+v", list)
	}
}

func TestDealFollowsAnIGCDecisionAndTheDecisionLinksToIt(t *testing.T) {
	s := stacktest.Start(t)
	exportEventsMatchTheirSchemas(t, s)
	createCommission(t, s, "igc-cn", "CN")
	r := stacktest.Do(t, "POST", commissionsURL(s)+"/igc-cn/sessions", secCN, protocolBody(3, astanaDay(-10), []string{astanaDay(30)}, ""))
	if r.Status != http.StatusCreated {
		t.Fatalf("protocol: %d %s", r.Status, r.Body)
	}
	decision := protocolDecisions(t, r)[0]
	registerExporter(t, s, beijing, binAluminium, "Kazakhstan Aluminium Smelter JSC")
	cnDeal := func(commission, decisionID string) string {
		return strings.Replace(strings.Replace(dealBody(binAluminium, "760110", `"3000000"`), `"DE"`, `"CN"`, 1),
			`"clauses"`, fmt.Sprintf(`"commission_id":%q,"decision_id":%q,"clauses"`, commission, decisionID), 1)
	}
	before := streamMsgs(t, s, events.StreamExports)
	for _, c := range []struct {
		name, token, body, code string
	}{
		{"a decision that does not exist", beijing, cnDeal("igc-cn", "7c9e6679-7425-40de-944b-e07fc1f90ae7"), "error.unknown_target"},
		{"the decision under another commission", beijing, cnDeal("igc-uz", decision.ID), "error.unknown_target"},
		{"a decision of another country's commission", berlin, strings.Replace(cnDeal("igc-cn", decision.ID), `"CN"`, `"DE"`, 1), "error.decision_other_country"},
	} {
		r := stacktest.Do(t, "POST", exportsURL(s, "/deals"), c.token, c.body)
		var eb errorBody
		r.JSON(t, &eb)
		if code, _, _ := eb.field("decision_id"); r.Status != 400 || code != c.code {
			t.Fatalf("%s: %d %s", c.name, r.Status, r.Body)
		}
	}
	if after := streamMsgs(t, s, events.StreamExports); after != before {
		t.Fatalf("refused deals stored %d events", after-before)
	}

	deal := createDeal(t, s, beijing, cnDeal("igc-cn", decision.ID))
	if deal.CommissionID != "igc-cn" || deal.DecisionID != decision.ID || deal.BuyerCountry != "CN" {
		t.Fatalf("deal following the decision: %+v", deal)
	}

	// The secretariat links the decision to the deal it produced.
	link := func(target string, version int) stacktest.Response {
		return stacktest.Do(t, "POST", commissionsURL(s)+"/igc-cn/decisions/"+decision.ID+"/links", secCN,
			fmt.Sprintf(`{"version":%d,"kind":"deal","target_id":%q}`, version, target))
	}
	if r := link("00000000-0000-4000-8000-000000000000", decision.Version); r.Status != 400 || !strings.Contains(string(r.Body), "target_id") {
		t.Fatalf("link to a deal that does not exist: %d %s", r.Status, r.Body)
	}
	r = link(deal.ID, decision.Version)
	if r.Status != 200 {
		t.Fatalf("link: %d %s", r.Status, r.Body)
	}
	linked := decisionOf(t, r)
	if len(linked.DealIDs) != 1 || linked.DealIDs[0] != deal.ID || linked.Version != decision.Version+1 {
		t.Fatalf("linked decision: %+v", linked)
	}
	// The deal still names the decision after its change, and moving the deal keeps it.
	moved := mustMove(t, s, beijing, deal, `"stage":"negotiating"`)
	if moved.DecisionID != decision.ID || moved.CommissionID != "igc-cn" {
		t.Fatalf("moved deal: %+v", moved)
	}
	// Unlinking the deal from the decision is an update.
	r = stacktest.Do(t, "PATCH", exportsURL(s, "/deals/"+deal.ID), beijing, fmt.Sprintf(`{"version":%d,"commission_id":"","decision_id":""}`, moved.Version))
	var unlinked httpapi.DealJSON
	r.JSON(t, &unlinked)
	if r.Status != 200 || unlinked.DecisionID != "" || unlinked.CommissionID != "" {
		t.Fatalf("unlink: %d %s", r.Status, r.Body)
	}
}
