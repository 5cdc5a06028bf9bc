package kernel

import "github.com/google/uuid"

// IsID reports whether s is a record id: every lead, deal, barrier,
// decision and event is named by a UUID, and an id that is not one cannot
// name a record, so it is refused as a field error before any lookup.
func IsID(s string) bool {
	_, err := uuid.Parse(s)
	return err == nil
}
