package kernel

import (
	"slices"

	"github.com/google/uuid"
)

// IsID reports whether s is a record id: every lead, deal, barrier,
// decision and event is named by a UUID, and an id that is not one cannot
// name a record, so it is refused as a field error before any lookup.
func IsID(s string) bool {
	_, err := uuid.Parse(s)
	return err == nil
}

// Distinct returns the values of list in the order they first appear, each
// once, never nil: the lists people type (ids, HS codes, clauses) are
// stored without repeats, and an empty list is stored as [] not null.
func Distinct(list []string) []string {
	out := []string{}
	for _, s := range list {
		if !slices.Contains(out, s) {
			out = append(out, s)
		}
	}
	return out
}
