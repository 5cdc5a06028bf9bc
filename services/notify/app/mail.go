package app

import (
	"bytes"
	"context"
	"crypto/tls"
	"encoding/json"
	"errors"
	"fmt"
	"html"
	"strings"
	"time"

	"github.com/nats-io/nats.go/jetstream"
	gomail "github.com/wneessen/go-mail"

	"econdip/events"
	"econdip/services/platform/i18n"
)

// SMTPConfig is the mail server (ECONDIP_SMTP_*).
type SMTPConfig struct {
	Host     string
	Port     int    // default 587 (starttls), 465 (tls), 25 (none)
	TLS      string // none, starttls (default) or tls
	User     string // empty: no authentication
	Password string
	From     string
	// TLSConfig overrides the TLS settings (tests: a private CA).
	TLSConfig *tls.Config
}

// CheckSMTP validates the TLS mode.
func CheckSMTP(c SMTPConfig) error {
	switch c.TLS {
	case "", "none", "starttls", "tls":
	default:
		return fmt.Errorf("ECONDIP_SMTP_TLS=%q: use none, starttls or tls", c.TLS)
	}
	if c.Host != "" && c.From == "" {
		return errors.New("ECONDIP_SMTP_FROM is not set: the notifier needs a sender address to send e-mail")
	}
	return nil
}

// Mail is one e-mail in the outbox. ID is its dedup key: the outbox's
// message id, the sent marker's key and the Message-ID header.
type Mail struct {
	ID         string      `json:"id"`
	To         string      `json:"to"`
	Subject    string      `json:"subject"`
	Text       string      `json:"text"`
	HTML       string      `json:"html,omitempty"`
	Attachment *Attachment `json:"attachment,omitempty"`
}

// Attachment is a file sent with a mail.
type Attachment struct {
	Name string `json:"name"`
	Type string `json:"type"`
	Data []byte `json:"data"`
}

// langOf is the language of a user's mail: their setting, else English
// (the catalogue's first language).
func langOf(u events.UserV1) i18n.Lang {
	if l, ok := i18n.Parse(u.Lang); ok {
		return l
	}
	return i18n.EN
}

// reminderMail renders a reminder in the user's language.
func (s *Service) reminderMail(u events.UserV1, to string, e Entry) Mail {
	lang := langOf(u)
	rule := i18n.T(lang, "notify.rule."+e.Rule)
	what := i18n.T(lang, "notify.kind."+e.Kind)
	day := i18n.Date(lang, e.Day)
	link := strings.TrimSuffix(s.cfg.BaseURL, "/") + e.Link
	subject := i18n.T(lang, "notify.mail.subject", rule, e.Title)
	text := i18n.T(lang, "notify.mail.body", what, e.Title, rule, day) + "\n\n" + link + "\n\n" + i18n.T(lang, "notify.mail.footer") + "\n"
	h := "<p>" + html.EscapeString(i18n.T(lang, "notify.mail.body", what, e.Title, rule, day)) + "</p>" +
		`<p><a href="` + html.EscapeString(link) + `">` + html.EscapeString(link) + "</a></p>" +
		"<p><small>" + html.EscapeString(i18n.T(lang, "notify.mail.footer")) + "</small></p>"
	return Mail{ID: "r." + userKey(u.ID) + "." + e.ID, To: to, Subject: subject, Text: text, HTML: h}
}

// message builds the MIME message of m.
func (c SMTPConfig) message(m Mail) (*gomail.Msg, error) {
	msg := gomail.NewMsg()
	if err := msg.From(c.From); err != nil {
		return nil, fmt.Errorf("ECONDIP_SMTP_FROM %q: %w", c.From, err)
	}
	if err := msg.To(m.To); err != nil {
		return nil, fmt.Errorf("address %q: %w", m.To, err)
	}
	msg.Subject(m.Subject)
	msg.SetMessageIDWithValue(m.ID + "@econdip")
	msg.SetBodyString(gomail.TypeTextPlain, m.Text)
	if m.HTML != "" {
		msg.AddAlternativeString(gomail.TypeTextHTML, m.HTML)
	}
	if a := m.Attachment; a != nil {
		if err := msg.AttachReader(a.Name, bytes.NewReader(a.Data), gomail.WithFileContentType(gomail.ContentType(a.Type))); err != nil {
			return nil, err
		}
	}
	return msg, nil
}

// send delivers m through the SMTP server.
func (c SMTPConfig) send(ctx context.Context, m Mail) error {
	if c.Host == "" {
		return errors.New("no SMTP server configured (ECONDIP_SMTP_HOST)")
	}
	msg, err := c.message(m)
	if err != nil {
		return err
	}
	opts := []gomail.Option{gomail.WithTimeout(30 * time.Second)}
	port := c.Port
	switch c.TLS {
	case "none":
		opts = append(opts, gomail.WithTLSPolicy(gomail.NoTLS))
		port = cmpInt(port, 25)
	case "tls":
		opts = append(opts, gomail.WithSSL())
		port = cmpInt(port, 465)
	default:
		opts = append(opts, gomail.WithTLSPolicy(gomail.TLSMandatory))
		port = cmpInt(port, 587)
	}
	opts = append(opts, gomail.WithPort(port))
	if c.TLSConfig != nil {
		opts = append(opts, gomail.WithTLSConfig(c.TLSConfig))
	}
	if c.User != "" {
		opts = append(opts, gomail.WithSMTPAuth(gomail.SMTPAuthAutoDiscover), gomail.WithUsername(c.User), gomail.WithPassword(c.Password))
	}
	client, err := gomail.NewClient(c.Host, opts...)
	if err != nil {
		return err
	}
	return client.DialAndSendWithContext(ctx, msg)
}

func cmpInt(v, def int) int {
	if v == 0 {
		return def
	}
	return v
}

// The states of a sent marker.
const (
	markSending = "sending"
	markSent    = "sent"
)

// marker is the value of a sent marker.
type marker struct {
	State    string    `json:"state"`
	Instance string    `json:"instance"`
	At       time.Time `json:"at"`
}

// staleClaim is how long a "sending" marker of another instance is
// respected: past it the instance is taken to have stopped mid-send. The
// mail is then sent again: the one case where a mail can go twice is an
// instance that stops between the server's acceptance and the marker's
// update, a few milliseconds.
const staleClaim = 5 * time.Minute

// startSender consumes the outbox with the shared durable consumer.
func (s *Service) startSender(ctx context.Context) (jetstream.ConsumeContext, error) {
	cons, err := s.js.Consumer(ctx, StreamOutbox, ConsumerSender)
	if err != nil {
		return nil, fmt.Errorf("notifier outbox consumer (run `econdip migrate`): %w", err)
	}
	return cons.Consume(func(msg jetstream.Msg) { s.handleMail(ctx, msg) })
}

// handleMail sends one outbox message at most once: a create-only
// "sending" marker claims it (another instance holding a fresh claim makes
// this one wait), a failed send drops the claim and Naks with backoff, a
// sent one is marked "sent" and acknowledged (removed from the queue).
func (s *Service) handleMail(ctx context.Context, msg jetstream.Msg) {
	var m Mail
	if err := json.Unmarshal(msg.Data(), &m); err != nil || m.ID == "" || m.To == "" {
		s.log.Error("outbox message is not an e-mail; dropped", "error", err)
		_ = msg.Term()
		return
	}
	log := s.log.With("mail", m.ID)
	now := time.Now()
	claim, _ := json.Marshal(marker{State: markSending, Instance: s.cfg.Instance, At: now})
	rev, err := s.sent.Create(ctx, m.ID, claim)
	if isExists(err) {
		kve, gerr := s.sent.Get(ctx, m.ID)
		if gerr != nil {
			_ = msg.NakWithDelay(s.cfg.Backoff)
			return
		}
		var mk marker
		_ = json.Unmarshal(kve.Value(), &mk)
		switch {
		case mk.State == markSent:
			metricMails.WithLabelValues("duplicate").Inc()
			_ = msg.Ack()
			return
		case now.Sub(mk.At) < staleClaim:
			_ = msg.NakWithDelay(staleClaim - now.Sub(mk.At))
			return
		}
		log.Warn("taking over an e-mail another instance claimed and did not finish", "instance", mk.Instance)
		if rev, err = s.sent.Update(ctx, m.ID, claim, kve.Revision()); err != nil {
			_ = msg.NakWithDelay(s.cfg.Backoff)
			return
		}
	} else if err != nil {
		_ = msg.NakWithDelay(s.cfg.Backoff)
		return
	}
	sendCtx, cancel := context.WithTimeout(ctx, time.Minute)
	err = s.cfg.SMTP.send(sendCtx, m)
	cancel()
	if err != nil {
		_ = s.sent.Delete(context.Background(), m.ID, jetstream.LastRevision(rev))
		n := uint64(1)
		if meta, merr := msg.Metadata(); merr == nil {
			n = meta.NumDelivered
		}
		delay := s.backoff(n)
		metricMails.WithLabelValues("failed").Inc()
		log.Warn("e-mail not sent; tried again later", "error", err, "attempt", n, "retry_in", delay.String())
		_ = msg.NakWithDelay(delay)
		return
	}
	done, _ := json.Marshal(marker{State: markSent, Instance: s.cfg.Instance, At: time.Now()})
	if _, err := s.sent.Update(context.Background(), m.ID, done, rev); err != nil {
		log.Error("e-mail sent but its sent marker not written", "error", err)
	}
	_ = msg.Ack()
	metricMails.WithLabelValues("sent").Inc()
	log.Info("e-mail sent", "attempt", deliveredOf(msg))
}

func deliveredOf(msg jetstream.Msg) uint64 {
	if meta, err := msg.Metadata(); err == nil {
		return meta.NumDelivered
	}
	return 0
}

// backoff is the delay before attempt n+1: Backoff doubled n-1 times, at most MaxBackoff.
func (s *Service) backoff(n uint64) time.Duration {
	d := s.cfg.Backoff
	for i := uint64(1); i < n && d < s.cfg.MaxBackoff; i++ {
		d *= 2
	}
	return min(d, s.cfg.MaxBackoff)
}
