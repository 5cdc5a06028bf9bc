// Package demo generates realistic investor leads, deterministic from a seed,
// and loads them through the leads service's HTTP API: the same path, events
// and checks as real data.
package demo

import (
	"bytes"
	"context"
	"encoding/json"
	"fmt"
	"io"
	"math/rand/v2"
	"net/http"
	"slices"
	"strconv"
	"time"

	"econdip/services/leads/domain"
	"econdip/services/leads/httpapi"
	"econdip/services/platform/httpx"
	"econdip/services/platform/reference"
)

// Lead is one generated lead and the stage it should end in.
type Lead struct {
	Post    string
	Request httpapi.CreateRequest // IdentifiedOn is the day the lead was identified
	Path    []domain.Stage        // stages to move through after creation, in order
	Days    []string              // the day each move of Path took effect (YYYY-MM-DD)
	Lost    string                // reason, when the path ends in lost
}

// The demo's history runs from the Concept's start to WindowEnd: every day
// it generates is in that window, so the demo is the same whatever day it is
// generated on (and never dated in the future once that day has passed).
var (
	windowStart = time.Date(2020, 1, 1, 0, 0, 0, 0, time.UTC)
	WindowEnd   = time.Date(2026, 11, 15, 0, 0, 0, 0, time.UTC)
)

type company struct{ name, country string }

// Investors by home country: plausible names, not real companies.
var investors = []company{
	{"Rhein Maschinenbau GmbH", "DE"}, {"Nordwerk Anlagen AG", "DE"}, {"Bavaria AgroTech GmbH", "DE"},
	{"Shaanxi Heavy Equipment Co.", "CN"}, {"Jiangsu GreenChem Ltd", "CN"}, {"Xinjiang Silk Logistics Co.", "CN"},
	{"Great Plains Agri Holdings", "US"}, {"Cascade MedTech Inc.", "US"}, {"Anatolia Yapı Malzemeleri A.Ş.", "TR"},
	{"Bosphorus Textile A.Ş.", "TR"}, {"Hanbit Petrochemical Co.", "KR"}, {"Daejin Machinery", "KR"},
	{"Kansai Precision Instruments", "JP"}, {"Thames Mining plc", "GB"}, {"Gulf Crescent Investments", "AE"},
	{"Al Noor Food Industries", "AE"}, {"Lombardia Meccanica S.p.A.", "IT"}, {"Seine Santé SA", "FR"},
	{"Volga Agro Group", "RU"}, {"Samarkand Textile Cluster", "UZ"}, {"Deccan Pharma Ltd", "IN"},
	{"Alpine Hydro AG", "CH"}, {"Fjord Aqua AS", "NO"}, {"Maple Mining Corp.", "CA"},
}

// postFor picks the post that works with an investor's country.
var postFor = map[string]string{
	"DE": "de-berlin", "CN": "cn-beijing", "US": "us-washington", "TR": "tr-ankara", "KR": "kr-seoul", "JP": "jp-tokyo",
	"GB": "gb-london", "AE": "ae-abu-dhabi", "IT": "it-rome", "FR": "fr-paris", "RU": "ru-moscow", "UZ": "uz-tashkent",
	"IN": "in-new-delhi", "CH": "ch-geneva", "NO": "de-berlin", "CA": "us-washington",
}

var currencyOf = map[string]string{"DE": "EUR", "IT": "EUR", "FR": "EUR", "CN": "CNY", "US": "USD", "KR": "KRW", "JP": "JPY",
	"GB": "GBP", "CH": "CHF", "NO": "NOK", "CA": "CAD", "IN": "INR", "RU": "RUB"}

var projectWords = map[string][]string{
	"machine_building":        {"Tractor assembly plant", "Railcar bogie production", "Electric motor factory"},
	"agro_industrial":         {"Dairy processing complex", "Greenhouse cluster", "Meat processing plant"},
	"light_industry":          {"Cotton yarn spinning mill", "Leather goods factory"},
	"construction_materials":  {"Cement plant", "Glass container factory"},
	"mining":                  {"Copper concentrate project", "Tungsten deposit development"},
	"transport_logistics":     {"Dry port terminal", "Cold-chain logistics hub"},
	"health_care":             {"Pharmaceutical plant", "Diagnostic centre network"},
	"petrochemistry_refining": {"Polypropylene plant", "Lubricants blending unit"},
	"agrochemical":            {"Phosphate fertiliser plant"},
	"non_ferrous_metallurgy":  {"Aluminium rolling mill", "Copper cathode refinery"},
	"tourism":                 {"Ski resort development", "Lakeside hotel complex"},
	"education":               {"Technical university campus"},
	"oil_services":            {"Drilling services base"},
}

var sectorClause = map[string][]string{"agro_industrial": {"2.2", "2.13"}, "transport_logistics": {"2.2", "2.8"},
	"machine_building": {"2.2", "2.3"}, "petrochemistry_refining": {"2.2", "2.10"}}

// Generate returns n leads, the same for the same seed.
func Generate(seed uint64, n int, ref *reference.Data) []Lead {
	r := rand.New(rand.NewPCG(seed, seed^0x9e3779b97f4a7c15))
	sectors := ref.Sectors()
	regions := ref.Regions()
	out := make([]Lead, 0, n)
	for i := range n {
		inv := investors[r.IntN(len(investors))]
		sec := sectors[r.IntN(len(sectors))]
		titles := projectWords[sec.Code]
		if len(titles) == 0 {
			titles = []string{"Production facility"}
		}
		cur := currencyOf[inv.country]
		if cur == "" {
			cur = "USD"
		}
		// Capex between 2 and 400 million USD-equivalent, in round thousands of the local unit.
		usd := int64(2+r.IntN(398)) * 1_000_000
		amount := usd
		switch cur {
		case "JPY":
			amount = usd * 150
		case "KRW":
			amount = usd * 1350
		case "CNY":
			amount = usd * 7
		case "INR":
			amount = usd * 83
		case "NOK":
			amount = usd * 10
		}
		clauses := sectorClause[sec.Code]
		if clauses == nil {
			clauses = []string{"2.2"}
		}
		green := r.IntN(4) == 0
		if green {
			clauses = append(append([]string{}, clauses...), "2.4")
		}
		decision := time.Date(2026+r.IntN(3), time.Month(1+r.IntN(12)), 1+r.IntN(28), 0, 0, 0, 0, time.UTC)
		req := httpapi.CreateRequest{
			InvestorName: inv.name, InvestorCountry: inv.country,
			Title:  titles[r.IntN(len(titles))] + " in " + regions[r.IntN(len(regions))].NameEN,
			Sector: sec.Code, Clauses: clauses, TargetRegion: regions[r.IntN(len(regions))].Code,
			InvestmentType: domain.InvestmentTypes[r.IntN(len(domain.InvestmentTypes))],
			Capex:          httpx.MoneyJSON{Amount: httpx.NumberText(strconv.FormatInt(amount, 10)), Currency: cur},
			ExpectedJobs:   50 + r.IntN(1500), TechTransfer: r.IntN(3) == 0, Green: green,
			ExpectedDecisionDate: decision.Format(time.DateOnly), Source: domain.Sources[r.IntN(2)],
			Contacts: []httpapi.ContactJSON{{Name: fmt.Sprintf("Contact %d", i+1), Email: fmt.Sprintf("contact%d@investor.example", i+1), Role: "Head of business development"}},
		}
		// Most leads stay early; a funnel of later stages.
		depth := []int{0, 0, 0, 1, 1, 1, 2, 2, 3, 3, 4, 4, 5, 6}[r.IntN(14)]
		var path []domain.Stage
		for s := 1; s <= depth; s++ {
			path = append(path, domain.Stages[s])
		}
		l := Lead{Post: postFor[inv.country], Request: req, Path: path}
		switch roll := r.IntN(12); {
		case depth == 6: // operational is final
		case roll == 0:
			l.Path = append(l.Path, domain.Lost)
			l.Lost = "investor chose another country"
		case roll == 1:
			l.Path = append(l.Path, domain.OnHold)
		}
		datePath(r, &l)
		out = append(out, l)
	}
	return out
}

// datePath dates the lead: identified on a day of the window, each move 20
// to 200 days after the one before; a path that would run past WindowEnd
// stops there (the lead stays where it was on that day).
func datePath(r *rand.Rand, l *Lead) {
	span := int(WindowEnd.Sub(windowStart).Hours()/24) - 30
	on := windowStart.AddDate(0, 0, r.IntN(span))
	l.Request.IdentifiedOn = on.Format(time.DateOnly)
	for i := range l.Path {
		on = on.AddDate(0, 0, 20+r.IntN(181))
		if on.After(WindowEnd) {
			l.Path = l.Path[:i]
			if l.Lost != "" && !slices.Contains(l.Path, domain.Lost) {
				l.Lost = ""
			}
			break
		}
		l.Days = append(l.Days, on.Format(time.DateOnly))
	}
}

// Loader sends generated leads to the leads API.
type Loader struct {
	BaseURL  string
	TokenFor func(post string) (string, bool) // the token of an attaché of the post
	Client   *http.Client
	Progress func(done, total int)
}

// CreatedLead is a lead as the leads API created it: commission decisions
// link to it by its id.
type CreatedLead struct {
	ID              string
	InvestorCountry string
	Sector          string
}

// Load creates every lead and moves it along its path. Creation uses an
// idempotency key derived from the seed and index, so running it twice does
// not duplicate leads. It returns the created leads in the order of leads.
func (l *Loader) Load(ctx context.Context, seed uint64, leads []Lead) ([]CreatedLead, error) {
	if l.Client == nil {
		l.Client = &http.Client{Timeout: 30 * time.Second}
	}
	created := make([]CreatedLead, 0, len(leads))
	for i, d := range leads {
		tok, ok := l.TokenFor(d.Post)
		if !ok {
			return created, fmt.Errorf("demo lead %d: no attaché token for post %s", i, d.Post)
		}
		var lead httpapi.LeadJSON
		key := fmt.Sprintf("demo-%d-%d", seed, i)
		hdr, err := callAPI(ctx, l.Client, l.BaseURL, tok, http.MethodPost, "/api/v1/leads", key, d.Request, &lead)
		if err != nil {
			return created, fmt.Errorf("demo lead %d: create: %w", i, err)
		}
		created = append(created, CreatedLead{ID: lead.ID, InvestorCountry: lead.InvestorCountry, Sector: lead.Sector})
		path := d.Path
		if hdr.Get("Idempotent-Replayed") == "true" {
			// Created by an earlier load, which answers with the lead as first
			// created: read where it is now and go on from there.
			if err := l.call(ctx, tok, http.MethodGet, "/api/v1/leads/"+lead.ID, "", nil, &lead); err != nil {
				return created, fmt.Errorf("demo lead %d: read: %w", i, err)
			}
			if at := slices.Index(path, domain.Stage(lead.Stage)); at >= 0 {
				path = path[at+1:]
			} else if lead.Version > 1 {
				path = nil // moved by someone else: leave it
			}
		}
		days := d.Days[len(d.Path)-len(path):]
		for i, st := range path {
			v := lead.Version
			req := httpapi.MoveRequest{Version: &v, Stage: string(st), LostReason: d.Lost, EffectiveOn: days[i]}
			if err := l.call(ctx, tok, http.MethodPost, "/api/v1/leads/"+lead.ID+"/stage", "", req, &lead); err != nil {
				return created, fmt.Errorf("demo lead %d: move to %s: %w", i, st, err)
			}
		}
		if l.Progress != nil {
			l.Progress(i+1, len(leads))
		}
	}
	return created, nil
}

func (l *Loader) call(ctx context.Context, token, method, path, idemKey string, body, out any) error {
	_, err := callAPI(ctx, l.Client, l.BaseURL, token, method, path, idemKey, body, out)
	return err
}

// APIError is an answer of the API other than 2xx.
type APIError struct {
	Method, Path string
	Status       int
	Body         string
}

func (e *APIError) Error() string {
	return fmt.Sprintf("%s %s: %d %s", e.Method, e.Path, e.Status, e.Body)
}

// callAPI sends body as JSON and decodes a 2xx answer into out; any other
// status is an *APIError.
func callAPI(ctx context.Context, client *http.Client, baseURL, token, method, path, idemKey string, body, out any) (http.Header, error) {
	var payload io.Reader
	if body != nil {
		raw, err := json.Marshal(body)
		if err != nil {
			return nil, err
		}
		payload = bytes.NewReader(raw)
	}
	req, err := http.NewRequestWithContext(ctx, method, baseURL+path, payload)
	if err != nil {
		return nil, err
	}
	req.Header.Set("Authorization", "Bearer "+token)
	if body != nil {
		req.Header.Set("Content-Type", "application/json")
	}
	if idemKey != "" {
		req.Header.Set("Idempotency-Key", idemKey)
	}
	resp, err := client.Do(req)
	if err != nil {
		return nil, err
	}
	defer resp.Body.Close()
	data, _ := io.ReadAll(resp.Body)
	if resp.StatusCode >= 300 {
		return resp.Header, &APIError{Method: method, Path: path, Status: resp.StatusCode, Body: string(bytes.TrimSpace(data))}
	}
	return resp.Header, json.Unmarshal(data, out)
}
