package natscluster

// The generator is a copy of services/reliability's: valid lead and deal
// events, the totals ClickHouse must end up with.

import (
	"context"
	"errors"
	"fmt"
	"math/rand/v2"
	"slices"
	"strconv"
	"sync"
	"sync/atomic"
	"time"

	"github.com/google/uuid"
	"github.com/nats-io/nats.go/jetstream"
	"github.com/shopspring/decimal"

	"econdip/events"
)

// generator makes valid lead and deal events quickly: leads are created and
// moved forward through their stages, deals likewise, each event carrying
// the record's full state as the services' events do. It remembers what
// ClickHouse must end up with.
type generator struct {
	r     *rand.Rand
	now   time.Time
	leads []*genLead // records that can still move
	deals []*genDeal

	// What the events add up to.
	leadCount, dealCount       int
	leadVersions, dealVersions int // sums of the final versions
	leadEvents, dealEvents     int
}

type genLead struct{ lead events.LeadV1 }
type genDeal struct{ deal events.DealV1 }

var (
	leadStages = []string{"identified", "contacted", "qualified", "negotiating", "committed", "implementing", "operational"}
	leadProbs  = []string{"0.05", "0.1", "0.25", "0.5", "0.9", "1", "1"}
	dealStages = []string{"opportunity", "negotiating", "contracted", "shipped", "paid"}
	genPosts   = []struct{ post, country string }{{"de-berlin", "DE"}, {"cn-beijing", "CN"}, {"tr-ankara", "TR"}, {"us-washington", "US"}, {"uz-tashkent", "UZ"}}
	genSectors = []string{"agriculture", "energy", "mining", "transport", "it"}
	genHS      = []string{"100199", "760110", "270900", "120400", "020130", "851712"}
	genCcy     = []string{"USD", "EUR", "CNY"}
)

const maxActive = 20000

func newGenerator(seed uint64) *generator {
	return &generator{r: rand.New(rand.NewPCG(seed, seed^0x9e3779b97f4a7c15)), now: time.Now().UTC().Truncate(time.Millisecond)}
}

// next returns the subject and envelope of the next event.
func (g *generator) next() (string, events.Envelope) {
	if g.r.IntN(2) == 0 {
		return g.nextLead()
	}
	return g.nextDeal()
}

func (g *generator) stamp() time.Time {
	g.now = g.now.Add(time.Millisecond)
	return g.now
}

func (g *generator) nextLead() (string, events.Envelope) {
	t := g.stamp()
	var ev events.Event
	var l *genLead
	if len(g.leads) == 0 || (len(g.leads) < maxActive && g.r.IntN(3) == 0) {
		p := genPosts[g.r.IntN(len(genPosts))]
		l = &genLead{lead: events.LeadV1{
			ID: uuid.NewString(), Version: 1, Post: p.post, Attache: "attache." + p.post,
			InvestorName: "Investor " + strconv.Itoa(g.leadCount), InvestorCountry: p.country, Title: "Plant",
			Sector: genSectors[g.r.IntN(len(genSectors))], Clauses: []string{"2.1"}, InvestmentType: "greenfield",
			Capex:        events.Money{Amount: decimal.NewFromInt(int64(1+g.r.IntN(500)) * 100000), Currency: genCcy[g.r.IntN(len(genCcy))]},
			ExpectedJobs: g.r.IntN(400), Source: "own_research", Stage: leadStages[0], Probability: decimal.RequireFromString(leadProbs[0]),
			CreatedAt: t, UpdatedAt: t, StageChangedAt: t, StageEffectiveOn: t.Format(time.DateOnly),
		}}
		g.leads = append(g.leads, l)
		g.leadCount++
		g.leadVersions++
		ev = &events.LeadCreatedV1{Lead: l.lead}
	} else {
		i := g.r.IntN(len(g.leads))
		l = g.leads[i]
		from := slices.Index(leadStages, l.lead.Stage)
		l.lead.Version++
		l.lead.Stage, l.lead.Probability = leadStages[from+1], decimal.RequireFromString(leadProbs[from+1])
		l.lead.UpdatedAt, l.lead.StageChangedAt, l.lead.StageEffectiveOn = t, t, t.Format(time.DateOnly)
		g.leadVersions++
		ev = &events.LeadStageChangedV1{Lead: l.lead, From: leadStages[from], To: l.lead.Stage}
		if from+2 == len(leadStages) { // operational: it moves no more
			g.leads[i] = g.leads[len(g.leads)-1]
			g.leads = g.leads[:len(g.leads)-1]
		}
	}
	g.leadEvents++
	env, err := events.New(events.Meta{Source: "econdip/leads", Subject: "lead/" + l.lead.ID, Actor: l.lead.Attache, Scope: "post:" + l.lead.Post, Time: t}, ev)
	if err != nil {
		panic(err)
	}
	return events.LeadSubject(l.lead.ID), env
}

func (g *generator) nextDeal() (string, events.Envelope) {
	t := g.stamp()
	var ev events.Event
	var d *genDeal
	if len(g.deals) == 0 || (len(g.deals) < maxActive && g.r.IntN(3) == 0) {
		p := genPosts[g.r.IntN(len(genPosts))]
		d = &genDeal{deal: events.DealV1{
			ID: uuid.NewString(), Version: 1, Post: p.post, Attache: "attache." + p.post,
			ExporterBIN: fmt.Sprintf("%012d", 100000000000+g.r.IntN(1000)), ExporterName: "Exporter", BuyerCountry: p.country,
			HSCode: genHS[g.r.IntN(len(genHS))], Value: events.Money{Amount: decimal.NewFromInt(int64(1+g.r.IntN(900)) * 1000), Currency: genCcy[g.r.IntN(len(genCcy))]},
			Stage: dealStages[0], Support: []string{"b2b_meeting"}, Clauses: []string{"2.7"},
			CreatedAt: t, UpdatedAt: t, StageChangedAt: t,
		}}
		g.deals = append(g.deals, d)
		g.dealCount++
		g.dealVersions++
		ev = &events.DealCreatedV1{Deal: d.deal}
	} else {
		i := g.r.IntN(len(g.deals))
		d = g.deals[i]
		from := slices.Index(dealStages, d.deal.Stage)
		d.deal.Version++
		d.deal.Stage, d.deal.UpdatedAt, d.deal.StageChangedAt = dealStages[from+1], t, t
		if d.deal.Stage == "contracted" {
			d.deal.ContractDate = t.Format(time.DateOnly)
		}
		g.dealVersions++
		ev = &events.DealStageChangedV1{Deal: d.deal, From: dealStages[from], To: d.deal.Stage}
		if from+2 == len(dealStages) { // paid
			g.deals[i] = g.deals[len(g.deals)-1]
			g.deals = g.deals[:len(g.deals)-1]
		}
	}
	g.dealEvents++
	env, err := events.New(events.Meta{Source: "econdip/exports", Subject: "deal/" + d.deal.ID, Actor: d.deal.Attache, Scope: "post:" + d.deal.Post, Time: t}, ev)
	if err != nil {
		panic(err)
	}
	return events.DealSubject(d.deal.ID), env
}

// ack is one event JetStream acknowledged.
type ack struct {
	id     uuid.UUID
	stream string
	seq    uint64
}

// publisher sends events with events.PublishAsync, at most window in
// flight, and keeps every acknowledgement. An event whose publish failed or
// went unanswered (its stream's leader gone) is sent again, same envelope
// and so the same message id, until JetStream acknowledges it, as a
// producer does; after giveUp it is counted as never acknowledged instead,
// so a stream that stays unavailable ends the load instead of hanging it.
type publisher struct {
	js      jetstream.JetStream
	giveUp  time.Time
	pending chan inflight
	done    chan struct{}

	mu        sync.Mutex
	acks      []ack
	lastErr   error
	retries   atomic.Int64
	dups      atomic.Int64 // acks that said Duplicate: a retry of an event stored before
	published atomic.Int64 // acknowledged
	abandoned atomic.Int64 // never acknowledged before giveUp
}

type inflight struct {
	subject string
	env     events.Envelope
	fut     jetstream.PubAckFuture
}

func newPublisher(js jetstream.JetStream, window int, giveUp time.Time) *publisher {
	p := &publisher{js: js, giveUp: giveUp, pending: make(chan inflight, window), done: make(chan struct{})}
	go p.collect()
	return p
}

// publish sends one event; it blocks while window events await their ack.
func (p *publisher) publish(subject string, env events.Envelope) {
	f, err := events.PublishAsync(p.js, subject, env)
	if err != nil {
		f = nil // the collector sends it again
	}
	p.pending <- inflight{subject: subject, env: env, fut: f}
}

// close waits until every event sent is acknowledged or abandoned.
func (p *publisher) close() {
	close(p.pending)
	<-p.done
}

func (p *publisher) collect() {
	defer close(p.done)
	for in := range p.pending {
		for attempt := 0; ; attempt++ {
			var pa *jetstream.PubAck
			var err error
			wait := 10 * time.Second
			if time.Now().After(p.giveUp) {
				wait = 0 // take an answer already there, wait for none
			}
			if in.fut == nil {
				err = errors.New("not sent")
			} else {
				select {
				case pa = <-in.fut.Ok():
				case err = <-in.fut.Err():
				case <-time.After(wait):
					err = fmt.Errorf("no acknowledgement within %s", wait)
				}
			}
			if err == nil {
				if pa.Duplicate {
					p.dups.Add(1)
				}
				p.mu.Lock()
				p.acks = append(p.acks, ack{id: uuid.MustParse(in.env.ID), stream: pa.Stream, seq: pa.Sequence})
				p.mu.Unlock()
				p.published.Add(1)
				break
			}
			if time.Now().After(p.giveUp) {
				p.abandoned.Add(1)
				p.mu.Lock()
				p.lastErr = fmt.Errorf("%s: %w", in.subject, err)
				p.mu.Unlock()
				break
			}
			p.retries.Add(1)
			if attempt > 0 { // the stream has no leader yet: wait a little before the next try
				time.Sleep(min(time.Duration(attempt)*50*time.Millisecond, time.Second))
			}
			in.fut, _ = events.PublishAsync(p.js, in.subject, in.env)
		}
	}
}

// acked returns a copy of the acknowledgements so far.
func (p *publisher) acked() []ack {
	p.mu.Lock()
	defer p.mu.Unlock()
	return slices.Clone(p.acks)
}

// err is the last error of an abandoned event.
func (p *publisher) err() error {
	p.mu.Lock()
	defer p.mu.Unlock()
	return p.lastErr
}

// runLoadAt publishes n generated events through p at about perSecond (0:
// as fast as acknowledgements allow), so a load spans a fault injected in
// the middle of it; it stops early when ctx ends and returns how many it sent.
func runLoadAt(ctx context.Context, g *generator, p *publisher, n, perSecond int) int {
	start := time.Now()
	for i := range n {
		if i%100 == 0 {
			if ctx.Err() != nil {
				return i
			}
			if perSecond > 0 {
				if ahead := time.Duration(i)*time.Second/time.Duration(perSecond) - time.Since(start); ahead > 0 {
					time.Sleep(ahead)
				}
			}
		}
		p.publish(g.next())
	}
	return n
}
