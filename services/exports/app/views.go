package app

import (
	"strings"

	"econdip/events"
	"econdip/services/platform/command"
	"econdip/services/platform/eventstore"
)

// The exports service's read models: each list's order, filters and search.
var (
	exportersView = eventstore.Shape[events.ExporterV1]{
		Name: "exporters",
		// By name in any case, then BIN.
		Order:   func(e events.ExporterV1) string { return strings.ToLower(e.Name) + "\x00" + e.BIN },
		Columns: []eventstore.Column[events.ExporterV1]{{Name: "region", Of: func(e events.ExporterV1) string { return e.Region }}},
		// The query matches a name (any case) or the start of a BIN: the
		// search narrows to either anywhere, the filter keeps the BIN's start.
		Text:    func(e events.ExporterV1) string { return strings.ToLower(e.Name) + "\x00" + e.BIN },
		Indexes: [][]string{{"region"}},
		Version: 1,
	}
	dealsView = eventstore.Shape[events.DealV1]{
		Name:  "deals",
		Order: func(d events.DealV1) string { return command.NewestFirst(d.UpdatedAt, d.ID) },
		Columns: []eventstore.Column[events.DealV1]{
			{Name: "post", Of: func(d events.DealV1) string { return d.Post }},
			{Name: "stage", Of: func(d events.DealV1) string { return d.Stage }},
			{Name: "buyer_country", Of: func(d events.DealV1) string { return d.BuyerCountry }},
			{Name: "exporter_bin", Of: func(d events.DealV1) string { return d.ExporterBIN }},
			{Name: "buyer_id", Of: func(d events.DealV1) string { return d.BuyerID }},
		},
		Indexes: [][]string{{"post", "stage"}, {"post", "exporter_bin"}, {"stage"}, {"buyer_country"}, {"exporter_bin"}, {"buyer_id"}},
		// 2: the buyer's company (issue 18).
		Version: 2,
	}
	barriersView = eventstore.Shape[events.BarrierV1]{
		Name:  "barriers",
		Order: func(b events.BarrierV1) string { return command.NewestFirst(b.UpdatedAt, b.ID) },
		Columns: []eventstore.Column[events.BarrierV1]{
			{Name: "post", Of: func(b events.BarrierV1) string { return b.Post }},
			{Name: "status", Of: func(b events.BarrierV1) string { return b.Status }},
			{Name: "type", Of: func(b events.BarrierV1) string { return b.Type }},
			{Name: "country", Of: func(b events.BarrierV1) string { return b.Country }},
		},
		Text:    func(b events.BarrierV1) string { return strings.ToLower(b.Title + " " + b.Description) },
		Indexes: [][]string{{"post", "status"}, {"status"}, {"country"}},
		Version: 1,
	}
)
