package events_test

import (
	"errors"
	"testing"

	"econdip/events"
)

// Finding 9 of issue 13: ids from URLs went into subjects as they were, so
// "*" named every commission. The builders now refuse any token outside
// [A-Za-z0-9_-]; the subjects of valid ids are those stored since the start.
func TestFinding9_WildcardIdsNeverReachJetStream(t *testing.T) {
	bad := []string{"*", ">", "a.b", "a*", "a>b", "%2A", "a b", "", " ", "a\tb", "a/b", "é", "a\x00", string(make([]byte, 129))}
	builders := map[string]func(string) (string, error){
		"lead":               events.LeadSubject,
		"commission":         events.CommissionSubject,
		"session":            func(id string) (string, error) { return events.SessionSubject("igc-cn", id) },
		"session commission": func(id string) (string, error) { return events.SessionSubject(id, "s1") },
		"decision":           func(id string) (string, error) { return events.DecisionSubject("igc-cn", id) },
		"decision commission": func(id string) (string, error) {
			return events.DecisionSubject(id, "d1")
		},
		"exporter": events.ExporterSubject,
		"deal":     events.DealSubject,
		"barrier":  events.BarrierSubject,
	}
	for name, build := range builders {
		for _, id := range bad {
			if s, err := build(id); err == nil || !errors.Is(err, events.ErrBadID) {
				t.Errorf("%s subject of %q = %q, %v; want ErrBadID", name, id, s, err)
			}
		}
	}
	// A user id is dot-separated tokens: the dots are allowed, each token checked.
	for _, id := range []string{"*", ">", "attache.*", "attache.>", "a..b", ".a", "a.", "", "a b", "a.%2A"} {
		if s, err := events.UserSubject(id); !errors.Is(err, events.ErrBadID) {
			t.Errorf("UserSubject(%q) = %q, %v; want ErrBadID", id, s, err)
		}
	}
	// Valid ids give the subjects records have always been stored under.
	good := []struct {
		got  func() (string, error)
		want string
	}{
		{func() (string, error) { return events.LeadSubject("0b9a6c1e-7d3f-4e2a-9c1b-5f8e7d6c5b4a") }, "econdip.leads.0b9a6c1e-7d3f-4e2a-9c1b-5f8e7d6c5b4a"},
		{func() (string, error) { return events.CommissionSubject("igc-cn") }, "econdip.commissions.igc-cn.commission"},
		{func() (string, error) { return events.SessionSubject("igc-cn", "s1") }, "econdip.commissions.igc-cn.session.s1"},
		{func() (string, error) { return events.DecisionSubject("igc-cn", "d1") }, "econdip.commissions.igc-cn.decision.d1"},
		{func() (string, error) { return events.ExporterSubject("123456789012") }, "econdip.exports.exporter.123456789012"},
		{func() (string, error) { return events.DealSubject("x_1") }, "econdip.exports.deal.x_1"},
		{func() (string, error) { return events.BarrierSubject("B-1") }, "econdip.exports.barrier.B-1"},
		{func() (string, error) { return events.UserSubject("attache.de-berlin") }, "econdip.users.attache.de-berlin"},
		{func() (string, error) { return events.UserSubject("admin") }, "econdip.users.admin"},
	}
	for _, g := range good {
		if s, err := g.got(); err != nil || s != g.want {
			t.Errorf("got %q, %v; want %q", s, err, g.want)
		}
	}
	// The follow subjects are constants, and they match what the builders make.
	for _, f := range []struct{ filter, subject string }{
		{events.AllLeads, good[0].want}, {events.AllCommissions, good[1].want}, {events.AllSessions, good[2].want},
		{events.AllDecisions, good[3].want}, {events.AllExporters, good[4].want}, {events.AllDeals, good[5].want},
		{events.AllBarriers, good[6].want}, {events.AllUsers, good[7].want},
	} {
		if !matches(f.filter, f.subject) {
			t.Errorf("%s does not match %s", f.filter, f.subject)
		}
	}
}

// matches is NATS subject matching: '*' one token, '>' the rest.
func matches(filter, subject string) bool {
	ft, st := split(filter), split(subject)
	for i, f := range ft {
		if f == ">" {
			return len(st) > i
		}
		if i >= len(st) || (f != "*" && f != st[i]) {
			return false
		}
	}
	return len(ft) == len(st)
}

func split(s string) []string {
	var out []string
	start := 0
	for i := 0; i <= len(s); i++ {
		if i == len(s) || s[i] == '.' {
			out = append(out, s[start:i])
			start = i + 1
		}
	}
	return out
}

func TestWorkSubjectsAreUnderTheirRecord(t *testing.T) {
	lead := events.WorkRef{Kind: events.WorkOnLead, ID: "l1"}
	for _, tt := range []struct {
		ref        events.WorkRef
		item, id   string
		want, fail string
	}{
		{lead, events.WorkTask, "t1", "econdip.leads.l1.task.t1", ""},
		{events.WorkRef{Kind: events.WorkOnDeal, ID: "d1"}, events.WorkNote, "n1", "econdip.exports.deal.d1.note.n1", ""},
		{events.WorkRef{Kind: events.WorkOnBarrier, ID: "b1"}, events.WorkTask, "t1", "econdip.exports.barrier.b1.task.t1", ""},
		{events.WorkRef{Kind: events.WorkOnDecision, ID: "x1", CommissionID: "igc-cn"}, events.WorkTask, "t1", "econdip.commissions.igc-cn.decision.x1.task.t1", ""},
		{lead, events.WorkDocument, "f1", "econdip.leads.l1.document.f1", ""},
		{events.WorkRef{Kind: events.WorkOnDecision, ID: "x1", CommissionID: "igc-cn"}, events.WorkDocument, "f1", "econdip.commissions.igc-cn.decision.x1.document.f1", ""},
		{lead, events.WorkTask, "*", "", "wildcard id"},
		{events.WorkRef{Kind: events.WorkOnLead, ID: ">"}, events.WorkTask, "t1", "", "wildcard record"},
		{lead, "comment", "t1", "", "unknown item"},
		{events.WorkRef{Kind: "exporter", ID: "e1"}, events.WorkTask, "t1", "", "unknown kind"},
	} {
		got, err := events.WorkSubject(tt.ref, tt.item, tt.id)
		if (err != nil) != (tt.fail != "") || got != tt.want {
			t.Errorf("%+v %s %s: %q, %v; want %q (fails: %q)", tt.ref, tt.item, tt.id, got, err, tt.want, tt.fail)
		}
	}
}
