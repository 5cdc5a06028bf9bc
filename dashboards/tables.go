package dashboards

import (
	"bytes"
	"strings"

	"github.com/gofiber/fiber/v2"

	"econdip/services/platform/csvx"
)

// table is one figure's rows with its CSV form: every chart's JSON endpoint
// also answers as CSV when the path ends in .csv.
type table[T any] struct {
	name   string // file name of the CSV export
	header []string
	record func(T) []string
}

func (t table[T]) send(c *fiber.Ctx, rows []T, extra fiber.Map) error {
	if rows == nil {
		rows = []T{}
	}
	if strings.HasSuffix(c.Path(), ".csv") {
		var b bytes.Buffer
		w := csvx.NewWriter(&b) // cells that would start a formula are neutralised
		_ = w.Write(t.header)
		for _, r := range rows {
			_ = w.Write(t.record(r))
		}
		w.Flush()
		c.Set(fiber.HeaderContentDisposition, `attachment; filename="`+t.name+`.csv"`)
		c.Set(fiber.HeaderContentType, "text/csv; charset=utf-8") // not c.Type: Fiber's csv type carries a charset already
		return c.Send(b.Bytes())
	}
	body := fiber.Map{"rows": rows}
	for k, v := range extra {
		body[k] = v
	}
	return c.JSON(body)
}
