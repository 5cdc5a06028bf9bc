package app

import (
	"strings"

	"econdip/services/exports/domain"
	"econdip/services/platform/apperr"
	"econdip/services/platform/auth"
)

// HSInfo is an HS 2022 code with its classification under the current
// mapping: the priority sector (empty: none) and whether it counts as a raw
// commodity export.
type HSInfo struct {
	Code, Description, Parent, Section string
	Level                              int
	Sector, SectorName                 string
	Raw                                bool
}

// Classify describes an HS code of any length; a code not in the
// nomenclature keeps only its classification.
func (s *Service) Classify(code string) HSInfo {
	out := HSInfo{Code: code, Raw: s.ref.IsRawHS(code)}
	if h, ok := s.ref.HS(code); ok {
		out.Description, out.Parent, out.Section, out.Level = h.Description, h.Parent, h.Section, h.Level
	}
	if sec, ok := s.ref.SectorForHS(code); ok {
		out.Sector, out.SectorName = sec.Code, sec.NameEN
	}
	return out
}

// SearchHS is the HS code picker: codes whose description contains q or
// whose code starts with it, 6-digit subheadings first, each with its sector
// and raw flag. Every signed-in user may search.
func (s *Service) SearchHS(u auth.User, q string, limit int) ([]HSInfo, error) {
	if u.ID == "" {
		return nil, apperr.E(apperr.Unauthorized, "error.auth_missing")
	}
	var f apperr.Fields
	if len([]rune(strings.TrimSpace(q))) < 2 {
		f.Add("q", "error.too_short", 2)
	}
	if limit == 0 {
		limit = 20
	}
	if limit < 1 || limit > 200 {
		f.Add("limit", "error.range", 1, 200)
	}
	if err := f.Err(); err != nil {
		return nil, err
	}
	out := []HSInfo{}
	// Chapter 99 of the reference list is not HS (three entries): ask for
	// that many more, and leave them out.
	for _, h := range s.ref.SearchHS(q, limit+3) {
		if domain.IsHS2022(h) && len(out) < limit {
			out = append(out, s.Classify(h.Code))
		}
	}
	return out, nil
}
