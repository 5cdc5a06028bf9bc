package dashboards_test

import (
	"bytes"
	"html"
	"net/http"
	"regexp"
	"strings"
	"testing"

	ics "github.com/arran4/golang-ical"

	"econdip/services/test/stacktest"
)

var calendarURL = regexp.MustCompile(`id="calendar-url" readonly value="([^"]+)"`)

// TestDigestDownloadAndCalendarFeed: every role downloads its digest as a
// PDF; an attaché makes a calendar address on the account page, a calendar
// program reads it without a session, and once revoked it answers 404.
func TestDigestDownloadAndCalendarFeed(t *testing.T) {
	s := stacktest.Start(t)
	base := "http://" + s.DashboardAddr
	for _, user := range []string{"attache.de-berlin", "secretariat.igc-cn", "analyst", "admin"} {
		res := stacktest.Do(t, "GET", base+"/digest.pdf?week=2026-12-07", stacktest.Tokens[user], "")
		if res.Status != http.StatusOK || res.Header.Get("Content-Type") != "application/pdf" || !bytes.HasPrefix(res.Body, []byte("%PDF-")) {
			t.Errorf("%s: /digest.pdf answers %d %s: %.200s", user, res.Status, res.Header.Get("Content-Type"), res.Body)
		}
	}
	tok := stacktest.Tokens["attache.de-berlin"]
	page := stacktest.Do(t, "GET", base+"/account", tok, "")
	if !strings.Contains(string(page.Body), `href="/digest.pdf"`) || !strings.Contains(string(page.Body), `id="calendar-none"`) {
		t.Fatalf("account page lacks the digest link or the calendar section: %s", page.Body)
	}
	made := stacktest.Do(t, "POST", base+"/account/calendar", tok, "", "Content-Type", "application/x-www-form-urlencoded")
	m := calendarURL.FindSubmatch(made.Body)
	if made.Status != http.StatusOK || m == nil {
		t.Fatalf("making a calendar address: %d %s", made.Status, made.Body)
	}
	feedURL := html.UnescapeString(string(m[1]))
	if !strings.HasPrefix(feedURL, base+"/calendar/") || !strings.HasSuffix(feedURL, ".ics") {
		t.Fatalf("calendar address %q", feedURL)
	}
	feed := stacktest.Do(t, "GET", feedURL, "", "")
	if feed.Status != http.StatusOK || !strings.HasPrefix(feed.Header.Get("Content-Type"), "text/calendar") {
		t.Fatalf("feed answers %d %s: %s", feed.Status, feed.Header.Get("Content-Type"), feed.Body)
	}
	if _, err := ics.ParseCalendar(bytes.NewReader(feed.Body)); err != nil {
		t.Fatalf("feed does not parse: %v\n%s", err, feed.Body)
	}
	again := stacktest.Do(t, "GET", base+"/account", tok, "")
	if !strings.Contains(string(again.Body), `id="calendar-since"`) || strings.Contains(string(again.Body), `id="calendar-url"`) {
		t.Errorf("the account page shows the address again, or not that there is one")
	}
	revoked := stacktest.Do(t, "POST", base+"/account/calendar/revoke", tok, "", "Content-Type", "application/x-www-form-urlencoded")
	if revoked.Status != http.StatusOK && revoked.Status != http.StatusSeeOther {
		t.Fatalf("revoking: %d %s", revoked.Status, revoked.Body)
	}
	if res := stacktest.Do(t, "GET", feedURL, "", ""); res.Status != http.StatusNotFound {
		t.Errorf("a revoked feed answers %d, want 404", res.Status)
	}
}
