package faultkit

import (
	"fmt"
	"math/rand/v2"
	"slices"
	"strconv"
	"time"

	"github.com/google/uuid"
	"github.com/shopspring/decimal"

	"econdip/events"
)

// Generator makes valid lead and deal events quickly: leads are created and
// moved forward through their stages, deals likewise, each event carrying
// the record's full state as the services' events do. It remembers what
// ClickHouse must end up with (Totals). It is not safe for concurrent use.
type Generator struct {
	r     *rand.Rand
	now   time.Time
	leads []*events.LeadV1 // records that can still move
	deals []*events.DealV1
	tot   Totals
}

// Totals is what a Generator's events add up to.
type Totals struct {
	Leads, Deals               int // records created
	LeadVersions, DealVersions int // sums of the records' final versions
	LeadEvents, DealEvents     int
}

var (
	leadStages = []string{"identified", "contacted", "qualified", "negotiating", "committed", "implementing", "operational"}
	leadProbs  = []string{"0.05", "0.1", "0.25", "0.5", "0.9", "1", "1"}
	dealStages = []string{"opportunity", "negotiating", "contracted", "shipped", "paid"}
	genPosts   = []struct{ post, country string }{{"de-berlin", "DE"}, {"cn-beijing", "CN"}, {"tr-ankara", "TR"}, {"us-washington", "US"}, {"uz-tashkent", "UZ"}}
	genSectors = []string{"agriculture", "energy", "mining", "transport", "it"}
	genHS      = []string{"100199", "760110", "270900", "120400", "020130", "851712"}
	genCcy     = []string{"USD", "EUR", "CNY"}
)

// maxActive bounds the records that can still move, of each kind: past it
// the generator only moves records on, and they reach their last stage.
const maxActive = 20000

// NewGenerator returns a generator whose choices follow seed; the event
// ids and times differ from run to run.
func NewGenerator(seed uint64) *Generator {
	return &Generator{r: rand.New(rand.NewPCG(seed, seed^0x9e3779b97f4a7c15)), now: time.Now().UTC().Truncate(time.Millisecond)}
}

// Totals returns what the events made so far add up to.
func (g *Generator) Totals() Totals { return g.tot }

// Next returns the subject and envelope of the next event.
func (g *Generator) Next() (string, events.Envelope) {
	if g.r.IntN(2) == 0 {
		return g.nextLead()
	}
	return g.nextDeal()
}

// stamp is the next event's time: a millisecond after the last, so that
// every version of a record is newer than the one before.
func (g *Generator) stamp() time.Time {
	g.now = g.now.Add(time.Millisecond)
	return g.now
}

func (g *Generator) nextLead() (string, events.Envelope) {
	t := g.stamp()
	var ev events.Event
	var l *events.LeadV1
	if len(g.leads) == 0 || (len(g.leads) < maxActive && g.r.IntN(3) == 0) {
		p := genPosts[g.r.IntN(len(genPosts))]
		l = &events.LeadV1{
			ID: uuid.NewString(), Version: 1, Post: p.post, Attache: "attache." + p.post,
			InvestorName: "Investor " + strconv.Itoa(g.tot.Leads), InvestorCountry: p.country, Title: "Plant",
			Sector: genSectors[g.r.IntN(len(genSectors))], Clauses: []string{"2.1"}, InvestmentType: "greenfield",
			Capex:        events.Money{Amount: decimal.NewFromInt(int64(1+g.r.IntN(500)) * 100000), Currency: genCcy[g.r.IntN(len(genCcy))]},
			ExpectedJobs: g.r.IntN(400), Source: "own_research", Stage: leadStages[0], Probability: decimal.RequireFromString(leadProbs[0]),
			CreatedAt: t, UpdatedAt: t, StageChangedAt: t, StageEffectiveOn: t.Format(time.DateOnly),
		}
		g.leads = append(g.leads, l)
		g.tot.Leads++
		g.tot.LeadVersions++
		ev = &events.LeadCreatedV1{Lead: *l}
	} else {
		i := g.r.IntN(len(g.leads))
		l = g.leads[i]
		from := slices.Index(leadStages, l.Stage)
		l.Version++
		l.Stage, l.Probability = leadStages[from+1], decimal.RequireFromString(leadProbs[from+1])
		l.UpdatedAt, l.StageChangedAt, l.StageEffectiveOn = t, t, t.Format(time.DateOnly)
		g.tot.LeadVersions++
		ev = &events.LeadStageChangedV1{Lead: *l, From: leadStages[from], To: l.Stage}
		if from+2 == len(leadStages) { // operational: it moves no more
			g.leads[i] = g.leads[len(g.leads)-1]
			g.leads = g.leads[:len(g.leads)-1]
		}
	}
	g.tot.LeadEvents++
	env, err := events.New(events.Meta{Source: "econdip/leads", Subject: "lead/" + l.ID, Actor: l.Attache, Scope: "post:" + l.Post, Time: t}, ev)
	if err != nil {
		panic(err)
	}
	return events.MustSubject(events.LeadSubject(l.ID)), env // a uuid
}

func (g *Generator) nextDeal() (string, events.Envelope) {
	t := g.stamp()
	var ev events.Event
	var d *events.DealV1
	if len(g.deals) == 0 || (len(g.deals) < maxActive && g.r.IntN(3) == 0) {
		p := genPosts[g.r.IntN(len(genPosts))]
		d = &events.DealV1{
			ID: uuid.NewString(), Version: 1, Post: p.post, Attache: "attache." + p.post,
			ExporterBIN: fmt.Sprintf("%012d", 100000000000+g.r.IntN(1000)), ExporterName: "Exporter", BuyerCountry: p.country,
			HSCode: genHS[g.r.IntN(len(genHS))], Value: events.Money{Amount: decimal.NewFromInt(int64(1+g.r.IntN(900)) * 1000), Currency: genCcy[g.r.IntN(len(genCcy))]},
			Stage: dealStages[0], Support: []string{"b2b_meeting"}, Clauses: []string{"2.7"},
			CreatedAt: t, UpdatedAt: t, StageChangedAt: t,
		}
		g.deals = append(g.deals, d)
		g.tot.Deals++
		g.tot.DealVersions++
		ev = &events.DealCreatedV1{Deal: *d}
	} else {
		i := g.r.IntN(len(g.deals))
		d = g.deals[i]
		from := slices.Index(dealStages, d.Stage)
		d.Version++
		d.Stage, d.UpdatedAt, d.StageChangedAt = dealStages[from+1], t, t
		if d.Stage == "contracted" {
			d.ContractDate = t.Format(time.DateOnly)
		}
		g.tot.DealVersions++
		ev = &events.DealStageChangedV1{Deal: *d, From: dealStages[from], To: d.Stage}
		if from+2 == len(dealStages) { // paid
			g.deals[i] = g.deals[len(g.deals)-1]
			g.deals = g.deals[:len(g.deals)-1]
		}
	}
	g.tot.DealEvents++
	env, err := events.New(events.Meta{Source: "econdip/exports", Subject: "deal/" + d.ID, Actor: d.Attache, Scope: "post:" + d.Post, Time: t}, ev)
	if err != nil {
		panic(err)
	}
	return events.MustSubject(events.DealSubject(d.ID)), env // a uuid
}
