package loadgen

import (
	"context"
	"fmt"

	"econdip/services/commissions/httpapi"
)

func (d *APIDriver) protocol(ctx context.Context, s Story, w *Writes) error {
	p := s.Protocol
	cid := p.Commission.ID
	tok, err := d.token("secretariat." + cid)
	if err != nil {
		return err
	}
	base := d.CommissionsURL + "/api/v1/commissions/" + cid
	var out protocolJSON
	wr := Write{Kind: Decisions, Op: "protocol", Events: 1 + len(p.Request.Decisions)}
	if err := d.write(ctx, w, wr, tok, base+"/sessions", s.Key, p.Request, &out); err != nil {
		return err
	}
	byItem := map[string]recordJSON{}
	for _, dec := range out.Decisions {
		byItem[dec.Item] = dec.recordJSON
	}
	for i, changes := range p.Changes {
		rec, ok := byItem[p.Request.Decisions[i].Item]
		if !ok {
			return fmt.Errorf("protocol %s %d: no decision %s in the answer", cid, p.Request.Number, p.Request.Decisions[i].Item)
		}
		for _, ch := range changes {
			v := rec.Version
			req := httpapi.StatusRequest{Version: &v, Status: string(ch.Status), EffectiveOn: ch.EffectiveOn, Comment: ch.Comment, EvidenceRef: ch.EvidenceRef}
			if err := d.write(ctx, w, Write{Kind: Decisions, Op: "status", Events: 1}, tok, base+"/decisions/"+rec.ID+"/status", "", req, &rec); err != nil {
				return err
			}
		}
	}
	return nil
}
