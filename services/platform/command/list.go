package command

import (
	"cmp"
	"slices"
	"time"

	"econdip/services/platform/apperr"
	"econdip/services/platform/auth"
	"econdip/services/platform/eventstore"
)

// The size of a page of a list.
const (
	DefaultLimit = 50
	MaxLimit     = 500
)

// Page is the part of a list asked for: Limit records (DefaultLimit when
// 0) from Offset.
type Page struct{ Limit, Offset int }

// Size is the number of records the page holds at most.
func (p Page) Size() int {
	if p.Limit == 0 {
		return DefaultLimit
	}
	return p.Limit
}

// Check adds a field error for a limit or an offset out of range, so that
// the caller reports them with the filter's own.
func (p Page) Check(f *apperr.Fields) {
	if n := p.Size(); n < 1 || n > MaxLimit {
		f.Add("limit", "error.range", 1, MaxLimit)
	}
	if p.Offset < 0 {
		f.Add("offset", "error.range", 0, 1_000_000_000)
	}
}

// Mine narrows a list of records for action a to the user's own: it
// returns own (the user's post or commission) when the user's reach is Own,
// asked otherwise (whatever the filter asked for, "" for all), and refuses a
// role without reach.
func Mine(u auth.User, a auth.Action, own, asked string) (string, error) {
	only, err := auth.OwnOnly(u, a)
	if err != nil {
		return "", err
	}
	if only {
		return own, nil
	}
	return asked, nil
}

// Order compares two records of a list.
type Order[E any] func(a, b eventstore.Record[E]) int

// Newest orders records most recently changed first, then by id, so that
// pages of the same list never overlap.
func Newest[E any](changedAt func(E) time.Time) Order[E] {
	return func(a, b eventstore.Record[E]) int {
		if c := changedAt(b.State).Compare(changedAt(a.State)); c != 0 {
			return c
		}
		return cmp.Compare(a.ID, b.ID)
	}
}

// List returns the page p of the records in the view that pass keep, in
// order, and how many pass in all. p is checked by the caller (Page.Check).
func (k *Kind[E, D]) List(keep func(E) bool, order Order[E], p Page) ([]D, int) {
	recs := k.View.Select(keep)
	slices.SortFunc(recs, order)
	total := len(recs)
	start := min(p.Offset, total)
	recs = recs[start : start+min(p.Size(), total-start)] // no Offset+Size: it may overflow
	out := make([]D, len(recs))
	for i, r := range recs {
		out[i] = k.FromEvent(r.State)
	}
	return out, total
}
