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

	"github.com/gofiber/fiber/v2"

	"econdip/services/leads/httpapi"
	"econdip/services/platform/apperr"
	"econdip/services/platform/httpx"
	"econdip/services/platform/i18n"
)

// apiClient calls a service's API with the signed-in user's token, so the
// service enforces access and records the real actor.
type apiClient struct {
	base string
	http *http.Client
}

func newAPIClient(base string) *apiClient {
	return &apiClient{base: base, http: &http.Client{Timeout: 15 * time.Second}}
}

// langKey carries a page's language to the API calls made for it.
type langKey struct{}

// apiContext is the request's context with its language, for API calls
// whose messages (validation errors) the page shows: a user who chose
// Kazakh by ?lang= or the cookie, not in an account setting the API knows,
// still reads them in Kazakh.
func apiContext(c *fiber.Ctx) context.Context {
	return context.WithValue(c.UserContext(), langKey{}, httpx.Lang(c))
}

// rawBody is a request body sent as is, with its content type.
type rawBody struct {
	contentType string
	data        []byte
}

// call sends a JSON request (or a rawBody) and decodes a JSON answer; API
// errors come back as *apperr.Error with their fields.
func (c *apiClient) call(ctx context.Context, token, method, path string, headers map[string]string, body, out any) error {
	var rd io.Reader
	contentType := "application/json"
	switch b := body.(type) {
	case nil:
	case rawBody:
		rd, contentType = bytes.NewReader(b.data), b.contentType
	default:
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
	req.Header.Set("Content-Type", contentType)
	if l, ok := ctx.Value(langKey{}).(i18n.Lang); ok {
		req.Header.Set("Accept-Language", string(l)) // the API's messages in the page's language
	}
	for k, v := range headers {
		req.Header.Set(k, v)
	}
	resp, err := c.http.Do(req)
	if err != nil {
		return apperr.Wrap(apperr.Unavailable, err, "error.service_unavailable")
	}
	defer resp.Body.Close()
	raw, err := io.ReadAll(io.LimitReader(resp.Body, 8<<20))
	if err != nil {
		return apperr.Wrap(apperr.Unavailable, err, "error.service_unavailable")
	}
	if resp.StatusCode >= 400 {
		var eb httpx.ErrorBody
		if json.Unmarshal(raw, &eb) != nil || eb.Code == "" {
			return apperr.Wrap(apperr.Internal, fmt.Errorf("%s answered %d: %s", c.base, resp.StatusCode, raw), "error.internal")
		}
		return &apperr.Error{Code: eb.Code, Message: eb.Error, Fields: eb.Fields}
	}
	if out == nil {
		return nil
	}
	return json.Unmarshal(raw, out)
}

// leadsClient is the leads service's API.
type leadsClient struct{ *apiClient }

func (c leadsClient) list(ctx context.Context, token string, q url.Values) (httpapi.ListJSON, error) {
	var out httpapi.ListJSON
	err := c.call(ctx, token, http.MethodGet, "/api/v1/leads?"+q.Encode(), nil, nil, &out)
	return out, err
}

func (c leadsClient) get(ctx context.Context, token, id string) (httpapi.LeadJSON, error) {
	var out httpapi.LeadJSON
	err := c.call(ctx, token, http.MethodGet, "/api/v1/leads/"+url.PathEscape(id), nil, nil, &out)
	return out, err
}

func (c leadsClient) history(ctx context.Context, token, id string) ([]httpapi.ChangeJSON, error) {
	var out struct {
		History []httpapi.ChangeJSON `json:"history"`
	}
	err := c.call(ctx, token, http.MethodGet, "/api/v1/leads/"+url.PathEscape(id)+"/history", nil, nil, &out)
	return out.History, err
}

func (c leadsClient) create(ctx context.Context, token, idemKey string, req httpapi.CreateRequest) (httpapi.LeadJSON, error) {
	var out httpapi.LeadJSON
	err := c.call(ctx, token, http.MethodPost, "/api/v1/leads", map[string]string{"Idempotency-Key": idemKey}, req, &out)
	return out, err
}

func (c leadsClient) update(ctx context.Context, token, id string, req httpapi.PatchRequest) (httpapi.LeadJSON, error) {
	var out httpapi.LeadJSON
	err := c.call(ctx, token, http.MethodPatch, "/api/v1/leads/"+url.PathEscape(id), nil, req, &out)
	return out, err
}

func (c leadsClient) move(ctx context.Context, token, id string, req httpapi.MoveRequest) (httpapi.LeadJSON, error) {
	var out httpapi.LeadJSON
	err := c.call(ctx, token, http.MethodPost, "/api/v1/leads/"+url.PathEscape(id)+"/stage", nil, req, &out)
	return out, err
}
