package loadgen

import (
	"context"

	"econdip/services/exports/httpapi"
)

func (d *APIDriver) deal(ctx context.Context, s Story, w *Writes) error {
	dl := s.Deal
	tok, err := d.token("attache." + dl.Post)
	if err != nil {
		return err
	}
	var rec recordJSON
	if err := d.write(ctx, w, Write{Kind: Deals, Op: "create", Events: 1}, tok, d.ExportsURL+"/api/v1/deals", s.Key, dl.Request, &rec); err != nil {
		return err
	}
	for _, m := range dl.Moves {
		v := rec.Version
		req := httpapi.MoveRequest{Version: &v, Stage: string(m.Stage), LostReason: m.LostReason, ContractDate: m.ContractDate, Comment: m.Comment}
		if err := d.write(ctx, w, Write{Kind: Deals, Op: "move", Events: 1}, tok, d.ExportsURL+"/api/v1/deals/"+rec.ID+"/stage", "", req, &rec); err != nil {
			return err
		}
	}
	return nil
}
