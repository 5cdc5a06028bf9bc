package dashboards_test

import (
	"bytes"
	"io"
	"mime/multipart"
	"net/http"
	"strconv"
	"strings"
	"testing"
	"time"

	"econdip/services/cmd/econdip/stack"
	"econdip/services/platform/i18n"
	"econdip/services/platform/kernel"
	"econdip/services/test/stacktest"
)

func day(offset int) string {
	return time.Now().In(kernel.Astana).AddDate(0, 0, offset).Format(time.DateOnly)
}

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
	if !strings.Contains(page, "Open → In progress effective "+i18n.Date(i18n.EN, day(-20))) {
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

func TestAnalystSeesExecutionOverdueAndInvestment(t *testing.T) {
	s := stacktest.Start(t)
	setupCommission(t, s)
	api := "http://" + s.CommissionsAddr + "/api/v1/commissions/igc-cn"
	offsets := []int{-40, -30, -20, -10, -1, 0, 10, 20, 30, 40}
	var rows []string
	for i, off := range offsets {
		rows = append(rows, `{"item":"`+strconv.Itoa(i+1)+`","text":"Decision `+strconv.Itoa(i+1)+`","agencies":["mti"],"deadline":"`+day(off)+`","clauses":["2.2"]}`)
	}
	r := stacktest.Do(t, "POST", api+"/sessions", "tok-sec-cn", `{"number":12,"date":"`+day(-60)+`","place":"Beijing","decisions":[`+strings.Join(rows, ",")+`]}`)
	if r.Status != 201 {
		t.Fatalf("protocol: %d %s", r.Status, r.Body)
	}
	var p struct {
		Decisions []struct {
			ID      string
			Item    string
			Version int
		}
	}
	r.JSON(t, &p)
	id := map[string]string{}
	for _, d := range p.Decisions {
		id[d.Item] = d.ID
	}
	status := func(item string, version int, to, on string) {
		t.Helper()
		r := stacktest.Do(t, "POST", api+"/decisions/"+id[item]+"/status", "tok-sec-cn",
			`{"version":`+strconv.Itoa(version)+`,"status":"`+to+`","effective_on":"`+on+`","comment":"reported by the ministry"}`)
		if r.Status != 200 {
			t.Fatalf("item %s to %s: %d %s", item, to, r.Status, r.Body)
		}
	}
	status("2", 1, "in_progress", day(-50))
	status("2", 2, "done", day(-30)) // on its deadline: on time
	status("1", 1, "in_progress", day(-50))
	status("1", 2, "done", day(-37)) // deadline -40: three days late
	status("10", 1, "cancelled", day(-5))
	lead := stacktest.Do(t, "POST", "http://"+s.LeadsAddr+"/api/v1/leads", "tok-beijing",
		`{"investor_name":"Jiangsu GreenChem Ltd","investor_country":"CN","title":"Fertiliser plant","clauses":["2.2"],"investment_type":"greenfield","capex":{"amount":"1000000","currency":"USD"},"source":"igc_decision"}`)
	var l struct{ ID string }
	lead.JSON(t, &l)
	if r := stacktest.Do(t, "POST", api+"/decisions/"+id["6"]+"/links", "tok-sec-cn", `{"version":1,"kind":"lead","target_id":"`+l.ID+`"}`); r.Status != 200 {
		t.Fatalf("link: %d %s", r.Status, r.Body)
	}

	base := "http://" + s.DashboardAddr + "/api/commissions/"
	// By hand, as of today: due = items 1-5 (deadlines before today; 6 is due today, not yet);
	// done on time = item 2; done late = item 1; overdue = 3, 4, 5 (20, 10, 1 days);
	// rate = 1/5 = 0.2000; cancelled = item 10; total 10.
	var exec struct {
		Rows []struct {
			CommissionID  string  `json:"commission_id"`
			Due           int     `json:"due"`
			DoneOnTime    int     `json:"done_on_time"`
			DoneLate      int     `json:"done_late"`
			Overdue       int     `json:"overdue"`
			Cancelled     int     `json:"cancelled"`
			Total         int     `json:"total"`
			ExecutionRate *string `json:"rate"`
		}
	}
	stacktest.Eventually(t, 10*time.Second, "execution figures", func() (bool, error) {
		stacktest.Do(t, "GET", base+"execution", "tok-analyst", "").JSON(t, &exec)
		return len(exec.Rows) == 1 && exec.Rows[0].Cancelled == 1 && exec.Rows[0].DoneLate == 1 && exec.Rows[0].DoneOnTime == 1, nil
	})
	e := exec.Rows[0]
	if e.Due != 5 || e.Overdue != 3 || e.Total != 10 || e.ExecutionRate == nil || *e.ExecutionRate != "0.2" {
		t.Fatalf("execution: %+v (rate %v)", e, e.ExecutionRate)
	}
	var overdue struct {
		Rows []struct {
			Item     string `json:"item"`
			DaysLate int    `json:"days_late"`
		}
	}
	stacktest.Do(t, "GET", base+"overdue", "tok-analyst", "").JSON(t, &overdue)
	var got []string
	for _, o := range overdue.Rows {
		got = append(got, o.Item+":"+strconv.Itoa(o.DaysLate))
	}
	if strings.Join(got, " ") != "3:20 4:10 5:1" {
		t.Fatalf("overdue list: %v", got)
	}
	var inv struct {
		Rows []struct {
			DecisionsWithLeads int    `json:"decisions_with_leads"`
			Leads              int    `json:"leads"`
			CapexUSD           string `json:"capex_usd"`
		}
	}
	stacktest.Eventually(t, 10*time.Second, "investment figure", func() (bool, error) {
		stacktest.Do(t, "GET", base+"investment", "tok-analyst", "").JSON(t, &inv)
		return len(inv.Rows) == 1 && inv.Rows[0].Leads == 1, nil
	})
	if inv.Rows[0].DecisionsWithLeads != 1 || inv.Rows[0].CapexUSD != "1000000" {
		t.Fatalf("investment: %+v", inv.Rows[0])
	}
	// CSV export of the overdue list.
	csv := stacktest.Do(t, "GET", base+"overdue.csv", "tok-analyst", "")
	if csv.Status != 200 || !strings.HasPrefix(string(csv.Body), "\ufeffcommission,session,item,decision,agencies,deadline,status,done_on,days_late\n") {
		t.Fatalf("csv: %d %s", csv.Status, csv.Body)
	}
	// The lead's side of the link: the attaché's lead page names the decision.
	_, page := get(t, "http://"+s.DashboardAddr+"/attache/leads/"+l.ID, "tok-beijing")
	if !strings.Contains(page, "session 12, item 6: Decision 6") {
		t.Fatalf("lead page does not show the linked decision:\n%s", page)
	}
	// The analyst page renders; attachés do not see commission figures.
	if st, _ := get(t, "http://"+s.DashboardAddr+"/analyst/commissions", "tok-analyst"); st != 200 {
		t.Fatalf("commissions page: %d", st)
	}
	if st, _ := get(t, base+"execution", "tok-berlin"); st != 403 {
		t.Fatalf("attaché reading commission figures: %d", st)
	}
}

// A value typed with a decimal comma and grouped by spaces is read as the
// reader meant it; 1,234 is asked back, never guessed.
func TestProtocolFormReadsDecimalCommas(t *testing.T) {
	s := stacktest.Start(t)
	setupCommission(t, s)
	base := "http://" + s.DashboardAddr
	form := map[string]string{"idempotency_key": "dc1", "number": "21", "date": day(-3), "place": "Астана",
		"text_0": "Build a wool scouring plant in Taraz", "agencies_0": "mic", "deadline_0": day(30), "clauses_0": "2.2", "value_0": "1,234", "currency_0": "EUR"}
	status, body, _ := postForm(t, base+"/secretariat/protocols?lang=ru", "tok-sec-cn", form, "")
	if status != 400 || !strings.Contains(body, `id="err-value_0"`) || !strings.Contains(body, "1,234") {
		t.Fatalf("1,234: %d\n%s", status, body)
	}
	form["value_0"] = "35\u00a0000\u00a0000,50"
	if status, body, _ := postForm(t, base+"/secretariat/protocols", "tok-sec-cn", form, ""); status != http.StatusSeeOther {
		t.Fatalf("35 000 000,50: %d\n%s", status, body)
	}
	r := stacktest.Do(t, "GET", "http://"+s.CommissionsAddr+"/api/v1/commissions/igc-cn/decisions", "tok-sec-cn", "")
	if !strings.Contains(string(r.Body), `"amount":"35000000.5`) {
		t.Errorf("the value was not recorded as 35000000.50: %s", r.Body)
	}
}
