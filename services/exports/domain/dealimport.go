package domain

import (
	"slices"
	"strings"

	"econdip/services/platform/apperr"
	"econdip/services/platform/kernel"
)

// MaxImportRows bounds the deals of one import file: they are stored in one
// JetStream atomic batch, whose limit is 1000 messages.
const MaxImportRows = 500

// ImportRow is one deal of an import file: what the deal form takes, and
// the stage the deal has reached (a post's spreadsheet holds deals signed,
// shipped or paid already) with its contract date or the reason it was lost.
type ImportRow struct {
	DealInput
	Stage        string // empty: opportunity
	ContractDate string // YYYY-MM-DD; required from contracted on, refused before
	LostReason   string // required for lost
}

// Reach moves a new deal, at opportunity, to the stage the row names, one
// move at a time through MoveTo, so every move's rule applies as it would
// on the deal's page: the contract date is not in the future, a lost deal
// has a reason. A lost deal with a contract date was lost after it was
// contracted. today is the Astana day.
func (d *Deal) Reach(r ImportRow, today kernel.Day) error {
	var f apperr.Fields
	target := Stage(strings.TrimSpace(r.Stage))
	if target == "" {
		target = Opportunity
	}
	if !slices.Contains(Stages, target) {
		f.Add("stage", "error.unknown_stage", string(target), "opportunity, negotiating, contracted, shipped, paid, lost")
		return f.Err()
	}
	contracted := target == Contracted || target == Shipped || target == Paid || (target == Lost && r.ContractDate != "")
	switch {
	case contracted && r.ContractDate == "":
		f.Add("contract_date", "error.required")
	case !contracted && r.ContractDate != "":
		f.Add("contract_date", "error.contract_date_stage")
	}
	if target != Lost && strings.TrimSpace(r.LostReason) != "" {
		f.Add("lost_reason", "error.lost_reason_stage")
	}
	if err := f.Err(); err != nil {
		return err
	}
	// The stages before the target (before contracted for a deal lost after
	// its contract, none for one lost before), then the target.
	end := target
	if target == Lost {
		end = Opportunity
		if contracted {
			end = Contracted
		}
	}
	path := slices.Clone(Stages[1 : slices.Index(Stages, end)+1])
	if target == Lost {
		path = append(path, Lost)
	}
	for _, s := range path {
		m := Move{To: s}
		if s == Contracted {
			m.ContractDate = r.ContractDate
		}
		if s == Lost {
			m.LostReason = r.LostReason
		}
		if err := d.MoveTo(m, today); err != nil {
			return err
		}
	}
	return nil
}
