package loadgen

import (
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"net/http"
	"strconv"
	"time"

	"github.com/valyala/fasthttp"

	"econdip/services/tools/demo"
)

// APIDriver writes stories through the services' HTTP APIs with bearer
// tokens, as the attachés, secretariats and administrators would: the full
// write path (authentication, the access policy, the per-user write limit,
// validation, the durable publish). Connections are kept alive and reused.
type APIDriver struct {
	LeadsURL, CommissionsURL, ExportsURL string            // e.g. http://127.0.0.1:8081
	Tokens                               map[string]string // by user id: attache.<post>, secretariat.<commission>, admin
	Timeout                              time.Duration     // per request; default 30 s
	client                               *fasthttp.Client
}

// NewAPIDriver returns a driver keeping up to conns connections per service.
func NewAPIDriver(leadsURL, commissionsURL, exportsURL string, tokens map[string]string, conns int) *APIDriver {
	return &APIDriver{LeadsURL: leadsURL, CommissionsURL: commissionsURL, ExportsURL: exportsURL, Tokens: tokens,
		Timeout: 30 * time.Second, client: &fasthttp.Client{
			Name: "econdip-load", MaxConnsPerHost: max(conns, 1) + 8, MaxIdleConnDuration: time.Minute,
			ReadTimeout: time.Minute, WriteTimeout: time.Minute, NoDefaultUserAgentHeader: true,
		}}
}

// the parts of an answer a load reads
type (
	recordJSON struct {
		ID      string `json:"id"`
		Version int    `json:"version"`
	}
	protocolJSON struct {
		Session   recordJSON `json:"session"`
		Decisions []struct {
			recordJSON
			Item string `json:"item"`
		} `json:"decisions"`
	}
)

func (d *APIDriver) token(user string) (string, error) {
	t, ok := d.Tokens[user]
	if !ok {
		return "", fmt.Errorf("no token for %s (the demo tokens file has one for every demo user)", user)
	}
	return t, nil
}

// Setup registers the exporters (as the administrator) and creates the
// commissions; a BIN registered or a commission created before is fine.
func (d *APIDriver) Setup(ctx context.Context, s Setup) (int, error) {
	admin, err := d.token("admin")
	if err != nil {
		return 0, err
	}
	n := 0
	for _, e := range s.Exporters {
		hdr, err := d.call(ctx, nil, admin, http.MethodPost, d.ExportsURL+"/api/v1/exporters", "", e, nil)
		if err != nil {
			return n, fmt.Errorf("register exporter %s: %w", e.BIN, err)
		}
		if hdr["Exporter-Registered-Before"] != "true" {
			n++
		}
	}
	for _, c := range s.Commissions {
		_, err := d.call(ctx, nil, admin, http.MethodPost, d.CommissionsURL+"/api/v1/commissions", "", c, nil)
		var apiErr *demo.APIError
		switch {
		case err == nil:
			n++
		case errors.As(err, &apiErr) && apiErr.Status == http.StatusConflict:
		default:
			return n, fmt.Errorf("create commission %s: %w", c.ID, err)
		}
	}
	return n, nil
}

// Run writes one story.
func (d *APIDriver) Run(ctx context.Context, s Story, w *Writes) error {
	switch s.Kind {
	case Leads:
		return d.lead(ctx, s, w)
	case Deals:
		return d.deal(ctx, s, w)
	case Decisions:
		return d.protocol(ctx, s, w)
	}
	return fmt.Errorf("unknown story kind %q", s.Kind)
}

// write makes one paced write of a story: a replayed creation (the seed was
// loaded before) or a conflict skips the rest of the story.
func (d *APIDriver) write(ctx context.Context, w *Writes, wr Write, token, url, idemKey string, body, out any) error {
	if err := w.Take(ctx, wr.Events); err != nil {
		return err
	}
	wr.Start = time.Now()
	hdr, err := d.call(ctx, w, token, http.MethodPost, url, idemKey, body, out)
	wr.End = time.Now()
	var apiErr *demo.APIError
	switch {
	case errors.As(err, &apiErr) && apiErr.Status == http.StatusConflict:
		return ErrSkip
	case err != nil:
		return err
	case hdr["Idempotent-Replayed"] == "true":
		return ErrSkip
	}
	switch v := out.(type) {
	case *recordJSON:
		wr.ID = v.ID
	case *protocolJSON:
		wr.ID = v.Session.ID
	}
	w.Done(wr)
	return nil
}

// call sends body as JSON and decodes a 2xx answer into out (when not nil);
// a 429 is retried after the wait it names. Other answers are *demo.APIError.
// It returns the answer's headers a load reads.
func (d *APIDriver) call(ctx context.Context, w *Writes, token, method, url, idemKey string, body, out any) (map[string]string, error) {
	raw, err := json.Marshal(body)
	if err != nil {
		return nil, err
	}
	req, resp := fasthttp.AcquireRequest(), fasthttp.AcquireResponse()
	defer fasthttp.ReleaseRequest(req)
	defer fasthttp.ReleaseResponse(resp)
	for attempt := 0; ; attempt++ {
		req.Reset()
		resp.Reset()
		req.SetRequestURI(url)
		req.Header.SetMethod(method)
		req.Header.Set("Authorization", "Bearer "+token)
		req.Header.SetContentType("application/json")
		if idemKey != "" {
			req.Header.Set("Idempotency-Key", idemKey)
		}
		req.SetBodyRaw(raw)
		if err := d.client.DoTimeout(req, resp, d.Timeout); err != nil {
			return nil, fmt.Errorf("%s %s: %w", method, url, err)
		}
		status := resp.StatusCode()
		if status == http.StatusTooManyRequests && attempt < 1000 {
			if w != nil {
				w.Throttled()
			}
			wait, _ := strconv.Atoi(string(resp.Header.Peek("Retry-After")))
			t := time.NewTimer(time.Duration(max(wait, 1)) * time.Second)
			select {
			case <-ctx.Done():
				t.Stop()
				return nil, ctx.Err()
			case <-t.C:
			}
			continue
		}
		if status/100 != 2 {
			return nil, &demo.APIError{Method: method, Path: url, Status: status, Body: string(resp.Body())}
		}
		hdr := map[string]string{}
		for _, h := range []string{"Idempotent-Replayed", "Exporter-Registered-Before"} {
			if v := resp.Header.Peek(h); len(v) > 0 {
				hdr[h] = string(v)
			}
		}
		if out != nil {
			if err := json.Unmarshal(resp.Body(), out); err != nil {
				return hdr, fmt.Errorf("%s %s: answer: %w", method, url, err)
			}
		}
		return hdr, nil
	}
}
