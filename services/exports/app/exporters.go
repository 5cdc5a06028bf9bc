package app

import (
	"context"
	"strings"
	"time"

	"econdip/events"
	"econdip/services/exports/domain"
	"econdip/services/platform/apperr"
	"econdip/services/platform/auth"
	"econdip/services/platform/command"
	"econdip/services/platform/eventstore"
)

// Registration says what RegisterExporter did.
type Registration int

// The outcomes of a registration.
const (
	Registered Registration = iota // a new exporter was recorded
	Existing                       // the BIN was registered already: the registry's record, unchanged
	Updated                        // the registered exporter's name or region changed (the version was named)
)

// RegisterExporter records a Kazakh exporter by its BIN (attachés and
// administrators). A BIN is registered once: registering it again without a
// version returns the registry's record unchanged (Existing), so a form can
// register an exporter without first looking it up. With the version the
// caller read, the name and region are changed (Updated), and a stale
// version is a Conflict.
func (s *Service) RegisterExporter(ctx context.Context, u auth.User, version *int, in domain.ExporterInput) (domain.Exporter, Registration, error) {
	if err := auth.Allow(u, auth.WriteExporters); err != nil {
		return domain.Exporter{}, 0, err
	}
	in = in.Trimmed()
	if err := in.Validate(s.ref); err != nil {
		return domain.Exporter{}, 0, err
	}
	if version != nil {
		what := Existing
		e, err := s.exporters.Change(ctx, u, auth.WriteExporters, in.BIN, *version, func(e *domain.Exporter, _ time.Time) (command.Event[events.ExporterV1], error) {
			if !e.Rename(in) {
				return nil, nil
			}
			what = Updated
			return func(st events.ExporterV1) events.Event { return events.ExporterRegisteredV1{Exporter: st} }, nil
		})
		if err != nil {
			return domain.Exporter{}, 0, err
		}
		return e, what, nil
	}
	cur, err := s.exporters.Get(ctx, u, auth.WriteExporters, in.BIN)
	if apperr.CodeOf(err) != apperr.NotFound {
		return cur, Existing, err
	}
	e, _, err := s.exporters.Create(ctx, u, auth.WriteExporters, command.New{ID: in.BIN},
		func(bin string, now time.Time) (domain.Exporter, command.Event[events.ExporterV1], error) {
			return domain.NewExporter(in, u.ID, now), func(st events.ExporterV1) events.Event { return events.ExporterRegisteredV1{Exporter: st} }, nil
		})
	if apperr.CodeOf(err) == apperr.Conflict {
		// Someone registered the BIN in the meantime: theirs is the record.
		if cur, err := s.exporters.Get(ctx, u, auth.WriteExporters, in.BIN); err == nil {
			return cur, Existing, nil
		}
	}
	if err != nil {
		return domain.Exporter{}, 0, err
	}
	return e, Registered, nil
}

// Exporter returns a registered exporter by BIN.
func (s *Service) Exporter(ctx context.Context, u auth.User, bin string) (domain.Exporter, error) {
	return s.exporters.Get(ctx, u, auth.ReadExporters, bin)
}

// ExporterFilter narrows the registry.
type ExporterFilter struct {
	Query  string // in the name (any case) or the start of the BIN
	Region string
	Limit  int
	Offset int
	Cursor string // the next page of an earlier answer
}

// Exporters lists registered exporters by name.
func (s *Service) Exporters(u auth.User, f ExporterFilter) (command.Listed[domain.Exporter], error) {
	if err := auth.Allow(u, auth.ReadExporters); err != nil {
		return command.Listed[domain.Exporter]{}, err
	}
	var fe apperr.Fields
	p := command.Page{Limit: f.Limit, Offset: f.Offset, After: f.Cursor}
	p.Check(&fe)
	if err := fe.Err(); err != nil {
		return command.Listed[domain.Exporter]{}, err
	}
	q := eventstore.Query[events.ExporterV1]{Match: map[string]string{"region": f.Region}, Text: strings.ToLower(strings.TrimSpace(f.Query))}
	if q.Text != "" {
		q.Keep = func(e events.ExporterV1) bool {
			return strings.HasPrefix(e.BIN, q.Text) || strings.Contains(strings.ToLower(e.Name), q.Text)
		}
	}
	return s.exporters.List(q, p)
}
