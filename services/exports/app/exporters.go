package app

import (
	"cmp"
	"context"
	"slices"
	"strings"

	"econdip/events"
	"econdip/services/exports/domain"
	"econdip/services/platform/apperr"
	"econdip/services/platform/auth"
)

// Registration says what RegisterExporter did.
type Registration int

// The outcomes of a registration.
const (
	Registered Registration = iota // a new exporter was recorded
	Existing                       // the BIN was registered already: the registry's record, unchanged
	Updated                        // the registered exporter's name or region changed (the version was named)
)

func canRegister(u auth.User) error {
	if u.Role != auth.Attache && u.Role != auth.Admin {
		return apperr.E(apperr.Forbidden, "error.exporters_write_role")
	}
	return nil
}

func validateExporter(s *Service, in domain.Exporter) error {
	var f apperr.Fields
	domain.CheckBINField(&f, "bin", in.BIN)
	f.Text("name", in.Name, true, 300)
	if in.Region != "" {
		if _, ok := s.ref.Region(in.Region); !ok {
			f.Add("region", "error.unknown_region", in.Region)
		}
	}
	return f.Err()
}

// RegisterExporter records a Kazakh exporter by its BIN (attachés and
// administrators). A BIN is registered once: registering it again without a
// version returns the registry's record unchanged (Existing), so a form can
// register an exporter without first looking it up. With the version the
// caller read, the name and region are changed (Updated), and a stale
// version is a Conflict.
func (s *Service) RegisterExporter(ctx context.Context, u auth.User, version *int, in domain.Exporter) (Exporter, Registration, error) {
	if err := canRegister(u); err != nil {
		return Exporter{}, 0, err
	}
	in.Name, in.Region = strings.TrimSpace(in.Name), strings.TrimSpace(in.Region)
	if err := validateExporter(s, in); err != nil {
		return Exporter{}, 0, err
	}
	rec, err := s.exporters.Load(ctx, in.BIN)
	switch {
	case err != nil && apperr.CodeOf(err) == apperr.NotFound:
		if version != nil {
			return Exporter{}, 0, apperr.E(apperr.NotFound, "error.not_found", in.BIN)
		}
		return s.createExporter(ctx, u, in)
	case err != nil:
		return Exporter{}, 0, err
	}
	cur := exporterFromEvent(rec.State)
	if version == nil {
		return cur, Existing, nil
	}
	if *version != cur.Version {
		return Exporter{}, 0, apperr.E(apperr.Conflict, "error.version", *version, cur.Version)
	}
	if cur.Name == in.Name && cur.Region == in.Region {
		return cur, Existing, nil
	}
	now := s.stamp()
	cur.Name, cur.Region, cur.UpdatedAt = in.Name, in.Region, now
	cur.Version++
	ev := events.ExporterRegisteredV1{Exporter: exporterToEvent(cur)}
	env, err := s.envelope(u, "", "exporter/"+cur.BIN, u.Scope(), ev, now)
	if err != nil {
		return Exporter{}, 0, err
	}
	stored, err := s.exporters.Append(ctx, cur.BIN, rec.Seq, env, ev)
	if err != nil {
		return Exporter{}, 0, err
	}
	s.eview.Put(stored)
	return exporterFromEvent(stored.State), Updated, nil
}

func (s *Service) createExporter(ctx context.Context, u auth.User, in domain.Exporter) (Exporter, Registration, error) {
	now := s.stamp()
	e := Exporter{BIN: in.BIN, Version: 1, Name: in.Name, Region: in.Region, RegisteredBy: u.ID, CreatedAt: now, UpdatedAt: now}
	ev := events.ExporterRegisteredV1{Exporter: exporterToEvent(e)}
	env, err := s.envelope(u, "", "exporter/"+e.BIN, u.Scope(), ev, now)
	if err != nil {
		return Exporter{}, 0, err
	}
	rec, _, err := s.exporters.Create(ctx, e.BIN, env, ev)
	if apperr.CodeOf(err) == apperr.Conflict {
		// Someone registered the BIN in the meantime: theirs is the record.
		if rec, err := s.exporters.Load(ctx, e.BIN); err == nil {
			s.eview.Put(rec)
			return exporterFromEvent(rec.State), Existing, nil
		}
	}
	if err != nil {
		return Exporter{}, 0, err
	}
	s.eview.Put(rec)
	return exporterFromEvent(rec.State), Registered, nil
}

// Exporter returns a registered exporter by BIN.
func (s *Service) Exporter(ctx context.Context, u auth.User, bin string) (Exporter, error) {
	if err := canReadAny(u); err != nil {
		return Exporter{}, err
	}
	// A BIN that fails its rules is no record; checking first also keeps
	// wildcards out of the subject.
	if domain.CheckBIN(bin) != domain.BINOK {
		return Exporter{}, apperr.E(apperr.NotFound, "error.not_found", bin)
	}
	rec, err := s.exporters.Load(ctx, bin)
	if err != nil {
		return Exporter{}, err
	}
	return exporterFromEvent(rec.State), nil
}

// ExporterFilter narrows the registry.
type ExporterFilter struct {
	Query  string // in the name (any case) or the start of the BIN
	Region string
	Limit  int
	Offset int
}

// Exporters lists registered exporters by name.
func (s *Service) Exporters(u auth.User, f ExporterFilter) ([]Exporter, int, error) {
	if err := canReadAny(u); err != nil {
		return nil, 0, err
	}
	var fe apperr.Fields
	page(&fe, &f.Limit, &f.Offset)
	if err := fe.Err(); err != nil {
		return nil, 0, err
	}
	q := strings.ToLower(strings.TrimSpace(f.Query))
	recs := s.eview.Select(func(e events.ExporterV1) bool {
		return (f.Region == "" || e.Region == f.Region) &&
			(q == "" || strings.HasPrefix(e.BIN, q) || strings.Contains(strings.ToLower(e.Name), q))
	})
	out := make([]Exporter, len(recs))
	for i, r := range recs {
		out[i] = exporterFromEvent(r.State)
	}
	slices.SortFunc(out, func(a, b Exporter) int {
		if c := cmp.Compare(strings.ToLower(a.Name), strings.ToLower(b.Name)); c != 0 {
			return c
		}
		return cmp.Compare(a.BIN, b.BIN)
	})
	total := len(out)
	out = out[min(f.Offset, total):min(f.Offset+f.Limit, total)]
	return out, total, nil
}
