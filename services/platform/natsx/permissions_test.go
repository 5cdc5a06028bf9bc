package natsx_test

import (
	"bytes"
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"log/slog"
	"net"
	"os"
	"path/filepath"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/google/uuid"
	"github.com/nats-io/nats-server/v2/server"
	"github.com/nats-io/nats.go"
	"github.com/nats-io/nats.go/jetstream"
	"golang.org/x/crypto/bcrypt"

	"econdip/events"
	"econdip/services/digest"
	"econdip/services/identity"
	notify "econdip/services/notify/app"
	"econdip/services/platform/auth"
	"econdip/services/platform/documents"
	"econdip/services/platform/natsx"
	"econdip/services/platform/obs"
	"econdip/services/platform/reference"
	searchapp "econdip/services/search/app"
)

// secured is an embedded server that requires authentication, with a
// password per service, set up by the admin tool as in production: streams,
// key-value buckets and one imported account.
type secured struct {
	srv       *server.Server
	url       string
	passwords map[string]string
	dir       string

	accountID, accountPassword, accountToken string
}

func startSecured(t *testing.T) *secured {
	t.Helper()
	s := &secured{passwords: natsx.RandomPasswords(natsx.Services()...), dir: t.TempDir()}
	users, err := natsx.EmbeddedUsers(s.passwords)
	if err != nil {
		t.Fatal(err)
	}
	s.srv, err = natsx.StartEmbedded(natsx.EmbeddedOptions{StoreDir: filepath.Join(s.dir, "nats"), Port: -1, Users: users})
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { s.srv.Shutdown(); s.srv.WaitForShutdown() })
	s.url = s.srv.ClientURL()

	// The admin tool's deploy-time setup, with its own, unwrapped JetStream handle.
	admin := s.connect(t, natsx.ServiceAdminTool)
	ctx := t.Context()
	if err := events.EnsureStreams(ctx, admin.js, events.StreamOptions{}); err != nil {
		t.Fatalf("admin tool creates the streams: %v", err)
	}
	id := admin.identity(t, admin.js) // creates the buckets
	s.accountID, s.accountPassword, s.accountToken = "analyst.one", "correct horse battery staple", auth.NewToken()
	hash, err := bcrypt.GenerateFromPassword([]byte(s.accountPassword), bcrypt.MinCost)
	if err != nil {
		t.Fatal(err)
	}
	n, err := id.Import(ctx, auth.File{Users: []auth.Entry{{
		User:        auth.User{ID: s.accountID, Name: "Analyst One", Role: auth.Analyst},
		TokenSHA256: auth.HashToken(s.accountToken), PasswordBcrypt: string(hash),
	}}})
	if err != nil || n != 1 {
		t.Fatalf("admin tool imports the users file: %d, %v", n, err)
	}
	admin.noViolations(t)
	return s
}

// client is one service's connection. Permission violations, which the
// server reports asynchronously, are collected in violations.
type client struct {
	service    string
	nc         *nats.Conn
	js         jetstream.JetStream
	violations chan error
}

// connect connects as service the way a service does in production: the
// password in a file named by ECONDIP_NATS_PASSWORD_FILE.
func (s *secured) connect(t *testing.T, service string) *client {
	t.Helper()
	pwFile := filepath.Join(s.dir, service+".password")
	if err := os.WriteFile(pwFile, []byte(s.passwords[service]+"\n"), 0o600); err != nil {
		t.Fatal(err)
	}
	env := map[string]string{natsx.EnvPasswordFile: pwFile}
	creds, err := natsx.CredentialsFromEnv(service, func(k string) (string, bool) { v, ok := env[k]; return v, ok })
	if err != nil {
		t.Fatal(err)
	}
	c := &client{service: service, violations: make(chan error, 64)}
	opts := append(creds.Options(), nats.ErrorHandler(func(_ *nats.Conn, _ *nats.Subscription, err error) {
		if errors.Is(err, nats.ErrPermissionViolation) {
			select {
			case c.violations <- err:
			default:
			}
		}
	}))
	c.nc, c.js, err = natsx.Connect(t.Context(), s.url, service, obs.Discard(), opts...)
	if err != nil {
		t.Fatalf("%s connects: %v", service, err)
	}
	t.Cleanup(c.nc.Close)
	return c
}

// identity starts the identity service on js, as every process that
// authenticates requests does.
func (c *client) identity(t *testing.T, js jetstream.JetStream) *identity.Service {
	t.Helper()
	ctx, cancel := context.WithCancel(context.Background())
	t.Cleanup(cancel)
	id, err := identity.New(ctx, js, reference.Default(), obs.Discard(), identity.Options{BcryptCost: bcrypt.MinCost})
	if err != nil {
		t.Fatalf("%s starts the identity service: %v", c.service, err)
	}
	return id
}

func (c *client) noViolations(t *testing.T) {
	t.Helper()
	for {
		select {
		case err := <-c.violations:
			t.Errorf("%s: unexpected %v", c.service, err)
		default:
			return
		}
	}
}

// ok runs an operation the service needs; it must succeed without any
// permission violation.
func (c *client) ok(t *testing.T, what string, op func(context.Context) error) {
	t.Helper()
	ctx, cancel := context.WithTimeout(t.Context(), 10*time.Second)
	defer cancel()
	if err := op(ctx); err != nil {
		t.Errorf("%s %s: %v", c.service, what, err)
	}
	c.noViolations(t)
}

// refused runs op, which the server must refuse: a permission violation
// for a subject starting with subject arrives, and op does not succeed.
func (c *client) refused(t *testing.T, subject string, op func(context.Context) error) {
	t.Helper()
	for len(c.violations) > 0 {
		<-c.violations
	}
	ctx, cancel := context.WithTimeout(t.Context(), 10*time.Second)
	defer cancel()
	done := make(chan error, 1)
	go func() { done <- op(ctx) }()
	var opErr error
	opDone := false
	for {
		select {
		case v := <-c.violations:
			if !strings.Contains(v.Error(), ` to "`+subject) {
				continue
			}
			cancel()
			if !opDone {
				opErr = <-done
			}
			if opErr == nil {
				t.Errorf("%s: %s was reported refused, yet the operation succeeded", c.service, subject)
			}
			return
		case opErr = <-done:
			opDone, done = true, nil
			if opErr == nil {
				t.Errorf("%s: operation on %s succeeded, want it refused", c.service, subject)
				return
			}
		case <-ctx.Done():
			t.Errorf("%s: no permission violation for %s (operation error: %v)", c.service, subject, opErr)
			return
		}
	}
}

// refusedSubscription subscribes, which the server must refuse.
func (c *client) refusedSubscription(t *testing.T, subject string) {
	t.Helper()
	c.refused(t, subject, func(ctx context.Context) error {
		sub, err := c.nc.SubscribeSync(subject)
		if err != nil {
			return err
		}
		defer sub.Unsubscribe()
		_, err = sub.NextMsgWithContext(ctx) // the server's refusal ends the wait
		return err
	})
}

func publish(js jetstream.JetStream, subject string, opts ...jetstream.PublishOpt) func(context.Context) error {
	return func(ctx context.Context) error {
		_, err := js.Publish(ctx, subject, []byte(`{}`), append(opts, jetstream.WithMsgID(uuid.NewString()))...)
		return err
	}
}

func lastMsg(js jetstream.JetStream, stream, subject string) func(context.Context) error {
	return func(ctx context.Context) error {
		st, err := js.Stream(ctx, stream)
		if err != nil {
			return err
		}
		_, err = st.GetLastMsgForSubject(ctx, subject)
		return err
	}
}

// replay reads every message on filter with an ordered consumer, as the
// services' read models do at start, and wants at least one.
func replay(js jetstream.JetStream, stream, filter string) func(context.Context) error {
	return func(ctx context.Context) error {
		cons, err := js.OrderedConsumer(ctx, stream, jetstream.OrderedConsumerConfig{FilterSubjects: []string{filter}})
		if err != nil {
			return err
		}
		pending := cons.CachedInfo().NumPending
		if pending == 0 {
			return errors.New("nothing to replay")
		}
		batch, err := cons.Fetch(int(pending), jetstream.FetchMaxWait(5*time.Second))
		if err != nil {
			return err
		}
		n := 0
		for range batch.Messages() {
			n++
		}
		if uint64(n) != pending {
			return fmt.Errorf("replayed %d of %d messages", n, pending)
		}
		return batch.Error()
	}
}

// follow waits with an ordered consumer for a message published after it started, as the read models do after the replay.
func follow(js jetstream.JetStream, stream, filter string, publish func(context.Context) error) func(context.Context) error {
	return func(ctx context.Context) error {
		cons, err := js.OrderedConsumer(ctx, stream, jetstream.OrderedConsumerConfig{FilterSubjects: []string{filter}, DeliverPolicy: jetstream.DeliverNewPolicy})
		if err != nil {
			return err
		}
		got := make(chan struct{}, 1)
		cc, err := cons.Consume(func(jetstream.Msg) {
			select {
			case got <- struct{}{}:
			default:
			}
		})
		if err != nil {
			return err
		}
		defer cc.Stop()
		if err := publish(ctx); err != nil {
			return err
		}
		select {
		case <-got:
			return nil
		case <-ctx.Done():
			return ctx.Err()
		}
	}
}

func envelope(t *testing.T, subject string) events.Envelope {
	t.Helper()
	return events.Envelope{SpecVersion: events.SpecVersion, ID: uuid.NewString(), Source: "test", Type: "test.v1",
		Subject: subject, Time: time.Now().UTC(), DataContentType: "application/json", Data: json.RawMessage(`{}`)}
}

func TestEachServiceCanDoWhatItNeeds(t *testing.T) {
	s := startSecured(t)
	leadID, dealID := uuid.NewString(), uuid.NewString()
	lead, deal := events.MustSubject(events.LeadSubject(leadID)), events.MustSubject(events.DealSubject(dealID))
	decision := events.MustSubject(events.DecisionSubject("kz-de", "d1"))
	none := uint64(0)

	t.Run("leads", func(t *testing.T) {
		c := s.connect(t, natsx.ServiceLeads)
		c.ok(t, "creates a lead (expecting no earlier event)", publish(c.js, lead, jetstream.WithExpectLastSequencePerSubject(none)))
		c.ok(t, "loads the lead", lastMsg(c.js, events.StreamLeads, lead))
		c.ok(t, "reads the lead's first event", func(ctx context.Context) error {
			st, err := c.js.Stream(ctx, events.StreamLeads)
			if err != nil {
				return err
			}
			_, err = st.GetMsg(ctx, 1, jetstream.WithGetMsgSubject(lead))
			return err
		})
		c.ok(t, "replays the leads", replay(c.js, events.StreamLeads, events.AllLeads))
		c.ok(t, "follows the leads", follow(c.js, events.StreamLeads, events.AllLeads, publish(c.js, events.MustSubject(events.LeadSubject(uuid.NewString())))))
		id := c.identity(t, natsx.Provisioned(c.js))
		if u, err := id.Authenticate(s.accountToken); err != nil || u.ID != s.accountID {
			t.Errorf("leads authenticates a personal token: %+v, %v", u, err)
		}
		c.noViolations(t)
	})

	t.Run("exports", func(t *testing.T) {
		c := s.connect(t, natsx.ServiceExports)
		c.ok(t, "creates a deal", publish(c.js, deal, jetstream.WithExpectLastSequencePerSubject(none)))
		c.ok(t, "replays the deals", replay(c.js, events.StreamExports, events.AllDeals))
		c.ok(t, "follows the exports", follow(c.js, events.StreamExports, events.SubjectPrefix+".exports.>", publish(c.js, events.MustSubject(events.BarrierSubject(uuid.NewString())))))
		c.identity(t, natsx.Provisioned(c.js))
	})

	t.Run("commissions", func(t *testing.T) {
		c := s.connect(t, natsx.ServiceCommissions)
		c.ok(t, "stores a protocol as an atomic batch", func(ctx context.Context) error {
			_, err := events.PublishBatch(ctx, c.js, []events.BatchItem{
				{Subject: events.MustSubject(events.SessionSubject("kz-de", "s1")), Envelope: envelope(t, "session/s1"), ExpectLastSubjectSeq: &none},
				{Subject: decision, Envelope: envelope(t, "decision/d1"), ExpectLastSubjectSeq: &none},
			})
			return err
		})
		c.ok(t, "replays the decisions", replay(c.js, events.StreamCommissions, events.AllDecisions))
		c.ok(t, "checks a linked lead exists", lastMsg(c.js, events.StreamLeads, lead))
		c.ok(t, "checks a linked deal exists", lastMsg(c.js, events.StreamExports, deal))
		c.identity(t, natsx.Provisioned(c.js))
	})

	t.Run("exports reads a decision", func(t *testing.T) {
		c := s.connect(t, natsx.ServiceExports)
		c.ok(t, "reads the decision a deal cites", lastMsg(c.js, events.StreamCommissions, decision))
	})

	t.Run("companies", func(t *testing.T) {
		c := s.connect(t, natsx.ServiceCompanies)
		company := events.MustSubject(events.CompanySubject(uuid.NewString()))
		c.ok(t, "creates a company", publish(c.js, company, jetstream.WithExpectLastSequencePerSubject(none)))
		c.ok(t, "replays the companies", replay(c.js, events.StreamCompanies, events.AllCompanies))
		c.identity(t, natsx.Provisioned(c.js))
		c.noViolations(t)
	})

	for service, durable := range map[string]string{natsx.ServiceLeads: natsx.ConsumerLeadsCompanyMerge, natsx.ServiceExports: natsx.ConsumerExportsCompanyMerge} {
		t.Run(service+" follows company merges", func(t *testing.T) {
			c := s.connect(t, service)
			c.ok(t, "consumes and acks its durable on COMPANIES", func(ctx context.Context) error {
				cons, err := c.js.CreateOrUpdateConsumer(ctx, events.StreamCompanies, jetstream.ConsumerConfig{
					Durable: durable, FilterSubject: events.AllCompanies, AckPolicy: jetstream.AckExplicitPolicy,
				})
				if err != nil {
					return err
				}
				batch, err := cons.FetchNoWait(10)
				if err != nil {
					return err
				}
				n := 0
				for m := range batch.Messages() {
					n++
					if err := m.DoubleAck(ctx); err != nil {
						return err
					}
				}
				if n == 0 {
					return fmt.Errorf("no message")
				}
				return batch.Error()
			})
			c.noViolations(t)
		})
	}

	t.Run("ingest", func(t *testing.T) {
		c := s.connect(t, natsx.ServiceIngest)
		for _, st := range events.IngestStreams() {
			c.ok(t, "consumes and acks "+st.Name, func(ctx context.Context) error {
				cons, err := c.js.CreateOrUpdateConsumer(ctx, st.Name, jetstream.ConsumerConfig{
					Durable: events.ConsumerIngest, AckPolicy: jetstream.AckExplicitPolicy, DeliverPolicy: jetstream.DeliverAllPolicy,
				})
				if err != nil {
					return err
				}
				batch, err := cons.FetchNoWait(100)
				if err != nil {
					return err
				}
				n := 0
				for m := range batch.Messages() {
					n++
					if n == 1 {
						if err := m.NakWithDelay(time.Millisecond); err != nil {
							return err
						}
						continue
					}
					if err := m.DoubleAck(ctx); err != nil {
						return err
					}
				}
				if n == 0 {
					return errors.New("no message")
				}
				info, err := cons.Info(ctx)
				if err != nil {
					return err
				}
				if info.Delivered.Stream == 0 {
					return errors.New("consumer info shows nothing delivered")
				}
				return batch.Error()
			})
		}
		c.ok(t, "dead-letters a message", publish(c.js, events.DeadLetterPrefix+events.StreamLeads))
	})

	t.Run("dashboard and the APIs share sessions", func(t *testing.T) {
		dash := s.connect(t, natsx.ServiceDashboard)
		did := dash.identity(t, natsx.Provisioned(dash.js))
		if _, err := did.SignIn(t.Context(), s.accountID, "wrong password, counted"); err == nil {
			t.Fatal("sign-in with a wrong password succeeded")
		}
		sess, err := did.SignIn(t.Context(), s.accountID, s.accountPassword)
		if err != nil {
			t.Fatalf("dashboard signs in: %v", err)
		}
		if _, err := did.CreateUser(t.Context(), auth.User{ID: "admin", Role: auth.Admin}, "analyst.two",
			identity.Details{Name: "Analyst Two", Role: "analyst"}, "another long password"); err != nil {
			t.Errorf("dashboard creates an account: %v", err)
		}
		api := s.connect(t, natsx.ServiceLeads)
		aid := api.identity(t, natsx.Provisioned(api.js))
		if u, err := aid.Authenticate(sess.Token); err != nil || u.ID != s.accountID {
			t.Errorf("leads API authenticates the dashboard's session: %+v, %v", u, err)
		}
		if err := did.SignOut(t.Context(), sess.Token); err != nil {
			t.Errorf("dashboard signs out: %v", err)
		}
		if _, err := aid.Authenticate(sess.Token); err == nil {
			t.Error("leads API still accepts a signed-out session")
		}
		dash.noViolations(t)
		api.noViolations(t)
	})

	t.Run("dashboard keeps the calendar tokens", func(t *testing.T) {
		admin := s.connect(t, natsx.ServiceAdminTool)
		if _, err := digest.OpenCalendars(t.Context(), admin.js, 1); err != nil {
			t.Fatalf("admin tool creates the CALENDARS bucket: %v", err)
		}
		dash := s.connect(t, natsx.ServiceDashboard)
		cals, err := digest.OpenCalendars(t.Context(), natsx.Provisioned(dash.js), 1)
		if err != nil {
			t.Fatalf("dashboard binds to the CALENDARS bucket: %v", err)
		}
		token, err := cals.New(t.Context(), s.accountID)
		if err != nil {
			t.Fatalf("dashboard makes a calendar token: %v", err)
		}
		if id, ok, err := cals.User(t.Context(), token); err != nil || !ok || id != s.accountID {
			t.Errorf("dashboard reads a calendar token: %q %v %v", id, ok, err)
		}
		if err := cals.Revoke(t.Context(), s.accountID); err != nil {
			t.Errorf("dashboard revokes a calendar token: %v", err)
		}
		dash.noViolations(t)
		leads := s.connect(t, natsx.ServiceLeads)
		if _, err := digest.OpenCalendars(t.Context(), natsx.Provisioned(leads.js), 1); err == nil {
			t.Error("leads opens the CALENDARS bucket")
		}
	})
	// The notifier: read models of the records and accounts, the lease,
	// inboxes and preferences, and its outbox (queue, claim, Nak: no SMTP
	// server here, so the e-mail waits).
	t.Run("notify", func(t *testing.T) {
		admin := s.connect(t, natsx.ServiceAdminTool)
		if err := notify.Setup(t.Context(), admin.js, 1, 2*time.Second); err != nil {
			t.Fatalf("admin tool sets the notifier up: %v", err)
		}
		c := s.connect(t, natsx.ServiceNotify)
		js := natsx.Provisioned(c.js)
		ctx, cancel := context.WithCancel(t.Context())
		defer cancel()
		svc, err := notify.New(ctx, js, notify.Config{LeaseTTL: 2 * time.Second, Backoff: 10 * time.Millisecond}, obs.Discard(), t.TempDir())
		if err != nil {
			t.Fatalf("notifier starts: %v", err)
		}
		c.ok(t, "catches up with the records and accounts", svc.Ready)
		c.ok(t, "takes the lease", func(ctx context.Context) error {
			for !svc.Leader() {
				select {
				case <-ctx.Done():
					return errors.New("no lease")
				case <-time.After(10 * time.Millisecond):
				}
			}
			return nil
		})
		c.ok(t, "stores preferences", func(ctx context.Context) error {
			_, err := svc.SetPrefs(ctx, s.accountID, notify.Prefs{Email: "someone@example.org"})
			return err
		})
		c.ok(t, "lists an inbox", func(ctx context.Context) error { _, err := svc.Inbox(ctx, s.accountID); return err })
		c.ok(t, "queues an e-mail, claims it and puts it back", func(ctx context.Context) error {
			if _, err := js.Publish(ctx, natsx.SubjectNotifyOutbox, []byte(`{"id":"r.test","to":"someone@example.org","subject":"s","text":"t"}`),
				jetstream.WithMsgID("r.test")); err != nil {
				return err
			}
			cons, err := js.Consumer(ctx, natsx.StreamNotifyOutbox, natsx.ConsumerNotifySender)
			if err != nil {
				return err
			}
			for {
				info, err := cons.Info(ctx)
				if err != nil {
					return err
				}
				if info.NumRedelivered > 0 {
					return nil
				}
				select {
				case <-ctx.Done():
					return errors.New("the e-mail was not tried")
				case <-time.After(10 * time.Millisecond):
				}
			}
		})
		svc.Evaluate(ctx)
		cancel()
		<-svc.Done()
		c.noViolations(t)
	})

	// The search: its index follows the record streams (read only) and
	// may append nothing.
	t.Run("search", func(t *testing.T) {
		c := s.connect(t, natsx.ServiceSearch)
		js := natsx.Provisioned(c.js)
		ctx, cancel := context.WithCancel(t.Context())
		defer cancel()
		ix, err := searchapp.Open(ctx, js, t.TempDir(), searchapp.Sources(), nil, obs.Discard())
		if err != nil {
			t.Fatalf("search index opens: %v", err)
		}
		c.ok(t, "catches up with the record streams", func(ctx context.Context) error {
			for ix.Ready(ctx) != nil {
				select {
				case <-ctx.Done():
					return ix.Ready(ctx)
				case <-time.After(10 * time.Millisecond):
				}
			}
			return nil
		})
		c.refused(t, "econdip.leads.", publish(c.js, events.MustSubject(events.LeadSubject(uuid.NewString()))))
		cancel()
		<-ix.Closed()
		c.noViolations(t)
	})

	// Documents (issue 18): each service that owns records puts, reads and
	// deletes its documents' bytes in the object store, appends their
	// events, reads the retention period and holds its sweeper's lease.
	t.Run("documents", func(t *testing.T) {
		admin := s.connect(t, natsx.ServiceAdminTool)
		if err := documents.Setup(t.Context(), admin.js, 1); err != nil {
			t.Fatalf("admin tool sets the documents up: %v", err)
		}
		settings, err := admin.js.KeyValue(t.Context(), documents.BucketSettings)
		if err != nil {
			t.Fatal(err)
		}
		if err := documents.SetRetention(t.Context(), settings, 0); err != nil {
			t.Fatalf("admin tool sets the retention: %v", err)
		}
		attache, secretariat := auth.User{ID: "a", Role: auth.Attache, Post: "p"}, auth.User{ID: "s", Role: auth.Secretariat, Commission: "kz-de"}
		for _, k := range []struct {
			service, kind string
			read, write   auth.Action
			user          auth.User
			ref           events.WorkRef
		}{
			{natsx.ServiceLeads, events.WorkOnLead, auth.ReadLeads, auth.WriteLeads, attache, events.WorkRef{Kind: events.WorkOnLead, ID: uuid.NewString()}},
			{natsx.ServiceExports, events.WorkOnDeal, auth.ReadExports, auth.WriteExports, attache, events.WorkRef{Kind: events.WorkOnDeal, ID: uuid.NewString()}},
			{natsx.ServiceCommissions, events.WorkOnDecision, auth.ReadCommissions, auth.WriteCommissions, secretariat,
				events.WorkRef{Kind: events.WorkOnDecision, ID: uuid.NewString(), CommissionID: "kz-de"}},
		} {
			c := s.connect(t, k.service)
			ctx, cancel := context.WithCancel(t.Context())
			docs, err := documents.New(ctx, natsx.Provisioned(c.js), t.TempDir(), obs.Discard(), documents.Config{Kind: k.kind, Source: "econdip/" + k.service,
				Read: k.read, Write: k.write, Namespace: uuid.New(),
				Record: func(context.Context, auth.User, auth.Action, events.WorkRef) (string, error) {
					return k.user.Scope(), nil
				}})
			if err != nil {
				t.Fatalf("%s opens its documents: %v", k.service, err)
			}
			var doc events.DocumentV1
			c.ok(t, "attaches a document", func(ctx context.Context) error {
				data := append([]byte("%PDF-1.7\n"), bytes.Repeat([]byte("x"), 300<<10)...) // several chunks
				doc, _, err = docs.Attach(ctx, k.user, k.ref, "", documents.Upload{Name: "a.pdf", Size: int64(len(data)), File: bytes.NewReader(data)})
				return err
			})
			c.ok(t, "downloads it", func(ctx context.Context) error {
				_, body, err := docs.Open(ctx, k.user, k.ref, doc.ID)
				if err != nil {
					return err
				}
				defer body.Close()
				n, err := io.Copy(io.Discard, body)
				if err == nil && n != doc.Size {
					err = fmt.Errorf("read %d of %d bytes", n, doc.Size)
				}
				return err
			})
			c.ok(t, "removes it", func(ctx context.Context) error { _, err := docs.Remove(ctx, k.user, k.ref, doc.ID, 1); return err })
			c.ok(t, "purges its bytes", func(ctx context.Context) error {
				purged, _, err := docs.Sweep(ctx)
				if err == nil && purged != 1 {
					err = fmt.Errorf("purged %d", purged)
				}
				return err
			})
			c.ok(t, "takes its sweeper's lease", func(ctx context.Context) error {
				leases, err := c.js.KeyValue(ctx, documents.BucketLease)
				if err != nil {
					return err
				}
				if !natsx.NewLease(leases, k.kind, "test", time.Second, obs.Discard(), "test", nil).Try(ctx) {
					return errors.New("no lease")
				}
				return nil
			})
			cancel()
			<-docs.Closed()
			c.noViolations(t)
		}
	})

	t.Run("admin tool reads the dead letters", func(t *testing.T) {
		c := s.connect(t, natsx.ServiceAdminTool)
		c.ok(t, "replays the dead letters", replay(c.js, events.StreamDeadLetter, events.DeadLetterPrefix+">"))
	})

	// `deadletter redrive` sends a dead letter back to its subject; `rebuild`
	// consumes every stream with a consumer of its own and acks each message.
	t.Run("admin tool redrives and rebuilds", func(t *testing.T) {
		c := s.connect(t, natsx.ServiceAdminTool)
		c.ok(t, "sends a dead letter back to a lead's subject", publish(c.js, events.MustSubject(events.LeadSubject(uuid.NewString()))))
		c.ok(t, "consumes and acks with a rebuild consumer", func(ctx context.Context) error {
			cons, err := c.js.CreateOrUpdateConsumer(ctx, events.StreamLeads, jetstream.ConsumerConfig{Durable: "rebuild-test", AckPolicy: jetstream.AckExplicitPolicy})
			if err != nil {
				return err
			}
			batch, err := cons.Fetch(1, jetstream.FetchMaxWait(5*time.Second))
			if err != nil {
				return err
			}
			n := 0
			for m := range batch.Messages() {
				if err := m.DoubleAck(ctx); err != nil {
					return fmt.Errorf("ack: %w", err)
				}
				n++
			}
			if n != 1 {
				return fmt.Errorf("fetched %d messages, want 1", n)
			}
			return batch.Error()
		})
	})
}

func TestEachServiceIsRefusedWhatItMustNot(t *testing.T) {
	s := startSecured(t)
	leads := s.connect(t, natsx.ServiceLeads)
	commissions := s.connect(t, natsx.ServiceCommissions)
	exports := s.connect(t, natsx.ServiceExports)
	ingest := s.connect(t, natsx.ServiceIngest)
	dash := s.connect(t, natsx.ServiceDashboard)
	leadID := uuid.NewString()
	leads.ok(t, "creates a lead", publish(leads.js, events.MustSubject(events.LeadSubject(leadID))))
	ingest.ok(t, "creates its durable consumer", func(ctx context.Context) error {
		_, err := ingest.js.CreateOrUpdateConsumer(ctx, events.StreamLeads, jetstream.ConsumerConfig{Durable: events.ConsumerIngest, AckPolicy: jetstream.AckExplicitPolicy})
		return err
	})
	msgGet := func(c *client, stream string) func(context.Context) error {
		return func(ctx context.Context) error {
			req, _ := json.Marshal(map[string]string{"last_by_subj": events.MustSubject(events.LeadSubject(leadID))})
			_, err := c.nc.RequestWithContext(ctx, "$JS.API.STREAM.MSG.GET."+stream, req)
			return err
		}
	}

	for _, tc := range []struct {
		name    string
		c       *client
		subject string // the refused subject, or its start
		op      func(context.Context) error
	}{
		// Writing where a service does not own the stream.
		{"the dashboard stores a lead event", dash, "econdip.leads.", publish(dash.js, events.MustSubject(events.LeadSubject(leadID)))},
		{"leads stores an export deal", leads, "econdip.exports.", publish(leads.js, events.MustSubject(events.DealSubject(uuid.NewString())))},
		{"commissions stores a lead event", commissions, "econdip.leads.", publish(commissions.js, events.MustSubject(events.LeadSubject(leadID)))},
		{"ingest stores an account", ingest, "econdip.users.", publish(ingest.js, events.MustSubject(events.UserSubject("eve")))},
		{"leads stores an account", leads, "econdip.users.", publish(leads.js, events.MustSubject(events.UserSubject("eve")))},
		// Sessions: only the dashboard signs people in.
		{"leads mints a session", leads, "$KV.SESSIONS.", func(ctx context.Context) error {
			kv, err := leads.js.KeyValue(ctx, natsx.BucketSessions)
			if err != nil {
				return err
			}
			_, err = kv.Put(ctx, "forged", []byte(`{"user":{"id":"admin","role":"admin"}}`))
			return err
		}},
		{"ingest reads sessions", ingest, "$JS.API.STREAM.INFO.KV_SESSIONS", func(ctx context.Context) error {
			_, err := ingest.js.KeyValue(ctx, natsx.BucketSessions)
			return err
		}},
		// Reading what a service does not need.
		{"ingest reads the accounts", ingest, "$JS.API.CONSUMER.CREATE.USERS.", replay(ingest.js, events.StreamUsers, events.AllUsers)},
		{"the dashboard reads the leads log", dash, "$JS.API.STREAM.MSG.GET.LEADS", msgGet(dash, events.StreamLeads)},
		{"exports reads the leads log", exports, "$JS.API.STREAM.MSG.GET.LEADS", msgGet(exports, events.StreamLeads)},
		{"commissions follows the leads", commissions, "$JS.API.CONSUMER.CREATE.LEADS.", replay(commissions.js, events.StreamLeads, events.AllLeads)},
		{"leads reads the commissions log", leads, "$JS.API.STREAM.INFO.COMMISSIONS", lastMsg(leads.js, events.StreamCommissions, events.MustSubject(events.DecisionSubject("kz-de", "d1")))},
		// Documents' bytes are the record services' only (issue 18).
		{"ingest reads the documents' bytes", ingest, "$JS.API.STREAM.INFO.OBJ_" + documents.Bucket, func(ctx context.Context) error {
			_, err := ingest.js.ObjectStore(ctx, documents.Bucket)
			return err
		}},
		{"the dashboard puts a document's bytes", dash, "$O." + documents.Bucket + ".", func(ctx context.Context) error {
			_, err := dash.nc.Request("$O."+documents.Bucket+".M.Zm9yZ2Vk", []byte(`{}`), time.Second)
			return err
		}},
		{"exports sets the retention period", exports, "$KV." + documents.BucketSettings + ".", func(ctx context.Context) error {
			_, err := exports.nc.Request("$KV."+documents.BucketSettings+"."+documents.KeyRetention, []byte("0"), time.Second)
			return err
		}},
		// Ingest's durable consumer is ingest's alone.
		{"leads pulls ingest's messages", leads, "$JS.API.CONSUMER.MSG.NEXT.LEADS." + events.ConsumerIngest, func(ctx context.Context) error {
			_, err := leads.nc.RequestWithContext(ctx, "$JS.API.CONSUMER.MSG.NEXT.LEADS."+events.ConsumerIngest, []byte(`{"batch":1}`))
			return err
		}},
		{"leads deletes ingest's consumer", leads, "$JS.API.CONSUMER.DELETE.LEADS." + events.ConsumerIngest, func(ctx context.Context) error {
			return leads.js.DeleteConsumer(ctx, events.StreamLeads, events.ConsumerIngest)
		}},
		{"leads redefines ingest's consumer", leads, "$JS.API.CONSUMER.CREATE.LEADS." + events.ConsumerIngest, func(ctx context.Context) error {
			_, err := leads.js.CreateOrUpdateConsumer(ctx, events.StreamLeads, jetstream.ConsumerConfig{Durable: events.ConsumerIngest, FilterSubject: events.MustSubject(events.LeadSubject("none"))})
			return err
		}},
		// Configuration is the admin tool's.
		{"leads deletes its stream", leads, "$JS.API.STREAM.DELETE.LEADS", func(ctx context.Context) error {
			return leads.js.DeleteStream(ctx, events.StreamLeads)
		}},
		{"leads purges its stream", leads, "$JS.API.STREAM.PURGE.LEADS", func(ctx context.Context) error {
			st, err := leads.js.Stream(ctx, events.StreamLeads)
			if err != nil {
				return err
			}
			return st.Purge(ctx)
		}},
		{"leads reconfigures the streams", leads, "$JS.API.STREAM.UPDATE.", func(ctx context.Context) error {
			return events.EnsureStreams(ctx, leads.js, events.StreamOptions{})
		}},
		{"the dashboard opens a bucket of its own", dash, "$JS.API.", func(ctx context.Context) error {
			_, err := dash.js.CreateKeyValue(ctx, jetstream.KeyValueConfig{Bucket: "MINE"})
			return err
		}},
	} {
		t.Run(tc.name, func(t *testing.T) { tc.c.refused(t, tc.subject, tc.op) })
	}

	// No one listens on the event subjects or on another service's replies.
	t.Run("the dashboard listens to every event", func(t *testing.T) { dash.refusedSubscription(t, "econdip.>") })
	t.Run("leads listens to the dashboard's replies", func(t *testing.T) {
		leads.refusedSubscription(t, natsx.InboxPrefix(natsx.ServiceDashboard)+".>")
	})
	t.Run("ingest listens to the JetStream API", func(t *testing.T) { ingest.refusedSubscription(t, "$JS.API.>") })

	t.Run("a refused lead was not stored", func(t *testing.T) {
		leads.ok(t, "loads the lead", func(ctx context.Context) error {
			st, err := leads.js.Stream(ctx, events.StreamLeads)
			if err != nil {
				return err
			}
			if n := st.CachedInfo().State.Msgs; n != 1 {
				return errors.New("LEADS holds more than the lead leads stored")
			}
			return nil
		})
	})
}

func TestAuthenticationIsRequired(t *testing.T) {
	s := startSecured(t)

	if nc, err := nats.Connect(s.url, nats.Timeout(2*time.Second)); err == nil {
		nc.Close()
		t.Fatal("a connection without credentials was accepted")
	} else if !errors.Is(err, nats.ErrAuthorization) {
		t.Errorf("without credentials: %v, want an authorization violation", err)
	}

	// A wrong password fails fast, and neither the error nor the log shows it.
	logs := &syncBuffer{}
	log := slog.New(slog.NewTextHandler(logs, nil))
	const wrong = "wrong-password-c0ffee"
	began := time.Now()
	_, _, err := natsx.Connect(t.Context(), s.url, natsx.ServiceLeads, log, nats.UserInfo(natsx.ServiceLeads, wrong))
	if err == nil {
		t.Fatal("a wrong password was accepted")
	}
	if time.Since(began) > 10*time.Second {
		t.Errorf("refused credentials took %s to report", time.Since(began))
	}
	if !strings.Contains(err.Error(), natsx.EnvPasswordFile) {
		t.Errorf("error does not say where credentials come from: %v", err)
	}
	withURL := strings.Replace(s.url, "nats://", "nats://leads:"+wrong+"@", 1)
	_, _, err2 := natsx.Connect(t.Context(), withURL, natsx.ServiceLeads, log)
	if err2 == nil {
		t.Fatal("a wrong password in the URL was accepted")
	}
	for _, text := range []string{err.Error(), err2.Error(), logs.String()} {
		if strings.Contains(text, wrong) {
			t.Errorf("the password shows: %s", text)
		}
	}
	t.Log(err2)

	// Another service's password does not open this service's user.
	if _, _, err := natsx.Connect(t.Context(), s.url, natsx.ServiceLeads, obs.Discard(),
		nats.UserInfo(natsx.ServiceLeads, s.passwords[natsx.ServiceIngest])); err == nil {
		t.Error("leads connected with ingest's password")
	}
}

func TestReconnectLogsNoPassword(t *testing.T) {
	pw := natsx.RandomPasswords(natsx.ServiceLeads)
	users, err := natsx.EmbeddedUsers(pw)
	if err != nil {
		t.Fatal(err)
	}
	dir := t.TempDir()
	srv, err := natsx.StartEmbedded(natsx.EmbeddedOptions{StoreDir: dir, Port: -1, Users: users})
	if err != nil {
		t.Fatal(err)
	}
	port := srv.Addr().(*net.TCPAddr).Port
	logs := &syncBuffer{}
	log := slog.New(slog.NewTextHandler(logs, nil))
	url := fmt.Sprintf("nats://leads:%s@127.0.0.1:%d", pw[natsx.ServiceLeads], port)
	nc, _, err := natsx.Connect(t.Context(), url, natsx.ServiceLeads, log, nats.CustomInboxPrefix(natsx.InboxPrefix(natsx.ServiceLeads)))
	if err != nil {
		srv.Shutdown()
		t.Fatal(err)
	}
	defer nc.Close()
	srv.Shutdown()
	srv.WaitForShutdown()
	srv2, err := natsx.StartEmbedded(natsx.EmbeddedOptions{StoreDir: dir, Port: port, Users: users})
	if err != nil {
		t.Fatal(err)
	}
	defer srv2.Shutdown()
	deadline := time.Now().Add(15 * time.Second)
	for !strings.Contains(logs.String(), "nats reconnected") {
		if time.Now().After(deadline) {
			t.Fatalf("no reconnect logged:\n%s", logs.String())
		}
		time.Sleep(50 * time.Millisecond)
	}
	t.Log(logs.String())
	if !strings.Contains(logs.String(), "nats disconnected") {
		t.Errorf("disconnect not logged")
	}
	if strings.Contains(logs.String(), pw[natsx.ServiceLeads]) {
		t.Errorf("the password is in the log")
	}
}

// syncBuffer is a bytes.Buffer the client's callbacks and the test share.
type syncBuffer struct {
	mu sync.Mutex
	b  bytes.Buffer
}

func (s *syncBuffer) Write(p []byte) (int, error) {
	s.mu.Lock()
	defer s.mu.Unlock()
	return s.b.Write(p)
}

func (s *syncBuffer) String() string {
	s.mu.Lock()
	defer s.mu.Unlock()
	return s.b.String()
}
