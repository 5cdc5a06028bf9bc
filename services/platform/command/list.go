package command

import (
	"fmt"
	"math"
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
// 0) after the record the cursor After names ("" from the first), skipping
// Offset more. Offsets suit the first pages; a cursor reaches a deep page
// without reading the ones before it.
type Page struct {
	Limit, Offset int
	After         string
}

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

// Listed is a page of a list of domain values.
type Listed[D any] struct {
	Items []D
	Total int    // on every page
	Next  string // the cursor of the next page; "" on the last
}

// List returns the page p of the records of the view that q matches, in
// the view's order. p is checked by the caller (Page.Check); a cursor that
// no page gave is a field error of "cursor".
func (k *Kind[E, D]) List(q eventstore.Query[E], p Page) (Listed[D], error) {
	q.Limit, q.Offset, q.After = p.Size(), p.Offset, p.After
	res, err := k.View.List(q)
	if err == eventstore.ErrCursor {
		var fe apperr.Fields
		fe.Add("cursor", "error.cursor")
		return Listed[D]{}, fe.Err()
	}
	if err != nil {
		return Listed[D]{}, err
	}
	out := Listed[D]{Items: make([]D, len(res.Records)), Total: res.Total, Next: res.Next}
	for i, r := range res.Records {
		out.Items[i] = k.FromEvent(r.State)
	}
	return out, nil
}

// NewestFirst is the order key (eventstore.Shape.Order) of lists that show
// the most recently changed records first, then by id, so that pages of
// the same list never overlap.
func NewestFirst(changedAt time.Time, id string) string {
	return fmt.Sprintf("%019d", math.MaxInt64-changedAt.UnixMicro()) + "\x00" + id
}
