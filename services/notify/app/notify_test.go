package app_test

import (
	"context"
	"io"
	"log/slog"
	"mime"
	"net"
	netmail "net/mail"
	"os"
	"strings"
	"sync"
	"sync/atomic"
	"testing"
	"time"

	"github.com/emersion/go-smtp"
	"github.com/nats-io/nats.go/jetstream"
	"golang.org/x/crypto/bcrypt"

	"econdip/events"
	commissions "econdip/services/commissions/app"
	cdomain "econdip/services/commissions/domain"
	"econdip/services/identity"
	"econdip/services/notify/app"
	"econdip/services/notify/domain"
	"econdip/services/platform/auth"
	"econdip/services/platform/i18n"
	"econdip/services/platform/kernel"
	"econdip/services/platform/natsx/natstest"
	"econdip/services/platform/obs"
	"econdip/services/platform/reference"
)

// received is one e-mail the test SMTP server accepted.
type received struct {
	from string
	to   []string
	data string
}

// mailServer is a real SMTP server (go-smtp) that keeps what it receives.
type mailServer struct {
	mu   sync.Mutex
	got  []received
	srv  *smtp.Server
	addr string
}

type backend struct{ m *mailServer }

func (b backend) NewSession(*smtp.Conn) (smtp.Session, error) { return &session{m: b.m}, nil }

type session struct {
	m   *mailServer
	cur received
}

func (s *session) Reset()        { s.cur = received{} }
func (s *session) Logout() error { return nil }
func (s *session) Mail(from string, _ *smtp.MailOptions) error {
	s.cur.from = from
	return nil
}
func (s *session) Rcpt(to string, _ *smtp.RcptOptions) error {
	s.cur.to = append(s.cur.to, to)
	return nil
}
func (s *session) Data(r io.Reader) error {
	b, err := io.ReadAll(r)
	if err != nil {
		return err
	}
	s.cur.data = string(b)
	s.m.mu.Lock()
	s.m.got = append(s.m.got, s.cur)
	s.m.mu.Unlock()
	return nil
}

// startSMTP serves SMTP on addr ("127.0.0.1:0" for any port) until the test ends.
func startSMTP(t *testing.T, addr string) *mailServer {
	t.Helper()
	m := &mailServer{}
	m.srv = smtp.NewServer(backend{m})
	m.srv.Domain = "localhost"
	m.srv.AllowInsecureAuth = true
	var l net.Listener
	var err error
	for deadline := time.Now().Add(10 * time.Second); ; {
		if l, err = net.Listen("tcp", addr); err == nil || time.Now().After(deadline) {
			break
		}
		time.Sleep(50 * time.Millisecond) // the port of a server just closed
	}
	if err != nil {
		t.Fatal(err)
	}
	m.addr = l.Addr().String()
	go func() { _ = m.srv.Serve(l) }()
	t.Cleanup(func() { _ = m.srv.Close() })
	return m
}

func (m *mailServer) mails() []received {
	m.mu.Lock()
	defer m.mu.Unlock()
	return append([]received(nil), m.got...)
}

func smtpConfig(addr string) app.SMTPConfig {
	host, port, _ := net.SplitHostPort(addr)
	var p int
	for _, c := range port {
		p = p*10 + int(c-'0')
	}
	return app.SMTPConfig{Host: host, Port: p, TLS: "none", From: "econdip@example.org"}
}

// waitFor polls cond until it holds or a generous deadline passes.
func waitFor(t *testing.T, what string, cond func() bool) {
	t.Helper()
	deadline := time.Now().Add(60 * time.Second)
	for !cond() {
		if time.Now().After(deadline) {
			t.Fatalf("timed out waiting for %s", what)
		}
		time.Sleep(20 * time.Millisecond)
	}
}

// outboxEmpty reports whether every queued e-mail has been sent (acknowledged).
func outboxEmpty(t *testing.T, js jetstream.JetStream) bool {
	t.Helper()
	st, err := js.Stream(t.Context(), app.StreamOutbox)
	if err != nil {
		t.Fatal(err)
	}
	info, err := st.Info(t.Context())
	if err != nil {
		t.Fatal(err)
	}
	return info.State.Msgs == 0
}

var admin = auth.User{ID: "admin", Role: auth.Admin}

// world is NATS with the notifier's setup, the accounts and a commission
// igc-cn whose decision 1.1 (deadline 2026-04-30) is overdue at the clock.
type world struct {
	js  jetstream.JetStream
	ids *identity.Service
}

// noon20May is 2026-05-20 12:00 Astana.
var noon20May = time.Date(2026, 5, 20, 7, 0, 0, 0, time.UTC)

func newWorld(t *testing.T) world {
	t.Helper()
	ns := natstest.Start(t)
	if err := app.Setup(t.Context(), ns.JS, 1, 2*time.Second); err != nil {
		t.Fatal(err)
	}
	ids, err := identity.New(t.Context(), ns.JS, reference.Default(), obs.Discard(), identity.Options{BcryptCost: bcrypt.MinCost})
	if err != nil {
		t.Fatal(err)
	}
	return world{js: ns.JS, ids: ids}
}

func (w world) user(t *testing.T, id, role, post, commission, lang string) {
	t.Helper()
	u, err := w.ids.CreateUser(t.Context(), admin, id, identity.Details{Name: id, Role: role, Post: post, Commission: commission}, "a long password 1")
	if err != nil {
		t.Fatal(err)
	}
	if lang != "" {
		if _, err := w.ids.SetLang(t.Context(), admin, id, u.Version, lang); err != nil {
			t.Fatal(err)
		}
	}
}

// prefs stores a user's choices before a notifier starts (it evaluates at once).
func (w world) prefs(t *testing.T, user string, p app.Prefs) {
	t.Helper()
	store, err := app.OpenStore(t.Context(), w.js)
	if err != nil {
		t.Fatal(err)
	}
	if _, err := store.SetPrefs(t.Context(), user, p); err != nil {
		t.Fatal(err)
	}
}

type noLinks struct{}

func (noLinks) Exists(context.Context, string, string) (bool, error) { return false, nil }

func (w world) overdueDecision(t *testing.T) {
	t.Helper()
	svc, err := commissions.New(t.Context(), w.js, reference.Default(), noLinks{}, obs.Discard(), t.TempDir())
	if err != nil {
		t.Fatal(err)
	}
	svc.SetClock(func() time.Time { return noon20May })
	if _, err := svc.CreateCommission(t.Context(), admin, cdomain.CommissionInput{ID: "igc-cn", Name: "Commission CN",
		PartnerCountry: "CN", SecretariatAgency: "mti"}); err != nil {
		t.Fatal(err)
	}
	sec := auth.User{ID: "sec.igc-cn", Role: auth.Secretariat, Commission: "igc-cn"}
	in := cdomain.SessionInput{Number: 1, Date: "2026-03-01", Place: "Astana", Decisions: []cdomain.DecisionInput{
		{Item: "1.1", Text: "Prepare a roadmap", Agencies: []string{"mti"}, Deadline: "2026-04-30", Clauses: []string{"2.2"}},
		{Item: "1.2", Text: "Open a trade house", Agencies: []string{"mti"}, Deadline: "2026-12-31", Clauses: []string{"2.2"}},
	}}
	if _, _, err := svc.RecordProtocol(t.Context(), sec, "igc-cn", "key-1", in, cdomain.JSONRows); err != nil {
		t.Fatal(err)
	}
}

// start runs a notifier until the returned stop is called (or the test ends).
func start(t *testing.T, js jetstream.JetStream, cfg app.Config) (*app.Service, func()) {
	t.Helper()
	ctx, cancel := context.WithCancel(context.Background())
	if cfg.Now == nil {
		cfg.Now = func() time.Time { return noon20May }
	}
	cfg.LeaseTTL = 2 * time.Second
	cfg.Every = cmpDur(cfg.Every, 200*time.Millisecond)
	cfg.Backoff, cfg.MaxBackoff = 100*time.Millisecond, 400*time.Millisecond
	cfg.BaseURL = "https://econdip.example.org"
	svc, err := app.New(ctx, js, cfg, testLog(), t.TempDir())
	if err != nil {
		cancel()
		t.Fatal(err)
	}
	if err := svc.Ready(ctx); err != nil {
		t.Fatal(err)
	}
	var once sync.Once
	stop := func() {
		once.Do(func() {
			cancel()
			select {
			case <-svc.Done():
			case <-time.After(30 * time.Second):
				t.Error("notifier did not stop")
			}
		})
	}
	t.Cleanup(stop)
	return svc, stop
}

func cmpDur(a, b time.Duration) time.Duration {
	if a == 0 {
		return b
	}
	return a
}

func TestOverdueDecisionOneMailOneEntryAcrossRestart(t *testing.T) {
	w := newWorld(t)
	w.user(t, "sec.igc-cn", "secretariat", "", "igc-cn", "ru")
	w.user(t, "sec.igc-de", "secretariat", "", "igc-de", "")
	w.overdueDecision(t)
	mail := startSMTP(t, "127.0.0.1:0")

	for _, u := range []string{"sec.igc-cn", "sec.igc-de"} {
		w.prefs(t, u, app.Prefs{Email: u + "@example.org"})
	}
	svc, stop := start(t, w.js, app.Config{SMTP: smtpConfig(mail.addr)})
	svc.Evaluate(t.Context())
	waitFor(t, "the reminder e-mail", func() bool { return len(mail.mails()) >= 1 && outboxEmpty(t, w.js) })
	got := mail.mails()
	if len(got) != 1 || got[0].to[0] != "sec.igc-cn@example.org" {
		t.Fatalf("mails: %+v", got)
	}
	// In Russian, the user's language, naming the rule and the record.
	for _, want := range []string{"Subject:", "1.1 Prepare a roadmap"} {
		if !strings.Contains(got[0].data, want) {
			t.Errorf("mail lacks %q:\n%s", want, got[0].data)
		}
	}
	if !strings.Contains(decodedSubject(got[0].data), i18n.T(i18n.RU, "notify.rule."+domain.DecisionOverdue)) {
		t.Errorf("subject not in Russian: %q\n%s", decodedSubject(got[0].data), got[0].data)
	}
	inbox, err := svc.Inbox(t.Context(), "sec.igc-cn")
	if err != nil {
		t.Fatal(err)
	}
	if len(inbox) != 1 || inbox[0].Rule != domain.DecisionOverdue || inbox[0].RecordID == "" || inbox[0].Read {
		t.Fatalf("inbox: %+v", inbox)
	}
	if other, _ := svc.Inbox(t.Context(), "sec.igc-de"); len(other) != 0 {
		t.Errorf("another commission's secretariat got %+v", other)
	}

	// A restart evaluates again (a new read-model directory: from the log),
	// and sends nothing twice.
	stop()
	svc2, _ := start(t, w.js, app.Config{SMTP: smtpConfig(mail.addr)})
	waitFor(t, "the new instance to lead", svc2.Leader)
	svc2.Evaluate(t.Context())
	svc2.Evaluate(t.Context())
	waitFor(t, "the outbox to drain", func() bool { return outboxEmpty(t, w.js) })
	if got := mail.mails(); len(got) != 1 {
		t.Fatalf("after a restart %d mails", len(got))
	}
	if inbox, _ := svc2.Inbox(t.Context(), "sec.igc-cn"); len(inbox) != 1 {
		t.Fatalf("after a restart inbox %+v", inbox)
	}
	if n, _ := svc2.Unread(t.Context(), "sec.igc-cn"); n != 1 {
		t.Errorf("unread %d", n)
	}
	if err := svc2.MarkRead(t.Context(), "sec.igc-cn", inbox[0].ID, true); err != nil {
		t.Fatal(err)
	}
	if n, _ := svc2.Unread(t.Context(), "sec.igc-cn"); n != 0 {
		t.Errorf("unread after mark read %d", n)
	}
}

// decodedSubject is the Subject header, unfolded and MIME-decoded.
func decodedSubject(data string) string {
	m, err := netmail.ReadMessage(strings.NewReader(data))
	if err != nil {
		return ""
	}
	d, err := (&mime.WordDecoder{}).DecodeHeader(m.Header.Get("Subject"))
	if err != nil {
		return ""
	}
	return d
}

func TestMailWaitsForSMTP(t *testing.T) {
	w := newWorld(t)
	w.user(t, "sec.igc-cn", "secretariat", "", "igc-cn", "")
	w.overdueDecision(t)
	// A port where no server listens yet.
	l, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	addr := l.Addr().String()
	l.Close()

	w.prefs(t, "sec.igc-cn", app.Prefs{Email: "sec@example.org"})
	svc, _ := start(t, w.js, app.Config{SMTP: smtpConfig(addr)})
	svc.Evaluate(t.Context())
	// The send fails a few times (the consumer redelivers it)...
	waitFor(t, "failed attempts", func() bool {
		c, err := w.js.Consumer(t.Context(), app.StreamOutbox, app.ConsumerSender)
		if err != nil {
			return false
		}
		info, err := c.Info(t.Context())
		return err == nil && info.NumRedelivered > 0 && info.Delivered.Consumer >= 3
	})
	if outboxEmpty(t, w.js) {
		t.Fatal("the failed e-mail left the outbox")
	}
	// ...and goes once the server is up.
	mail := startSMTP(t, addr)
	waitFor(t, "the e-mail after SMTP came back", func() bool { return len(mail.mails()) == 1 && outboxEmpty(t, w.js) })
	svc.Evaluate(t.Context())
	waitFor(t, "the outbox to drain", func() bool { return outboxEmpty(t, w.js) })
	if n := len(mail.mails()); n != 1 {
		t.Fatalf("%d mails", n)
	}
}

func TestTwoInstancesSendEachDigestOnce(t *testing.T) {
	w := newWorld(t)
	users := []string{"attache.de-berlin", "attache.cn-beijing", "sec.igc-cn"}
	w.user(t, users[0], "attache", "de-berlin", "", "kk")
	w.user(t, users[1], "attache", "cn-beijing", "", "en")
	w.user(t, users[2], "secretariat", "", "igc-cn", "ru")
	mail := startSMTP(t, "127.0.0.1:0")
	// Monday 2026-12-07 09:30 Astana.
	monday := func() time.Time { return time.Date(2026, 12, 7, 4, 30, 0, 0, time.UTC) }
	var mu sync.Mutex
	built := map[string]int{}
	builder := func(_ context.Context, u events.UserV1, week kernel.Day, lang i18n.Lang) (string, string, []byte, error) {
		mu.Lock()
		built[u.ID]++
		mu.Unlock()
		return "Digest " + week.String() + " " + u.ID, "<p>" + string(lang) + "</p>", []byte("%PDF-1.4 stand-in"), nil
	}
	cfg := app.Config{SMTP: smtpConfig(mail.addr), Digest: builder, Now: monday, Every: 50 * time.Millisecond}
	a, _ := start(t, w.js, cfg)
	b, _ := start(t, w.js, cfg)
	for _, u := range users {
		if _, err := a.SetPrefs(t.Context(), u, app.Prefs{Email: u + "@example.org"}); err != nil {
			t.Fatal(err)
		}
	}
	// Both evaluate too, by hand, at once: even then each digest goes once.
	var wg sync.WaitGroup
	for _, s := range []*app.Service{a, b, a, b} {
		wg.Add(1)
		go func() { defer wg.Done(); s.Evaluate(t.Context()) }()
	}
	wg.Wait()
	waitFor(t, "the digests", func() bool { return len(mail.mails()) >= len(users) && outboxEmpty(t, w.js) })
	a.Evaluate(t.Context())
	b.Evaluate(t.Context())
	waitFor(t, "the outbox to drain", func() bool { return outboxEmpty(t, w.js) })
	got := mail.mails()
	if len(got) != len(users) {
		t.Fatalf("%d digests for %d users", len(got), len(users))
	}
	per := map[string]int{}
	for _, m := range got {
		per[m.to[0]]++
		if !strings.Contains(m.data, "application/pdf") {
			t.Errorf("digest to %s has no PDF", m.to[0])
		}
	}
	for _, u := range users {
		if per[u+"@example.org"] != 1 {
			t.Errorf("%s got %d digests", u, per[u+"@example.org"])
		}
	}
	if a.Leader() == b.Leader() {
		t.Errorf("leaders: a %v, b %v; want exactly one", a.Leader(), b.Leader())
	}
}

// testLog is where the notifier logs in tests: nowhere, unless
// ECONDIP_TEST_LOG=1 (then stderr, at debug level).
func testLog() *slog.Logger {
	if os.Getenv("ECONDIP_TEST_LOG") == "1" {
		return obs.NewLogger(os.Stderr, "text", "debug")
	}
	return obs.Discard()
}

// A digest missed while the notifier was down is sent once when it comes
// back, not again after a restart; the next Monday's goes at 09:00 Astana.
func TestMissedDigestSentOnceAfterRestart(t *testing.T) {
	w := newWorld(t)
	w.user(t, "attache.de-berlin", "attache", "de-berlin", "", "kk")
	w.prefs(t, "attache.de-berlin", app.Prefs{Email: "berlin@example.org"})
	mail := startSMTP(t, "127.0.0.1:0")
	var now atomic.Int64
	set := func(s string) {
		x, err := time.ParseInLocation("2006-01-02 15:04", s, kernel.Astana)
		if err != nil {
			t.Fatal(err)
		}
		now.Store(x.UnixNano())
	}
	clock := func() time.Time { return time.Unix(0, now.Load()) }
	builder := func(_ context.Context, u events.UserV1, week kernel.Day, _ i18n.Lang) (string, string, []byte, error) {
		return "Digest " + week.String(), "<p>" + u.ID + "</p>", nil, nil
	}
	cfg := app.Config{SMTP: smtpConfig(mail.addr), Digest: builder, Now: clock}
	subjects := func() []string {
		var out []string
		for _, m := range mail.mails() {
			out = append(out, decodedSubject(m.data))
		}
		return out
	}

	set("2026-12-08 10:00") // down all Monday
	a, stop := start(t, w.js, cfg)
	a.Evaluate(t.Context())
	waitFor(t, "the missed digest", func() bool { return len(mail.mails()) == 1 && outboxEmpty(t, w.js) })
	stop()

	b, stopB := start(t, w.js, cfg)
	waitFor(t, "the new instance to lead", b.Leader)
	b.Evaluate(t.Context())
	set("2026-12-14 08:59")
	b.Evaluate(t.Context())
	waitFor(t, "the outbox to drain", func() bool { return outboxEmpty(t, w.js) })
	if got := subjects(); len(got) != 1 || got[0] != "Digest 2026-12-07" {
		t.Fatalf("before the next Monday 09:00: %q", got)
	}
	set("2026-12-14 09:00")
	b.Evaluate(t.Context())
	waitFor(t, "the next digest", func() bool { return len(mail.mails()) == 2 && outboxEmpty(t, w.js) })
	stopB()
	if got := subjects(); got[1] != "Digest 2026-12-14" {
		t.Fatalf("digests: %q", got)
	}
}
