package dashboards

import (
	"context"
	"net/http"
	"net/url"

	"econdip/services/commissions/httpapi"
)

// commissionsClient is the commissions service's API.
type commissionsClient struct{ *apiClient }

func cpath(cid string, parts ...string) string {
	p := "/api/v1/commissions/" + url.PathEscape(cid)
	for _, part := range parts {
		p += "/" + url.PathEscape(part)
	}
	return p
}

func (c commissionsClient) commission(ctx context.Context, token, cid string) (httpapi.CommissionJSON, error) {
	var out httpapi.CommissionJSON
	err := c.call(ctx, token, http.MethodGet, cpath(cid), nil, nil, &out)
	return out, err
}

func (c commissionsClient) register(ctx context.Context, token, cid string, q url.Values) ([]httpapi.DecisionJSON, string, error) {
	var out struct {
		Decisions []httpapi.DecisionJSON `json:"decisions"`
		AsOf      string                 `json:"as_of"`
	}
	err := c.call(ctx, token, http.MethodGet, cpath(cid, "decisions")+"?"+q.Encode(), nil, nil, &out)
	return out.Decisions, out.AsOf, err
}

func (c commissionsClient) decision(ctx context.Context, token, cid, did string) (httpapi.DecisionJSON, error) {
	var out httpapi.DecisionJSON
	err := c.call(ctx, token, http.MethodGet, cpath(cid, "decisions", did), nil, nil, &out)
	return out, err
}

func (c commissionsClient) history(ctx context.Context, token, cid, did string) ([]httpapi.ChangeJSON, error) {
	var out struct {
		History []httpapi.ChangeJSON `json:"history"`
	}
	err := c.call(ctx, token, http.MethodGet, cpath(cid, "decisions", did, "history"), nil, nil, &out)
	return out.History, err
}

func (c commissionsClient) record(ctx context.Context, token, cid, idemKey string, req httpapi.ProtocolRequest) (httpapi.ProtocolJSON, error) {
	var out httpapi.ProtocolJSON
	err := c.call(ctx, token, http.MethodPost, cpath(cid, "sessions"), map[string]string{"Idempotency-Key": idemKey}, req, &out)
	return out, err
}

func (c commissionsClient) importCSV(ctx context.Context, token, cid, idemKey string, session url.Values, csv []byte) (httpapi.ProtocolJSON, error) {
	var out httpapi.ProtocolJSON
	err := c.call(ctx, token, http.MethodPost, cpath(cid, "sessions", "import")+"?"+session.Encode(),
		map[string]string{"Idempotency-Key": idemKey}, rawBody{contentType: "text/csv", data: csv}, &out)
	return out, err
}

func (c commissionsClient) status(ctx context.Context, token, cid, did string, req httpapi.StatusRequest) (httpapi.DecisionJSON, error) {
	var out httpapi.DecisionJSON
	err := c.call(ctx, token, http.MethodPost, cpath(cid, "decisions", did, "status"), nil, req, &out)
	return out, err
}

func (c commissionsClient) link(ctx context.Context, token, cid, did string, req httpapi.LinkRequest) (httpapi.DecisionJSON, error) {
	var out httpapi.DecisionJSON
	err := c.call(ctx, token, http.MethodPost, cpath(cid, "decisions", did, "links"), nil, req, &out)
	return out, err
}
