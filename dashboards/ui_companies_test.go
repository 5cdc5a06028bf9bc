package dashboards_test

// The company field of the lead form (issue 18), in a real browser: typing
// part of a name in another script lists the register's company, picking
// it puts its id in the form, typing something else takes the id away; the
// company's page, reached from the menu's register, lists the lead.
//
//	go test -count=1 -run UICompanies ./dashboards/ -v

import (
	"context"
	"net/http"
	"testing"
	"time"

	"github.com/chromedp/chromedp"

	"econdip/services/test/stacktest"
)

func TestUICompaniesFinderInTheLeadForm(t *testing.T) {
	deadline, cancelAll := context.WithTimeout(context.Background(), 120*time.Second)
	defer cancelAll()
	exe := chromium(t)
	s := stacktest.Start(t)
	b := startBrowser(t, deadline, exe, "http://"+s.DashboardAddr)
	const berlin = "tok-berlin"
	r := stacktest.Do(t, "POST", "http://"+s.CompaniesAddr+"/api/v1/companies", berlin, `{"name":"Rhein Maschinenbau GmbH","country":"DE"}`)
	if r.Status != http.StatusCreated {
		t.Fatalf("company: %d %s", r.Status, r.Body)
	}
	var co struct{ ID string }
	r.JSON(t, &co)

	b.signIn(berlin, "")
	b.do("open the new lead form", 10*time.Second, chromedp.Navigate(b.base+"/attache/leads/new"),
		chromedp.WaitVisible(chromedp.CSS(`input[name=investor_name]`)),
		chromedp.SetValue(chromedp.CSS(`select[name=investor_country]`), "DE"),
		chromedp.SendKeys(chromedp.CSS(`input[name=investor_name]`), "рейн"))
	if got := waitFor[string](b, "the register's company in the list", 10*time.Second,
		`(document.querySelector("#investor-companies option") || {}).value || null`); got != "Rhein Maschinenbau GmbH" {
		t.Fatalf("the finder lists %q", got)
	}
	// Picking the option puts its name in the field, as a browser does, with an input event.
	run(b, "pick the company", 5*time.Second, chromedp.Evaluate[bool](`(() => {
		const i = document.querySelector("input[name=investor_name]");
		i.value = "Rhein Maschinenbau GmbH";
		i.dispatchEvent(new Event("input", {bubbles: true}));
		return true;
	})()`))
	if id := waitFor[string](b, "the company's id in the form", 5*time.Second, `document.querySelector("input[name=investor_id]").value || null`); id != co.ID {
		t.Fatalf("investor_id is %q, want %s", id, co.ID)
	}
	b.do("type another name", 5*time.Second, chromedp.SendKeys(chromedp.CSS(`input[name=investor_name]`), " Holding"))
	if id := waitFor[string](b, "no id for a name not picked", 5*time.Second, `document.querySelector("input[name=investor_id]").value === "" ? "empty" : null`); id != "empty" {
		t.Fatalf("investor_id kept: %q", id)
	}
	b.follow("open the register", `nav a[href="/companies"]`, http.StatusOK)
	b.follow("open the company", `#companies-table a[href="/companies/`+co.ID+`"]`, http.StatusOK)
	b.expectText("the company's page", "h1", "Rhein Maschinenbau GmbH")
	b.noExceptions()
}
