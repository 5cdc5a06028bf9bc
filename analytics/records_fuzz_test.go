package analytics

import (
	"strings"
	"testing"
)

// FuzzListOrder: whatever a URL gives as sort key, direction and page, a
// list's ORDER BY names only a column of the list's whitelist, or the list
// refuses it; nothing from the input reaches the SQL but numbers.
//
//	go test -run '^$' -fuzz FuzzListOrder ./analytics/
func FuzzListOrder(f *testing.F) {
	f.Add("leads", "capex", true, 10, 0)
	f.Add("deals", "value; DROP TABLE deal_states", false, 0, 5)
	f.Add("decisions", "", false, 1001, -1)
	f.Fuzz(func(t *testing.T, kind, sort string, desc bool, limit, offset int) {
		order, err := ListPage{Sort: sort, Desc: desc, Limit: limit, Offset: offset}.orderBy(kind)
		if err != nil {
			return
		}
		if _, known := ListSorts[kind]; !known {
			t.Fatalf("no list of %q, yet an order: %q", kind, order)
		}
		col, ok := sortColumns[kind][sort]
		if sort == "" {
			col, ok = sortColumns[kind][ListSorts[kind][0]], true
		}
		if !ok || !strings.HasPrefix(order, "ORDER BY "+col) {
			t.Fatalf("kind %q sort %q gave %q", kind, sort, order)
		}
		if strings.ContainsAny(order, ";'\"") || strings.Contains(order, sort+";") {
			t.Fatalf("input reached the SQL: %q", order)
		}
	})
}
