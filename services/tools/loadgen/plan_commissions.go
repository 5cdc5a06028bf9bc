package loadgen

import (
	"fmt"
	"math/rand/v2"

	"econdip/services/commissions/httpapi"
	"econdip/services/tools/demo"
)

// commissionRequest is the commission Setup creates, named here because Go
// names imports per file and plan.go cannot import two httpapi packages.
type commissionRequest = httpapi.CommissionRequest

// Protocol is one session of a commission with its decisions, and each
// decision's status changes afterwards (same order as Request.Decisions).
type Protocol struct {
	Commission httpapi.CommissionRequest
	Request    httpapi.ProtocolRequest
	Changes    [][]demo.Change // status changes only: a load links nothing
}

// Session numbers of a load: a commission numbers its sessions 1 to 10,000
// and records a number once, so a load's protocols take the numbers from
// firstSession up, each commission's in turn from a point drawn from the
// seed (loads of different seeds rarely meet), wrapping around at the
// last. The API refuses a number recorded already (409): the load skips
// that protocol and counts it as skipped.
const (
	firstSession = 100 // below: the demo's own sessions
	lastSession  = 10_000
	sessionSpan  = lastSession - firstSession + 1
)

// generateProtocols is one round of the demo's protocols, renumbered.
func (g *Generator) generateProtocols(round int) []Protocol {
	if g.sessionNext == nil {
		g.sessionNext = map[string]int{}
		g.sessionBase = rand.New(rand.NewPCG(g.seed, 0x5e55)).IntN(sessionSpan)
	}
	var out []Protocol
	for _, c := range demo.GenerateCommissions(g.roundSeed(Decisions, round), demoDay(g.today), nil) {
		for _, s := range c.Sessions {
			p := Protocol{Commission: c.Request, Request: s.Request}
			p.Request.Number = firstSession + (g.sessionBase+g.sessionNext[c.Request.ID])%sessionSpan
			g.sessionNext[c.Request.ID]++
			p.Request.ProtocolRef = fmt.Sprintf("IGC-%s-L%d", c.Request.PartnerCountry, p.Request.Number)
			p.Request.Decisions = append([]httpapi.DecisionRequest(nil), s.Request.Decisions...)
			for _, ch := range s.Changes {
				var status []demo.Change
				for _, c := range ch {
					if !c.IsLink() {
						status = append(status, c)
					}
				}
				p.Changes = append(p.Changes, status)
			}
			out = append(out, p)
		}
	}
	return out
}
