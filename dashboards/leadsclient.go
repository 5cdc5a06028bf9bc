package dashboards

import (
	"bytes"
	"context"
	"encoding/json"
	"fmt"
	"io"
	"net/http"
	"net/url"
	"time"

	"econdip/services/leads/httpapi"
	"econdip/services/platform/apperr"
	"econdip/services/platform/httpx"
)

// leadsClient calls the leads service's API with the signed-in user's token,
// so the leads service enforces access and records the real actor.
type leadsClient struct {
	base string
	http *http.Client
}

func newLeadsClient(base string) *leadsClient {
	return &leadsClient{base: base, http: &http.Client{Timeout: 15 * time.Second}}
}

// call sends a JSON request and decodes a JSON answer; API errors come back as *apperr.Error with their fields.
func (c *leadsClient) call(ctx context.Context, token, method, path string, headers map[string]string, body, out any) error {
	var rd io.Reader
	if body != nil {
		raw, err := json.Marshal(body)
		if err != nil {
			return err
		}
		rd = bytes.NewReader(raw)
	}
	req, err := http.NewRequestWithContext(ctx, method, c.base+path, rd)
	if err != nil {
		return err
	}
	req.Header.Set("Authorization", "Bearer "+token)
	req.Header.Set("Content-Type", "application/json")
	for k, v := range headers {
		req.Header.Set(k, v)
	}
	resp, err := c.http.Do(req)
	if err != nil {
		return apperr.Wrap(apperr.Unavailable, err, "error.leads_unavailable")
	}
	defer resp.Body.Close()
	raw, err := io.ReadAll(io.LimitReader(resp.Body, 8<<20))
	if err != nil {
		return apperr.Wrap(apperr.Unavailable, err, "error.leads_unavailable")
	}
	if resp.StatusCode >= 400 {
		var eb httpx.ErrorBody
		if json.Unmarshal(raw, &eb) != nil || eb.Code == "" {
			return apperr.Wrap(apperr.Internal, fmt.Errorf("leads service answered %d: %s", resp.StatusCode, raw), "error.internal")
		}
		return &apperr.Error{Code: eb.Code, Message: eb.Error, Fields: eb.Fields}
	}
	if out == nil {
		return nil
	}
	return json.Unmarshal(raw, out)
}

func (c *leadsClient) list(ctx context.Context, token string, q url.Values) (httpapi.ListJSON, error) {
	var out httpapi.ListJSON
	err := c.call(ctx, token, http.MethodGet, "/api/v1/leads?"+q.Encode(), nil, nil, &out)
	return out, err
}

func (c *leadsClient) get(ctx context.Context, token, id string) (httpapi.LeadJSON, error) {
	var out httpapi.LeadJSON
	err := c.call(ctx, token, http.MethodGet, "/api/v1/leads/"+url.PathEscape(id), nil, nil, &out)
	return out, err
}

func (c *leadsClient) history(ctx context.Context, token, id string) ([]httpapi.ChangeJSON, error) {
	var out struct {
		History []httpapi.ChangeJSON `json:"history"`
	}
	err := c.call(ctx, token, http.MethodGet, "/api/v1/leads/"+url.PathEscape(id)+"/history", nil, nil, &out)
	return out.History, err
}

func (c *leadsClient) create(ctx context.Context, token, idemKey string, req httpapi.CreateRequest) (httpapi.LeadJSON, error) {
	var out httpapi.LeadJSON
	err := c.call(ctx, token, http.MethodPost, "/api/v1/leads", map[string]string{"Idempotency-Key": idemKey}, req, &out)
	return out, err
}

func (c *leadsClient) update(ctx context.Context, token, id string, req httpapi.PatchRequest) (httpapi.LeadJSON, error) {
	var out httpapi.LeadJSON
	err := c.call(ctx, token, http.MethodPatch, "/api/v1/leads/"+url.PathEscape(id), nil, req, &out)
	return out, err
}

func (c *leadsClient) move(ctx context.Context, token, id string, req httpapi.MoveRequest) (httpapi.LeadJSON, error) {
	var out httpapi.LeadJSON
	err := c.call(ctx, token, http.MethodPost, "/api/v1/leads/"+url.PathEscape(id)+"/stage", nil, req, &out)
	return out, err
}
