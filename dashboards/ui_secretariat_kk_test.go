package dashboards_test

// The secretariat's pages in Kazakh, at a phone's width: the register, the
// protocol form (a row added, clauses picked by checkbox, a refused
// deadline) and a decision page.
//
//	go test -count=1 -run UISecretariatKazakh ./dashboards/ -v

import (
	"context"
	"net/http"
	"os"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"github.com/chromedp/chromedp"

	"econdip/services/test/stacktest"
)

// secretariatPageCheck is what every page of the test must satisfy.
type secretariatPageCheck struct {
	Lang        string   `json:"lang"`
	ScrollWidth int      `json:"scrollWidth"`
	RawKeys     []string `json:"rawKeys"`
	Wide        []string `json:"wide"` // elements of main reaching past the window, not inside a scrolling box
	Header      int      `json:"header"`
}

// checkSecretariatPage fails unless the page is in lang, shows no raw catalogue key and
// does not scroll sideways wider than width.
func (b *browser) checkSecretariatPage(what, lang string, width int) {
	b.t.Helper()
	p := run(b, "check "+what, 5*time.Second, chromedp.Evaluate[secretariatPageCheck](`(() => ({
		lang: document.documentElement.lang,
		scrollWidth: document.documentElement.scrollWidth,
		header: document.querySelector("header.top").scrollWidth,
		rawKeys: (document.body.innerText.match(/\b(ui|js|error|enum)\.[a-z_]+\.[a-z_]/g) || []),
		wide: [...document.querySelectorAll("body *")].filter(e => {
			if (e.getBoundingClientRect().right <= innerWidth + 1) return false;
			for (let p = e.parentElement; p; p = p.parentElement) if (getComputedStyle(p).overflowX === "auto") return false;
			return !e.closest("header.top") && (!e.parentElement || e.parentElement.getBoundingClientRect().right <= innerWidth + 1);
		}).map(e => e.tagName + (e.id ? "#" + e.id : "") + (e.className ? "." + String(e.className).replace(/ /g, ".") : "") + " " + Math.round(e.getBoundingClientRect().right)),
	}))()`))
	if p.Lang != lang {
		b.t.Errorf("%s: <html lang=%q>, want %q", what, p.Lang, lang)
	}
	if len(p.RawKeys) > 0 {
		b.t.Errorf("%s shows catalogue keys: %q", what, p.RawKeys)
	}
	if p.ScrollWidth > width {
		b.t.Errorf("%s is %d px wide at a %d px window (the header %d px); too wide: %q", what, p.ScrollWidth, width, p.Header, p.Wide)
	}
}

// viewShot writes a PNG of the window (not the whole page) with selector's element at its top.
func (b *browser) viewShot(name, selector string) {
	b.t.Helper()
	b.do("scroll to "+selector, 5*time.Second, chromedp.Evaluate[chromedp.Void](`document.querySelector(`+jsonString(selector)+`).scrollIntoView()`))
	png := run(b, "screenshot "+name, 10*time.Second, chromedp.CaptureScreenshot())
	path := filepath.Join(b.shots, name+".png")
	if err := os.WriteFile(path, png, 0o644); err != nil {
		b.t.Fatal(err)
	}
	b.t.Logf("screenshot: %s", path)
}

func TestUISecretariatKazakhAt390px(t *testing.T) {
	deadline, cancel := context.WithTimeout(context.Background(), 90*time.Second)
	defer cancel()
	exe := chromium(t)
	s := stacktest.Start(t)
	setupCommission(t, s)
	b := startBrowser(t, deadline, exe, "http://"+s.DashboardAddr)

	b.signIn(stacktest.Tokens["secretariat.igc-cn"], "/secretariat/register")
	b.do("switch to Kazakh at 390 px", 10*time.Second,
		chromedp.EmulateViewport(390, 844),
		chromedp.Navigate(b.base+"/secretariat/register?lang=kk"),
		chromedp.WaitVisible(chromedp.CSS(`#register`)))
	b.expectText("the register's button", `a.button[href="/secretariat/protocols/new"]`, "Хаттама енгізу")
	b.expectText("the empty register", `#register tbody td`, "Сәйкес шешімдер жоқ.")
	b.checkSecretariatPage("the empty register", "kk", 390)

	// The protocol form: three blocks, a fourth added, clauses ticked by hand.
	b.follow("open the protocol form", `a.button[href="/secretariat/protocols/new"]`, http.StatusOK)
	b.expectText("the form's heading", `h1`, "Хаттама енгізу · "+commissionName)
	b.do("add a decision", 5*time.Second, chromedp.Click(chromedp.CSS(`#add-decision`)))
	b.expectText("the added block", `#protocol-rows fieldset.decision-row:nth-child(4) > legend`, "4-шешім")
	b.checkSecretariatPage("the protocol form", "kk", 390)
	b.screenshot("kk-1-protocol-form-390")
	b.do("type a decision with its deadline before the session", 10*time.Second,
		chromedp.SendKeys(chromedp.CSS(`#protocol-form input[name=number]`), "7"),
		chromedp.SetValue(chromedp.CSS(`#protocol-form input[name=date]`), day(-10)),
		chromedp.SendKeys(chromedp.CSS(`#protocol-form input[name=place]`), "Астана"),
		chromedp.SendKeys(chromedp.CSS(`#protocol-form textarea[name=text_3]`), "Ұрымжіде сауда үйін ашу"),
		chromedp.SetValue(chromedp.CSS(`#protocol-form input[name=deadline_3]`), day(-20)),
		chromedp.Click(chromedp.CSS(`#picker-agencies_3 > summary`)),
		chromedp.Click(chromedp.CSS(`#picker-agencies_3 input[value=mti]`)),
		chromedp.Click(chromedp.CSS(`#picker-clauses_3 > summary`)),
		chromedp.Click(chromedp.CSS(`#picker-clauses_3 input[value="2.7"]`)),
		chromedp.Click(chromedp.CSS(`#picker-clauses_3 input[value="2.2"]`)),
	)
	b.expectText("the clause list's summary", `#picker-clauses_3 .picker-chosen`, "2.2, 2.7")
	b.checkSecretariatPage("the form with the lists open", "kk", 390)
	b.screenshot("kk-2-clauses-picked-390")
	b.viewShot("kk-2a-row-390", `#protocol-rows fieldset.decision-row:nth-child(4)`)
	b.viewShot("kk-2b-clauses-390", `#picker-clauses_3`)
	b.follow("record", `#record`, http.StatusBadRequest)
	msg := run(b, "the deadline's error", 5*time.Second, chromedp.TextContent(chromedp.CSS(`#err-deadline_3`)))
	if !strings.Contains(msg, "отырыс күнінен") {
		t.Errorf("the deadline's error is not in Kazakh: %q", msg)
	}
	ticked := run(b, "ticked after the refusal", 5*time.Second, chromedp.Evaluate[[]string](
		`[...document.querySelectorAll('#protocol-form input[type=checkbox]:checked')].map(e => e.name + "=" + e.value)`))
	if strings.Join(ticked, " ") != "agencies_3=mti clauses_3=2.2 clauses_3=2.7" {
		t.Errorf("after the refusal the ticks are %q", ticked)
	}
	b.checkSecretariatPage("the refused form", "kk", 390)
	b.screenshot("kk-3-refused-390")
	b.viewShot("kk-3a-refused-row-390", `#err-deadline_3`)

	// Corrected, the protocol is recorded; the register and the decision in Kazakh.
	b.do("correct the deadline", 5*time.Second, chromedp.SetValue(chromedp.CSS(`#protocol-form input[name=deadline_3]`), day(20)))
	b.follow("record", `#record`, http.StatusOK)
	b.expectText("confirmation", `#recorded`, "Хаттама енгізілді: 1 шешім.")
	b.checkSecretariatPage("the register", "kk", 390)
	b.screenshot("kk-4-register-390")
	b.viewShot("kk-4a-register-390", `main`)
	b.follow("open the decision", `#register tbody a`, http.StatusOK)
	b.expectText("the decision's status", `h1 .stage`, "Ашық")
	b.checkSecretariatPage("the decision page", "kk", 390)
	b.screenshot("kk-5-decision-390")
	b.viewShot("kk-5a-decision-390", `main`)
	b.do("wide window", 5*time.Second, chromedp.EmulateViewport(1400, 900))
	b.screenshot("kk-6-decision-1400")
	b.do("the form, wide", 10*time.Second, chromedp.Navigate(b.base+"/secretariat/protocols/new"), chromedp.WaitVisible(chromedp.CSS(`#protocol-form`)))
	b.screenshot("kk-7-protocol-form-1400")
	b.noExceptions()
}
