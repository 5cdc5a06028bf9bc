package digest_test

import (
	"context"
	"fmt"
	"reflect"
	"testing"

	"econdip/analytics"
	"econdip/services/platform/kernel"
)

// summary is a digest in short lines, to compare with the hand-worked fixture.
func summary(d analytics.DigestData) map[string][]string {
	out := map[string][]string{}
	add := func(k, v string) { out[k] = append(out[k], v) }
	for _, l := range d.NewLeads {
		add("new leads", fmt.Sprintf("%s %s %s", l.Investor, l.Stage, l.EffectiveOn))
	}
	for _, l := range d.MovedLeads {
		add("moved leads", fmt.Sprintf("%s %s→%s %s", l.Investor, l.FromStage, l.Stage, l.EffectiveOn))
	}
	for _, x := range d.NewDeals {
		add("new deals", fmt.Sprintf("%s %s %s", x.Exporter, x.Stage, x.ChangedOn))
	}
	for _, x := range d.MovedDeals {
		add("moved deals", fmt.Sprintf("%s %s %s", x.Exporter, x.Stage, x.ChangedOn))
	}
	for _, x := range d.DueSoon {
		add("due soon", fmt.Sprintf("%s/%s %s", x.CommissionID, x.DecisionID, x.Deadline.Format("2006-01-02")))
	}
	for _, x := range d.Overdue {
		add("overdue", fmt.Sprintf("%s/%s %d", x.CommissionID, x.DecisionID, x.DaysLate))
	}
	for _, x := range d.OverdueTasks {
		add("overdue tasks", fmt.Sprintf("%s %s %s", x.TaskID, x.Due, x.RecordName))
	}
	for _, x := range d.OpenTasks {
		add("open tasks", fmt.Sprintf("%s %s %s", x.TaskID, x.Due, x.RecordName))
	}
	return out
}

func TestDigestQuery(t *testing.T) {
	conn := fixtureConn(t)
	w := kernel.MustDay("2026-12-07")
	for _, tc := range []struct {
		name  string
		scope analytics.DigestScope
		want  map[string][]string
	}{
		{"attaché of de-berlin", analytics.DigestScope{Post: "de-berlin"}, map[string][]string{
			"new leads":     {"Rhein Maschinenbau GmbH contacted 2026-12-01"},
			"moved leads":   {"Alpen Solar AG qualified→negotiating 2026-11-30", "Rhein Maschinenbau GmbH identified→contacted 2026-12-02"},
			"new deals":     {"KazAgro Export LLP negotiating 2026-12-03"},
			"moved deals":   {"Kostanay Mill JSC contracted 2026-12-04"},
			"due soon":      {"igc-de/de-5 2026-12-07", "igc-de/de-1 2026-12-10"},
			"overdue":       {"igc-de/de-3 1"},
			"overdue tasks": {"t1 2026-12-04 Rhein Maschinenbau GmbH: Tractor plant"},
			"open tasks":    {"t2 2026-12-09 KazAgro Export LLP: Durum wheat"},
		}},
		{"secretariat of igc-de", analytics.DigestScope{Commission: "igc-de"}, map[string][]string{
			"new leads":     {"Rhein Maschinenbau GmbH contacted 2026-12-01"},
			"moved leads":   {"Alpen Solar AG qualified→negotiating 2026-11-30", "Rhein Maschinenbau GmbH identified→contacted 2026-12-02"},
			"new deals":     {"KazAgro Export LLP negotiating 2026-12-03"},
			"due soon":      {"igc-de/de-5 2026-12-07", "igc-de/de-1 2026-12-10"},
			"overdue":       {"igc-de/de-3 1"},
			"overdue tasks": {"t5 2026-12-01 igc-de 1/4.3"},
			"open tasks":    {"t4 2026-12-11 igc-de 1/4.1"},
		}},
		{"everything", analytics.DigestScope{}, map[string][]string{
			"new leads":     {"Rhein Maschinenbau GmbH contacted 2026-12-01", "Shaanxi Auto identified 2026-12-03"},
			"moved leads":   {"Alpen Solar AG qualified→negotiating 2026-11-30", "Rhein Maschinenbau GmbH identified→contacted 2026-12-02"},
			"new deals":     {"KazAgro Export LLP negotiating 2026-12-03"},
			"moved deals":   {"Kostanay Mill JSC contracted 2026-12-04"},
			"due soon":      {"igc-de/de-5 2026-12-07", "igc-cn/cn-1 2026-12-08", "igc-de/de-1 2026-12-10"},
			"overdue":       {"igc-de/de-3 1"},
			"overdue tasks": {"t5 2026-12-01 igc-de 1/4.3", "t1 2026-12-04 Rhein Maschinenbau GmbH: Tractor plant"},
			"open tasks":    {"t2 2026-12-09 KazAgro Export LLP: Durum wheat", "t4 2026-12-11 igc-de 1/4.1"},
		}},
	} {
		t.Run(tc.name, func(t *testing.T) {
			d, err := analytics.Digest(context.Background(), conn, tc.scope, w)
			if err != nil {
				t.Fatal(err)
			}
			if got := summary(d); !reflect.DeepEqual(got, tc.want) {
				t.Errorf("digest\n got %q\nwant %q", got, tc.want)
			}
			if d.From.String() != "2026-11-30" || d.To.String() != "2026-12-06" {
				t.Errorf("week %s … %s", d.From, d.To)
			}
		})
	}
}
