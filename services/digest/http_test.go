package digest_test

import (
	"bytes"
	"context"
	"io"
	"net/http"
	"net/http/httptest"
	"slices"
	"strings"
	"testing"
	"time"

	ics "github.com/arran4/golang-ical"
	"github.com/gofiber/fiber/v2"

	"econdip/services/digest"
	"econdip/services/platform/auth"
	"econdip/services/platform/httpx"
	"econdip/services/platform/natsx/natstest"
	"econdip/services/platform/obs"
)

var users = map[string]auth.User{
	"user.comm": {ID: "user.comm", Role: auth.Secretariat, Commission: "igc-de", Lang: "ru"},
	"user.post": {ID: "user.post", Role: auth.Attache, Post: "de-berlin", Lang: "en"},
}

func monday() time.Time { return time.Date(2026, 12, 7, 4, 0, 0, 0, time.UTC) } // 09:00 in Astana

func get(t *testing.T, app *fiber.App, path string) (int, []byte, http.Header) {
	t.Helper()
	res, err := app.Test(httptest.NewRequest("GET", path, nil), 30_000)
	if err != nil {
		t.Fatal(err)
	}
	defer res.Body.Close()
	body, _ := io.ReadAll(res.Body)
	return res.StatusCode, body, res.Header
}

// feedDays parses a feed with golang-ical and returns its events as
// "YYYY-MM-DD summary", sorted.
func feedDays(t *testing.T, feed []byte) []string {
	t.Helper()
	cal, err := ics.ParseCalendar(bytes.NewReader(feed))
	if err != nil {
		t.Fatalf("feed does not parse: %v\n%s", err, feed)
	}
	var out []string
	for _, ev := range cal.Events() {
		day, err := ev.GetAllDayStartAt()
		if err != nil {
			t.Fatalf("event %s: %v", ev.Id(), err)
		}
		out = append(out, day.Format(time.DateOnly)+" "+ev.GetProperty(ics.ComponentPropertySummary).Value)
	}
	slices.Sort(out)
	return out
}

// TestCalendarFeed: each user's feed parses and holds the fixture's
// decision deadlines in their scope and their tasks' due days; a new
// address retires the old one, and a revoked one answers 404.
func TestCalendarFeed(t *testing.T) {
	conn := fixtureConn(t)
	ns := natstest.Start(t)
	ctx := context.Background()
	cals, err := digest.OpenCalendars(ctx, ns.JS, 1)
	if err != nil {
		t.Fatal(err)
	}
	lookup := func(_ context.Context, id string) (auth.User, bool, error) { u, ok := users[id]; return u, ok, nil }
	app := httpx.New(httpx.Options{Name: "test", Logger: obs.Discard()})
	app.Get("/calendar/:file", digest.CalendarHandler(cals, conn, lookup, obs.Discard(), monday))

	tokens := map[string]string{}
	for id := range users {
		if tokens[id], err = cals.New(ctx, id); err != nil {
			t.Fatal(err)
		}
	}
	want := map[string][]string{
		"user.comm": {
			"2026-12-01 Срок задачи: igc-de 1/4.3",
			"2026-12-06 Срок решения: igc-de, заседание 1, пункт 4.3",
			"2026-12-07 Срок решения: igc-de, заседание 1, пункт 4.5",
			"2026-12-10 Срок решения: igc-de, заседание 1, пункт 4.1",
			"2026-12-11 Срок задачи: igc-de 1/4.1",
			"2026-12-21 Срок решения: igc-de, заседание 1, пункт 4.2",
		},
		"user.post": {
			"2026-12-04 Task due: Rhein Maschinenbau GmbH: Tractor plant",
			"2026-12-06 Decision deadline: igc-de, session 1, item 4.3",
			"2026-12-07 Decision deadline: igc-de, session 1, item 4.5",
			"2026-12-09 Task due: KazAgro Export LLP: Durum wheat",
			"2026-12-10 Decision deadline: igc-de, session 1, item 4.1",
		},
	}
	for id, w := range want {
		status, body, h := get(t, app, "/calendar/"+tokens[id]+".ics")
		if status != http.StatusOK || !strings.HasPrefix(h.Get("Content-Type"), "text/calendar") {
			t.Fatalf("%s: %d %s %s", id, status, h.Get("Content-Type"), body)
		}
		if got := feedDays(t, body); !slices.Equal(got, w) {
			t.Errorf("%s: feed events\n got %q\nwant %q", id, got, w)
		}
	}

	old := tokens["user.post"]
	fresh, err := cals.New(ctx, "user.post")
	if err != nil {
		t.Fatal(err)
	}
	if status, _, _ := get(t, app, "/calendar/"+old+".ics"); status != http.StatusNotFound {
		t.Errorf("a replaced address answers %d, want 404", status)
	}
	if status, _, _ := get(t, app, "/calendar/"+fresh+".ics"); status != http.StatusOK {
		t.Errorf("the new address answers %d", status)
	}
	if err := cals.Revoke(ctx, "user.post"); err != nil {
		t.Fatal(err)
	}
	for _, path := range []string{"/calendar/" + fresh + ".ics", "/calendar/" + fresh, "/calendar/nothing.ics", "/calendar/.ics"} {
		if status, _, _ := get(t, app, path); status != http.StatusNotFound {
			t.Errorf("%s answers %d, want 404", path, status)
		}
	}
	if has, _, err := cals.Has(ctx, "user.post"); err != nil || has {
		t.Errorf("after revoking, Has = %v, %v", has, err)
	}
	if has, _, err := cals.Has(ctx, "user.comm"); err != nil || !has {
		t.Errorf("another user's address: Has = %v, %v", has, err)
	}
	// An account that is gone (or disabled) has no feed, whatever its token.
	delete(users, "user.comm")
	t.Cleanup(func() {
		users["user.comm"] = auth.User{ID: "user.comm", Role: auth.Secretariat, Commission: "igc-de", Lang: "ru"}
	})
	if status, _, _ := get(t, app, "/calendar/"+tokens["user.comm"]+".ics"); status != http.StatusNotFound {
		t.Errorf("a feed of a gone account answers %d, want 404", status)
	}
}

// TestPDFDownload: the on-demand digest is the week's PDF for the user's
// scope, with a name that says which week; a bad week is a field error.
func TestPDFDownload(t *testing.T) {
	conn := fixtureConn(t)
	app := httpx.New(httpx.Options{Name: "test", Logger: obs.Discard()})
	app.Get("/digest.pdf", func(c *fiber.Ctx) error { auth.SetUser(c, users["user.post"]); return c.Next() },
		digest.PDFHandler(conn, func() time.Time { return monday().AddDate(0, 0, 2) }))
	status, body, h := get(t, app, "/digest.pdf?lang=ru") // the user's own setting (en) comes first
	if status != http.StatusOK || h.Get("Content-Type") != "application/pdf" ||
		!strings.Contains(h.Get("Content-Disposition"), "econdip-digest-2026-12-07.pdf") {
		t.Fatalf("%d %v", status, h)
	}
	text := pdfText(t, body)
	for _, w := range []string{"Weekly digest", "Rhein Maschinenbau GmbH", "Kostanay Mill JSC"} {
		if !strings.Contains(text, w) {
			t.Errorf("downloaded PDF lacks %q: %s", w, text)
		}
	}
	status, _, _ = get(t, app, "/digest.pdf?week=2026-11-30")
	if status != http.StatusOK {
		t.Errorf("an earlier week answers %d", status)
	}
	for _, bad := range []string{"2026-13-01", "yesterday", "2200-01-01"} {
		if status, body, _ := get(t, app, "/digest.pdf?week="+bad); status != http.StatusBadRequest {
			t.Errorf("week=%s answers %d: %s", bad, status, body)
		}
	}
}
