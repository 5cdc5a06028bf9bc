package dashboards

import (
	"bytes"
	"strings"

	"github.com/gofiber/fiber/v2"
)

// table is one figure's rows with its CSV form: every chart's JSON endpoint
// also answers as CSV when the path ends in .csv, in the format of
// ?format= (csvFormat) with the header in the reader's language.
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
		f, err := csvFormat(c)
		if err != nil {
			return err
		}
		var b bytes.Buffer
		w := startCSV(c, &b, f, t.name, t.header) // cells that would start a formula are neutralised
		for _, r := range rows {
			_ = w.Write(t.record(r))
		}
		w.Flush()
		return c.Send(b.Bytes())
	}
	body := fiber.Map{"rows": rows}
	for k, v := range extra {
		body[k] = v
	}
	return c.JSON(body)
}
