package digest

import (
	"bytes"
	"context"
	"embed"
	"fmt"
	"html/template"
	"strings"

	"github.com/ClickHouse/clickhouse-go/v2/lib/driver"

	"econdip/analytics"
	"econdip/services/platform/auth"
	"econdip/services/platform/i18n"
	"econdip/services/platform/kernel"
)

// ScopeOf is what a user's digest and calendar cover: an attaché's post, a
// secretariat's commission, everything for analysts and administrators
// (heads of department sign in as analysts).
func ScopeOf(u auth.User) analytics.DigestScope {
	switch u.Role {
	case auth.Attache:
		return analytics.DigestScope{Post: u.Post}
	case auth.Secretariat:
		return analytics.DigestScope{Commission: u.Commission}
	}
	return analytics.DigestScope{}
}

// WeekOf is the Monday on or before day: the digest sent on a Monday
// reports the week before it, and the one downloaded on a Wednesday is
// that Monday's.
func WeekOf(day kernel.Day) kernel.Day {
	back := (int(day.Time().Weekday()) + 6) % 7 // Monday 0 … Sunday 6
	return day.AddDays(-back)
}

// Build is the digest of user's scope for the week before weekStart (a
// Monday): the e-mail's subject, its HTML body and the PDF to attach, in
// lang (kk, ru or en; anything else is English). baseURL is the
// dashboard's address for links to the records ("" for none). The
// notifier calls it for every user each Monday; the dashboard for a
// download.
func Build(ctx context.Context, conn driver.Conn, user auth.User, weekStart kernel.Day, lang, baseURL string) (subject, html string, pdf []byte, err error) {
	data, err := analytics.Digest(ctx, conn, ScopeOf(user), weekStart)
	if err != nil {
		return "", "", nil, fmt.Errorf("digest for %s: %w", user.ID, err)
	}
	return Render(data, user, lang, baseURL)
}

// Render is Build for data already read.
func Render(data analytics.DigestData, user auth.User, lang, baseURL string) (subject, html string, pdf []byte, err error) {
	l, ok := i18n.Parse(lang)
	if !ok {
		l = i18n.EN
	}
	v := newView(data, user, l, baseURL)
	var b bytes.Buffer
	if err := pageTemplate.Execute(&b, v); err != nil {
		return "", "", nil, fmt.Errorf("digest HTML: %w", err)
	}
	pdf, err = renderPDF(v)
	if err != nil {
		return "", "", nil, fmt.Errorf("digest PDF: %w", err)
	}
	return v.Subject, b.String(), pdf, nil
}

// view is a digest as both renderings show it: every string already in
// the user's language.
type view struct {
	Lang     string
	Subject  string
	Title    string
	Week     string
	Scope    string
	Sections []section
	NoTitles string
	Attached string
}

type section struct {
	Heading string
	Count   string // e.g. "3 tasks"; empty for sections that are not tasks
	None    string // shown when Lines is empty
	Lines   []line
}

type line struct {
	Text   string
	Detail string
	Link   string // absolute address of the record's page, or empty
}

func newView(d analytics.DigestData, u auth.User, l i18n.Lang, baseURL string) view {
	t := func(key string, args ...any) string { return i18n.T(l, key, args...) }
	day := func(x kernel.Day) string { return i18n.Date(l, x.String()) }
	v := view{
		Lang:     string(l),
		Subject:  t("digest.subject", day(d.From), day(d.To)),
		Title:    t("digest.title"),
		Week:     t("digest.week", day(d.From), day(d.To), day(d.WeekStart)),
		NoTitles: t("digest.no_titles"),
		Attached: t("digest.attached"),
	}
	switch {
	case d.Scope.Post != "":
		v.Scope = t("digest.scope.post", d.Scope.Post)
	case d.Scope.Commission != "":
		v.Scope = t("digest.scope.commission", d.Scope.Commission)
	default:
		v.Scope = t("digest.scope.all")
	}
	link := func(kind, id string) string {
		if baseURL == "" {
			return ""
		}
		base := strings.TrimRight(baseURL, "/")
		switch {
		case u.Role == auth.Attache && kind == "lead":
			return base + "/attache/leads/" + id
		case u.Role == auth.Attache && kind == "deal":
			return base + "/attache/deals/" + id
		case u.Role == auth.Attache && kind == "barrier":
			return base + "/attache/barriers/" + id
		case u.Role == auth.Secretariat && kind == "decision":
			return base + "/secretariat/decisions/" + id
		}
		return ""
	}
	leadLines := func(leads []analytics.DigestLead) []line {
		var out []line
		for _, x := range leads {
			what := t("enum.lead_stage." + x.Stage)
			if x.FromStage != "" {
				what = t("digest.moved", t("enum.lead_stage."+x.FromStage), what)
			}
			out = append(out, line{Text: x.Investor + ": " + x.Title, Detail: what + " · " + day(x.EffectiveOn), Link: link("lead", x.LeadID)})
		}
		return out
	}
	dealLines := func(deals []analytics.DigestDeal) []line {
		var out []line
		for _, x := range deals {
			out = append(out, line{Text: x.Exporter + ": " + x.Product + " (" + x.BuyerCountry + ")",
				Detail: t("enum.deal_stage."+x.Stage) + " · " + day(x.ChangedOn), Link: link("deal", x.DealID)})
		}
		return out
	}
	decisionLines := func(ds []analytics.LateDecision, overdue bool) []line {
		var out []line
		for _, x := range ds {
			detail := t("digest.deadline", i18n.DateOf(l, x.Deadline))
			if overdue {
				detail += " · " + i18n.TN(l, "digest.days_late", int(x.DaysLate), i18n.Int(l, int64(x.DaysLate)))
			}
			text := t("digest.decision", x.CommissionID, x.SessionNumber, x.Item)
			if s := shorten(x.Text, 140); s != "" {
				text += ": " + s
			}
			out = append(out, line{Text: text, Detail: detail, Link: link("decision", x.DecisionID)})
		}
		return out
	}
	taskLines := func(ts []analytics.DigestTask) []line {
		var out []line
		for _, x := range ts {
			name := x.RecordName
			if name == "" {
				name = t("digest.unnamed_record", x.RecordID)
			}
			out = append(out, line{Text: t("digest.kind."+x.RecordKind) + ": " + name,
				Detail: t("digest.due_on", day(x.Due)) + " · " + t("digest.assignee", x.Assignee), Link: link(x.RecordKind, x.RecordID)})
		}
		return out
	}
	none := t("digest.none")
	v.Sections = []section{
		{Heading: t("digest.overdue"), None: none, Lines: decisionLines(d.Overdue, true)},
		{Heading: t("digest.overdue_tasks"), None: none, Count: i18n.TN(l, "digest.tasks_count", len(d.OverdueTasks), i18n.Int(l, int64(len(d.OverdueTasks)))), Lines: taskLines(d.OverdueTasks)},
		{Heading: t("digest.due_soon"), None: none, Lines: decisionLines(d.DueSoon, false)},
		{Heading: t("digest.open_tasks"), None: none, Count: i18n.TN(l, "digest.tasks_count", len(d.OpenTasks), i18n.Int(l, int64(len(d.OpenTasks)))), Lines: taskLines(d.OpenTasks)},
		{Heading: t("digest.new_leads"), None: none, Lines: leadLines(d.NewLeads)},
		{Heading: t("digest.moved_leads"), None: none, Lines: leadLines(d.MovedLeads)},
		{Heading: t("digest.new_deals"), None: none, Lines: dealLines(d.NewDeals)},
		{Heading: t("digest.moved_deals"), None: none, Lines: dealLines(d.MovedDeals)},
	}
	return v
}

// shorten cuts s to at most n runes at a word boundary, with an ellipsis.
func shorten(s string, n int) string {
	s = strings.Join(strings.Fields(s), " ")
	r := []rune(s)
	if len(r) <= n {
		return s
	}
	cut := string(r[:n])
	if i := strings.LastIndex(cut, " "); i > n/2 {
		cut = cut[:i]
	}
	return cut + "…"
}

//go:embed digest.html
var templateFiles embed.FS

var pageTemplate = template.Must(template.ParseFS(templateFiles, "digest.html"))
