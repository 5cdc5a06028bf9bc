package dashboards_test

import (
	"io"
	"net/http"
	"net/url"
	"strings"
	"testing"

	"econdip/services/test/stacktest"
)

// postLeadForm posts fields URL-encoded, as a browser posts the lead form
// (its clause checkboxes are read from the encoded body).
func postLeadForm(t *testing.T, target, token string, fields map[string]string, _ string) (int, string, string) {
	t.Helper()
	v := url.Values{}
	for k, f := range fields {
		v.Set(k, f)
	}
	req, _ := http.NewRequest("POST", target, strings.NewReader(v.Encode()))
	req.Header.Set("Content-Type", "application/x-www-form-urlencoded")
	req.Header.Set("Authorization", "Bearer "+token)
	client := &http.Client{CheckRedirect: func(*http.Request, []*http.Request) error { return http.ErrUseLastResponse }}
	resp, err := client.Do(req)
	if err != nil {
		t.Fatal(err)
	}
	defer resp.Body.Close()
	body, _ := io.ReadAll(resp.Body)
	return resp.StatusCode, string(body), resp.Header.Get("Location")
}

// leadForm is a valid new-lead form for the Berlin post, with the investor typed.
func leadForm(investor string, extra map[string]string) map[string]string {
	f := map[string]string{"investor_name": investor, "investor_country": "DE", "title": "Gearbox plant", "clauses": "2.2",
		"investment_type": "greenfield", "capex_amount": "2000000", "capex_currency": "EUR", "expected_jobs": "40", "source": "event"}
	for k, v := range extra {
		f[k] = v
	}
	return f
}

// TestLeadFormPicksACompany: a typed investor that likely duplicates a
// company of the register is not created: the form lists the candidates;
// picking one links the lead to it; a new name creates a company. The
// company page shows the company's leads to the post and to analysts, and
// its names (not the leads) to a secretariat; the list finds it by a
// spelling in another script.
func TestLeadFormPicksACompany(t *testing.T) {
	s := stacktest.Start(t)
	companies := "http://" + s.CompaniesAddr + "/api/v1/companies"
	r := stacktest.Do(t, "POST", companies, "tok-berlin", `{"name":"Rhein Maschinenbau GmbH","country":"DE","contacts":[{"name":"Greta Vertraulich"}]}`)
	if r.Status != http.StatusCreated {
		t.Fatalf("company: %d %s", r.Status, r.Body)
	}
	var rhein struct{ ID string }
	r.JSON(t, &rhein)
	dash := "http://" + s.DashboardAddr

	status, body, _ := postLeadForm(t, dash+"/attache/leads", "tok-berlin", leadForm("Рейн Машиненбау ГмбХ", map[string]string{"idempotency_key": "k1"}), "")
	if status != http.StatusBadRequest || !strings.Contains(body, `id="investor-choice"`) || !strings.Contains(body, `value="`+rhein.ID+`"`) {
		t.Fatalf("a likely duplicate: %d; the choice shown: %v", status, strings.Contains(body, `id="investor-choice"`))
	}
	status, body, loc := postLeadForm(t, dash+"/attache/leads", "tok-berlin", leadForm("Рейн Машиненбау ГмбХ", map[string]string{"idempotency_key": "k1", "investor_choice": rhein.ID}), "")
	if status != http.StatusSeeOther || !strings.HasPrefix(loc, "/attache/leads/") {
		t.Fatalf("the existing company picked: %d %s %s", status, loc, body)
	}
	leadID := strings.TrimSuffix(strings.TrimPrefix(loc, "/attache/leads/"), "?saved=1")
	var lead struct {
		InvestorID   string `json:"investor_id"`
		InvestorName string `json:"investor_name"`
	}
	stacktest.Do(t, "GET", "http://"+s.LeadsAddr+"/api/v1/leads/"+leadID, "tok-berlin", "").JSON(t, &lead)
	if lead.InvestorID != rhein.ID || lead.InvestorName != "Rhein Maschinenbau GmbH" {
		t.Fatalf("the lead: %+v", lead)
	}
	status, _, loc = postLeadForm(t, dash+"/attache/leads", "tok-berlin", leadForm("Bosch Rexroth AG", map[string]string{"idempotency_key": "k2"}), "")
	if status != http.StatusSeeOther {
		t.Fatalf("a new company: %d", status)
	}
	stacktest.Do(t, "GET", "http://"+s.LeadsAddr+"/api/v1/leads/"+strings.TrimSuffix(strings.TrimPrefix(loc, "/attache/leads/"), "?saved=1"), "tok-berlin", "").JSON(t, &lead)
	if lead.InvestorID == "" || lead.InvestorID == rhein.ID {
		t.Fatalf("the new company's lead: %+v", lead)
	}

	page := dash + "/companies/" + rhein.ID
	if status, body := get(t, page, "tok-berlin"); status != 200 || !strings.Contains(body, "Gearbox plant") || !strings.Contains(body, "Greta Vertraulich") {
		t.Errorf("the post's company page: %d, lead shown %v", status, strings.Contains(body, "Gearbox plant"))
	}
	if status, body := get(t, page, "tok-analyst"); status != 200 || !strings.Contains(body, "Gearbox plant") || strings.Contains(body, "Vertraulich") {
		t.Errorf("the analyst's company page: %d, lead %v, contact hidden %v", status, strings.Contains(body, "Gearbox plant"), !strings.Contains(body, "Vertraulich"))
	}
	if status, body := get(t, page, "tok-sec-cn"); status != 200 || !strings.Contains(body, "Rhein Maschinenbau GmbH") || strings.Contains(body, `id="company-leads"`) {
		t.Errorf("the secretariat's company page: %d", status)
	}
	if status, body := get(t, dash+"/companies?q=%D1%80%D0%B5%D0%B9%D0%BD", "tok-analyst"); status != 200 || !strings.Contains(body, `href="/companies/`+rhein.ID+`"`) {
		t.Errorf("the list, searched in Cyrillic: %d", status)
	}
	if status, body := get(t, dash+"/api/companies?q=rhein&country=DE", "tok-berlin"); status != 200 || !strings.Contains(body, rhein.ID) {
		t.Errorf("the form's finder: %d %s", status, body)
	}

	// The attaché edits the other spellings; a stale version is refused.
	status, _, loc = postLeadForm(t, page, "tok-berlin", map[string]string{"version": "1", "name": "Rhein Maschinenbau GmbH", "aliases": "RMB\nRhein MB"}, "")
	if status != http.StatusSeeOther || !strings.HasSuffix(loc, "?saved=1") {
		t.Fatalf("edit: %d %s", status, loc)
	}
	if status, body, _ := postLeadForm(t, page, "tok-berlin", map[string]string{"version": "1", "name": "Rhein Maschinenbau GmbH", "aliases": "X"}, ""); status != http.StatusConflict {
		t.Errorf("a stale edit: %d %s", status, body)
	}
	if _, body := get(t, page, "tok-berlin"); !strings.Contains(body, "Rhein MB") {
		t.Error("the aliases are not shown")
	}
	// The administrator sees a twin among the likely duplicates and merges it here.
	r = stacktest.Do(t, "POST", companies, "tok-berlin", `{"name":"Rhein-Maschinenbau AG","country":"DE","create_anyway":true}`)
	var twin struct {
		ID      string
		Version int
	}
	r.JSON(t, &twin)
	status, body = get(t, page, "tok-admin")
	if status != 200 || !strings.Contains(body, `id="company-duplicates"`) || !strings.Contains(body, `value="`+twin.ID+`"`) {
		t.Fatalf("the administrator's page lists the twin: %d", status)
	}
	if status, _ := get(t, page, "tok-berlin"); status != 200 {
		t.Fatal(status)
	} else if _, body := get(t, page, "tok-berlin"); strings.Contains(body, `id="company-duplicates"`) {
		t.Error("an attaché is offered the merge")
	}
	status, _, _ = postLeadForm(t, page+"/merge", "tok-admin", map[string]string{"version": "2", "absorb": twin.ID, "absorb_version": "1"}, "")
	if status != http.StatusSeeOther {
		t.Fatalf("merge: %d", status)
	}
	if _, body := get(t, dash+"/companies/"+twin.ID, "tok-analyst"); !strings.Contains(body, `id="merged-into"`) {
		t.Error("the absorbed company's page does not say where it went")
	}
}

// TestCompaniesListDownloadsAsCSV: the register's list downloads with its
// filters, every page of it, with headers in the reader's language and
// never a contact; the Excel twin keeps the filters too.
func TestCompaniesListDownloadsAsCSV(t *testing.T) {
	s := stacktest.Start(t)
	companies := "http://" + s.CompaniesAddr + "/api/v1/companies"
	for _, body := range []string{
		`{"name":"Rhein Maschinenbau GmbH","country":"DE","reg_number":"HRB 1234","contacts":[{"name":"Greta Vertraulich"}]}`,
		`{"name":"Zhongguo Gangtie","country":"CN","create_anyway":true}`,
		`{"name":"Bayern Feinkost GmbH","country":"DE","aliases":["BFK","Feinkost Bayern"]}`,
	} {
		if r := stacktest.Do(t, "POST", companies, "tok-berlin", body); r.Status != http.StatusCreated {
			t.Fatalf("company: %d %s", r.Status, r.Body)
		}
	}
	dash := "http://" + s.DashboardAddr
	status, page := get(t, dash+"/companies?country=DE", "tok-analyst")
	if status != 200 || !strings.Contains(page, `href="/companies.csv?country=DE"`) || !strings.Contains(page, `href="/companies.csv?country=DE&amp;format=excel"`) {
		t.Fatalf("the list's CSV links keep its filter: %d", status)
	}
	req, _ := http.NewRequest("GET", dash+"/companies.csv?country=DE", nil)
	req.Header.Set("Authorization", "Bearer tok-analyst")
	req.Header.Set("Accept-Language", "ru")
	resp, err := http.DefaultClient.Do(req)
	if err != nil {
		t.Fatal(err)
	}
	defer resp.Body.Close()
	raw, _ := io.ReadAll(resp.Body)
	csv := string(raw)
	lines := strings.Split(strings.TrimSpace(strings.TrimPrefix(csv, "\ufeff")), "\n")
	switch {
	case resp.StatusCode != 200 || !strings.HasPrefix(csv, "\ufeff"):
		t.Fatalf("companies.csv: %d, BOM %v", resp.StatusCode, strings.HasPrefix(csv, "\ufeff"))
	case !strings.Contains(lines[0], "Название латиницей") || !strings.Contains(lines[0], "Регистрационный номер"):
		t.Errorf("the header is not in Russian: %q", lines[0])
	case len(lines) != 3 || !strings.Contains(csv, "HRB 1234") || !strings.Contains(csv, "BFK; Feinkost Bayern"):
		t.Errorf("the German companies, with their numbers and other spellings: %q", lines)
	case strings.Contains(csv, "Zhongguo") || strings.Contains(csv, "Vertraulich"):
		t.Errorf("another country's company or a contact in the file: %q", csv)
	}
}
