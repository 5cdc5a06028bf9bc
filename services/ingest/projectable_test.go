package ingest

import (
	"encoding/json"
	"strings"
	"sync/atomic"
	"testing"
	"time"

	"github.com/nats-io/nats.go/jetstream"
	"github.com/shopspring/decimal"

	"econdip/events"
)

func TestProjectable(t *testing.T) {
	deal := events.DealV1{ID: "d-1", Version: 1, Post: "cn-beijing", ExporterBIN: "100000000001", BuyerCountry: "CN", HSCode: "100199",
		Value: events.Money{Amount: decimal.NewFromInt(5), Currency: "USD"}, Stage: "contracted", ContractDate: "2025-03-01",
		CreatedAt: time.Date(2025, 3, 1, 0, 0, 0, 0, time.UTC), UpdatedAt: time.Date(2025, 3, 1, 0, 0, 0, 0, time.UTC)}
	encode := func(d events.DealV1) []byte {
		env, err := events.New(events.Meta{Source: "econdip/exports", Subject: "deal/d-1", Actor: "u", Scope: "post:cn-beijing"}, &events.DealCreatedV1{Deal: d})
		if err != nil {
			t.Fatal(err)
		}
		raw, err := json.Marshal(env)
		if err != nil {
			t.Fatal(err)
		}
		return raw
	}
	old := deal
	old.ContractDate = "1960-01-01"
	for _, tc := range []struct {
		name, want string
		data       []byte
	}{
		{"valid", "", encode(deal)},
		{"not JSON", "envelope", []byte("{oops")},
		{"a day ClickHouse cannot hold", "outside 1970-01-01", encode(old)},
	} {
		t.Run(tc.name, func(t *testing.T) {
			err := Projectable(events.StreamExports, tc.data)
			if (tc.want == "") != (err == nil) || (err != nil && !strings.Contains(err.Error(), tc.want)) {
				t.Errorf("Projectable = %v, want an error with %q", err, tc.want)
			}
		})
	}
}

// progressMsg counts the progress reports of a message.
type progressMsg struct {
	jetstream.Msg
	reports atomic.Int32
}

func (m *progressMsg) InProgress() error { m.reports.Add(1); return nil }

func TestInProgressReportsUntilStopped(t *testing.T) {
	a, b := &progressMsg{}, &progressMsg{}
	stop := inProgress([]jetstream.Msg{a, b}, 10*time.Millisecond)
	time.Sleep(200 * time.Millisecond)
	stop()
	n := a.reports.Load()
	if n < 2 || b.reports.Load() != n {
		t.Fatalf("reports: %d and %d, want the same, at least 2", n, b.reports.Load())
	}
	time.Sleep(30 * time.Millisecond)
	if a.reports.Load() != n {
		t.Errorf("reports went on after stop: %d, then %d", n, a.reports.Load())
	}
}
