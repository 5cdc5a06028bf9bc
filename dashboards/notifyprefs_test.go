package dashboards_test

import (
	"net/http"
	"net/url"
	"strings"
	"testing"

	"econdip/services/notify/domain"
	"econdip/services/test/stacktest"
)

// TestAccountPageSetsReminderDelivery: a user picks, per rule, inbox only,
// e-mail at once or the weekly digest, and an e-mail address, on the
// account page; the notifier's store holds the choice, the page shows it
// again, and a malformed address is refused on its field, nothing saved.
func TestAccountPageSetsReminderDelivery(t *testing.T) {
	s := stacktest.Start(t)
	base := "http://" + s.DashboardAddr
	c := clientFrom(t, base, "127.0.0.1")
	if p := c.signIn(c.open(), "", "", stacktest.Tokens["attache.de-berlin"]); !signedIn(p) {
		t.Fatalf("sign in: %d %.300s", p.status, p.body)
	}
	account := func() string {
		t.Helper()
		status, _, body := fetch(t, c.http, base+"/account", "Accept-Language", "en")
		if status != http.StatusOK || !strings.Contains(body, `id="notifications"`) {
			t.Fatalf("account page: %d, notifications section %v", status, strings.Contains(body, `id="notifications"`))
		}
		return body
	}
	csrf := formToken.FindStringSubmatch(account())
	form := url.Values{"csrf": {csrf[1]}, "email": {"attache@example.org"}}
	for _, r := range domain.Rules {
		form.Set("delivery."+r.ID, string(domain.InboxOnly))
	}
	form.Set("delivery."+domain.TaskOverdue, string(domain.EmailDigest))
	resp, err := c.http.PostForm(base+"/account/notifications", form)
	if err != nil {
		t.Fatal(err)
	}
	resp.Body.Close()
	if resp.StatusCode != http.StatusSeeOther {
		t.Fatalf("save: %d", resp.StatusCode)
	}
	prefs, err := s.Notify.PrefsOf(t.Context(), "attache.de-berlin")
	if err != nil || prefs.Email != "attache@example.org" || prefs.DeliveryOf(domain.TaskOverdue) != domain.EmailDigest ||
		prefs.DeliveryOf(domain.DecisionOverdue) != domain.InboxOnly {
		t.Fatalf("stored: %+v %v", prefs, err)
	}
	if body := account(); !strings.Contains(body, `name="delivery.`+domain.TaskOverdue+`"`) || !strings.Contains(body, `value="attache@example.org"`) {
		t.Fatalf("the page does not show the saved choice")
	}
	form.Set("email", "not an address")
	resp, err = c.http.PostForm(base+"/account/notifications", form)
	if err != nil {
		t.Fatal(err)
	}
	resp.Body.Close()
	if resp.StatusCode != http.StatusBadRequest {
		t.Fatalf("a malformed address: %d; want 400", resp.StatusCode)
	}
	if again, _ := s.Notify.PrefsOf(t.Context(), "attache.de-berlin"); again.Email != "attache@example.org" {
		t.Fatalf("a refused form changed the address to %q", again.Email)
	}
}
