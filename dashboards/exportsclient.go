package dashboards

import (
	"context"
	"net/http"
	"net/url"

	"econdip/services/exports/httpapi"
)

// exportsClient is the exports service's API.
type exportsClient struct{ *apiClient }

func epath(kind string, parts ...string) string {
	p := "/api/v1/" + kind
	for _, part := range parts {
		p += "/" + url.PathEscape(part)
	}
	return p
}

func (c exportsClient) deals(ctx context.Context, token string, q url.Values) ([]httpapi.DealJSON, int, error) {
	var out struct {
		Deals []httpapi.DealJSON `json:"deals"`
		Total int                `json:"total"`
	}
	err := c.call(ctx, token, http.MethodGet, epath("deals")+"?"+q.Encode(), nil, nil, &out)
	return out.Deals, out.Total, err
}

func (c exportsClient) deal(ctx context.Context, token, id string) (httpapi.DealJSON, error) {
	var out httpapi.DealJSON
	err := c.call(ctx, token, http.MethodGet, epath("deals", id), nil, nil, &out)
	return out, err
}

func (c exportsClient) dealHistory(ctx context.Context, token, id string) ([]httpapi.ChangeJSON, error) {
	var out struct {
		History []httpapi.ChangeJSON `json:"history"`
	}
	err := c.call(ctx, token, http.MethodGet, epath("deals", id, "history"), nil, nil, &out)
	return out.History, err
}

func (c exportsClient) createDeal(ctx context.Context, token, idemKey string, req httpapi.DealRequest) (httpapi.DealJSON, error) {
	var out httpapi.DealJSON
	err := c.call(ctx, token, http.MethodPost, epath("deals"), map[string]string{"Idempotency-Key": idemKey}, req, &out)
	return out, err
}

func (c exportsClient) updateDeal(ctx context.Context, token, id string, req httpapi.DealPatch) (httpapi.DealJSON, error) {
	var out httpapi.DealJSON
	err := c.call(ctx, token, http.MethodPatch, epath("deals", id), nil, req, &out)
	return out, err
}

func (c exportsClient) moveDeal(ctx context.Context, token, id string, req httpapi.MoveRequest) (httpapi.DealJSON, error) {
	var out httpapi.DealJSON
	err := c.call(ctx, token, http.MethodPost, epath("deals", id, "stage"), nil, req, &out)
	return out, err
}

func (c exportsClient) exporters(ctx context.Context, token string, q url.Values) ([]httpapi.ExporterJSON, error) {
	var out struct {
		Exporters []httpapi.ExporterJSON `json:"exporters"`
	}
	err := c.call(ctx, token, http.MethodGet, epath("exporters")+"?"+q.Encode(), nil, nil, &out)
	return out.Exporters, err
}

func (c exportsClient) registerExporter(ctx context.Context, token string, req httpapi.ExporterRequest) (httpapi.ExporterJSON, error) {
	var out httpapi.ExporterJSON
	err := c.call(ctx, token, http.MethodPost, epath("exporters"), nil, req, &out)
	return out, err
}

func (c exportsClient) barriers(ctx context.Context, token string, q url.Values) ([]httpapi.BarrierJSON, int, error) {
	var out struct {
		Barriers []httpapi.BarrierJSON `json:"barriers"`
		Total    int                   `json:"total"`
	}
	err := c.call(ctx, token, http.MethodGet, epath("barriers")+"?"+q.Encode(), nil, nil, &out)
	return out.Barriers, out.Total, err
}

func (c exportsClient) barrier(ctx context.Context, token, id string) (httpapi.BarrierJSON, error) {
	var out httpapi.BarrierJSON
	err := c.call(ctx, token, http.MethodGet, epath("barriers", id), nil, nil, &out)
	return out, err
}

func (c exportsClient) barrierHistory(ctx context.Context, token, id string) ([]httpapi.ChangeJSON, error) {
	var out struct {
		History []httpapi.ChangeJSON `json:"history"`
	}
	err := c.call(ctx, token, http.MethodGet, epath("barriers", id, "history"), nil, nil, &out)
	return out.History, err
}

func (c exportsClient) reportBarrier(ctx context.Context, token, idemKey string, req httpapi.BarrierRequest) (httpapi.BarrierJSON, error) {
	var out httpapi.BarrierJSON
	err := c.call(ctx, token, http.MethodPost, epath("barriers"), map[string]string{"Idempotency-Key": idemKey}, req, &out)
	return out, err
}

func (c exportsClient) updateBarrier(ctx context.Context, token, id string, req httpapi.BarrierPatch) (httpapi.BarrierJSON, error) {
	var out httpapi.BarrierJSON
	err := c.call(ctx, token, http.MethodPatch, epath("barriers", id), nil, req, &out)
	return out, err
}

func (c exportsClient) barrierStatus(ctx context.Context, token, id string, req httpapi.StatusRequest) (httpapi.BarrierJSON, error) {
	var out httpapi.BarrierJSON
	err := c.call(ctx, token, http.MethodPost, epath("barriers", id, "status"), nil, req, &out)
	return out, err
}

func (c exportsClient) hs(ctx context.Context, token string, q url.Values) ([]httpapi.HSJSON, error) {
	var out struct {
		Results []httpapi.HSJSON `json:"results"`
	}
	err := c.call(ctx, token, http.MethodGet, epath("hs")+"?"+q.Encode(), nil, nil, &out)
	return out.Results, err
}

// importDeals sends a deal file to the import: dry (a preview) or for real,
// with expect the digest of the preview the attaché confirmed.
func (c exportsClient) importDeals(ctx context.Context, token string, file []byte, dry bool, expect string) (httpapi.ImportJSON, error) {
	var out httpapi.ImportJSON
	q := url.Values{}
	if dry {
		q.Set("dry_run", "true")
	}
	if expect != "" {
		q.Set("expect", expect)
	}
	err := c.call(ctx, token, http.MethodPost, epath("deals", "import")+"?"+q.Encode(), nil, rawBody{contentType: "text/csv", data: file}, &out)
	return out, err
}
