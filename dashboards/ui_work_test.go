package dashboards_test

// Tasks and notes on a lead, and "My work" (issue 17), in a real browser:
// an attaché adds a task (due two days ago) and a note on a lead's page,
// finds the task on "My work" marked overdue with a link to the lead, marks
// it done there, and it leaves "My work".
//
//	go test -count=1 -run UIWork ./dashboards/ -v

import (
	"context"
	"net/http"
	"strings"
	"testing"
	"time"

	"github.com/chromedp/chromedp"

	"econdip/services/test/stacktest"
)

func TestUIWorkTaskAndNoteOnALeadAndMyWork(t *testing.T) {
	deadline, cancelAll := context.WithTimeout(context.Background(), 120*time.Second)
	defer cancelAll()
	exe := chromium(t)
	s := stacktest.Start(t)
	b := startBrowser(t, deadline, exe, "http://"+s.DashboardAddr)
	const berlin = "tok-berlin"
	r := stacktest.Do(t, "POST", "http://"+s.LeadsAddr+"/api/v1/leads", berlin,
		scLeadBody("Work Queue GmbH", "DE", "Gearbox plant", "", `"2.2"`, "5000000", 10))
	if r.Status != http.StatusCreated {
		t.Fatalf("create the lead: %d %s", r.Status, r.Body)
	}
	var lead struct{ ID string }
	r.JSON(t, &lead)
	const title, note = "Send the site offer to the CFO", "The CFO prefers calls before noon."

	b.signIn(berlin, "")
	b.do("open the lead", 10*time.Second, chromedp.Navigate(b.base+"/attache/leads/"+lead.ID), chromedp.WaitVisible(chromedp.ID("task-form")))
	b.expectText("no tasks yet", "#tasks p.muted", "No tasks yet.")

	// A task, due two days ago, for the attaché (the picker's default: the user).
	b.do("fill the task", 10*time.Second,
		chromedp.SendKeys(chromedp.CSS(`#task-form input[name=title]`), title),
		chromedp.SetValue(chromedp.CSS(`#task-form input[name=due]`), day(-2)))
	picked := run(b, "the assignee picked", 5*time.Second, chromedp.Value(chromedp.CSS(`#task-form select[name=assignee]`)))
	if picked != "attache.de-berlin" {
		t.Errorf("the assignee picker has %q chosen, want the attaché", picked)
	}
	b.follow("add the task", `#task-form button[type=submit]`, http.StatusOK)
	b.expectText("the task on the lead", "#tasks .task-title", title)
	if n := waitFor[int](b, "the overdue mark", 5*time.Second, `document.querySelectorAll("#tasks .overdue-mark").length || null`); n != 1 {
		t.Errorf("%d overdue marks on the lead's tasks, want 1", n)
	}

	// A note.
	b.do("fill the note", 10*time.Second, chromedp.SendKeys(chromedp.CSS(`#note-form textarea[name=text]`), note))
	b.follow("add the note", `#note-form button[type=submit]`, http.StatusOK)
	b.expectText("the note on the lead", "#notes .note-text", note)

	// My work, from the menu.
	b.follow("open My work", `nav a[href="/work"]`, http.StatusOK)
	type row struct {
		Title   string `json:"title"`
		Overdue bool   `json:"overdue"`
		Link    string `json:"link"`
		Record  string `json:"record"`
	}
	rows := waitFor[[]row](b, "the rows of My work", 5*time.Second, `(() => {
		const rows = [...document.querySelectorAll("#my-work tbody tr")];
		return rows.length ? rows.map(r => ({title: r.querySelector(".task-title").textContent.trim(),
			overdue: !!r.querySelector(".overdue-mark"), link: r.querySelector("a").getAttribute("href"), record: r.querySelector("a").textContent.trim()})) : null;
	})()`)
	if len(rows) != 1 || rows[0].Title != title || !rows[0].Overdue || rows[0].Link != "/attache/leads/"+lead.ID || rows[0].Record != "Work Queue GmbH: Gearbox plant" {
		t.Fatalf("My work shows %+v, want the overdue task linking to its lead", rows)
	}
	b.screenshot("work-my-work")

	// Done: it leaves My work, and the lead shows it done.
	b.follow("mark it done", `#my-work button.task-toggle`, http.StatusOK)
	if p := b.path(); p != "/work" {
		t.Errorf("after marking done, the browser is at %s, want /work", p)
	}
	b.do("My work is empty", 10*time.Second, chromedp.WaitVisible(chromedp.ID("no-work")))
	b.do("open the lead again", 10*time.Second, chromedp.Navigate(b.base+"/attache/leads/"+lead.ID), chromedp.WaitVisible(chromedp.ID("tasks")))
	done := run(b, "the task's state", 5*time.Second, chromedp.Evaluate[string](`document.querySelector("#tasks li.task").className`))
	if !strings.Contains(done, "task-done") {
		t.Errorf("the lead's task is %q, want done", done)
	}
	b.noExceptions()
}
