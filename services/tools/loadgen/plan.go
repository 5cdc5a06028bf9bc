package loadgen

import (
	"fmt"
	"math/rand/v2"
	"time"

	"econdip/services/platform/reference"
	"econdip/services/tools/demo"
)

// Kind is what a story records.
type Kind string

// The kinds of story, and so of event, a load produces.
const (
	Leads     Kind = "leads"     // an investor lead and its stage moves
	Deals     Kind = "deals"     // an export deal and its stage moves
	Decisions Kind = "decisions" // a commission's protocol (a session and its decisions) and status changes
)

// Kinds lists every kind in the order results show them.
var Kinds = []Kind{Leads, Deals, Decisions}

// Mix is the share of events of each kind a load aims at: the generator picks
// the kind that lags furthest behind its share, so any prefix of a load has
// about this mix.
var Mix = map[Kind]float64{Leads: 0.45, Deals: 0.35, Decisions: 0.20}

// Story is one record's life, written in order by one worker: a lead or a
// deal created and moved along, or a protocol recorded and its decisions moved.
type Story struct {
	Kind Kind
	N    int    // position in the load (0, 1, ...)
	Key  string // unique in the load and the seed: idempotency keys and record ids derive from it

	Lead     *demo.Lead       // Kind Leads
	Deal     *demo.ExportDeal // Kind Deals
	Protocol *Protocol        // Kind Decisions
}

// Events is how many events the story produces when every write succeeds.
func (s Story) Events() int {
	switch s.Kind {
	case Leads:
		return 1 + len(s.Lead.Path)
	case Deals:
		return 1 + len(s.Deal.Moves)
	case Decisions:
		n := 1 + len(s.Protocol.Request.Decisions)
		for _, ch := range s.Protocol.Changes {
			n += len(ch)
		}
		return n
	}
	return 0
}

// Setup is what a load needs before its stories: the exporters its deals
// name and the commissions its protocols belong to.
type Setup struct {
	Exporters   []exporterRequest
	Commissions []commissionRequest
}

// Generator produces a load's stories, the same sequence for the same seed.
// It draws on the demo generators (services/tools/demo), round after round with a
// seed derived from the load's seed and the round, so a load of any size is
// made of realistic leads, deals and protocols. Not safe for concurrent use.
type Generator struct {
	seed  uint64
	ref   *reference.Data
	today time.Time
	n     int
	sent  map[Kind]int // events of each kind handed out so far

	leads     []demo.Lead
	leadRound int
	leadNext  int

	deals     []demo.ExportDeal
	dealRound int
	dealNext  int

	protocols     []Protocol
	protocolRound int
	protocolNext  int
	sessionBase   int            // where this seed's session numbers start
	sessionNext   map[string]int // session numbers taken, by commission
}

// NewGenerator returns the generator of the load with this seed. Every day
// it generates lies in the demo's fixed window (up to demo.WindowEnd), so
// the sequence does not depend on the day it runs.
func NewGenerator(seed uint64, ref *reference.Data) *Generator {
	return &Generator{seed: seed, ref: ref, today: demo.WindowEnd, sent: map[Kind]int{}, leadRound: -1, dealRound: -1, protocolRound: -1}
}

// Setup is the exporters and commissions the stories need.
func (g *Generator) Setup() Setup {
	var s Setup
	s.Exporters = demo.GenerateExports(g.seed, g.today, g.ref).Exporters
	for _, c := range demo.GenerateCommissions(g.seed, demoDay(g.today), nil) {
		s.Commissions = append(s.Commissions, c.Request)
	}
	return s
}

// roundSeed is the demo generators' seed for one round of a load.
func (g *Generator) roundSeed(kind Kind, round int) uint64 {
	r := rand.New(rand.NewPCG(g.seed, uint64(round)<<8|uint64(len(kind))))
	return r.Uint64()
}

// leadsPerRound is how many leads one call of the demo generator makes.
const leadsPerRound = 256

// Next returns the next story.
func (g *Generator) Next() Story { return g.next(g.lagging()) }

// NextLead returns the next lead story, whatever the mix: for loads of
// leads alone (the restart benchmark's million leads). A generator used
// this way gives the leads Next would have given, in the same order.
func (g *Generator) NextLead() Story { return g.next(Leads) }

func (g *Generator) next(kind Kind) Story {
	s := Story{Kind: kind, N: g.n}
	switch kind {
	case Leads:
		if g.leadNext == len(g.leads) {
			g.leadRound++
			g.leads = demo.Generate(g.roundSeed(Leads, g.leadRound), leadsPerRound, g.ref)
			g.leadNext = 0
		}
		l := g.leads[g.leadNext]
		s.Lead = &l
		s.Key = fmt.Sprintf("load-%d-lead-%d-%d", g.seed, g.leadRound, g.leadNext)
		g.leadNext++
	case Deals:
		for g.dealNext == len(g.deals) {
			g.dealRound++
			g.deals = demo.GenerateExports(g.roundSeed(Deals, g.dealRound), g.today, g.ref).Deals
			g.dealNext = 0
		}
		d := g.deals[g.dealNext]
		s.Deal = &d
		s.Key = fmt.Sprintf("load-%d-deal-%d-%d", g.seed, g.dealRound, d.Index)
		g.dealNext++
	case Decisions:
		for g.protocolNext == len(g.protocols) {
			g.protocolRound++
			g.protocols = g.generateProtocols(g.protocolRound)
			g.protocolNext = 0
		}
		p := g.protocols[g.protocolNext]
		s.Protocol = &p
		s.Key = fmt.Sprintf("load-%d-%s-%d", g.seed, p.Commission.ID, p.Request.Number)
		g.protocolNext++
	}
	g.sent[kind] += s.Events()
	g.n++
	return s
}

// lagging is the kind furthest below its share of the events handed out.
func (g *Generator) lagging() Kind {
	total := 0
	for _, n := range g.sent {
		total += n
	}
	best, gap := Leads, -1.0
	for _, k := range Kinds {
		// How many stories of kind k the mix is short of: counts, not money.
		d := Mix[k]*float64(total+1) - float64(g.sent[k])
		if d > gap {
			best, gap = k, d
		}
	}
	return best
}
