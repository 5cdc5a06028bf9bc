package stack_test

import (
	"fmt"
	"net/http"
	"strings"
	"testing"
	"time"

	"econdip/services/cmd/econdip/stack"
	chttp "econdip/services/companies/httpapi"
	"econdip/services/test/stacktest"
)

func companiesURL(s *stack.Stack, path string) string {
	return "http://" + s.CompaniesAddr + "/api/v1/companies" + path
}

func createCompany(t *testing.T, s *stack.Stack, token, body string) chttp.CompanyJSON {
	t.Helper()
	r := stacktest.Do(t, "POST", companiesURL(s, ""), token, body)
	if r.Status != http.StatusCreated {
		t.Fatalf("create company: %d %s", r.Status, r.Body)
	}
	var c chttp.CompanyJSON
	r.JSON(t, &c)
	return c
}

// TestCompanyRegisterThroughTheStack: the register's API as the stack
// serves it: the duplicate warning, a lead and a deal that pick a company,
// the administrator's merge (409 on a stale version), the records
// following it, contacts hidden from analysts, and ClickHouse without them.
func TestCompanyRegisterThroughTheStack(t *testing.T) {
	s := stacktest.Start(t)
	kz := createCompany(t, s, berlin, `{"name":"Kazakh Aluminium LLP","country":"KZ"}`)
	de := createCompany(t, s, berlin, `{"name":"Rhein Maschinenbau GmbH","country":"DE",
		"contacts":[{"name":"Greta Vertraulich","email":"greta@example.de"}]}`)

	// The pair is flagged, by match and on create.
	r := stacktest.Do(t, "POST", companiesURL(s, "/match"), beijing, `{"name":"ТОО «Қазақ Алюминий»","country":"KZ"}`)
	var m struct{ Candidates []chttp.CandidateJSON }
	r.JSON(t, &m)
	if r.Status != http.StatusOK || len(m.Candidates) != 1 || m.Candidates[0].Company.ID != kz.ID {
		t.Fatalf("match: %d %s", r.Status, r.Body)
	}
	if r := stacktest.Do(t, "POST", companiesURL(s, ""), beijing, `{"name":"ТОО «Қазақ Алюминий»","country":"KZ"}`); r.Status != http.StatusBadRequest ||
		!strings.Contains(string(r.Body), "Kazakh Aluminium LLP") {
		t.Fatalf("a likely duplicate: %d %s", r.Status, r.Body)
	}
	twin := createCompany(t, s, berlin, `{"name":"Rhein-Maschinenbau AG","country":"DE","create_anyway":true}`)

	// A lead and a deal pick the twin; the display name is the company's.
	lead := create(t, s, berlin, strings.Replace(leadBody("typed"), `"investor_name"`, fmt.Sprintf(`"investor_id":%q,"investor_name"`, twin.ID), 1))
	if lead.InvestorID != twin.ID || lead.InvestorName != twin.Name {
		t.Fatalf("lead: %+v", lead)
	}
	registerExporter(t, s, berlin, binAluminium, "Pavlodar Aluminium JSC")
	deal := createDeal(t, s, berlin, strings.Replace(dealBody(binAluminium, "760110", `"1000"`), `"buyer_country"`, fmt.Sprintf(`"buyer_id":%q,"buyer_country"`, twin.ID), 1))
	if deal.BuyerID != twin.ID || deal.BuyerName != twin.Name {
		t.Fatalf("deal: %+v", deal)
	}

	// Analysts read without contacts; only administrators merge.
	var got chttp.CompanyJSON
	stacktest.Do(t, "GET", companiesURL(s, "/"+de.ID), analyst, "").JSON(t, &got)
	if len(got.Contacts) != 0 || got.Name != de.Name {
		t.Errorf("the analyst reads %+v", got)
	}
	merge := fmt.Sprintf(`{"version":%d,"absorb":%q,"absorb_version":%d}`, de.Version, twin.ID, twin.Version)
	if r := stacktest.Do(t, "POST", companiesURL(s, "/"+de.ID+"/merge"), berlin, merge); r.Status != http.StatusForbidden {
		t.Errorf("an attaché merges: %d", r.Status)
	}
	stale := fmt.Sprintf(`{"version":%d,"absorb":%q,"absorb_version":%d}`, de.Version, twin.ID, twin.Version+1)
	if r := stacktest.Do(t, "POST", companiesURL(s, "/"+de.ID+"/merge"), admin, stale); r.Status != http.StatusConflict {
		t.Errorf("a stale merge: %d %s", r.Status, r.Body)
	}
	if r := stacktest.Do(t, "POST", companiesURL(s, "/"+de.ID+"/merge"), admin, merge); r.Status != http.StatusOK {
		t.Fatalf("merge: %d %s", r.Status, r.Body)
	}
	stacktest.Eventually(t, 20*time.Second, "the lead and the deal follow the merge", func() (bool, error) {
		var l struct {
			InvestorID string `json:"investor_id"`
		}
		stacktest.Do(t, "GET", leadsURL(s)+"/"+lead.ID, berlin, "").JSON(t, &l)
		var d struct {
			BuyerID string `json:"buyer_id"`
		}
		stacktest.Do(t, "GET", exportsURL(s, "/deals/"+deal.ID), berlin, "").JSON(t, &d)
		return l.InvestorID == de.ID && d.BuyerID == de.ID, nil
	})
	r = stacktest.Do(t, "GET", leadsURL(s)+"/"+lead.ID+"/history", analyst, "")
	if !strings.Contains(string(r.Body), twin.Name) || !strings.Contains(string(r.Body), de.Name) {
		t.Errorf("the lead's history shows both names: %s", r.Body)
	}
	r = stacktest.Do(t, "GET", companiesURL(s, "?country=DE&q=rhein"), analyst, "")
	var list chttp.ListJSON
	r.JSON(t, &list)
	if list.Total != 1 || list.Companies[0].ID != de.ID || !strings.Contains(strings.Join(list.Companies[0].Aliases, ","), "Rhein-Maschinenbau AG") {
		t.Errorf("list after the merge: %s", r.Body)
	}

	// ClickHouse has the companies, without contacts.
	stacktest.Eventually(t, 30*time.Second, "companies in ClickHouse", func() (bool, error) {
		var n uint64
		err := s.CH.QueryRow(t.Context(), "SELECT count() FROM company_states FINAL").Scan(&n)
		return n == 3, err
	})
	var leak uint64
	if err := s.CH.QueryRow(t.Context(), "SELECT count() FROM events WHERE position(data, 'Vertraulich') > 0").Scan(&leak); err != nil || leak != 0 {
		t.Errorf("a contact reached ClickHouse: %d %v", leak, err)
	}
}
