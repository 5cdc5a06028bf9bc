package dashboards_test

// The shell in a phone's browser: each role signs in at 390 px wide (an
// attaché on a phone) in Russian or Kazakh and opens every page of its
// menu (dashboards.MenuPaths, the list the header is built from). No page
// scrolls sideways, every page is in the language chosen, and no raw
// catalogue key shows. The menu folds behind "Menu" and opens with a tap.
//
//	ECONDIP_SCREENSHOTS=/tmp/shell go test -count=1 -run UIShell ./dashboards/ -v

import (
	"context"
	"fmt"
	"net/http"
	"os"
	"path/filepath"
	"regexp"
	"strings"
	"testing"
	"time"

	"github.com/chromedp/cdproto/cdp"
	"github.com/chromedp/cdproto/page"
	"github.com/chromedp/chromedp"

	"econdip/dashboards"
	"econdip/services/test/stacktest"
)

// rawKey is a catalogue key shown as it is: a message the catalogue lacks.
var rawKey = regexp.MustCompile(`\b(ui|js|error|enum)\.[a-z_]+\.[a-z_]`)

// countFetches counts the requests a page's scripts have under way, so a
// check can wait for charts and tables built from them (no fixed sleeps).
const countFetches = `(() => {
	window.__pending = 0;
	const f = window.fetch;
	window.fetch = (...args) => { window.__pending++; return f(...args).finally(() => window.__pending--); };
})();`

// settled is null until the page has loaded and its scripts' requests are done.
const settled = `(document.readyState === "complete" && window.__pending === 0) ? true : null`

func TestUIShellEveryMenuPageAt390px(t *testing.T) {
	deadline, cancelAll := context.WithTimeout(context.Background(), 170*time.Second)
	defer cancelAll()
	exe := chromium(t)
	s := stacktest.Start(t)
	setupCommission(t, s)
	b := startBrowser(t, deadline, exe, "http://"+s.DashboardAddr)
	b.do("count the scripts' requests", 5*time.Second, chromedp.Func(func(ctx context.Context, tg *chromedp.Target) error {
		_, err := cdp.Call(ctx, tg, page.AddScriptToEvaluateOnNewDocument, page.AddScriptToEvaluateOnNewDocumentParams{Source: countFetches})
		return err
	}))
	b.do("a phone's width", 5*time.Second, chromedp.EmulateViewport(390, 844))

	type pageState struct {
		Lang      string   `json:"lang"`
		Width     int      `json:"width"`
		Wide      []string `json:"wide"` // elements reaching past the window's right edge
		Text      string   `json:"text"`
		MenuShown bool     `json:"menuShown"` // the nav's links visible without opening the menu
		Summary   bool     `json:"summary"`   // the "Menu" button visible
	}
	read := func(what string) pageState {
		waitFor[bool](b, "wait for "+what, 15*time.Second, settled)
		// Charts and tables filled by script take the width of their box once the
		// layout settles; a page still too wide after 3 s fails below.
		waitFor[bool](b, "settle the width of "+what, 15*time.Second, `(() => {
			const de = document.documentElement;
			window.__measuredSince ??= Date.now();
			return de.scrollWidth <= de.clientWidth || Date.now() - window.__measuredSince > 3000 ? true : null;
		})()`)
		return run(b, "read "+what, 5*time.Second, chromedp.Evaluate[pageState](`(() => {
			const de = document.documentElement, vw = de.clientWidth, wide = [];
			for (const el of document.querySelectorAll("body *")) {
				const r = el.getBoundingClientRect();
				if (r.width > 0 && r.right > vw + 1 && !el.closest(".table-wrap, .board, .hs-results, table")) wide.push(el.tagName + (el.id ? "#" + el.id : "") + (el.className && typeof el.className === "string" ? "." + el.className.split(" ")[0] : "") + " " + Math.round(r.right));
			}
			const link = document.querySelector("header nav a"), summary = document.querySelector("details.menu > summary");
			return {lang: de.lang, width: de.scrollWidth, wide: wide.slice(0, 8),
				text: document.title + "\n" + document.body.innerText + "\n" + [...document.querySelectorAll("[placeholder], [title], [aria-label]")].map(e => (e.getAttribute("placeholder") || "") + " " + (e.getAttribute("title") || "") + " " + (e.getAttribute("aria-label") || "")).join("\n"),
				// checkVisibility: false in a closed <details>, which still lays its content out.
				menuShown: !!link && link.checkVisibility(),
				summary: !!summary && summary.checkVisibility()};
		})()`))
	}
	check := func(what, lang string, st pageState) {
		t.Helper()
		if st.Lang != lang {
			t.Errorf("%s: <html lang=%q>, want %s", what, st.Lang, lang)
		}
		if st.Width > 390 {
			t.Errorf("%s: the page is %d px wide at 390 px; too wide: %q", what, st.Width, st.Wide)
		}
		if k := rawKey.FindString(st.Text); k != "" {
			i := strings.Index(st.Text, k)
			t.Errorf("%s shows a raw catalogue key: …%s…", what, st.Text[max(0, i-40):min(len(st.Text), i+60)])
		}
	}

	// The sign-in page, in Russian, on a phone.
	b.do("choose Russian", 10*time.Second, chromedp.Navigate(b.base+"/signin?lang=ru"))
	check("the sign-in page", "ru", read("the sign-in page"))
	b.screenshot("shell-390-signin-ru")

	for i, r := range shellRoles {
		lang := []string{"ru", "kk"}[i%2]
		b.do("choose "+lang, 10*time.Second, chromedp.Navigate(b.base+"/signin?lang="+lang))
		b.signIn(stacktest.Tokens[r.user], "") // the landing page is checked below, as a menu page
		for n, path := range dashboards.MenuPaths(r.role) {
			if status, _ := open(b, path); status != http.StatusOK {
				t.Errorf("%s: %s answers %d", r.role, path, status)
				continue
			}
			what := fmt.Sprintf("%s %s (%s)", r.role, path, lang)
			st := read(what)
			check(what, lang, st)
			if st.MenuShown || !st.Summary {
				t.Errorf("%s: at 390 px the menu should fold behind its button: links shown %v, button shown %v", what, st.MenuShown, st.Summary)
			}
			name := fmt.Sprintf("shell-390-%s-%d%s", r.role, n+1, strings.ReplaceAll(path, "/", "-"))
			b.screenshot(name)
			b.screen(name + "-screen")
		}
		// The account page too (every role has it, behind the name).
		open(b, "/account")
		check(string(r.role)+" /account", lang, read(string(r.role)+" /account"))
		b.screenshot(fmt.Sprintf("shell-390-%s-account", r.role))
	}

	// The menu opens with a tap: every link and the sign-out button on screen.
	b.do("open the menu", 5*time.Second, chromedp.Click(chromedp.CSS(`details.menu > summary`)))
	if off := run(b, "the open menu", 5*time.Second, chromedp.Evaluate[[]string](`(() => {
		const out = [], vw = document.documentElement.clientWidth;
		for (const el of document.querySelectorAll("header nav a, header form.who button")) {
			const r = el.getBoundingClientRect();
			if (!el.checkVisibility() || r.left < 0 || r.right > vw) out.push(el.textContent.trim() + " at " + Math.round(r.left) + "–" + Math.round(r.right));
		}
		return out;
	})()`)); len(off) > 0 {
		t.Errorf("the open menu at 390 px has links or buttons off screen or hidden: %q", off)
	}
	b.screenshot("shell-390-menu-open")
	b.follow("sign out from the menu", `header form.who button[type=submit]`, http.StatusOK)
	if p := b.path(); p != "/signin" {
		t.Errorf("after signing out the browser is at %s", p)
	}

	// On a wide screen the menu is in the header, without a button.
	b.do("a desktop's width", 5*time.Second, chromedp.EmulateViewport(1400, 900))
	b.signIn(stacktest.Tokens["admin"], "/analyst/scorecard")
	open(b, "/account")
	st := read("the account page at 1400 px")
	if !st.MenuShown || st.Summary {
		t.Errorf("at 1400 px the menu should show in the header: links shown %v, button shown %v", st.MenuShown, st.Summary)
	}
	if st.Width > 1400 {
		t.Errorf("at 1400 px the page is %d px wide: %q", st.Width, st.Wide)
	}
	b.screenshot("shell-1400-account")
	b.noExceptions()
}

// screen writes a PNG of what the window shows (a phone's first screen).
func (b *browser) screen(name string) {
	b.t.Helper()
	png := run(b, "screenshot "+name, 10*time.Second, chromedp.CaptureScreenshot())
	if err := os.WriteFile(filepath.Join(b.shots, name+".png"), png, 0o644); err != nil {
		b.t.Fatal(err)
	}
}
