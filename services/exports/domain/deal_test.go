package domain

import (
	"errors"
	"fmt"
	"strings"
	"testing"

	"econdip/services/platform/apperr"
	"econdip/services/platform/kernel"
	"econdip/services/platform/reference"
)

// fieldKeys lists an error's field errors as "field=key", sorted by field.
func fieldKeys(err error) string {
	var ae *apperr.Error
	if !errors.As(err, &ae) {
		return fmt.Sprintf("not an apperr: %v", err)
	}
	var out []string
	for _, f := range ae.Fields {
		out = append(out, f.Field+"="+f.Key)
	}
	return strings.Join(out, ",")
}

// firstMessage is the English message of an error's first field error.
func firstMessage(err error) string {
	var ae *apperr.Error
	if !errors.As(err, &ae) || len(ae.Fields) == 0 {
		return fmt.Sprintf("no field error: %v", err)
	}
	return ae.Fields[0].Message
}

func TestDealStageMoves(t *testing.T) {
	// Every pair of stages: forward one at a time, lost from any stage
	// before paid, paid and lost final, never to the same stage.
	allowed := map[Stage][]Stage{
		Opportunity: {Negotiating, Lost},
		Negotiating: {Contracted, Lost},
		Contracted:  {Shipped, Lost},
		Shipped:     {Paid, Lost},
		Paid:        {},
		Lost:        {},
	}
	for _, from := range Stages {
		for _, to := range Stages {
			want := false
			for _, a := range allowed[from] {
				want = want || a == to
			}
			if got := CanMove(from, to); got != want {
				t.Errorf("CanMove(%s, %s) = %v, want %v", from, to, got, want)
			}
		}
		if got, want := fmt.Sprint(NextStages(from)), fmt.Sprint(allowed[from]); got != want {
			t.Errorf("NextStages(%s) = %s, want %s", from, got, want)
		}
	}
	if CanMove("dreaming", Negotiating) || CanMove(Opportunity, "dreaming") {
		t.Error("an unknown stage moves nowhere")
	}
}

func TestDealMoveTo(t *testing.T) {
	today := kernel.MustDay("2026-05-20")
	cases := []struct {
		name     string
		from     Stage
		move     Move
		fields   string // expected field errors; "" for success
		stage    Stage
		contract string
		lost     string
	}{
		{"forward", Opportunity, Move{To: Negotiating}, "", Negotiating, "", ""},
		{"contracted today by default", Negotiating, Move{To: Contracted}, "", Contracted, today.String(), ""},
		{"contracted on a past day", Negotiating, Move{To: Contracted, ContractDate: "2026-04-30"}, "", Contracted, "2026-04-30", ""},
		{"contract in the future", Negotiating, Move{To: Contracted, ContractDate: "2026-05-21"}, "contract_date=error.future_date", Negotiating, "", ""},
		{"contract date not a date", Negotiating, Move{To: Contracted, ContractDate: "30.04.2026"}, "contract_date=error.date", Negotiating, "", ""},
		{"skipping a stage", Opportunity, Move{To: Contracted}, "stage=error.deal_stage_move", Opportunity, "", ""},
		{"backwards", Shipped, Move{To: Contracted}, "stage=error.deal_stage_move", Shipped, "", ""},
		{"lost needs a reason", Negotiating, Move{To: Lost}, "lost_reason=error.required", Negotiating, "", ""},
		{"lost with a reason", Negotiating, Move{To: Lost, LostReason: "  buyer chose a Russian supplier "}, "", Lost, "", "buyer chose a Russian supplier"},
		{"paid is final", Paid, Move{To: Lost, LostReason: "x"}, "stage=error.deal_stage_move", Paid, "", ""},
		{"lost is final", Lost, Move{To: Opportunity}, "stage=error.deal_stage_move", Lost, "", ""},
		{"unknown stage", Opportunity, Move{To: "won"}, "stage=error.unknown_stage", Opportunity, "", ""},
	}
	for _, tc := range cases {
		t.Run(tc.name, func(t *testing.T) {
			d := Deal{Stage: tc.from}
			err := d.MoveTo(tc.move, today)
			if tc.fields == "" && err != nil {
				t.Fatalf("refused: %v", err)
			}
			if tc.fields != "" && fieldKeys(err) != tc.fields {
				t.Fatalf("errors %q, want %q", fieldKeys(err), tc.fields)
			}
			if d.Stage != tc.stage || d.ContractDate.String() != tc.contract || d.LostReason != tc.lost {
				t.Fatalf("deal after the move: stage %s contract %q lost %q", d.Stage, d.ContractDate, d.LostReason)
			}
		})
	}
	// The message of a refused move names the stages allowed, or says it is final.
	d := Deal{Stage: Opportunity}
	if msg := firstMessage(d.MoveTo(Move{To: Paid}, today)); !strings.Contains(msg, "from Opportunity it can move to: Negotiating, Lost") {
		t.Errorf("message %q does not name the allowed stages", msg)
	}
	d = Deal{Stage: Paid}
	if msg := firstMessage(d.MoveTo(Move{To: Lost, LostReason: "x"}, today)); !strings.Contains(msg, "none (it is final)") {
		t.Errorf("message %q does not say paid is final", msg)
	}
	// The contract date stays through shipping and payment.
	d = Deal{Stage: Negotiating}
	for _, m := range []Move{{To: Contracted, ContractDate: "2026-03-01"}, {To: Shipped}, {To: Paid}} {
		if err := d.MoveTo(m, today); err != nil {
			t.Fatal(err)
		}
	}
	if d.ContractDate.String() != "2026-03-01" {
		t.Errorf("contract date after payment = %q", d.ContractDate)
	}
}

func TestDealInputValidate(t *testing.T) {
	ref := reference.Default()
	good := DealInput{ExporterBIN: "990340004592", BuyerCountry: "DE", BuyerName: "Hamburg Metall AG", HSCode: "760110",
		ValueAmount: "1250000.50", ValueCurrency: "USD", Quantity: "500", Unit: "t", Support: []string{"b2b_meeting"}, Clauses: []string{"2.2"}}
	value, qty, err := good.Validate(ref, "DE")
	if err != nil || value.Amount.String() != "1250000.5" || value.Currency != "USD" || qty == nil || qty.String() != "500" {
		t.Fatalf("valid deal: %v %v %v", value, qty, err)
	}
	cases := []struct {
		name   string
		edit   func(*DealInput)
		fields string
	}{
		{"check digit", func(in *DealInput) { in.ExporterBIN = "990340004593" }, "exporter_bin=error.bin_check_digit"},
		{"BIN of 11 digits", func(in *DealInput) { in.ExporterBIN = "99034000459" }, "exporter_bin=error.bin_length"},
		{"no BIN", func(in *DealInput) { in.ExporterBIN = "" }, "exporter_bin=error.required"},
		{"buyer outside the host country", func(in *DealInput) { in.BuyerCountry = "CN" }, "buyer_country=error.buyer_not_host"},
		{"unknown buyer country", func(in *DealInput) { in.BuyerCountry = "XX" }, "buyer_country=error.unknown_country"},
		{"HS code not in the nomenclature", func(in *DealInput) { in.HSCode = "999999" }, "hs_code=error.hs_unknown"},
		{"HS heading, not a subheading", func(in *DealInput) { in.HSCode = "7601" }, "hs_code=error.hs_format"},
		{"value in exponent notation", func(in *DealInput) { in.ValueAmount = "1e309" }, "value.amount=error.exponent"},
		{"value with a decimal comma", func(in *DealInput) { in.ValueAmount = "12,5" }, "value.amount=error.decimal_comma"},
		{"negative value", func(in *DealInput) { in.ValueAmount = "-1" }, "value.amount=error.negative"},
		{"unknown currency", func(in *DealInput) { in.ValueCurrency = "XYZ" }, "value.currency=error.unknown_currency"},
		{"no currency", func(in *DealInput) { in.ValueCurrency = "" }, "value.currency=error.required"},
		{"quantity without a known unit", func(in *DealInput) { in.Unit = "barrels" }, "unit=error.one_of"},
		{"unknown support", func(in *DealInput) { in.Support = []string{"lobbying"} }, "support=error.one_of"},
		{"decision without commission", func(in *DealInput) { in.DecisionID = "7c9e6679-7425-40de-944b-e07fc1f90ae7" }, "decision_id=error.decision_needs_commission"},
		{"unknown clause", func(in *DealInput) { in.Clauses = []string{"9.9"} }, "clauses=error.unknown_clause"},
	}
	for _, tc := range cases {
		t.Run(tc.name, func(t *testing.T) {
			in := good
			tc.edit(&in)
			if _, _, err := in.Validate(ref, "DE"); fieldKeys(err) != tc.fields {
				t.Fatalf("errors %q, want %q", fieldKeys(err), tc.fields)
			}
		})
	}
}
