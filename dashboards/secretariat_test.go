package dashboards_test

import (
	"bytes"
	"io"
	"mime/multipart"
	"net/http"
	"strings"
	"testing"
	"time"

	"econdip/services/commissions/domain"
	"econdip/services/stack"
	"econdip/services/stack/stacktest"
)

func day(offset int) string { return time.Now().In(domain.Astana).AddDate(0, 0, offset).Format(time.DateOnly) }

// postForm sends a multipart form as the user with token and returns status and body (redirects not followed).
func postForm(t *testing.T, url, token string, fields map[string]string, csv string) (int, string, string) {
	t.Helper()
	var b bytes.Buffer
	w := multipart.NewWriter(&b)
	for k, v := range fields {
		_ = w.WriteField(k, v)
	}
	if csv != "" {
		fw, _ := w.CreateFormFile("csv", "protocol.csv")
		_, _ = io.WriteString(fw, csv)
	}
	_ = w.Close()
	req, _ := http.NewRequest("POST", url, &b)
	req.Header.Set("Content-Type", w.FormDataContentType())
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

func get(t *testing.T, url, token string) (int, string) {
	t.Helper()
	r := stacktest.Do(t, "GET", url, token, "")
	return r.Status, string(r.Body)
}

func setupCommission(t *testing.T, s *stack.Stack) {
	t.Helper()
	r := stacktest.Do(t, "POST", "http://"+s.CommissionsAddr+"/api/v1/commissions", "tok-admin",
		`{"id":"igc-cn","name":"Kazakhstan-China Cooperation Committee","partner_country":"CN","kazakh_co_chair":"First Deputy PM","secretariat_agency":"mti","partner_co_chair":"Vice Premier"}`)
	if r.Status != 201 {
		t.Fatalf("create commission: %d %s", r.Status, r.Body)
	}
}

func TestSecretariatPagesRecordAProtocolAndChangeAStatus(t *testing.T) {
	s := stacktest.Start(t)
	setupCommission(t, s)
	base := "http://" + s.DashboardAddr
	form := map[string]string{"idempotency_key": "k1", "number": "12", "date": day(-30), "place": "Beijing", "protocol_ref": "P-12",
		"text_0": "Open a trade house in Urumqi", "agencies_0": "mti;qaztrade", "deadline_0": day(-2), "clauses_0": "2.7",
		"text_1": "Phytosanitary protocol for wheat bran", "agencies_1": "moa", "deadline_1": day(-40), "clauses_1": "2.7", // before the session
		"text_2": "Feasibility study of a joint venture", "agencies_2": "kazakh-invest", "deadline_2": day(60), "clauses_2": "2.2", "value_2": "12500000", "currency_2": "USD",
	}
	status, body, _ := postForm(t, base+"/secretariat/protocols", "tok-sec-cn", form, "")
	if status != 400 || !strings.Contains(body, `id="err-deadline_1"`) || !strings.Contains(body, "Open a trade house in Urumqi") {
		t.Fatalf("a wrong row must come back with its error next to it and the typed rows kept: %d\n%s", status, body)
	}
	form["deadline_1"] = day(10)
	status, _, loc := postForm(t, base+"/secretariat/protocols", "tok-sec-cn", form, "")
	if status != http.StatusSeeOther || !strings.HasPrefix(loc, "/secretariat/register") {
		t.Fatalf("record: %d %s", status, loc)
	}
	status, body = get(t, base+"/secretariat/register?overdue=true", "tok-sec-cn")
	if status != 200 || !strings.Contains(body, "Open a trade house in Urumqi") || strings.Contains(body, "Feasibility study") {
		t.Fatalf("overdue filter: %d\n%s", status, body)
	}
	// A CSV with a broken row is refused whole, naming the line.
	status, body, _ = postForm(t, base+"/secretariat/protocols", "tok-sec-cn",
		map[string]string{"idempotency_key": "k2", "number": "13", "date": day(-1), "place": "Astana"},
		"item,text,agencies,deadline,clauses\n1,Fine,mti,"+day(5)+",2.2\n2,Broken,unknown-agency,"+day(5)+",2.2\n")
	if status != 400 || !strings.Contains(body, "rows[3].agencies") {
		t.Fatalf("broken CSV: %d\n%s", status, body)
	}
	// Open the first decision, move it to in progress.
	_, reg := get(t, base+"/secretariat/register", "tok-sec-cn")
	start := strings.Index(reg, `href="/secretariat/decisions/`)
	if start < 0 {
		t.Fatalf("no decision link in the register:\n%s", reg)
	}
	link := reg[start+len(`href="`):]
	link = link[:strings.Index(link, `"`)]
	status, page := get(t, base+link, "tok-sec-cn")
	if status != 200 || !strings.Contains(page, `id="status-form"`) {
		t.Fatalf("decision page: %d\n%s", status, page)
	}
	status, _, loc = postForm(t, base+link+"/status", "tok-sec-cn", map[string]string{"version": "1", "status": "in_progress", "comment": "working group formed", "effective_on": day(-20)}, "")
	if status != http.StatusSeeOther {
		t.Fatalf("status change: %d", status)
	}
	_, page = get(t, base+loc, "tok-sec-cn")
	if !strings.Contains(page, "open → in progress effective "+day(-20)) {
		t.Fatalf("history does not show the change:\n%s", page)
	}
	// Out of order: in progress -> open is not offered, and the API refuses it with the field named.
	status, page, _ = postForm(t, base+link+"/status", "tok-sec-cn", map[string]string{"version": "2", "status": "open", "comment": "x"}, "")
	if status != 400 || !strings.Contains(page, `id="err-status"`) {
		t.Fatalf("out of order: %d\n%s", status, page)
	}
	// Another commission's secretariat cannot open the page.
	if status, _ := get(t, base+"/secretariat/register", "tok-sec-uz"); status != 403 && status != 404 {
		t.Fatalf("other secretariat: %d", status)
	}
}
