package dashboards

// The attaché's deal import: upload a CSV of the post's deals, see what it
// would create (and what exists already), confirm. The confirmation posts
// the very bytes that were previewed (in a hidden field) with the preview's
// digest, and the exports service stores the file only if it still plans
// what the preview showed: what is confirmed is what was previewed, with no
// state kept between the two requests.

import (
	"encoding/base64"
	"errors"
	"io"
	"slices"
	"strconv"
	"strings"

	"github.com/gofiber/fiber/v2"

	"econdip/services/exports/dealcsv"
	"econdip/services/exports/httpapi"
	"econdip/services/platform/apperr"
	"econdip/services/platform/httpx"
	"econdip/services/platform/i18n"
	"econdip/services/platform/reference"
)

// importProblem is one error of a refused file: its row (0: the whole
// file), column (empty: the whole row) and message.
type importProblem struct {
	Row     int
	Column  string
	Message string
}

type importColumn struct {
	Name     string
	Required bool
}

// dealImportForm is what the import page shows.
type dealImportForm struct {
	Post     reference.Post
	Columns  []importColumn
	Error    string
	Problems []importProblem
	Preview  *httpapi.ImportJSON // a checked file, waiting for confirmation
	Content  string              // the previewed file, base64
	Done     *httpapi.ImportJSON // a stored file
}

func (s *Server) dealImportForm(c *fiber.Ctx) *dealImportForm {
	post, _ := s.cfg.Ref.Post(currentUser(c).Post)
	f := &dealImportForm{Post: post}
	for _, col := range dealcsv.Columns {
		f.Columns = append(f.Columns, importColumn{Name: col, Required: slices.Contains(dealcsv.Required, col)})
	}
	return f
}

func (s *Server) dealImportPage(c *fiber.Ctx) error {
	return s.render(c, fiber.StatusOK, "dealimport", "ui.dealimport.title", s.dealImportForm(c))
}

// dealImportPreview checks an uploaded file (a dry run of the import).
func (s *Server) dealImportPreview(c *fiber.Ctx) error {
	f := s.dealImportForm(c)
	file, err := c.FormFile("csv")
	if err != nil || file.Size == 0 {
		f.Error = i18n.T(httpx.Lang(c), "ui.dealimport.choose_file")
		return s.render(c, fiber.StatusBadRequest, "dealimport", "ui.dealimport.title", f)
	}
	fh, err := file.Open()
	if err != nil {
		return err
	}
	data, err := io.ReadAll(io.LimitReader(fh, dealcsv.MaxBytes+1))
	fh.Close()
	if err != nil {
		return err
	}
	return s.previewDeals(c, f, data, "")
}

// previewDeals shows what data would create, or why it is refused.
func (s *Server) previewDeals(c *fiber.Ctx, f *dealImportForm, data []byte, note string) error {
	plan, err := s.exports.importDeals(apiContext(c), token(c), data, true, "")
	if err != nil {
		return s.importRefused(c, f, err)
	}
	f.Preview, f.Content, f.Error = &plan, base64.StdEncoding.EncodeToString(data), note
	return s.render(c, fiber.StatusOK, "dealimport", "ui.dealimport.title", f)
}

// dealImportConfirm stores the previewed file.
func (s *Server) dealImportConfirm(c *fiber.Ctx) error {
	f := s.dealImportForm(c)
	data, err := base64.StdEncoding.DecodeString(c.FormValue("content"))
	if err != nil || len(data) == 0 || len(data) > dealcsv.MaxBytes {
		f.Error = i18n.T(httpx.Lang(c), "ui.dealimport.choose_file")
		return s.render(c, fiber.StatusBadRequest, "dealimport", "ui.dealimport.title", f)
	}
	done, err := s.exports.importDeals(apiContext(c), token(c), data, false, c.FormValue("digest"))
	if apperr.CodeOf(err) == apperr.Conflict {
		// The file no longer plans what was previewed (another upload
		// created some of its deals): show the new preview to confirm.
		return s.previewDeals(c, f, data, messageOf(httpx.Lang(c), err))
	}
	if err != nil {
		return s.importRefused(c, f, err)
	}
	f.Done = &done
	return s.render(c, fiber.StatusOK, "dealimport", "ui.dealimport.title", f)
}

// importRefused lists a refused file's errors by row and column.
func (s *Server) importRefused(c *fiber.Ctx, f *dealImportForm, err error) error {
	var ae *apperr.Error
	if !errors.As(err, &ae) || ae.Code != apperr.Invalid {
		return err
	}
	lang := httpx.Lang(c)
	f.Error = i18n.T(lang, "ui.dealimport.refused")
	for _, fe := range ae.Fields {
		p := importProblem{Message: fieldMessage(lang, fe)}
		if rest, ok := strings.CutPrefix(fe.Field, "rows["); ok {
			idx, col, _ := strings.Cut(rest, "]")
			p.Row, _ = strconv.Atoi(idx)
			p.Column = strings.TrimPrefix(col, ".")
		}
		f.Problems = append(f.Problems, p)
	}
	return s.render(c, fiber.StatusBadRequest, "dealimport", "ui.dealimport.title", f)
}
