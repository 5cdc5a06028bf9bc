package dashboards_test

// The header's unread count follows the inbox, in Chromium: a secretariat
// signed in sees 0; a decision of its commission falls overdue and the
// notifier's evaluation puts a reminder in the inbox: the header shows 1;
// marking it read on the inbox page brings the header back to 0.
//
//	go test -count=1 -run UIInbox ./dashboards/ -v

import (
	"context"
	"net/http"
	"strings"
	"testing"
	"time"

	"github.com/chromedp/chromedp"

	"econdip/services/test/stacktest"
)

func TestUIInboxUnreadCountFollowsTheInbox(t *testing.T) {
	deadline, cancelAll := context.WithTimeout(context.Background(), 150*time.Second)
	defer cancelAll()
	exe := chromium(t)
	s := stacktest.Start(t)
	if s.Notify == nil {
		t.Fatal("the stack runs no notifier")
	}
	setupCommission(t, s)
	b := startBrowser(t, deadline, exe, "http://"+s.DashboardAddr)
	b.signIn(stacktest.Tokens["secretariat.igc-cn"], "")
	badge := func() string {
		t.Helper()
		return strings.TrimSpace(run(b, "read the header's count", 5*time.Second,
			chromedp.Evaluate[string](`(document.getElementById("inbox-unread") || {}).textContent || "none"`)))
	}
	if n := badge(); n != "0" {
		t.Fatalf("before any reminder the header shows %q, want 0", n)
	}

	// A protocol whose decision is two days overdue.
	status, _, loc := postForm(t, "http://"+s.DashboardAddr+"/secretariat/protocols", "tok-sec-cn", map[string]string{
		"idempotency_key": "inbox-1", "number": "7", "date": day(-30), "place": "Beijing",
		"text_0": "Open a trade house in Urumqi", "agencies_0": "mti", "deadline_0": day(-2), "clauses_0": "2.7",
	}, "")
	if status != http.StatusSeeOther {
		t.Fatalf("record the protocol: %d %s", status, loc)
	}
	stacktest.Eventually(t, 60*time.Second, "the reminder in the inbox", func() (bool, error) {
		s.Notify.Evaluate(context.Background())
		n, err := s.Notify.Unread(context.Background(), "secretariat.igc-cn")
		return n == 1, err
	})
	open(b, "/")
	if n := badge(); n != "1" {
		t.Fatalf("with one reminder the header shows %q, want 1", n)
	}
	b.do("open the inbox from the header", 10*time.Second, chromedp.Click(chromedp.ID("inbox-link")), chromedp.WaitVisible(chromedp.ID("inbox-table")))
	b.expectText("the reminder", "#inbox-table tbody tr td:nth-child(2) a", "1 Open a trade house in Urumqi")
	b.screenshot("inbox-unread")
	b.follow("mark it read", `#inbox-table button.mark-read`, http.StatusOK)
	if p := b.path(); p != "/inbox" {
		t.Fatalf("after marking read the browser is at %s", p)
	}
	if n := badge(); n != "0" {
		t.Fatalf("after marking read the header shows %q, want 0", n)
	}
	b.screenshot("inbox-read")
}
