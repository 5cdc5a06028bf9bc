// Package domain holds the rules of export deals, Kazakh exporters and trade
// barriers: a valid BIN and HS code, the deal stages and barrier statuses and
// the moves allowed between them. Sector and raw/non-raw are not decided here:
// analytics derive them from the HS code through the editable mapping.
package domain

import (
	"regexp"
	"slices"
	"strings"
	"time"

	"github.com/shopspring/decimal"

	"econdip/services/platform/apperr"
	"econdip/services/platform/i18n"
	"econdip/services/platform/kernel"
	"econdip/services/platform/money"
	"econdip/services/platform/reference"
)

// Stage is where an export deal stands.
type Stage string

// Deal stages, in order, then lost.
const (
	Opportunity Stage = "opportunity"
	Negotiating Stage = "negotiating"
	Contracted  Stage = "contracted"
	Shipped     Stage = "shipped"
	Paid        Stage = "paid"
	Lost        Stage = "lost"
)

// Stages lists every deal stage.
var Stages = []Stage{Opportunity, Negotiating, Contracted, Shipped, Paid, Lost}

// CanMove reports whether a deal may go from one stage to another: forward
// one stage at a time; lost from any stage before paid; paid and lost are final.
func CanMove(from, to Stage) bool {
	if from == Paid || from == Lost || from == to {
		return false
	}
	if to == Lost {
		return true
	}
	fi, ti := slices.Index(Stages, from), slices.Index(Stages, to)
	return fi >= 0 && ti == fi+1
}

// NextStages lists the stages a deal in from may move to.
func NextStages(from Stage) []Stage {
	var out []Stage
	for _, s := range Stages {
		if CanMove(from, s) {
			out = append(out, s)
		}
	}
	return out
}

// Supports are the kinds of help a post gives a deal.
var Supports = []string{"b2b_meeting", "trade_mission", "barrier_removal", "exhibition", "igc", "other"}

// Units of quantity a deal may state.
var Units = []string{"kg", "t", "pcs", "l", "m3", "m2", "m", "kwh", "head", "pair", "set"}

// Deal is an export deal as the attaché sees it.
type Deal struct {
	ID, Post, Attache             string
	Version                       int
	ExporterBIN, ExporterName     string
	BuyerCountry, BuyerName       string
	BuyerID                       string // the buyer's company in the register; "" on older deals
	HSCode, Product               string
	Value                         kernel.Money
	Quantity                      *decimal.Decimal
	Unit                          string
	Stage                         Stage
	LostReason                    string
	Support                       []string
	DecisionID, CommissionID      string
	ContractDate                  kernel.Day // set when contracted
	Clauses                       []string
	CreatedAt, UpdatedAt, StageAt time.Time
}

// DealInput is what an attaché types for a deal.
type DealInput struct {
	ExporterBIN   string
	BuyerID       string // a company of the register: the service fills BuyerName and BuyerCountry from it
	BuyerCountry  string
	BuyerName     string
	HSCode        string
	Product       string
	ValueAmount   string
	ValueCurrency string
	Quantity      string // optional
	Unit          string
	Support       []string
	DecisionID    string // optional: the IGC decision the deal followed from
	CommissionID  string // with DecisionID
	Clauses       []string
}

var hs6 = regexp.MustCompile(`^[0-9]{6}$`)

// CheckHS6 validates a 6-digit HS 2022 subheading against the nomenclature.
func CheckHS6(f *apperr.Fields, ref *reference.Data, field, code string) {
	switch h, ok := ref.HS(code); {
	case code == "":
		f.Add(field, "error.required")
	case !hs6.MatchString(code):
		f.Add(field, "error.hs_format", code)
	case !ok || h.Level != 6 || !IsHS2022(h):
		f.Add(field, "error.hs_unknown", code)
	}
}

// IsHS2022 reports whether a nomenclature entry is a code of the Harmonized
// System itself. The reference file (UN Comtrade's list) also holds chapter
// 99, "commodities not specified according to kind" (99, 9999, 999999): a
// statistical code with no HS section, which no deal or barrier may name.
func IsHS2022(h reference.HSCode) bool { return h.Section != "" }

// binMessages say which BIN rule failed.
var binMessages = map[BINRule]string{
	BINLength:     "error.bin_length",
	BINDigits:     "error.bin_digits",
	BINMonth:      "error.bin_month",
	BINType:       "error.bin_entity_type",
	BINDivision:   "error.bin_division",
	BINCheckDigit: "error.bin_check_digit",
}

// CheckBINField records the failed BIN rule, if any, as a field error.
func CheckBINField(f *apperr.Fields, field, bin string) {
	if bin == "" {
		f.Add(field, "error.required")
		return
	}
	if rule := CheckBIN(bin); rule != BINOK {
		f.Add(field, binMessages[rule], bin)
	}
}

// Validate checks a deal's details; hostCountry is the post's country, which
// must be the buyer's. It returns the parsed value and quantity.
func (in DealInput) Validate(ref *reference.Data, hostCountry string) (kernel.Money, *decimal.Decimal, error) {
	var f apperr.Fields
	CheckBINField(&f, "exporter_bin", in.ExporterBIN)
	switch {
	case in.BuyerCountry == "":
		f.Add("buyer_country", "error.required")
	case !known(ref.Country, in.BuyerCountry):
		f.Add("buyer_country", "error.unknown_country", in.BuyerCountry)
	case in.BuyerCountry != hostCountry:
		f.Add("buyer_country", "error.buyer_not_host", in.BuyerCountry, hostCountry)
	}
	f.Text("buyer_name", in.BuyerName, false, 300)
	f.Text("product", in.Product, false, 300)
	CheckHS6(&f, ref, "hs_code", in.HSCode)
	value := kernel.Money{Currency: in.ValueCurrency}
	value.Amount, _ = money.Parse(&f, "value.amount", in.ValueAmount)
	ref.MoneyCurrency(&f, "value.currency", in.ValueCurrency)
	var qty *decimal.Decimal
	if strings.TrimSpace(in.Quantity) != "" {
		if q, ok := money.Parse(&f, "quantity", in.Quantity); ok {
			qty = &q
		}
		if !slices.Contains(Units, in.Unit) {
			f.Add("unit", "error.one_of", strings.Join(Units, ", "))
		}
	}
	for _, s := range in.Support {
		if !slices.Contains(Supports, s) {
			f.Add("support", "error.one_of", strings.Join(Supports, ", "))
			break
		}
	}
	if (in.DecisionID == "") != (in.CommissionID == "") {
		f.Add("decision_id", "error.decision_needs_commission")
	}
	for _, c := range in.Clauses {
		if _, ok := ref.Clause(c); !ok {
			f.Add("clauses", "error.unknown_clause", c)
			break
		}
	}
	return value, qty, f.Err()
}

func known[T any](lookup func(string) (T, bool), code string) bool {
	_, ok := lookup(code)
	return ok
}

// Move is a request to change a deal's stage.
type Move struct {
	To           Stage
	LostReason   string
	ContractDate string // when moving to contracted; empty: today
	Comment      string
}

// MoveTo changes the deal's stage if allowed; today is the Astana day.
func (d *Deal) MoveTo(m Move, today kernel.Day) error {
	var f apperr.Fields
	if !slices.Contains(Stages, m.To) {
		f.Add("stage", "error.unknown_stage", string(m.To), "opportunity, negotiating, contracted, shipped, paid, lost")
		return f.Err()
	}
	if !CanMove(d.Stage, m.To) {
		next := make([]string, 0, 2)
		for _, s := range NextStages(d.Stage) {
			next = append(next, string(s))
		}
		f.Add("stage", "error.deal_stage_move", i18n.Label{Kind: "deal_stage", Value: string(d.Stage)},
			i18n.Label{Kind: "deal_stage", Value: string(m.To)}, i18n.Labels{Kind: "deal_stage", Values: next})
		return f.Err()
	}
	if m.To == Lost {
		f.Text("lost_reason", m.LostReason, true, 300)
	}
	f.Text("comment", m.Comment, false, 2000)
	var contract kernel.Day
	if m.To == Contracted {
		contract = today
		if m.ContractDate != "" {
			var ok bool
			if contract, ok = f.Day("contract_date", m.ContractDate); ok && contract.After(today) {
				f.Add("contract_date", "error.future_date", m.ContractDate)
			}
		}
	}
	if err := f.Err(); err != nil {
		return err
	}
	d.Stage = m.To
	if m.To == Contracted {
		d.ContractDate = contract
	}
	d.LostReason = ""
	if m.To == Lost {
		d.LostReason = strings.TrimSpace(m.LostReason)
	}
	return nil
}

// uniq is list without repeats, in the order first given (never nil).

// Input is the input that would produce the deal's current details.
func (d Deal) Input() DealInput {
	in := DealInput{
		ExporterBIN: d.ExporterBIN, BuyerID: d.BuyerID, BuyerCountry: d.BuyerCountry, BuyerName: d.BuyerName, HSCode: d.HSCode,
		Product: d.Product, ValueAmount: d.Value.Amount.String(), ValueCurrency: d.Value.Currency, Unit: d.Unit,
		Support: slices.Clone(d.Support), DecisionID: d.DecisionID, CommissionID: d.CommissionID, Clauses: slices.Clone(d.Clauses),
	}
	if d.Quantity != nil {
		in.Quantity = d.Quantity.String()
	}
	return in
}

// Apply puts details that passed Validate into the deal: value and
// quantity as Validate parsed them, and the registered name of the exporter.
func (d *Deal) Apply(in DealInput, value kernel.Money, quantity *decimal.Decimal, exporterName string) {
	d.ExporterBIN, d.ExporterName = in.ExporterBIN, exporterName
	d.BuyerID, d.BuyerCountry, d.BuyerName = in.BuyerID, in.BuyerCountry, strings.TrimSpace(in.BuyerName)
	d.HSCode, d.Product = in.HSCode, strings.TrimSpace(in.Product)
	d.Value, d.Quantity, d.Unit = value, quantity, ""
	if quantity != nil {
		d.Unit = in.Unit
	}
	d.Support, d.Clauses = kernel.Distinct(in.Support), kernel.Distinct(in.Clauses)
	d.DecisionID, d.CommissionID = in.DecisionID, in.CommissionID
}
