package analytics

import (
	"context"
	"fmt"
	"strings"

	"github.com/ClickHouse/clickhouse-go/v2/lib/driver"
)

// DecisionsForRecords lists the decisions linked to any of the leads or
// deals (a company's page: the decisions that concern its records).
func DecisionsForRecords(ctx context.Context, conn driver.Conn, leadIDs, dealIDs []string) ([]LinkedDecision, error) {
	if len(leadIDs) == 0 && len(dealIDs) == 0 {
		return nil, nil
	}
	// An empty list would be Array(Nothing), which older servers refuse
	// in hasAny: [''] matches no id instead.
	lower := func(ids []string) []string {
		if len(ids) == 0 {
			return []string{""}
		}
		out := make([]string, len(ids))
		for i, id := range ids {
			out[i] = strings.ToLower(id)
		}
		return out
	}
	rows, err := conn.Query(ctx, `SELECT commission_id, toString(decision_id), session_number, item, text, status
		FROM (SELECT * FROM decision_states FINAL) WHERE hasAny(lead_ids, ?) OR hasAny(deal_ids, ?)
		ORDER BY commission_id, session_number, item`, lower(leadIDs), lower(dealIDs))
	if err != nil {
		return nil, fmt.Errorf("decisions for records: %w", err)
	}
	defer rows.Close()
	var out []LinkedDecision
	for rows.Next() {
		var d LinkedDecision
		if err := rows.Scan(&d.CommissionID, &d.DecisionID, &d.SessionNumber, &d.Item, &d.Text, &d.Status); err != nil {
			return nil, fmt.Errorf("decisions for records: %w", err)
		}
		out = append(out, d)
	}
	return out, rows.Err()
}
