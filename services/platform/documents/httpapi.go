package documents

import (
	"cmp"
	"context"
	"errors"
	"fmt"
	"io"
	"mime"
	"strconv"
	"strings"
	"time"

	"github.com/gofiber/fiber/v2"
	"github.com/nats-io/nats.go/jetstream"

	"econdip/events"
	"econdip/services/platform/apperr"
	"econdip/services/platform/auth"
	"econdip/services/platform/httpx"
)

// BodyLimit is the body limit a service that mounts documents needs: the
// largest document and the multipart form around it. Larger bodies are
// refused by the server (413) before any handler; a file over
// events.MaxDocumentBytes within it is refused by Check, before anything
// is stored.
const BodyLimit = events.MaxDocumentBytes + 1<<20

// ReadTimeout is the read timeout (httpx.Options) of an app that takes
// uploads: 25 MiB at about 1 Mbit/s.
const ReadTimeout = 4 * time.Minute

// Uploads sets opts for an app that mounts documents: the body limit and
// read timeout an upload needs. It returns the middleware to Use before
// any route, which keeps every other route to the limit it had (small):
// only a POST …/documents may be larger.
func Uploads(opts *httpx.Options) fiber.Handler {
	small := cmp.Or(opts.BodyLimit, 1<<20)
	opts.BodyLimit = max(small, BodyLimit)
	opts.ReadTimeout = max(opts.ReadTimeout, ReadTimeout)
	return func(c *fiber.Ctx) error {
		if len(c.Body()) > small && !(c.Method() == fiber.MethodPost && strings.HasSuffix(c.Path(), "/documents")) {
			return fiber.NewError(fiber.StatusRequestEntityTooLarge, "body over "+strconv.Itoa(small)+" bytes")
		}
		return c.Next()
	}
}

// DocumentJSON is a document as the API answers it.
type DocumentJSON struct {
	ID           string `json:"id"`
	Version      int    `json:"version"`
	RecordKind   string `json:"record_kind"`
	RecordID     string `json:"record_id"`
	CommissionID string `json:"commission_id,omitempty"`
	Name         string `json:"name"`
	ContentType  string `json:"content_type"`
	Size         int64  `json:"size"`
	SHA256       string `json:"sha256"`
	AttachedBy   string `json:"attached_by"`
	AttachedAt   string `json:"attached_at"`
	Removed      bool   `json:"removed,omitempty"`
	RemovedBy    string `json:"removed_by,omitempty"`
	RemovedAt    string `json:"removed_at,omitempty"`
}

const stamp = "2006-01-02T15:04:05.000Z07:00"

// ToJSON is the API's form of a document.
func ToJSON(d events.DocumentV1) DocumentJSON {
	j := DocumentJSON{ID: d.ID, Version: d.Version, RecordKind: d.Kind, RecordID: d.WorkRef.ID, CommissionID: d.CommissionID,
		Name: d.Name, ContentType: d.ContentType, Size: d.Size, SHA256: d.SHA256, AttachedBy: d.AttachedBy,
		AttachedAt: d.AttachedAt.UTC().Format(stamp), Removed: d.Removed, RemovedBy: d.RemovedBy}
	if d.RemovedAt != nil {
		j.RemovedAt = d.RemovedAt.UTC().Format(stamp)
	}
	return j
}

// FormField is the multipart field of the file in POST …/documents.
const FormField = "file"

// Mount adds the routes of the documents of the records at path of g
// ("/:id", "/:cid/decisions/:did"); ref names the record of a request, and
// location the URL of a record's path:
//
//	GET    path/documents          the list (name, type, size, who attached, when)
//	POST   path/documents          multipart/form-data, the file in field "file"
//	GET    path/documents/:doc     the bytes, as an attachment
//	DELETE path/documents/:doc     ?version=N (or {"version":N}): the removal
//
// The record is checked before the upload is read, so that a user outside
// its scope learns nothing from a validation error.
func (d *Docs) Mount(g auth.Router, path string, ref func(c *fiber.Ctx) events.WorkRef, location func(c *fiber.Ctx) string) {
	g.Get(path+"/documents", d.cfg.Read, func(c *fiber.Ctx) error {
		docs, err := d.List(c.UserContext(), auth.FromCtx(c), ref(c))
		if err != nil {
			return err
		}
		out := make([]DocumentJSON, len(docs))
		for i, x := range docs {
			out[i] = ToJSON(x)
		}
		return c.JSON(fiber.Map{"documents": out, "max_bytes": events.MaxDocumentBytes})
	})
	g.Post(path+"/documents", d.cfg.Write, func(c *fiber.Ctx) error {
		u, r := auth.FromCtx(c), ref(c)
		if _, err := d.cfg.Record(c.UserContext(), u, d.cfg.Write, r); err != nil {
			return err
		}
		fh, err := c.FormFile(FormField)
		if err != nil {
			var f apperr.Fields
			f.Add(FormField, "error.documents_no_file")
			return f.Err()
		}
		if fh.Size > events.MaxDocumentBytes { // refused before the file is opened
			return tooLarge()
		}
		file, err := fh.Open()
		if err != nil {
			return apperr.Wrap(apperr.Invalid, err, "error.documents_unreadable")
		}
		defer file.Close()
		doc, replayed, err := d.Attach(c.UserContext(), u, r, c.Get(httpx.HeaderIdempotencyKey), Upload{Name: fh.Filename, Size: fh.Size, File: file})
		if err != nil {
			return err
		}
		return httpx.Created(c, location(c)+"/documents/"+doc.ID, replayed, ToJSON(doc))
	})
	g.Get(path+"/documents/:doc", d.cfg.Read, func(c *fiber.Ctx) error {
		doc, body, err := d.Open(c.UserContext(), auth.FromCtx(c), ref(c), c.Params("doc"))
		if err != nil {
			return err
		}
		// Read whole (at most 25 MiB) before answering: the object store
		// checks the bytes' digest at the end, and a failure is then an
		// error answer, not a cut download.
		data, err := io.ReadAll(io.LimitReader(body, events.MaxDocumentBytes+1))
		body.Close()
		if err != nil || int64(len(data)) != doc.Size {
			return apperr.Wrap(apperr.Unavailable, fmt.Errorf("read document %s: %d of %d bytes: %v", doc.Object, len(data), doc.Size, err), "error.service_unavailable")
		}
		c.Set(fiber.HeaderContentType, doc.ContentType)
		c.Set(fiber.HeaderContentDisposition, Disposition(doc.Name))
		c.Set(fiber.HeaderXContentTypeOptions, "nosniff")
		return c.Send(data)
	})
	g.Handle(fiber.MethodDelete, path+"/documents/:doc", d.cfg.Write, func(c *fiber.Ctx) error {
		u, r := auth.FromCtx(c), ref(c)
		if _, err := d.cfg.Record(c.UserContext(), u, d.cfg.Write, r); err != nil {
			return err
		}
		version, err := versionOf(c)
		if err != nil {
			return err
		}
		doc, err := d.Remove(c.UserContext(), u, r, c.Params("doc"), version)
		if err != nil {
			return err
		}
		return c.JSON(ToJSON(doc))
	})
}

// versionOf is the version a removal names: ?version=N, or a JSON body
// {"version": N}.
func versionOf(c *fiber.Ctx) (int, error) {
	var req struct {
		Version *int `json:"version,omitempty"`
	}
	if v := c.Query("version"); v != "" {
		n, err := strconv.Atoi(v)
		if err != nil {
			var f apperr.Fields
			f.Add("version", "error.not_a_whole_number", v)
			return 0, f.Err()
		}
		req.Version = &n
	} else if len(c.Body()) > 0 {
		if err := httpx.DecodeStrict(c.Body(), &req); err != nil {
			return 0, err
		}
	}
	if err := httpx.RequireVersion(req.Version); err != nil {
		return 0, err
	}
	return *req.Version, nil
}

// Disposition is the Content-Disposition of a download: an attachment
// with the file's name (RFC 2231 encoded when it is not ASCII).
func Disposition(name string) string {
	if v := mime.FormatMediaType("attachment", map[string]string{"filename": name}); v != "" {
		return v
	}
	return "attachment"
}

// RetentionJSON is the body of GET and PUT /api/v1/documents/retention.
type RetentionJSON struct {
	Days *int `json:"days,omitempty"`
}

// RetentionRoutes mounts GET and PUT /api/v1/documents/retention on r,
// behind before (authentication): the administrators' retention period of
// removed documents' bytes, in days, in the settings bucket.
func RetentionRoutes(r fiber.Router, service string, js jetstream.JetStream, before ...fiber.Handler) error {
	settings, err := js.KeyValue(context.Background(), BucketSettings)
	if err != nil {
		return errors.Join(errors.New("documents bucket "+BucketSettings+" (run `econdip migrate`)"), err)
	}
	g := auth.Protect(r, service, "/api/v1/documents/retention", before...)
	g.Get("", auth.ManageDocuments, func(c *fiber.Ctx) error {
		days, err := Retention(c.UserContext(), settings)
		if err != nil {
			return err
		}
		return c.JSON(RetentionJSON{Days: &days})
	})
	g.Put("", auth.ManageDocuments, func(c *fiber.Ctx) error {
		var req RetentionJSON
		if err := httpx.DecodeStrict(c.Body(), &req); err != nil {
			return err
		}
		if req.Days == nil {
			var f apperr.Fields
			f.Add("days", "error.documents_retention_range", MaxRetentionDays)
			return f.Err()
		}
		if err := SetRetention(c.UserContext(), settings, *req.Days); err != nil {
			return err
		}
		return c.JSON(req)
	})
	return nil
}
