package loadgen

import (
	"context"

	"econdip/services/leads/domain"
	"econdip/services/leads/httpapi"
)

func (d *APIDriver) lead(ctx context.Context, s Story, w *Writes) error {
	l := s.Lead
	tok, err := d.token("attache." + l.Post)
	if err != nil {
		return err
	}
	var rec recordJSON
	if err := d.write(ctx, w, Write{Kind: Leads, Op: "create", Events: 1}, tok, d.LeadsURL+"/api/v1/leads", s.Key, l.Request, &rec); err != nil {
		return err
	}
	for i, st := range l.Path {
		v := rec.Version
		req := httpapi.MoveRequest{Version: &v, Stage: string(st), EffectiveOn: l.Days[i]}
		if st == domain.Lost {
			req.LostReason = l.Lost
		}
		if err := d.write(ctx, w, Write{Kind: Leads, Op: "move", Events: 1}, tok, d.LeadsURL+"/api/v1/leads/"+rec.ID+"/stage", "", req, &rec); err != nil {
			return err
		}
	}
	return nil
}
