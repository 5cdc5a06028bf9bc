package demo

import (
	"cmp"
	"context"
	"fmt"
	"hash/fnv"
	"math"
	"math/rand/v2"
	"net/http"
	"slices"
	"strconv"
	"strings"
	"time"

	"econdip/services/exports/domain"
	"econdip/services/exports/httpapi"
	"econdip/services/platform/httpx"
	"econdip/services/platform/kernel"
	"econdip/services/platform/reference"
)

// DEMO DATA. Every exporter, BIN, buyer, deal and barrier below is invented:
// the companies are plausible Kazakh exporters and foreign buyers, not real
// ones; prices are rough orders of magnitude; the barriers are the kinds of
// measure Kazakh exporters meet, not records of what a country did.

// ExportsPlan is the demo data of the exports service: the exporters to
// register, the deals to record and the barriers to report, each with what
// happens to it afterwards.
type ExportsPlan struct {
	Exporters []httpapi.ExporterRequest
	Deals     []ExportDeal
	Barriers  []ExportBarrier
}

// ExportDeal is one demo export deal: the post whose attaché records it, the
// deal as created and the stage moves after creation, in order.
type ExportDeal struct {
	Index   int // position in the full plan: the idempotency key derives from it, so a part of the plan loads with the same keys
	Post    string
	Request httpapi.DealRequest
	Moves   []DealMove
}

// DealMove is one stage change of a demo deal.
type DealMove struct {
	Stage        domain.Stage
	ContractDate string // moving to contracted: the day the contract was signed
	LostReason   string
	Comment      string
}

// Stage is where the deal ends after its moves.
func (d ExportDeal) Stage() domain.Stage {
	if len(d.Moves) == 0 {
		return domain.Opportunity
	}
	return d.Moves[len(d.Moves)-1].Stage
}

// ContractDate is the day the deal's contract was signed, empty when it has none.
func (d ExportDeal) ContractDate() string {
	for _, m := range d.Moves {
		if m.ContractDate != "" {
			return m.ContractDate
		}
	}
	return ""
}

// ExportBarrier is one demo trade barrier: the post that reports it, the
// report (backdated) and the progress notes and status changes after it, in
// date order.
type ExportBarrier struct {
	Index   int // position in the full plan: the idempotency key derives from it
	Post    string
	Request httpapi.BarrierRequest
	Steps   []BarrierStep
}

// BarrierStep is a status change (Status set) effective on On with Text as
// its comment, or, when Status is empty, a progress note dated On.
type BarrierStep struct {
	Status domain.Status
	On     string
	Text   string
}

// IsNote reports whether the step is a progress note.
func (s BarrierStep) IsNote() bool { return s.Status == "" }

// Status is the barrier's status after its steps.
func (b ExportBarrier) Status() domain.Status { return barrierStatusAfter(b.Steps) }

func barrierStatusAfter(steps []BarrierStep) domain.Status {
	st := domain.Reported
	for _, s := range steps {
		if !s.IsNote() {
			st = s.Status
		}
	}
	return st
}

func notesIn(steps []BarrierStep) int {
	n := 0
	for _, s := range steps {
		if s.IsNote() {
			n++
		}
	}
	return n
}

// ExportDeals is the number of deals GenerateExports plans.
const ExportDeals = 300

// Demo dates lie in a fixed window, so a later day changes nothing but what
// is cut off at today: contracts and barrier histories end by exportsHorizon.
var (
	exportsStart   = time.Date(2020, 1, 1, 0, 0, 0, 0, time.UTC)
	exportsHorizon = time.Date(2026, 11, 15, 0, 0, 0, 0, time.UTC)
)

// Kinds of goods: they decide who buys them, the currency and the clauses.
const (
	kindGrain    = "grain"    // grain, oilseeds, pulses, fibres
	kindFood     = "food"     // processed food and drink
	kindMetal    = "metal"    // ores, metals, steel
	kindEnergy   = "energy"   // crude, gas, coal, refined products, uranium
	kindChem     = "chem"     // fertilisers, polymers, pharmaceuticals
	kindMachines = "machines" // machinery, vehicles, electrical equipment
	kindTextile  = "textile"  // wool, cotton, leather, clothing
	kindBuild    = "build"    // construction materials
)

// good is an export product: its HS 2022 subheading, a price in USD per
// unit, a range of quantities per deal, the countries that buy it (nil: any)
// and how often it comes up.
type good struct {
	hs, product, unit string
	kind              string
	price             float64
	qty               [2]int64
	markets           []string
	weight            int
}

var goods = []good{
	// Raw commodities under the default rule (raw_commodities.csv).
	{"270900", "Crude oil, CPC Blend, FOB Novorossiysk", "t", kindEnergy, 520, [2]int64{250_000, 550_000}, []string{"IT", "FR", "DE", "CN", "CH", "GB", "IN", "KR", "TR"}, 14},
	{"271121", "Natural gas by pipeline", "m3", kindEnergy, 0.19, [2]int64{500_000_000, 1_500_000_000}, []string{"CN", "UZ", "RU"}, 3},
	{"271112", "Liquefied propane", "t", kindEnergy, 480, [2]int64{5_000, 40_000}, []string{"UZ", "CN", "TR", "RU"}, 1},
	{"284410", "Natural uranium concentrate (U3O8)", "kg", kindEnergy, 130, [2]int64{500_000, 1_300_000}, []string{"CN", "FR", "US", "IN", "KR", "JP", "GB", "RU"}, 3},
	{"284420", "Enriched uranium fuel pellets", "kg", kindEnergy, 1800, [2]int64{20_000, 60_000}, []string{"CN", "IN", "KR", "JP", "FR"}, 1},
	{"270112", "Bituminous thermal coal", "t", kindEnergy, 90, [2]int64{50_000, 500_000}, []string{"RU", "UZ", "CN", "TR", "KR", "JP", "IN"}, 3},
	{"260111", "Iron ore concentrate", "t", kindMetal, 100, [2]int64{50_000, 400_000}, []string{"CN", "RU"}, 2},
	{"260112", "Iron ore pellets", "t", kindMetal, 130, [2]int64{40_000, 300_000}, []string{"CN", "RU"}, 1},
	{"260300", "Copper concentrate", "t", kindMetal, 2200, [2]int64{5_000, 40_000}, []string{"CN"}, 2},
	{"261000", "Chrome ore concentrate", "t", kindMetal, 300, [2]int64{20_000, 150_000}, []string{"CN", "RU"}, 2},
	{"100199", "Milling wheat, class 3, 12.5% protein", "t", kindGrain, 240, [2]int64{5_000, 80_000}, []string{"UZ", "CN", "TR", "AE", "IT"}, 7},
	{"100119", "Durum wheat", "t", kindGrain, 330, [2]int64{3_000, 30_000}, []string{"IT", "TR", "FR"}, 2},
	{"100390", "Feed barley", "t", kindGrain, 200, [2]int64{5_000, 60_000}, []string{"CN", "TR", "AE", "UZ", "KR"}, 3},
	{"120400", "Linseed", "t", kindGrain, 550, [2]int64{2_000, 25_000}, []string{"CN", "DE", "TR", "IT", "FR", "GB"}, 3},
	{"120510", "Rapeseed, low erucic acid", "t", kindGrain, 480, [2]int64{2_000, 20_000}, []string{"CN", "DE", "FR"}, 1},
	{"120600", "Sunflower seeds", "t", kindGrain, 420, [2]int64{2_000, 20_000}, []string{"CN", "TR", "UZ"}, 2},
	{"510111", "Greasy shorn wool, fine merino", "t", kindTextile, 3000, [2]int64{50, 800}, []string{"CN", "TR", "IT"}, 2},
	{"520100", "Raw cotton fibre", "t", kindTextile, 1700, [2]int64{200, 4_000}, []string{"CN", "TR", "RU", "IN"}, 2},
	{"410150", "Raw cattle hides, wet-salted", "pcs", kindTextile, 30, [2]int64{5_000, 80_000}, []string{"CN", "TR", "IT"}, 1},

	// Processed and manufactured goods: non-raw under the default rule.
	{"110100", "Wheat flour, first grade", "t", kindFood, 320, [2]int64{1_000, 30_000}, []string{"UZ", "CN", "AE", "RU"}, 7},
	{"190219", "Pasta", "t", kindFood, 900, [2]int64{100, 3_000}, []string{"UZ", "CN", "RU", "AE"}, 3},
	{"230230", "Wheat bran pellets", "t", kindFood, 150, [2]int64{2_000, 30_000}, []string{"CN", "TR", "UZ"}, 2},
	{"151211", "Crude sunflower oil", "t", kindFood, 1000, [2]int64{1_000, 20_000}, []string{"CN", "UZ", "TR", "IN", "AE"}, 4},
	{"151219", "Refined sunflower oil, bottled", "t", kindFood, 1150, [2]int64{200, 8_000}, []string{"UZ", "CN", "AE", "RU"}, 3},
	{"230630", "Sunflower meal", "t", kindFood, 250, [2]int64{2_000, 30_000}, []string{"CN", "TR"}, 1},
	{"020230", "Frozen boneless beef", "t", kindFood, 5500, [2]int64{50, 1_500}, []string{"CN", "UZ", "RU", "AE"}, 3},
	{"020442", "Frozen lamb cuts, bone in", "t", kindFood, 6500, [2]int64{20, 600}, []string{"AE", "CN", "RU", "UZ"}, 2},
	{"020500", "Horse meat, frozen", "t", kindFood, 4500, [2]int64{20, 300}, []string{"JP", "CN", "RU", "IT"}, 1},
	{"040221", "Camel milk powder", "t", kindFood, 9000, [2]int64{10, 300}, []string{"CN", "UZ", "AE"}, 1},
	{"040900", "Natural mountain honey", "t", kindFood, 4000, [2]int64{10, 200}, []string{"CN", "DE", "AE", "JP", "US"}, 1},
	{"071320", "Chickpeas", "t", kindGrain, 700, [2]int64{500, 10_000}, []string{"TR", "IN", "AE", "UZ", "IT"}, 2},
	{"071340", "Red lentils", "t", kindGrain, 650, [2]int64{500, 8_000}, []string{"IN", "TR", "AE", "UZ"}, 1},
	{"100630", "Milled rice", "t", kindGrain, 650, [2]int64{500, 8_000}, []string{"UZ", "RU", "TR", "AE"}, 1},
	{"180690", "Chocolate confectionery", "t", kindFood, 6000, [2]int64{20, 800}, []string{"UZ", "CN", "RU", "AE", "US", "KR"}, 3},
	{"190531", "Sweet biscuits", "t", kindFood, 3500, [2]int64{20, 600}, []string{"UZ", "CN", "RU", "AE"}, 2},
	{"220110", "Mineral water", "l", kindFood, 0.4, [2]int64{200_000, 3_000_000}, []string{"CN", "RU", "UZ"}, 1},
	{"030489", "Frozen zander fillets", "t", kindFood, 7000, [2]int64{20, 400}, []string{"DE", "FR", "IT", "GB", "CH"}, 2},
	{"760110", "Primary aluminium ingots, 99.7%", "t", kindMetal, 2400, [2]int64{3_000, 30_000}, []string{"CN", "TR", "RU", "IT", "DE", "JP", "KR", "US", "GB", "CH", "IN", "AE"}, 5},
	{"760120", "Aluminium alloy ingots", "t", kindMetal, 2600, [2]int64{2_000, 20_000}, []string{"TR", "DE", "IT", "JP", "KR", "CN", "RU", "IN"}, 2},
	{"281820", "Metallurgical alumina", "t", kindMetal, 380, [2]int64{10_000, 100_000}, []string{"RU", "CN"}, 2},
	{"740311", "Copper cathodes, grade A", "t", kindMetal, 8800, [2]int64{1_000, 12_000}, []string{"CN", "TR", "IT", "DE", "GB", "CH", "IN", "US", "KR", "AE", "RU"}, 6},
	{"740811", "Copper wire rod", "t", kindMetal, 9300, [2]int64{500, 8_000}, []string{"RU", "UZ", "TR", "IT", "DE"}, 2},
	{"720241", "High-carbon ferrochrome", "t", kindMetal, 1350, [2]int64{5_000, 50_000}, nil, 5},
	{"720221", "Ferrosilicon FeSi75", "t", kindMetal, 1500, [2]int64{2_000, 30_000}, []string{"RU", "JP", "KR", "CN", "TR", "DE", "IT", "US", "IN"}, 2},
	{"720230", "Silicomanganese", "t", kindMetal, 1100, [2]int64{2_000, 30_000}, []string{"RU", "CN", "TR", "UZ", "IN"}, 1},
	{"790111", "Special high grade zinc", "t", kindMetal, 2750, [2]int64{1_000, 15_000}, []string{"CN", "TR", "RU", "IT", "IN", "DE", "GB", "CH", "KR"}, 4},
	{"780110", "Refined lead", "t", kindMetal, 2100, [2]int64{1_000, 15_000}, []string{"CN", "KR", "IN", "TR", "GB", "CH"}, 2},
	{"810820", "Titanium sponge", "t", kindMetal, 9000, [2]int64{100, 2_000}, []string{"US", "JP", "CN", "FR", "GB", "DE"}, 2},
	{"721012", "Tinplate", "t", kindMetal, 1150, [2]int64{3_000, 30_000}, []string{"RU", "CN", "TR", "UZ", "IT", "IN"}, 3},
	{"721049", "Hot-dip galvanised steel coil", "t", kindMetal, 900, [2]int64{3_000, 30_000}, []string{"RU", "UZ", "CN", "TR"}, 2},
	{"730429", "Seamless casing and tubing for oil wells", "t", kindMetal, 1800, [2]int64{500, 10_000}, []string{"RU", "UZ", "AE"}, 1},
	{"271012", "Gasoline and naphtha", "t", kindEnergy, 800, [2]int64{5_000, 40_000}, []string{"UZ", "RU", "CN", "CH", "TR"}, 3},
	{"271019", "Diesel fuel and fuel oil", "t", kindEnergy, 700, [2]int64{5_000, 50_000}, []string{"UZ", "RU", "CH", "TR", "IT", "GB", "AE", "CN"}, 3},
	{"390210", "Polypropylene homopolymer", "t", kindChem, 1100, [2]int64{1_000, 30_000}, []string{"CN", "TR", "UZ", "RU", "IN", "DE", "IT"}, 3},
	{"310540", "Monoammonium phosphate fertiliser (MAP)", "t", kindChem, 600, [2]int64{2_000, 40_000}, []string{"UZ", "RU", "CN", "TR", "IN"}, 3},
	{"310530", "Diammonium phosphate fertiliser (DAP)", "t", kindChem, 620, [2]int64{2_000, 30_000}, []string{"UZ", "RU", "IN", "TR"}, 1},
	{"310210", "Granular urea", "t", kindChem, 350, [2]int64{5_000, 60_000}, []string{"UZ", "CN", "TR", "RU"}, 1},
	{"280470", "Yellow phosphorus", "t", kindChem, 3500, [2]int64{500, 8_000}, []string{"DE", "CN", "RU", "IN", "JP", "US"}, 2},
	{"300490", "Generic medicines in tablets, packs", "pcs", kindChem, 2.5, [2]int64{100_000, 2_000_000}, []string{"UZ", "RU", "AE"}, 3},
	{"300420", "Cephalosporin antibiotics for injection, packs", "pcs", kindChem, 4, [2]int64{50_000, 1_000_000}, []string{"UZ", "RU", "AE"}, 2},
	{"843351", "Combine harvesters", "pcs", kindMachines, 180_000, [2]int64{5, 80}, []string{"UZ", "RU"}, 2},
	{"870194", "Wheeled tractors, 75-130 kW", "pcs", kindMachines, 70_000, [2]int64{10, 200}, []string{"UZ", "RU"}, 1},
	{"870899", "Truck and bus components", "pcs", kindMachines, 150, [2]int64{5_000, 80_000}, []string{"RU", "UZ"}, 1},
	{"850423", "Oil-immersed power transformers", "pcs", kindMachines, 600_000, [2]int64{2, 30}, []string{"UZ", "RU", "TR", "AE"}, 2},
	{"854449", "Low-voltage power cables", "m", kindMachines, 2, [2]int64{200_000, 3_000_000}, []string{"UZ", "RU", "TR", "CN"}, 2},
	{"841370", "Centrifugal pumps", "pcs", kindMachines, 12_000, [2]int64{20, 500}, []string{"UZ", "RU", "TR", "AE"}, 1},
	{"860610", "Railway tank wagons", "pcs", kindMachines, 120_000, [2]int64{20, 300}, []string{"UZ", "RU", "TR"}, 2},
	{"860699", "Railway hopper and gondola wagons", "pcs", kindMachines, 95_000, [2]int64{20, 400}, []string{"UZ", "RU", "TR"}, 1},
	{"252329", "Portland cement CEM I 42.5", "t", kindBuild, 60, [2]int64{20_000, 200_000}, []string{"UZ", "RU"}, 2},
	{"701090", "Glass bottles and jars", "pcs", kindBuild, 0.15, [2]int64{2_000_000, 30_000_000}, []string{"UZ", "RU"}, 1},
	{"520511", "Cotton yarn, carded, single", "t", kindTextile, 2900, [2]int64{100, 3_000}, []string{"TR", "CN", "RU", "IT"}, 2},
	{"610910", "Knitted cotton T-shirts", "pcs", kindTextile, 4, [2]int64{20_000, 400_000}, []string{"RU", "UZ", "DE", "TR"}, 1},
	{"510529", "Combed wool tops", "t", kindTextile, 7000, [2]int64{20, 400}, []string{"IT", "CN", "DE", "TR"}, 1},
	{"410719", "Finished bovine leather", "m2", kindTextile, 18, [2]int64{20_000, 300_000}, []string{"IT", "TR", "CN"}, 1},
}

// kzExporter is a demo exporter: name, region, the year and month its BIN
// was issued (YYMM) and the HS codes it sells.
type kzExporter struct {
	name, region, yymm string
	goods              []string
}

var kzExporters = []kzExporter{
	{"Saryarka Grain Corporation LLP", "KZ-11", "0304", []string{"100199", "100119", "100390"}},
	{"Tobol Agro Holding LLP", "KZ-39", "0711", []string{"100199", "110100", "230230", "120400"}},
	{"Esil Milling Company JSC", "KZ-59", "9906", []string{"110100", "190219", "230230", "120400", "120510"}},
	{"Zhetisu Oil-Extraction Plant LLP", "KZ-33", "0502", []string{"151211", "151219", "230630", "120600"}},
	{"Altai Agro Foods LLP", "KZ-10", "1203", []string{"020230", "020442", "020500", "040221", "040900"}},
	{"Aral-Syr Rice and Pulses LLP", "KZ-43", "1408", []string{"100630", "071320", "071340"}},
	{"Alatau Confectionery JSC", "KZ-75", "9702", []string{"180690", "190531", "220110"}},
	{"Balkhash Fisheries LLP", "KZ-35", "1010", []string{"030489"}},
	{"Ertis Aluminium JSC", "KZ-55", "0106", []string{"760110", "760120", "281820"}},
	{"Zhezkazgan Copper Works LLP", "KZ-62", "0009", []string{"740311", "740811", "260300"}},
	{"Aksu Ferroalloy Plant JSC", "KZ-55", "9810", []string{"720241", "720221", "720230", "261000"}},
	{"Altai Polymetals JSC", "KZ-63", "0203", []string{"790111", "780110", "260300"}},
	{"Irtysh Titanium-Magnesium JSC", "KZ-63", "9605", []string{"810820"}},
	{"Caspian Crude Marketing LLP", "KZ-23", "0612", []string{"270900"}},
	{"Mangystau Gas Trading LLP", "KZ-47", "1104", []string{"271121", "271112"}},
	{"Shymkent Refined Products LLP", "KZ-79", "0801", []string{"271012", "271019"}},
	{"Atyrau Polymer Company LLP", "KZ-23", "1807", []string{"390210"}},
	{"Steppe Uranium Trading LLP", "KZ-71", "0910", []string{"284410", "284420"}},
	{"Ekibastuz Energy Coal LLP", "KZ-55", "0405", []string{"270112"}},
	{"Torgai Iron Ore JSC", "KZ-39", "9908", []string{"260111", "260112"}},
	{"Nura Steel Works JSC", "KZ-35", "9512", []string{"721012", "721049", "730429"}},
	{"Karatau Phosphate Fertilisers JSC", "KZ-31", "0107", []string{"310540", "310530", "280470", "310210"}},
	{"Shymkent Pharmaceutical Plant JSC", "KZ-79", "1302", []string{"300490", "300420"}},
	{"Qostanay Agromash LLP", "KZ-39", "1509", []string{"843351", "870194", "870899"}},
	{"Ekibastuz Railcar Works LLP", "KZ-55", "1206", []string{"860610", "860699"}},
	{"Almaty Electrotechnical Plant LLP", "KZ-75", "0803", []string{"850423", "854449", "841370"}},
	{"Turkistan Cotton Cluster LLP", "KZ-61", "1705", []string{"520100", "520511", "610910"}},
	{"Semey Wool and Leather LLP", "KZ-10", "1111", []string{"510111", "510529", "410150", "410719"}},
	{"Karatau Building Materials JSC", "KZ-79", "1011", []string{"252329", "701090"}},
}

// BIN is the exporter's BIN: the YYMM of registration, 4 (resident legal
// entity), 0 (head office), a serial taken from the name and the check digit.
// Serials whose check digit is impossible are skipped.
func (e kzExporter) BIN() string {
	h := fnv.New32a()
	h.Write([]byte(e.name))
	serial := h.Sum32() % 100_000
	for {
		s := fmt.Sprintf("%s40%05d", e.yymm, serial)
		d := make([]int, 11)
		for i := range d {
			d[i] = int(s[i] - '0')
		}
		if c, ok := domain.BINCheckDigit11(d); ok {
			return s + strconv.Itoa(c)
		}
		serial = (serial + 1) % 100_000
	}
}

// buyer is a demo foreign buyer and the kinds of goods it buys.
type buyer struct {
	name  string
	kinds []string
}

var buyersByCountry = map[string][]buyer{
	"DE": {{"Hanse Agrarhandel GmbH", []string{kindGrain, kindFood}}, {"Nordsee Metallhandel GmbH", []string{kindMetal}},
		{"Elbe Chemievertrieb GmbH", []string{kindChem, kindEnergy}}, {"Ruhr Stahlservice GmbH", []string{kindMetal, kindMachines}},
		{"Bayern Feinkost Import GmbH", []string{kindFood}}, {"Lausitz Textilrohstoffe GmbH", []string{kindTextile}}},
	"CN": {{"Xinjiang Tianshan Grain Import Co.", []string{kindGrain, kindFood}}, {"Shanghai Huaxin Metals Trading Co.", []string{kindMetal}},
		{"Jiangsu Yangtze Nonferrous Co.", []string{kindMetal}}, {"Shandong Haibin Oils and Fats Co.", []string{kindFood, kindGrain}},
		{"Sichuan Western Energy Co.", []string{kindEnergy, kindChem}}, {"Guangzhou Pearl Food Import Co.", []string{kindFood}},
		{"Hebei Northern Wool Textile Co.", []string{kindTextile}}, {"Urumqi Silk Road Commodities Co.", []string{kindGrain, kindMetal, kindChem, kindMachines, kindBuild}}},
	"US": {{"Great Lakes Metals Inc.", []string{kindMetal}}, {"Atlantic Nuclear Fuels LLC", []string{kindEnergy}},
		{"Gulf Coast Specialty Foods Inc.", []string{kindFood}}, {"Pacific Titanium Components Inc.", []string{kindMetal}},
		{"Delaware Chemical Distributors Inc.", []string{kindChem}}},
	"RU": {{"Volga Trade House LLC", []string{kindGrain, kindFood}}, {"Ural Metals Supply JSC", []string{kindMetal}},
		{"Siberian Energy Resources LLC", []string{kindEnergy}}, {"Moscow Food Distribution LLC", []string{kindFood}},
		{"Kama Machinery Trade LLC", []string{kindMachines}}, {"Don Agrochemicals LLC", []string{kindChem}},
		{"Ivanovo Textile Supply LLC", []string{kindTextile}}, {"Chelyabinsk Building Supply LLC", []string{kindBuild, kindMetal}}},
	"TR": {{"Anadolu Tahıl Ticaret A.Ş.", []string{kindGrain, kindFood}}, {"Marmara Metal Sanayi A.Ş.", []string{kindMetal}},
		{"Ege Gıda İthalat A.Ş.", []string{kindFood, kindGrain}}, {"Boğaziçi Enerji Ticaret A.Ş.", []string{kindEnergy, kindChem}},
		{"Çukurova Tekstil A.Ş.", []string{kindTextile}}, {"Kocaeli Makine A.Ş.", []string{kindMachines}}},
	"KR": {{"Hanbit Steel Materials Co.", []string{kindMetal}}, {"Daehan Nonferrous Co.", []string{kindMetal}},
		{"Seoul Nuclear Fuel Trading Co.", []string{kindEnergy}}, {"Busan Agro Import Co.", []string{kindGrain, kindFood}}},
	"JP": {{"Kanto Alloy Trading Co., Ltd.", []string{kindMetal}}, {"Hokuriku Metals Corp.", []string{kindMetal}},
		{"Setouchi Energy Materials K.K.", []string{kindEnergy, kindChem}}, {"Tokai Food Import Co., Ltd.", []string{kindFood, kindGrain}}},
	"GB": {{"Thames Commodities Ltd", []string{kindEnergy, kindMetal}}, {"Pennine Metals plc", []string{kindMetal}},
		{"Albion Grain and Seeds Ltd", []string{kindGrain, kindFood}}, {"Severn Seafood Ltd", []string{kindFood}}},
	"FR": {{"Société Rhodanienne des Combustibles", []string{kindEnergy}}, {"Normandie Métaux SAS", []string{kindMetal}},
		{"Provence Céréales SA", []string{kindGrain}}, {"Loire Marée SAS", []string{kindFood}}},
	"AE": {{"Al Waha Food Trading LLC", []string{kindFood, kindGrain}}, {"Gulf Horizon Metals FZE", []string{kindMetal}},
		{"Jebel Ali Commodities FZCO", []string{kindEnergy, kindGrain, kindMetal}}, {"Emirates Crescent Pharma LLC", []string{kindChem}},
		{"Sharjah Power Equipment LLC", []string{kindMachines}}},
	"UZ": {{"Tashkent Grain Products JSC", []string{kindGrain, kindFood}}, {"Fergana Textile Group LLC", []string{kindTextile}},
		{"Samarkand Food Distribution LLC", []string{kindFood}}, {"Uzbek Agro Machinery Leasing JSC", []string{kindMachines}},
		{"Navoi Construction Supply LLC", []string{kindBuild, kindMetal}}, {"Chirchiq Chemical Trading LLC", []string{kindChem}},
		{"Bukhara Energy Supply LLC", []string{kindEnergy}}, {"Andijan Railway Equipment LLC", []string{kindMachines, kindMetal}}},
	"IN": {{"Deccan Metals and Alloys Ltd", []string{kindMetal}}, {"Ganga Pulses Import Pvt Ltd", []string{kindGrain, kindFood}},
		{"Konkan Chemicals Ltd", []string{kindChem}}, {"Western Coast Energy Ltd", []string{kindEnergy}},
		{"Coimbatore Cotton Mills Ltd", []string{kindTextile}}},
	"IT": {{"Pastificio Appennino S.p.A.", []string{kindGrain, kindFood}}, {"Adriatica Metalli S.r.l.", []string{kindMetal}},
		{"Raffineria Tirrenica S.p.A.", []string{kindEnergy}}, {"Lanificio Biellese S.r.l.", []string{kindTextile}},
		{"Conceria del Chiampo S.r.l.", []string{kindTextile}}, {"Ittica Adriatica S.r.l.", []string{kindFood}}},
	"CH": {{"Léman Commodities SA", []string{kindEnergy, kindMetal, kindGrain}}, {"Helvetic Metals Trading AG", []string{kindMetal}},
		{"Geneva Energy Trading SA", []string{kindEnergy}}, {"Zürichsee Fischhandel AG", []string{kindFood}}},
}

// Currencies a deal with a buyer in the country may be in (repeats weigh
// more); metals and energy are priced in USD everywhere. Every currency here
// has an exchange rate in the demo rates store (which has every currency of
// the National Bank's feed, RUB, TRY, AED and UZS included).
var dealCurrencies = map[string][]string{
	"DE": {"EUR", "EUR", "USD"}, "FR": {"EUR", "EUR", "USD"}, "IT": {"EUR", "EUR", "USD"},
	"CN": {"CNY", "USD", "USD"}, "GB": {"GBP", "USD"}, "JP": {"JPY", "USD"}, "KR": {"KRW", "USD"},
	"IN": {"INR", "USD", "USD"}, "CH": {"CHF", "USD", "USD"}, "RU": {"USD", "KZT"}, "UZ": {"USD", "USD", "KZT"},
}

// perUSD are rough rates for turning a USD value into the deal's currency.
var perUSD = map[string]float64{"USD": 1, "EUR": 0.92, "CNY": 7.1, "GBP": 0.79, "JPY": 145, "KRW": 1330, "INR": 83, "CHF": 0.9, "KZT": 480}

// postWeights say how many deals a post records relative to others (8 when not listed).
var postWeights = map[string]int{
	"cn-beijing": 26, "cn-shanghai": 16, "cn-urumqi": 16, "ru-moscow": 26, "uz-tashkent": 24, "tr-ankara": 12,
	"tr-istanbul": 14, "de-berlin": 14, "it-rome": 14, "ch-geneva": 10, "kr-seoul": 10, "in-new-delhi": 10,
	"ae-dubai": 10, "us-new-york": 6, "de-frankfurt": 8,
}

// contractYearWeights: more deals each year, 2026 counted to the horizon.
var contractYearWeights = []int{7, 9, 11, 13, 15, 17, 16} // 2020..2026

// priceIndex moves prices by year (commodity cycle) and volumeIndex the
// size of deals (exports grow), 2020..2026.
var (
	priceIndex  = []float64{0.80, 1.00, 1.25, 1.05, 1.00, 1.02, 1.05}
	volumeIndex = []float64{0.75, 0.82, 0.90, 1.00, 1.08, 1.16, 1.25}
)

var (
	lostBeforeContract = []string{
		"Buyer chose a supplier from another country at a lower price",
		"Price gap with the buyer could not be closed",
		"Buyer could not secure financing",
		"No rail capacity at the border crossing for the delivery window",
		"Exporter could not guarantee the volume",
		"Buyer postponed purchases indefinitely",
		"Import duty made the offer uncompetitive",
		"Certification for the buyer's market not obtained in time",
	}
	lostAfterContract = []string{
		"Contract terminated: the buyer's bank refused the letter of credit",
		"Contract terminated by mutual agreement after a price dispute",
		"Contract cancelled: the export permit was not issued in time",
	}
	contractComments = []string{"", "", "Signed after the B2B meeting at the post", "Signed during the trade mission", "Signed at the exhibition", ""}
)

// dayOf is the Astana calendar day of t, as a UTC midnight.
func dayOf(t time.Time) time.Time { return kernel.AstanaDay(t).Time() }

// GenerateExports returns the demo exporters, ExportDeals deals and the
// barriers, the same for the same seed, reference data and today (its day in
// Astana). Every date is drawn from a fixed window (2020 to mid-November
// 2026) before anything is compared with today, so a later day only adds
// what happened in between: a contract signed after today is not signed yet
// (the deal stays in negotiation), a shipment or barrier step after today
// has not happened.
func GenerateExports(seed uint64, today time.Time, ref *reference.Data) ExportsPlan {
	day := dayOf(today)
	var plan ExportsPlan
	bins := make([]string, len(kzExporters))
	makers := map[string][]int{}
	for i, e := range kzExporters {
		bins[i] = e.BIN()
		plan.Exporters = append(plan.Exporters, httpapi.ExporterRequest{BIN: bins[i], Name: e.name, Region: e.region})
		for _, hs := range e.goods {
			makers[hs] = append(makers[hs], i)
		}
	}
	plan.Deals = generateDeals(seed, day, ref, bins, makers)
	plan.Barriers = generateBarriers(seed, day, ref)
	return plan
}

// Goods classes a deal is drawn from.
const (
	classNonRaw = iota
	classRaw    // raw commodities other than the big energy ones
	classBigRaw // crude, gas and uranium: few deals, most of the value
)

// dealDraft is what is drawn for a deal before its goods.
type dealDraft struct {
	post                 reference.Post
	fate, yi, stall      int
	contract             time.Time
	shipAfter, paidAfter int
	lost, lostLate, note string
}

func generateDeals(seed uint64, day time.Time, ref *reference.Data, bins []string, makers map[string][]int) []ExportDeal {
	r := rand.New(rand.NewPCG(seed^0xe7905, seed+0xdea1))
	posts := ref.Posts()
	postTotal := 0
	for _, p := range posts {
		postTotal += cmp.Or(postWeights[p.Code], 8)
	}
	// Contract years in proportion to their weights, shuffled: a steady
	// count per year, so the yearly figures show the trend, not the dice.
	yearTotal := 0
	for _, w := range contractYearWeights {
		yearTotal += w
	}
	years := make([]int, 0, ExportDeals)
	for yi, w := range contractYearWeights {
		for range (ExportDeals*w + yearTotal - 1) / yearTotal {
			years = append(years, yi)
		}
	}
	r.Shuffle(len(years), func(i, j int) { years[i], years[j] = years[j], years[i] })

	// Each deal's post, fate and dates, drawn whatever today is.
	drafts := make([]dealDraft, ExportDeals)
	for i := range drafts {
		d := &drafts[i]
		// Every post gets a few deals first; then by weight.
		if i < 4*len(posts) {
			d.post = posts[i%len(posts)]
		} else {
			n := r.IntN(postTotal)
			for _, p := range posts {
				if n -= cmp.Or(postWeights[p.Code], 8); n < 0 {
					d.post = p
					break
				}
			}
		}
		d.fate, d.yi = r.IntN(100), years[i]
		yearStart := time.Date(2020+d.yi, 1, 1, 0, 0, 0, 0, time.UTC)
		yearEnd := earliest(yearStart.AddDate(1, 0, 0), exportsHorizon)
		d.contract = yearStart.AddDate(0, 0, r.IntN(int(yearEnd.Sub(yearStart).Hours()/24)))
		d.shipAfter = 15 + r.IntN(76)
		d.paidAfter = d.shipAfter + 20 + r.IntN(101)
		d.stall = r.IntN(100) // a few contracts never ship or are never paid
		d.lost = lostBeforeContract[r.IntN(len(lostBeforeContract))]
		d.lostLate = lostAfterContract[r.IntN(len(lostAfterContract))]
		d.note = contractComments[r.IntN(len(contractComments))]
	}

	// Goods classes by quota within each year, apart for the deals meant to
	// be signed: raw commodities a falling part of the deals (the non-raw
	// share grows) and a steady few big energy deals, so no year's value
	// hangs on the dice.
	class := make([]int, ExportDeals)
	for yi := range contractYearWeights {
		for _, signed := range []bool{false, true} {
			var idx []int
			for i, d := range drafts {
				if d.yi == yi && (d.fate >= fateSigned) == signed {
					idx = append(idx, i)
				}
			}
			r.Shuffle(len(idx), func(i, j int) { idx[i], idx[j] = idx[j], idx[i] })
			big := (len(idx)*(16-yi) + 50) / 100
			raw := big + (len(idx)*(28-3*yi)+50)/100
			for k, i := range idx {
				switch {
				case k < big:
					class[i] = classBigRaw
				case k < raw:
					class[i] = classRaw
				}
			}
		}
	}

	out := make([]ExportDeal, 0, ExportDeals)
	for i, d := range drafts {
		country := d.post.Country
		g := pickGood(r, ref, country, class[i])
		maker := makers[g.hs][r.IntN(len(makers[g.hs]))]
		buyerName := pickBuyer(r, country, d.post.CityEN, g.kind)
		qty := niceRound(g.qty[0] + r.Int64N(g.qty[1]-g.qty[0]+1))
		usd := float64(qty) * g.price * (0.85 + 0.3*r.Float64()) * priceIndex[d.yi] * volumeIndex[d.yi]
		cur := "USD"
		if opts := dealCurrencies[country]; len(opts) > 0 && g.kind != kindMetal && g.kind != kindEnergy {
			cur = opts[r.IntN(len(opts))]
		}
		amount := roundAmount(usd * perUSD[cur])
		q := httpx.NumberText(strconv.FormatInt(qty, 10))
		req := httpapi.DealRequest{
			ExporterBIN: bins[maker], BuyerCountry: country, BuyerName: buyerName, HSCode: g.hs, Product: g.product,
			Value:    httpx.MoneyJSON{Amount: httpx.NumberText(strconv.FormatInt(amount, 10)), Currency: cur},
			Quantity: &q, Unit: g.unit, Support: pickSupport(r), Clauses: dealClauses(r, g, ref.IsRawHS(g.hs)),
		}
		out = append(out, ExportDeal{Index: i, Post: d.post.Code, Request: req, Moves: d.moves(day)})
	}
	return out
}

// fateSigned: deals whose fate is at least this get a contract (once its day has come).
const fateSigned = 40

// moves are the stage changes of a deal as of day: a contract signed after
// day is not signed yet, a shipment or payment after it has not happened.
func (d dealDraft) moves(day time.Time) []DealMove {
	negotiating := DealMove{Stage: domain.Negotiating}
	signed := []DealMove{negotiating, {Stage: domain.Contracted, ContractDate: d.contract.Format(time.DateOnly), Comment: d.note}}
	switch {
	case d.fate < 15: // an opportunity still
		return nil
	case d.fate < 29:
		return []DealMove{negotiating}
	case d.fate < 34:
		return []DealMove{{Stage: domain.Lost, LostReason: d.lost}}
	case d.fate < fateSigned:
		return []DealMove{negotiating, {Stage: domain.Lost, LostReason: d.lost}}
	case d.contract.After(day):
		return []DealMove{negotiating}
	case d.fate < fateSigned+2:
		return append(signed, DealMove{Stage: domain.Lost, LostReason: d.lostLate})
	}
	if d.stall >= 6 && !d.contract.AddDate(0, 0, d.shipAfter).After(day) {
		signed = append(signed, DealMove{Stage: domain.Shipped})
		if d.stall >= 15 && !d.contract.AddDate(0, 0, d.paidAfter).After(day) {
			signed = append(signed, DealMove{Stage: domain.Paid})
		}
	}
	return signed
}

func earliest(a, b time.Time) time.Time {
	if b.Before(a) {
		return b
	}
	return a
}

// pickGood draws a good the host country buys, of the class asked for when
// there is one, else of the next class down.
func pickGood(r *rand.Rand, ref *reference.Data, country string, class int) good {
	var pool []good
	total := 0
	for c := class; len(pool) == 0; c-- {
		for _, g := range goods {
			if (g.markets == nil || slices.Contains(g.markets, country)) && (c < 0 || goodClass(ref, g) == c) {
				pool = append(pool, g)
				total += g.weight
			}
		}
	}
	n := r.IntN(total)
	for _, g := range pool {
		if n -= g.weight; n < 0 {
			return g
		}
	}
	return pool[len(pool)-1]
}

func goodClass(ref *reference.Data, g good) int {
	switch {
	case !ref.IsRawHS(g.hs):
		return classNonRaw
	case g.hs == "270900" || g.hs == "271121" || strings.HasPrefix(g.hs, "2844"):
		return classBigRaw
	}
	return classRaw
}

func pickBuyer(r *rand.Rand, country, city, kind string) string {
	var pool []string
	for _, b := range buyersByCountry[country] {
		if slices.Contains(b.kinds, kind) {
			pool = append(pool, b.name)
		}
	}
	if len(pool) == 0 {
		return city + " Import Trading Company"
	}
	return pool[r.IntN(len(pool))]
}

func pickSupport(r *rand.Rand) []string {
	all := []string{"b2b_meeting", "b2b_meeting", "trade_mission", "exhibition", "barrier_removal", "igc", "other"}
	first := all[r.IntN(len(all))]
	out := []string{first}
	if r.IntN(3) == 0 {
		if s := all[r.IntN(len(all))]; s != first {
			out = append(out, s)
		}
	}
	return out
}

func dealClauses(r *rand.Rand, g good, raw bool) []string {
	var out []string
	if !raw {
		out = append(out, "2.7")
	}
	switch g.kind {
	case kindEnergy:
		out = append(out, "2.10")
	case kindGrain, kindFood:
		if r.IntN(2) == 0 {
			out = append(out, "2.13")
		}
	case kindMetal, kindMachines:
		if r.IntN(3) == 0 {
			out = append(out, "2.5")
		}
	}
	return out
}

// niceRound keeps two significant digits.
func niceRound(n int64) int64 {
	step := int64(1)
	for n/step >= 100 {
		step *= 10
	}
	return max(n/step*step, 1)
}

// roundAmount rounds a value to thousands (to hundreds below a million).
func roundAmount(v float64) int64 {
	step := 1000.0
	if v < 1e6 {
		step = 100
	}
	return int64(math.Max(step, math.Round(v/step)*step))
}

// barrierSpec is a demo barrier: where, what, since when and how it ends.
type barrierSpec struct {
	post, typ   string
	hs          []string
	title, desc string
	value       int64 // whole currency units; 0: no value stated
	currency    string
	agency      string
	clauses     []string
	year        int           // reported in
	final       domain.Status // where it ends by the horizon
	via         string        // "partly": resolved after resolved_partly; "revived": in negotiation again after dormant; "negotiated": dormant after talks
}

var barrierSpecs = []barrierSpec{
	{"cn-beijing", "sps", []string{"100199"}, "Wheat admitted only from six northern regions under the quarantine protocol",
		"The phytosanitary protocol admits Kazakh wheat only from six regions; growers in the other regions cannot ship to China.", 180_000_000, "USD", "moa", []string{"2.7", "2.13"}, 2020, domain.Resolved, "partly"},
	{"cn-urumqi", "sps", []string{"0201", "0202"}, "Beef exports limited to plants on the customs registration list",
		"Only registered plants may export beef; applications from four Kazakh meat plants have waited for inspection since the pandemic.", 60_000_000, "USD", "moa", []string{"2.7", "2.13"}, 2021, domain.ResolvedPartly, ""},
	{"cn-beijing", "sps", []string{"120400"}, "Linseed consignments returned over quarantine weed seeds",
		"Several linseed consignments were returned at the border after weed seeds were found; the exporters dispute the sampling.", 25_000_000, "USD", "moa", []string{"2.7"}, 2021, domain.Resolved, ""},
	{"cn-shanghai", "technical", []string{"180690", "190531"}, "Chinese labelling rules hold confectionery at the port",
		"Consignments of chocolate and biscuits are held for relabelling: the labels must be in Chinese with the importer's registration.", 30_000_000, "CNY", "mti", []string{"2.7"}, 2022, domain.Resolved, ""},
	{"cn-urumqi", "procedural", []string{"10"}, "Too few rail slots for grain at the Alashankou transshipment",
		"Grain trains wait up to three weeks for transshipment into Chinese-gauge wagons; exporters pay demurrage.", 40_000_000, "USD", "mtr", []string{"2.7", "2.8"}, 2022, domain.ResolvedPartly, ""},
	{"cn-shanghai", "tariff", []string{"151211"}, "Higher MFN duty on crude sunflower oil than for FTA partners",
		"Kazakh crude sunflower oil pays the MFN duty while competitors from FTA partners enter duty-free.", 30_000_000, "USD", "mti", []string{"2.7", "2.12"}, 2024, domain.Verified, ""},
	{"cn-urumqi", "discrimination", []string{"100199", "100390"}, "Grain import quota allocated mostly to state traders",
		"The tariff-rate quota for grain goes mostly to state trading companies, leaving private buyers of Kazakh grain little volume.", 100_000_000, "USD", "mti", []string{"2.6", "2.12"}, 2020, domain.Dormant, "negotiated"},
	{"cn-beijing", "technical", []string{"040221"}, "No registration route for camel milk powder",
		"The dairy registration list has no category for camel milk, so the product cannot be registered for export.", 15_000_000, "CNY", "moa", []string{"2.7"}, 2025, domain.InNegotiation, ""},
	{"de-berlin", "technical", []string{"030489"}, "Catch certificates for zander fillets rejected under the IUU rules",
		"Importers' authorities reject catch certificates whose format does not match the EU template.", 8_000_000, "EUR", "meco", []string{"2.7"}, 2020, domain.Resolved, ""},
	{"de-frankfurt", "sps", []string{"040900"}, "Kazakhstan not on the EU list for honey residue monitoring",
		"Without an approved residue monitoring plan, Kazakh honey cannot enter the EU.", 5_000_000, "EUR", "moa", []string{"2.7", "2.13"}, 2023, domain.InNegotiation, ""},
	{"de-berlin", "technical", []string{"720241", "760110"}, "Emissions reporting for ferroalloys and aluminium under CBAM",
		"Importers ask for installation-level embedded emissions data verified by accredited bodies, which Kazakh smelters lack.", 450_000_000, "EUR", "mti", []string{"2.4", "2.7"}, 2024, domain.InNegotiation, ""},
	{"de-frankfurt", "procedural", []string{"120400"}, "Extended documentary checks on linseed at the port of entry",
		"Every consignment of linseed gets a documentary and identity check, adding two weeks to clearance.", 0, "", "moa", []string{"2.7"}, 2022, domain.Dormant, ""},
	{"fr-paris", "sps", []string{"100119"}, "Mycotoxin sampling regime for durum wheat of Kazakh origin",
		"Durum wheat is sampled for DON at a higher rate than other origins, with results taking up to 10 days.", 12_000_000, "EUR", "moa", []string{"2.7", "2.13"}, 2021, domain.Resolved, ""},
	{"fr-paris", "procedural", []string{"2844"}, "Lengthy origin documentation checks for uranium concentrate",
		"Buyers' supply contracts need origin documentation reviewed by the supply agency, which takes months.", 0, "", "moe", []string{"2.10"}, 2025, domain.Verified, ""},
	{"it-rome", "tariff", []string{"100119"}, "EU import duty on medium-quality durum wheat",
		"Durum wheat below the high-quality standard pays the EU import duty, which Italian mills pass back in the price.", 20_000_000, "EUR", "mti", []string{"2.7", "2.12"}, 2022, domain.ResolvedPartly, ""},
	{"it-rome", "technical", []string{"5101", "5105"}, "Traceability and animal welfare certification demanded for wool",
		"Italian spinners ask for certified traceability and animal welfare schemes that Kazakh farms do not yet have.", 0, "", "moa", []string{"2.7"}, 2025, domain.Verified, ""},
	{"gb-london", "tariff", []string{"760120"}, "UK tariff on aluminium alloy ingots",
		"Aluminium alloy ingots pay the UK Global Tariff while competitors with trade agreements do not.", 18_000_000, "GBP", "mti", []string{"2.7", "2.12"}, 2023, domain.InNegotiation, ""},
	{"gb-london", "discrimination", []string{"270900"}, "Kazakh crude flagged as Russian in sanctions screening",
		"Banks and insurers screen CPC Blend cargoes as Russian-origin, delaying letters of credit and cover.", 300_000_000, "USD", "mfa", []string{"2.6", "2.10"}, 2022, domain.Resolved, ""},
	{"us-washington", "tariff", []string{"7601"}, "Additional tariff on aluminium imports",
		"Primary aluminium and alloys pay an additional national-security tariff, with exclusions hard to obtain.", 120_000_000, "USD", "mti", []string{"2.7", "2.12"}, 2020, domain.InNegotiation, "revived"},
	{"us-new-york", "procedural", []string{"180690", "190531"}, "Food facility registration and prior notice for confectionery",
		"Shipments were refused because the Kazakh factories' registration and prior notices were incomplete.", 3_000_000, "USD", "qaztrade", []string{"2.7"}, 2023, domain.Resolved, ""},
	{"us-washington", "discrimination", []string{"810820"}, "Titanium sponge left out of aerospace supplier qualification",
		"Aerospace buyers qualify only sponge from domestic or allied sources, leaving out Kazakh producers.", 40_000_000, "USD", "mic", []string{"2.6", "2.5"}, 2024, domain.Verified, ""},
	{"ru-moscow", "procedural", []string{"020230", "020442"}, "Veterinary certificate mismatches hold meat at the border",
		"Electronic veterinary certificates do not match the paper ones, and meat trucks wait at the border for days.", 9_000_000_000, "KZT", "moa", []string{"2.7", "2.9"}, 2021, domain.Resolved, ""},
	{"ru-moscow", "discrimination", []string{"110100"}, "Regional procurement rules favour local flour",
		"Regional public procurement of flour gives local mills a price preference, contrary to EAEU national treatment.", 0, "", "mti", []string{"2.6"}, 2021, domain.Dormant, ""},
	{"ru-moscow", "technical", []string{"843351", "870194"}, "Conformity certificates for agricultural machinery issued again",
		"Combines and tractors certified in Kazakhstan under the EAEU technical regulation had to be certified again.", 15_000_000, "USD", "mic", []string{"2.7", "2.9"}, 2022, domain.Resolved, ""},
	{"ru-moscow", "procedural", []string{"2701"}, "Rail capacity quotas for Kazakh coal",
		"Monthly rail quotas for Kazakh coal bound for the Baltic and Far East ports were cut without notice.", 90_000_000, "USD", "mtr", []string{"2.8", "2.10"}, 2023, domain.ResolvedPartly, ""},
	{"uz-tashkent", "tariff", []string{"110100"}, "Import duty on wheat flour",
		"Wheat flour paid an import duty while grain entered duty-free, favouring local mills.", 70_000_000, "USD", "mti", []string{"2.7", "2.9"}, 2020, domain.Resolved, ""},
	{"uz-tashkent", "sps", []string{"02"}, "Veterinary certificate forms not mutually recognised",
		"Veterinary certificates in the Kazakh format were not accepted, so meat needed a second inspection.", 10_000_000, "USD", "moa", []string{"2.7", "2.13"}, 2023, domain.Resolved, ""},
	{"uz-tashkent", "procedural", []string{"252329"}, "Licensing requirement for cement imports",
		"Cement imports needed a licence issued quarterly, in volumes below Kazakh plants' contracts.", 8_000_000, "USD", "mic", []string{"2.7"}, 2021, domain.Resolved, "partly"},
	{"uz-tashkent", "discrimination", []string{"300490", "300420"}, "Medicine registration fast-tracked for local producers only",
		"Local producers register medicines within months; Kazakh producers wait up to 18 months for the same registration.", 6_000_000, "USD", "mh", []string{"2.6", "3.20"}, 2024, domain.InNegotiation, ""},
	{"uz-tashkent", "technical", []string{"854449"}, "Mandatory national certification of power cables",
		"Cables certified under EAEU rules must be tested again by a national laboratory.", 0, "", "mic", []string{"2.7"}, 2026, domain.Reported, ""},
	{"tr-ankara", "tariff", []string{"1001"}, "Turkish import duty on wheat outside inward processing",
		"Wheat imported outside the inward processing regime pays a high duty, so only mills that export flour buy Kazakh wheat.", 50_000_000, "USD", "mti", []string{"2.7", "2.12"}, 2022, domain.Dormant, "negotiated"},
	{"tr-istanbul", "procedural", []string{"720241"}, "Import surveillance licence for ferroalloys",
		"Each ferrochrome consignment needs a surveillance document, with the reference price above current market prices.", 25_000_000, "USD", "mti", []string{"2.7"}, 2024, domain.ResolvedPartly, ""},
	{"tr-istanbul", "sps", []string{"071320", "071340"}, "New fumigation certificate for pulses",
		"Pulses need a fumigation certificate in a new format that Kazakh laboratories do not yet issue.", 4_000_000, "USD", "moa", []string{"2.7"}, 2026, domain.Reported, ""},
	{"kr-seoul", "sps", []string{"0201", "0202"}, "Only heat-treated beef admitted",
		"Korea admits only heat-treated beef from Kazakhstan until the foot-and-mouth status is recognised.", 20_000_000_000, "KRW", "moa", []string{"2.7", "2.13"}, 2023, domain.InNegotiation, ""},
	{"kr-seoul", "tariff", []string{"100390"}, "Tariff-rate quota for feed barley",
		"Feed barley above the quota pays a high out-of-quota duty; the quota is allocated to a few importers.", 9_000_000, "USD", "mti", []string{"2.7", "2.12"}, 2025, domain.Verified, ""},
	{"jp-tokyo", "technical", []string{"020500"}, "Residue testing list for horse meat",
		"Horse meat is tested against a residue list for which Kazakh laboratories had no accredited methods.", 1_200_000_000, "JPY", "moa", []string{"2.7"}, 2021, domain.Resolved, ""},
	{"jp-tokyo", "procedural", []string{"284420"}, "Lead times of nuclear material transfer approvals",
		"Each fuel pellet consignment needs approvals under the bilateral agreement that take up to six months.", 0, "", "moe", []string{"2.10"}, 2020, domain.Resolved, ""},
	{"ae-dubai", "technical", []string{"0202", "0204"}, "Halal certificates of Kazakh bodies not accepted",
		"Halal certificates issued by Kazakh bodies were not accepted until the bodies are accredited in the UAE.", 12_000_000, "USD", "moa", []string{"2.7", "2.13"}, 2022, domain.Resolved, ""},
	{"ae-abu-dhabi", "discrimination", []string{"110100", "1001"}, "State food company tenders open only to registered regional suppliers",
		"Tenders of the state food security company require local registration that Kazakh exporters cannot obtain.", 0, "", "mti", []string{"2.6", "2.13"}, 2026, domain.Reported, ""},
	{"in-new-delhi", "tariff", []string{"071340"}, "Changing import duty on lentils",
		"The duty on lentils changes several times a year, and contracts signed at zero duty become loss-making.", 20_000_000, "USD", "mti", []string{"2.7", "2.12"}, 2023, domain.ResolvedPartly, ""},
	{"in-new-delhi", "sps", []string{"100199", "120400"}, "Methyl bromide fumigation demanded for grain and oilseeds",
		"Consignments must be fumigated with methyl bromide at origin, which Kazakh terminals do not offer.", 2_000_000, "USD", "moa", []string{"2.7"}, 2026, domain.Reported, ""},
	{"ch-geneva", "procedural", []string{"270900", "271019"}, "Enhanced due diligence on Kazakh oil cargoes by trade finance banks",
		"Trade finance banks ask for extra origin documentation for every cargo, delaying financing.", 0, "", "mfa", []string{"2.10", "2.11"}, 2022, domain.Dormant, ""},
}

var (
	reportedNotes = []string{
		"Exporter's complaint received; shipping documents and the authority's letters requested",
		"Trade affected estimated with QazTrade from the exporters' contracts",
		"Exporters' association consulted; other exporters confirm the problem",
	}
	verifiedNotes = []string{
		"Measure confirmed from the host side's documents; legal analysis sent to the lead agency",
		"Note verbale sent to the host ministry asking for the legal basis and a timetable",
		"Lead agency briefed; position agreed for talks with the host authority",
	}
	negotiationNotes = []string{
		"Raised at the trade working group; the host side agreed to a technical consultation",
		"Expert videoconference held; the host authority asked for additional documents",
		"Raised by the ambassador with the deputy minister; a follow-up meeting scheduled",
		"Host authority's draft decision received; comments sent through the lead agency",
		"Put on the agenda of the intergovernmental commission's trade working group",
	}
	verifiedComments = []string{
		"Verified with the exporters and the lead agency: the measure is in force and affects current shipments",
		"Verified: the host authority confirmed the requirement in writing",
	}
	negotiationComments = []string{
		"Talks opened with the host ministry",
		"Host authority agreed to consultations at expert level",
	}
	partlyComments = []string{
		"Partly resolved: the measure eased for some products and exporters; the rest stays on the agenda",
		"Partly resolved: first exporters admitted; the others still wait",
	}
	resolvedComments = []string{
		"Resolved: the measure lifted; first consignments cleared under the new terms",
		"Resolved: the host authority accepted the Kazakh certificates",
		"Resolved: the requirement withdrawn after the consultations",
	}
	dormantComments = []string{
		"Dormant: no response from the host side; to be raised again at the next commission session",
		"Dormant: exporters paused shipments; monitoring continues",
	}
	revivedComments = []string{"Revived: the host side proposed new consultations"}
)

// generateBarriers draws each barrier's report day in its year and the gaps
// between its status changes; a history that would run past the horizon is
// squeezed into it. Steps after today are left out.
func generateBarriers(seed uint64, day time.Time, ref *reference.Data) []ExportBarrier {
	r := rand.New(rand.NewPCG(seed^0xba771e5, seed+0xb4))
	pick := func(list []string) string { return list[r.IntN(len(list))] }
	out := make([]ExportBarrier, 0, len(barrierSpecs))
	for i, s := range barrierSpecs {
		yearStart := time.Date(s.year, 1, 1, 0, 0, 0, 0, time.UTC)
		yearEnd := earliest(time.Date(s.year+1, 1, 1, 0, 0, 0, 0, time.UTC), exportsHorizon.AddDate(0, -2, 0))
		reported := yearStart.AddDate(0, 0, r.IntN(int(yearEnd.Sub(yearStart).Hours()/24)))

		// Status changes as days after the report.
		type change struct {
			to      domain.Status
			gap     int
			comment string
		}
		verified := change{domain.Verified, 10 + r.IntN(51), pick(verifiedComments)}
		talks := change{domain.InNegotiation, 20 + r.IntN(131), pick(negotiationComments)}
		var plan []change
		switch s.final {
		case domain.Verified:
			plan = []change{verified}
		case domain.InNegotiation:
			plan = []change{verified, talks}
			if s.via == "revived" {
				plan = append(plan, change{domain.Dormant, 150 + r.IntN(200), pick(dormantComments)},
					change{domain.InNegotiation, 200 + r.IntN(300), pick(revivedComments)})
			}
		case domain.ResolvedPartly:
			plan = []change{verified, talks, {domain.ResolvedPartly, 90 + r.IntN(300), pick(partlyComments)}}
		case domain.Resolved:
			plan = []change{verified, talks}
			if s.via == "partly" {
				plan = append(plan, change{domain.ResolvedPartly, 90 + r.IntN(250), pick(partlyComments)})
			}
			plan = append(plan, change{domain.Resolved, 60 + r.IntN(360), pick(resolvedComments)})
		case domain.Dormant:
			plan = []change{verified}
			if s.via == "negotiated" {
				plan = append(plan, talks)
			}
			plan = append(plan, change{domain.Dormant, 90 + r.IntN(211), pick(dormantComments)})
		}

		// Steps with days after the report: a note soon after the report,
		// and one or two within each stretch of verification and talks.
		type step struct {
			at int
			BarrierStep
		}
		var steps []step
		at := 0
		noteIn := func(from, to int, list []string) {
			if to-from >= 4 {
				steps = append(steps, step{from + 1 + r.IntN(to-from-2), BarrierStep{On: "", Text: pick(list)}})
			}
		}
		first := 30 + r.IntN(40)
		if len(plan) > 0 {
			first = plan[0].gap
		}
		if r.IntN(3) > 0 || len(plan) == 0 {
			noteIn(0, first, reportedNotes)
		}
		for k, c := range plan {
			next := at + c.gap
			if k > 0 {
				switch plan[k-1].to {
				case domain.Verified:
					noteIn(at, next, verifiedNotes)
				case domain.InNegotiation, domain.ResolvedPartly:
					mid := at + (next-at)/2
					noteIn(at, mid, negotiationNotes)
					noteIn(mid, next, negotiationNotes)
				}
			}
			steps = append(steps, step{next, BarrierStep{Status: c.to, Text: c.comment}})
			at = next
		}
		if len(plan) > 0 {
			// Work goes on after the last change while the barrier is open.
			if last := plan[len(plan)-1].to; last == domain.Verified || last == domain.InNegotiation || last == domain.ResolvedPartly {
				noteIn(at, at+60+r.IntN(120), negotiationNotes)
			}
		}
		slices.SortStableFunc(steps, func(a, b step) int { return cmp.Compare(a.at, b.at) })

		// Squeeze the status changes into the horizon, keeping the order;
		// notes after it are dropped, and then everything after today.
		span := int(exportsHorizon.Sub(reported).Hours() / 24)
		lastChange := 0
		for _, st := range steps {
			if !st.IsNote() {
				lastChange = st.at
			}
		}
		if lastChange > span {
			prev := 0
			for k := range steps {
				steps[k].at = max(prev, steps[k].at*span/lastChange)
				prev = steps[k].at
			}
		}
		b := ExportBarrier{Index: i, Post: s.post}
		for _, st := range steps {
			on := reported.AddDate(0, 0, st.at)
			if st.at > span || on.After(day) {
				break
			}
			st.On = on.Format(time.DateOnly)
			b.Steps = append(b.Steps, st.BarrierStep)
		}
		b.Request = httpapi.BarrierRequest{Country: hostOf(ref, s.post), HSCodes: s.hs, Type: s.typ, Title: s.title, Description: s.desc,
			LeadAgency: s.agency, Clauses: s.clauses, ReportedOn: reported.Format(time.DateOnly)}
		if s.value > 0 {
			b.Request.ValueAtStake = &httpx.MoneyJSON{Amount: httpx.NumberText(strconv.FormatInt(s.value, 10)), Currency: s.currency}
		}
		if reported.After(day) {
			continue // not reported yet on this day
		}
		out = append(out, b)
	}
	return out
}

// hostOf is the host country of a post; the upper-cased start of the code
// ("de-berlin": DE) for a post the reference data does not list, which the
// API then refuses.
func hostOf(ref *reference.Data, post string) string {
	if p, ok := ref.Post(post); ok {
		return p.Country
	}
	c, _, _ := strings.Cut(post, "-")
	return strings.ToUpper(c)
}

// ExportsLoader sends the demo exports plan to the exports API: an
// administrator registers the exporters, each post's attaché records its
// deals and barriers and moves them along.
type ExportsLoader struct {
	BaseURL    string
	TokenFor   func(post string) (string, bool) // the token of an attaché of the post
	AdminToken string
	Client     *http.Client
	Progress   func(done, total int)
}

// ExportsSummary counts what a load did.
type ExportsSummary struct {
	Exporters, ExportersExisting int // registered; registered already
	Deals, DealsReplayed         int // created; created by an earlier load (same idempotency key)
	DealMoves                    int
	DealsSkipped                 int // moved by someone else since: left alone
	Barriers, BarriersReplayed   int
	BarrierNotes                 int
	BarrierStatusChanges         int
	BarriersSkipped              int
}

// Load registers the exporters (a BIN registered already is fine), creates
// every deal and barrier with an idempotency key derived from the seed and
// its index, and applies its moves or steps. A replayed create answers with
// the record as first created, so the loader reads where it is now and goes
// on from there: a deal from the stage after its current one, a barrier at
// version v from its v-th step (each step adds one version). A record
// changed by someone else is left alone.
func (l *ExportsLoader) Load(ctx context.Context, seed uint64, plan ExportsPlan) (ExportsSummary, error) {
	var sum ExportsSummary
	if l.Client == nil {
		l.Client = &http.Client{Timeout: 30 * time.Second}
	}
	total, done := len(plan.Exporters)+len(plan.Deals)+len(plan.Barriers), 0
	tick := func() {
		done++
		if l.Progress != nil {
			l.Progress(done, total)
		}
	}
	for _, e := range plan.Exporters {
		var out httpapi.ExporterJSON
		hdr, err := callAPI(ctx, l.Client, l.BaseURL, l.AdminToken, http.MethodPost, "/api/v1/exporters", "", e, &out)
		if err != nil {
			return sum, fmt.Errorf("demo exporter %s: register: %w", e.BIN, err)
		}
		if hdr.Get("Exporter-Registered-Before") == "true" {
			sum.ExportersExisting++
		} else {
			sum.Exporters++
		}
		tick()
	}
	for _, d := range plan.Deals {
		if err := l.loadDeal(ctx, seed, d, &sum); err != nil {
			return sum, err
		}
		tick()
	}
	for _, b := range plan.Barriers {
		if err := l.loadBarrier(ctx, seed, b, &sum); err != nil {
			return sum, err
		}
		tick()
	}
	return sum, nil
}

func (l *ExportsLoader) loadDeal(ctx context.Context, seed uint64, d ExportDeal, sum *ExportsSummary) error {
	tok, ok := l.TokenFor(d.Post)
	if !ok {
		return fmt.Errorf("demo deal %d: no attaché token for post %s", d.Index, d.Post)
	}
	var deal httpapi.DealJSON
	key := fmt.Sprintf("demo-deal-%d-%d", seed, d.Index)
	hdr, err := callAPI(ctx, l.Client, l.BaseURL, tok, http.MethodPost, "/api/v1/deals", key, d.Request, &deal)
	if err != nil {
		return fmt.Errorf("demo deal %d: create: %w", d.Index, err)
	}
	moves := d.Moves
	if hdr.Get("Idempotent-Replayed") == "true" {
		sum.DealsReplayed++
		if _, err := callAPI(ctx, l.Client, l.BaseURL, tok, http.MethodGet, "/api/v1/deals/"+deal.ID, "", nil, &deal); err != nil {
			return fmt.Errorf("demo deal %d: read: %w", d.Index, err)
		}
		if at := slices.IndexFunc(moves, func(m DealMove) bool { return string(m.Stage) == deal.Stage }); at >= 0 {
			moves = moves[at+1:]
		} else if deal.Version > 1 {
			sum.DealsSkipped++
			return nil
		}
	} else {
		sum.Deals++
	}
	for _, m := range moves {
		v := deal.Version
		req := httpapi.MoveRequest{Version: &v, Stage: string(m.Stage), LostReason: m.LostReason, ContractDate: m.ContractDate, Comment: m.Comment}
		if _, err := callAPI(ctx, l.Client, l.BaseURL, tok, http.MethodPost, "/api/v1/deals/"+deal.ID+"/stage", "", req, &deal); err != nil {
			return fmt.Errorf("demo deal %d: move to %s: %w", d.Index, m.Stage, err)
		}
		sum.DealMoves++
	}
	return nil
}

func (l *ExportsLoader) loadBarrier(ctx context.Context, seed uint64, b ExportBarrier, sum *ExportsSummary) error {
	tok, ok := l.TokenFor(b.Post)
	if !ok {
		return fmt.Errorf("demo barrier %d: no attaché token for post %s", b.Index, b.Post)
	}
	var cur httpapi.BarrierJSON
	key := fmt.Sprintf("demo-barrier-%d-%d", seed, b.Index)
	path := "/api/v1/barriers"
	hdr, err := callAPI(ctx, l.Client, l.BaseURL, tok, http.MethodPost, path, key, b.Request, &cur)
	if err != nil {
		return fmt.Errorf("demo barrier %d: report: %w", b.Index, err)
	}
	path += "/" + cur.ID
	steps := b.Steps
	if hdr.Get("Idempotent-Replayed") == "true" {
		sum.BarriersReplayed++
		if _, err := callAPI(ctx, l.Client, l.BaseURL, tok, http.MethodGet, path, "", nil, &cur); err != nil {
			return fmt.Errorf("demo barrier %d: read: %w", b.Index, err)
		}
		applied := cur.Version - 1
		if applied > len(steps) || barrierStatusAfter(steps[:applied]) != domain.Status(cur.Status) || notesIn(steps[:applied]) != len(cur.Progress) {
			sum.BarriersSkipped++
			return nil
		}
		steps = steps[applied:]
	} else {
		sum.Barriers++
	}
	for _, s := range steps {
		v := cur.Version
		if s.IsNote() {
			req := httpapi.BarrierPatch{Version: &v, Progress: &httpapi.NoteRequest{On: s.On, Text: s.Text}}
			if _, err := callAPI(ctx, l.Client, l.BaseURL, tok, http.MethodPatch, path, "", req, &cur); err != nil {
				return fmt.Errorf("demo barrier %d: note of %s: %w", b.Index, s.On, err)
			}
			sum.BarrierNotes++
			continue
		}
		req := httpapi.StatusRequest{Version: &v, Status: string(s.Status), EffectiveOn: s.On, Comment: s.Text}
		if _, err := callAPI(ctx, l.Client, l.BaseURL, tok, http.MethodPost, path+"/status", "", req, &cur); err != nil {
			return fmt.Errorf("demo barrier %d: %s on %s: %w", b.Index, s.Status, s.On, err)
		}
		sum.BarrierStatusChanges++
	}
	return nil
}
