package dashboards_test

// A real-browser test of the intergovernmental commissions pages: the
// secretariat of igc-cn enters a protocol of ten decisions through the form
// (after a refused first try), moves decisions through their statuses on the
// decision pages, and an analyst then reads the execution rate, the overdue
// list and the decision done late on the Commissions page.
//
//	go test -count=1 -run UICommissions ./dashboards/ -v
//
// Screenshots go to $ECONDIP_SCREENSHOTS when it is set, else to the test's
// temporary folder; the test logs their paths.

import (
	"context"
	"net/http"
	"regexp"
	"slices"
	"strconv"
	"strings"
	"testing"
	"time"

	"github.com/chromedp/chromedp"

	"econdip/services/platform/i18n"
	"econdip/services/test/stacktest"
)

const (
	// commissionsBudget bounds the whole test, the stack's start included.
	commissionsBudget = 80 * time.Second
	commissionName    = "Kazakhstan-China Cooperation Committee"
	sessionOffset     = -60 // the session was held 60 days ago
)

// protocolInput is one decision row as the secretariat types it.
type protocolInput struct {
	text, agencies string
	offset         int // deadline, in days from today (Astana)
	sector         string
	clauses        string
	value          string
	currency       string
}

// The protocol of session 12: item N is row N-1 of the form. Deadlines are
// 40, 30, 20, 10 and 1 day ago, today, and 10, 20, 30 and 40 days ahead.
var protocolInputs = []protocolInput{
	{"Open a Kazakh trade house in Urumqi", "mti;qaztrade", -40, "", "2.7", "", "USD"},
	{"Agree a phytosanitary protocol for wheat bran exports", "moa;mti", -30, "agro_industrial", "2.2;2.7", "", "USD"},
	{"Feasibility study of a copper cathode joint venture in Pavlodar", "kazakh-invest;mic", -20, "", "2.2", "120000000", "USD"},
	{"Launch a container train service Xi'an - Dostyk - Aktau", "ktz;mtr", -10, "transport_logistics", "2.2;2.8", "", "USD"},
	{"Sign a memorandum on green hydrogen pilot projects", "moe;kazakh-invest", -1, "", "2.4", "", "USD"},
	{"Open a joint laboratory for seed breeding", "moa;mse", 0, "agro_industrial", "2.2", "", "USD"},
	{"Set up a working group on e-commerce customs procedures", "mf;mti", 10, "", "2.7", "", "USD"},
	{"Prepare a list of priority investment projects for 2027", "kazakh-invest;mne", 20, "", "2.2", "", "USD"},
	{"Hold a business forum in Almaty with 100 companies", "qaztrade", 30, "", "2.7", "", "USD"},
	{"Build a wool scouring plant in Taraz", "mic;akimats", 40, "light_industry", "2.2", "35000000", "EUR"},
}

// enDay is day(offset) as the English pages show it.
func enDay(offset int) string { return i18n.Date(i18n.EN, day(offset)) }

// badRow is the row first typed with a deadline before the session.
const badRow = 2

var decisionPath = regexp.MustCompile(`^/secretariat/decisions/[0-9a-f-]{36}$`)

func TestUICommissionsSecretariatRecordsAProtocolAndAnalystSeesExecution(t *testing.T) {
	deadline, cancelAll := context.WithTimeout(context.Background(), commissionsBudget)
	defer cancelAll()
	exe := chromium(t)
	started := time.Now()
	defer func() { t.Logf("test took %s", time.Since(started).Round(100*time.Millisecond)) }()

	s := stacktest.Start(t)
	setupCommission(t, s)
	b := startBrowser(t, deadline, exe, "http://"+s.DashboardAddr)
	api := "http://" + s.CommissionsAddr + "/api/v1/commissions/igc-cn"

	// 1. The secretariat signs in, lands on the (empty) register and opens the protocol form.
	b.signIn(stacktest.Tokens["secretariat.igc-cn"], "/secretariat/register")
	b.follow("open the protocol form", `a.button[href="/secretariat/protocols/new"]`, http.StatusOK)
	if n := run(b, "count the rows", 5*time.Second, chromedp.Evaluate[int](`document.querySelectorAll('#protocol-form [name^="text_"]').length`)); n != 3 {
		t.Fatalf("the protocol form has %d decision rows, want 3", n)
	}
	// "Add decision" adds a row in place until there is one per decision.
	for range len(protocolInputs) - 3 {
		b.do("add a decision row", 5*time.Second, chromedp.Click(chromedp.CSS(`#add-decision`)))
	}
	if n := run(b, "count the rows", 5*time.Second, chromedp.Evaluate[int](`document.querySelectorAll('#protocol-form [name^="text_"]').length`)); n != len(protocolInputs) {
		t.Fatalf("after adding rows the protocol form has %d decision rows, want %d", n, len(protocolInputs))
	}

	// The whole protocol is typed; row 3 has a deadline five days before the session.
	badDeadline := day(sessionOffset - 5)
	steps := []chromedp.Action[chromedp.Void]{
		chromedp.SendKeys(chromedp.CSS(`#protocol-form input[name=number]`), "12"),
		chromedp.SetValue(chromedp.CSS(`#protocol-form input[name=date]`), day(sessionOffset)),
		chromedp.SendKeys(chromedp.CSS(`#protocol-form input[name=place]`), "Beijing"),
		chromedp.SendKeys(chromedp.CSS(`#protocol-form input[name=protocol_ref]`), "P-12"),
	}
	for i, r := range protocolInputs {
		n := strconv.Itoa(i)
		dl := day(r.offset)
		if i == badRow {
			dl = badDeadline
		}
		steps = append(steps,
			chromedp.SendKeys(chromedp.CSS(`#protocol-form textarea[name=text_`+n+`]`), r.text),
			chromedp.SetValue(chromedp.CSS(`#protocol-form input[name=deadline_`+n+`]`), dl),
			chromedp.SetValue(chromedp.CSS(`#protocol-form select[name=sector_`+n+`]`), r.sector),
			chromedp.SetValue(chromedp.CSS(`#protocol-form select[name=currency_`+n+`]`), r.currency),
		)
		// Agencies and clauses are ticked in their (folded) checkbox lists.
		for _, pick := range []struct{ name, values string }{{"agencies_" + n, r.agencies}, {"clauses_" + n, r.clauses}} {
			for _, v := range strings.Split(pick.values, ";") {
				steps = append(steps, chromedp.Evaluate[chromedp.Void](`document.querySelector('#protocol-form input[type=checkbox][name="`+pick.name+`"][value="`+v+`"]').click()`))
			}
		}
		if r.value != "" {
			steps = append(steps, chromedp.SendKeys(chromedp.CSS(`#protocol-form input[name=value_`+n+`]`), r.value))
		}
	}
	b.do("type the protocol", 20*time.Second, steps...)
	b.follow("submit the protocol with a bad row", `#record`, http.StatusBadRequest)

	// The error is at row 3's deadline, and only there.
	if ids := run(b, "list the field errors", 5*time.Second, chromedp.Evaluate[[]string](
		`[...document.querySelectorAll('.field-error')].map(e => e.id)`)); !slices.Equal(ids, []string{"err-deadline_2"}) {
		t.Errorf("field errors shown: %q, want only err-deadline_2", ids)
	}
	type placed struct {
		Text    string  `json:"text"`
		Gap     float64 `json:"gap"`     // from the field's bottom edge to the message's top edge (.field-error pulls itself up by .2rem)
		Overlap float64 `json:"overlap"` // horizontal overlap of message and field, in CSS pixels
		Visible bool    `json:"visible"`
		SameRow bool    `json:"sameRow"`
	}
	pe := waitFor[placed](b, "find the row error", 5*time.Second, `(() => {
		const err = document.getElementById("err-deadline_2"), field = document.querySelector('#protocol-form [name="deadline_2"]');
		if (!err || !field) return null;
		const e = err.getBoundingClientRect(), f = field.getBoundingClientRect(), st = getComputedStyle(err);
		return {text: err.textContent.trim(), gap: e.top - f.bottom, overlap: Math.min(e.right, f.right) - Math.max(e.left, f.left),
			visible: e.width > 0 && e.height > 0 && st.visibility !== "hidden" && st.display !== "none",
			sameRow: err.closest("tr") === field.closest("tr")};
	})()`)
	switch {
	case !pe.Visible || pe.Text == "":
		t.Errorf("#err-deadline_2 is empty or hidden: %+v", pe)
	case !pe.SameRow || pe.Gap < -5 || pe.Gap > 30 || pe.Overlap < 20:
		t.Errorf("#err-deadline_2 (%q) is not next to row 3's deadline: %+v", pe.Text, pe)
	case !strings.Contains(pe.Text, badDeadline) || !strings.Contains(pe.Text, day(sessionOffset)):
		t.Errorf("#err-deadline_2 says %q; want it to name the deadline %s and the session date %s", pe.Text, badDeadline, day(sessionOffset))
	}
	// Everything typed is kept.
	values := run(b, "read the form back", 5*time.Second, chromedp.Evaluate[map[string]string](
		`(() => { const out = {};
			for (const e of document.querySelectorAll('#protocol-form [name]')) {
				if (e.type === "file" || e.type === "hidden" || e.type === "submit") continue;
				if (e.type === "checkbox") { if (e.checked) out[e.name] = (out[e.name] ? out[e.name] + ";" : "") + e.value; continue; }
				out[e.name] = e.value;
			}
			return out; })()`))
	sorted := func(list string) string { l := strings.Split(list, ";"); slices.Sort(l); return strings.Join(l, ";") }
	want := map[string]string{"number": "12", "date": day(sessionOffset), "place": "Beijing", "protocol_ref": "P-12"}
	for i, r := range protocolInputs {
		n := strconv.Itoa(i)
		want["item_"+n], want["text_"+n], want["agencies_"+n], want["deadline_"+n] = strconv.Itoa(i+1), r.text, r.agencies, day(r.offset)
		want["sector_"+n], want["clauses_"+n], want["value_"+n], want["currency_"+n] = r.sector, r.clauses, r.value, r.currency
	}
	want["deadline_2"] = badDeadline
	for k, v := range want {
		if strings.HasPrefix(k, "agencies_") || strings.HasPrefix(k, "clauses_") { // ticked in the list's order
			v, values[k] = sorted(v), sorted(values[k])
		}
		if values[k] != v {
			t.Errorf("after the refusal the form shows %s = %q, want what was typed, %q", k, values[k], v)
		}
	}
	if t.Failed() {
		b.screenshot("c1-protocol-row-error")
		t.FailNow()
	}
	b.checkLayout("protocol form with the row error")
	b.screenshot("c1-protocol-row-error")
	assertDecisions(t, api, 0)

	// Corrected on the re-rendered form, the ten decisions are recorded in one go.
	b.do("correct row 3's deadline", 5*time.Second,
		chromedp.SetValue(chromedp.CSS(`#protocol-form input[name=deadline_2]`), day(protocolInputs[badRow].offset)))
	b.follow("record the protocol", `#record`, http.StatusOK)
	if p := b.path(); p != "/secretariat/register" {
		t.Fatalf("after recording, the browser is at %s, want the register", p)
	}
	b.expectText("confirmation", `p.ok`, "Protocol recorded: 10 decisions.")

	// The register: items 1-5 are overdue (deadlines 40, 30, 20, 10 and 1 day
	// ago, all still open); item 6 is due today, not overdue yet.
	reg := b.readRegister()
	if len(reg) != 10 {
		t.Fatalf("the register shows %d decisions, want 10: %+v", len(reg), reg)
	}
	var overdue []string
	for i, r := range reg {
		item := strconv.Itoa(i + 1)
		if r.Item != item || r.Text != protocolInputs[i].text || r.Deadline != enDay(protocolInputs[i].offset) || r.Session != "No 12 of "+enDay(sessionOffset) {
			t.Errorf("register row %d: %+v, want item %s %q due %s of session 12", i+1, r, item, protocolInputs[i].text, day(protocolInputs[i].offset))
		}
		if r.Overdue {
			overdue = append(overdue, r.Item+":"+r.DaysLate)
		}
	}
	if got := strings.Join(overdue, " "); got != "1:40 2:30 3:20 4:10 5:1" {
		t.Errorf("overdue in the register (item:days late): %q, want 1:40 2:30 3:20 4:10 5:1", got)
	}
	if n := run(b, "count the overdue marks", 5*time.Second, chromedp.Evaluate[int](
		`[...document.querySelectorAll('#register tbody strong.late')].filter(e => e.textContent.trim() === "overdue").length`)); n != 5 {
		t.Errorf("%d decisions are marked overdue in the register, want 5", n)
	}
	b.checkLayout("register")
	b.screenshot("c2-register")
	assertDecisions(t, api, 10)

	// 2. Decision 2 to in progress, then done on its deadline day (30 days ago).
	b.openDecision(2)
	b.changeStatus("in_progress", day(-50), "working group formed", "In progress")
	b.changeStatus("done", day(-30), "protocol signed by both ministries", "Done")
	if late := run(b, "late mark of item 2", 5*time.Second, chromedp.Evaluate[int](`document.querySelectorAll('h1 .late').length`)); late != 0 {
		t.Errorf("decision 2, done on its deadline day, is marked late")
	}
	b.expectHistory("Open → In progress effective "+enDay(-50)+" (working group formed)",
		"In progress → Done effective "+enDay(-30)+" (protocol signed by both ministries)")

	// Decision 1 to in progress, then done 3 days after its deadline (40 days ago): late.
	b.follow("back to the register", `header nav a[href="/secretariat/register"]`, http.StatusOK)
	b.openDecision(1)
	b.changeStatus("in_progress", day(-45), "the trade house's lease is being negotiated", "In progress")
	b.changeStatus("done", day(-37), "the trade house opened", "Done")
	b.expectText("late mark of item 1", `h1 .late`, "done 3 days late")
	b.expectHistory("In progress → Done effective " + enDay(-37) + " (the trade house opened)")
	if final := run(b, "final note", 5*time.Second, chromedp.Evaluate[string](
		`(document.querySelector('#status-form') || {textContent: ""}).textContent.replace(/\s+/g, " ").trim()`)); !strings.Contains(final, "Final status: Done.") {
		t.Errorf("the status form of a done decision shows %q, want it to say the status is final", final)
	}
	b.checkLayout("decision page")
	b.screenshot("c3-decision-done-late")

	// Decision 10 is cancelled, effective today (the date left empty).
	b.follow("back to the register", `header nav a[href="/secretariat/register"]`, http.StatusOK)
	b.openDecision(10)
	b.changeStatus("cancelled", "", "the akimat withdrew the land plot", "Cancelled")
	b.expectHistory("Open → Cancelled effective " + enDay(0) + " (the akimat withdrew the land plot)")

	// The register now has items 3, 4 and 5 overdue, and shows item 1 done late.
	b.follow("back to the register", `header nav a[href="/secretariat/register"]`, http.StatusOK)
	reg = b.readRegister()
	var marks []string
	for _, r := range reg {
		marks = append(marks, r.Item+":"+r.Status+":"+r.DaysLate)
	}
	if got, want := strings.Join(marks, " "), "1:Done done late:3 2:Done: 3:Open overdue:20 4:Open overdue:10 5:Open overdue:1 "+
		"6:Open: 7:Open: 8:Open: 9:Open: 10:Cancelled:"; got != want {
		t.Errorf("register after the changes (item:status:days late):\n got %s\nwant %s", got, want)
	}

	// 3. The analyst sees the figures for this commission.
	b.follow("sign out", `header form.who button[type=submit]`, http.StatusOK)
	if p := b.path(); p != "/signin" {
		t.Fatalf("after signing out, the browser is at %s", p)
	}
	b.signIn(stacktest.Tokens["analyst"], "/analyst/scorecard")
	b.follow("open the Commissions page", `header nav a[href="/analyst/commissions"]`, http.StatusOK)
	b.do("choose the commission", 5*time.Second, chromedp.SetValue(chromedp.CSS(`#filters select[name=commission]`), "igc-cn"))
	b.follow("apply the filter", `#filters button`, http.StatusOK)
	pageURL := run(b, "page address", 5*time.Second, chromedp.Evaluate[string](`location.href`))
	if !strings.Contains(pageURL, "commission=igc-cn") {
		t.Fatalf("the filter did not apply: %s", pageURL)
	}

	// By hand, as of today (Astana): decisions 1-5 are due (deadline before
	// today; 6's deadline is today, so not yet due; 7-9 later; 10 cancelled).
	// Done on or before the deadline: item 2 only (item 1 was done 3 days late),
	// so the execution rate is 1 / 5 = 20%. Still open past the deadline: items
	// 3, 4, 5, by 20, 10 and 1 days. Done late: item 1, by 3 days (-37 - -40).
	const (
		wantExecution = "20% of 5 due · 3 overdue"
		wantOverdue   = "3:20 4:10 5:1"
		wantLate      = "1:3"
	)
	type commissionsPage struct {
		Execution []string   `json:"execution"` // the texts of the execution chart
		Overdue   [][]string `json:"overdue"`
		Late      [][]string `json:"late"`
		Errors    []string   `json:"errors"`
		Clipped   []string   `json:"clipped"`
		Overlaps  []string   `json:"overlaps"`
	}
	var page commissionsPage
	itemsLate := func(rows [][]string) string { // "item:days late" of a table whose third cell is the item and last the days late
		var out []string
		for _, r := range rows {
			if len(r) > 3 {
				out = append(out, r[2]+":"+r[len(r)-1])
			}
		}
		return strings.Join(out, " ")
	}
	until := time.Now().Add(10 * time.Second)
	for {
		// commissions.js fetches the figures once per page load: reload to poll.
		b.do("load the Commissions page", 5*time.Second, chromedp.Navigate(pageURL))
		page = waitFor[commissionsPage](b, "wait for the figures", 4*time.Second, `(() => {
			const ids = ["chart-execution", "chart-agencies", "chart-years", "table-overdue", "table-late", "table-investment", "table-decision-leads", "table-sectors", "table-clauses"];
			const done = id => { const e = document.getElementById(id); return e && (e.tagName === "TABLE" ? e.tBodies[0].rows.length > 0 : e.childElementCount > 0); };
			if (!ids.every(done)) return null;
			const rows = id => [...document.querySelectorAll("#" + id + " tbody tr")].map(tr => [...tr.cells].map(td => td.textContent.trim()));
			const clipped = [], overlaps = [];
			for (const svg of document.querySelectorAll(".chart svg")) {
				const vb = svg.viewBox.baseVal, texts = [...svg.querySelectorAll("text")];
				const boxes = [...texts, ...svg.querySelectorAll("rect")].map(e => [e, e.getBBox()]);
				for (const t of texts) {
					const r = t.getBBox();
					if (r.x < vb.x || r.x + r.width > vb.x + vb.width || r.y < vb.y || r.y + r.height > vb.y + vb.height) clipped.push(svg.parentNode.id + ": " + t.textContent);
				}
				for (let i = 0; i < boxes.length; i++) for (let j = i + 1; j < boxes.length; j++) {
					const [a, p] = boxes[i], [b, q] = boxes[j], m = 2;
					if (p.x < q.x + q.width + m && q.x < p.x + p.width + m && p.y < q.y + q.height + m && q.y < p.y + p.height + m)
						overlaps.push(svg.parentNode.id + ": " + (a.textContent || "bar") + " / " + (b.textContent || "bar"));
				}
			}
			return {execution: [...document.querySelectorAll("#chart-execution svg text")].map(t => t.textContent),
				overdue: rows("table-overdue"), late: rows("table-late"),
				errors: [...document.querySelectorAll("main .error")].map(e => e.textContent.trim()), clipped, overlaps};
		})()`)
		if len(page.Errors) > 0 {
			t.Fatalf("the Commissions page shows errors: %q", page.Errors)
		}
		if slices.Contains(page.Execution, wantExecution) && itemsLate(page.Overdue) == wantOverdue && itemsLate(page.Late) == wantLate {
			break
		}
		if time.Now().After(until) {
			t.Fatalf("after 10 s the Commissions page shows execution %q, overdue (item:days) %q, done late %q; want %q, %q and %q",
				page.Execution, itemsLate(page.Overdue), itemsLate(page.Late), wantExecution, wantOverdue, wantLate)
		}
		time.Sleep(250 * time.Millisecond)
	}
	if !slices.Contains(page.Execution, commissionName) {
		t.Errorf("the execution chart does not name the commission: %q", page.Execution)
	}
	for i, r := range page.Overdue {
		item, _ := strconv.Atoi(r[2])
		if len(r) != 8 || r[0] != "igc-cn" || r[1] != "12" || r[3] != protocolInputs[item-1].text || r[5] != shownDay(protocolInputs[item-1].offset) || r[6] != "Open" {
			t.Errorf("overdue row %d: %q", i+1, r)
		}
	}
	if r := page.Late[0]; len(r) != 8 || r[3] != protocolInputs[0].text || r[5] != shownDay(-40) || r[6] != shownDay(-37) {
		t.Errorf("done-late row: %q, want item 1, deadline %s, done %s, 3 days late", r, shownDay(-40), shownDay(-37))
	}
	if len(page.Clipped) > 0 || len(page.Overlaps) > 0 {
		t.Errorf("charts: texts cut off at the edge: %q; drawn over each other: %q", page.Clipped, page.Overlaps)
	}
	if hrefs := run(b, "CSV links", 5*time.Second, chromedp.Evaluate[[]string](
		`[...document.querySelectorAll("a.csv")].map(a => a.getAttribute("href"))`)); len(hrefs) == 0 || slices.ContainsFunc(hrefs, func(h string) bool {
		return !strings.HasPrefix(h, "/api/commissions/") || !strings.Contains(h, ".csv?") || !strings.Contains(h, "commission=igc-cn")
	}) {
		t.Errorf("CSV links: %q, want each to export its figure for igc-cn", hrefs)
	}
	b.checkLayout("Commissions page")
	b.screenshot("c4-analyst-commissions")
	b.noExceptions()
}

// shownDay is day(offset) as an English page shows it (7 Dec 2026).
func shownDay(offset int) string { return i18n.Date(i18n.EN, day(offset)) }

// assertDecisions checks through the API that the commission has n decisions.
func assertDecisions(t *testing.T, api string, n int) {
	t.Helper()
	r := stacktest.Do(t, "GET", api+"/decisions", stacktest.Tokens["secretariat.igc-cn"], "")
	var l struct{ Decisions []struct{ ID string } }
	r.JSON(t, &l)
	if r.Status != http.StatusOK || len(l.Decisions) != n {
		t.Fatalf("the commission has %d decisions (%d), want %d", len(l.Decisions), r.Status, n)
	}
}

// registerRow is one row of the register as shown.
type registerRow struct {
	Session  string `json:"session"`
	Item     string `json:"item"`
	Text     string `json:"text"`
	Deadline string `json:"deadline"`
	Status   string `json:"status"`
	DaysLate string `json:"daysLate"`
	Overdue  bool   `json:"overdue"`
}

func (b *browser) readRegister() []registerRow {
	b.t.Helper()
	return run(b, "read the register", 5*time.Second, chromedp.Evaluate[[]registerRow](
		`[...document.querySelectorAll('#register tbody tr')].filter(tr => tr.cells.length > 1).map(tr => {
			const c = [...tr.cells].map(td => td.textContent.replace(/\s+/g, " ").trim());
			return {session: c[0], item: c[1], text: c[2], deadline: c[4], status: c[5], daysLate: c[6], overdue: tr.classList.contains("overdue")};
		})`))
}

// openDecision clicks the register's link of decision item.
func (b *browser) openDecision(item int) {
	b.t.Helper()
	href := run(b, "find decision "+strconv.Itoa(item), 5*time.Second, chromedp.Evaluate[string](
		`(() => { for (const tr of document.querySelectorAll('#register tbody tr'))
			if (tr.cells[1] && tr.cells[1].textContent.trim() === "`+strconv.Itoa(item)+`") return tr.querySelector("a").getAttribute("href");
			return ""; })()`))
	if href == "" {
		b.t.Fatalf("the register has no link to decision %d", item)
	}
	b.follow("open decision "+strconv.Itoa(item), `#register a[href="`+href+`"]`, http.StatusOK)
	if p := b.path(); !decisionPath.MatchString(p) {
		b.t.Fatalf("the link of decision %d leads to %s", item, p)
	}
	if h := run(b, "decision title", 5*time.Second, chromedp.TextContent(chromedp.CSS("h1"))); !strings.HasPrefix(strings.TrimSpace(h), "Decision "+strconv.Itoa(item)+" of session 12 ") {
		b.t.Fatalf("the link of decision %d opens %q", item, h)
	}
}

// changeStatus uses the status form of the open decision page; on is the
// effective day, empty for today.
func (b *browser) changeStatus(to, on, comment, shown string) {
	b.t.Helper()
	steps := []chromedp.Action[chromedp.Void]{
		chromedp.SetValue(chromedp.CSS(`#status-form select[name=status]`), to),
		chromedp.SendKeys(chromedp.CSS(`#status-form input[name=comment]`), comment),
	}
	if on != "" {
		steps = append(steps, chromedp.SetValue(chromedp.CSS(`#status-form input[name=effective_on]`), on))
	}
	b.do("fill the status form: "+to, 5*time.Second, steps...)
	b.follow("change the status to "+to, `#status-form button[type=submit]`, http.StatusOK)
	b.expectText("status saved", `p.ok`, "Saved.")
	b.expectText("status badge", `h1 .stage`, shown)
}

// expectHistory checks that the decision's history has each of the changes.
func (b *browser) expectHistory(changes ...string) {
	b.t.Helper()
	history := run(b, "read the history", 5*time.Second, chromedp.Evaluate[[]string](
		`[...document.querySelectorAll('ol.history li')].map(li => li.textContent.replace(/\s+/g, " ").trim())`))
	for _, c := range changes {
		if !slices.ContainsFunc(history, func(h string) bool { return strings.Contains(h, "secretariat.igc-cn: "+c) }) {
			b.t.Errorf("the history does not show %q: %q", c, history)
		}
	}
}

// checkLayout fails when the page scrolls sideways at 1280 px or a table
// cell's text spills out of its cell.
func (b *browser) checkLayout(what string) {
	b.t.Helper()
	bad := run(b, "check the layout of the "+what, 5*time.Second, chromedp.Evaluate[[]string](`(() => {
		const bad = [], de = document.documentElement;
		if (de.scrollWidth > de.clientWidth) bad.push("the page is " + de.scrollWidth + " px wide, the window " + de.clientWidth);
		for (const el of document.querySelectorAll("main td, main th, main label, main h1, main h2, main .field-error"))
			if (el.scrollWidth > el.clientWidth + 1 && getComputedStyle(el).overflowX !== "auto")
				bad.push((el.id || el.tagName) + " spills over: " + el.textContent.replace(/\s+/g, " ").trim().slice(0, 60));
		return bad;
	})()`))
	if len(bad) > 0 {
		b.t.Errorf("layout of the %s at 1280 px: %q", what, bad)
	}
}
