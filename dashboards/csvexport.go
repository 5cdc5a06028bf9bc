package dashboards

import (
	"io"
	"regexp"
	"strings"

	"github.com/gofiber/fiber/v2"

	"econdip/services/platform/apperr"
	"econdip/services/platform/csvx"
	"econdip/services/platform/httpx"
	"econdip/services/platform/i18n"
)

// csvFormat is the format an export is asked for in: ?format=plain (tools:
// no BOM, English column names), ?format=excel (Russian/Kazakh Excel: ';'
// and decimal commas), else the default (BOM, headers in the reader's
// language); ?bom=0 drops the BOM of any of them.
func csvFormat(c *fiber.Ctx) (csvx.Format, error) {
	f, err := csvx.ParseFormat(c.Query("format"), c.Query("bom"))
	if err != nil {
		var fe apperr.Fields
		fe.Add("format", "error.csv_format", c.Query("format"))
		return f, fe.Err()
	}
	return f, nil
}

// numericColumns are the columns that hold amounts, shares, rates and other
// measures: the only ones the Excel format writes with a decimal comma.
// Ids and codes (clause 2.2, HS code 0703.10) never are, whatever they look like.
var numericColumns = map[string]bool{
	"actual": true, "capex": true, "capex_usd": true, "committed_usd": true, "demo_target": false, "execution_rate": true,
	"expected_to_date": true, "exports_usd": true, "forecast_2030": true, "markets_hhi": true, "median_days_to_resolve": true,
	"non_raw_share": true, "non_raw_usd": true, "open_value_at_stake_usd": true, "percent_of_target": true,
	"pipeline_added_2030": true, "pipeline_usd": true, "pipeline_weighted_usd": true, "products_hhi": true,
	"realised_usd": true, "resolved_value_usd": true, "target": true, "target_2030": true, "usd": true, "value": true,
	"value_usd": true, "weighted_capex_usd": true, "weighted_usd": true,
}

var yearColumn = regexp.MustCompile(`^([a-z_]+)_([0-9]{4})$`)

// csvColumns gives the header row of an export in format f and language
// lang, and which of its columns are numeric. A column name's label is the
// catalogue key csv.col.<name>; "actual_2023" is csv.col.actual_year with
// the year. Plain keeps the names.
func csvColumns(lang i18n.Lang, f csvx.Format, names []string) (header []string, numeric []bool) {
	header = make([]string, len(names))
	numeric = make([]bool, len(names))
	for i, n := range names {
		header[i] = n
		numeric[i] = numericColumns[n]
		if m := yearColumn.FindStringSubmatch(n); m != nil && i18n.Has(i18n.EN, "csv.col."+m[1]+"_year") {
			numeric[i] = numericColumns[m[1]]
			if !f.MachineNames {
				header[i] = i18n.T(lang, "csv.col."+m[1]+"_year", m[2])
			}
			continue
		}
		if !f.MachineNames && i18n.Has(lang, "csv.col."+n) {
			header[i] = i18n.T(lang, "csv.col."+n)
		}
	}
	return header, numeric
}

// csvFileName is the download name: an Excel file says so, so the two
// downloads of one figure do not overwrite each other.
func csvFileName(name string, f csvx.Format) string {
	if f.Name == "excel" {
		name += "-excel"
	}
	return name + ".csv"
}

// startCSV sets the headers of a CSV download and returns the writer of
// its rows, the header row written.
func startCSV(c *fiber.Ctx, w io.Writer, f csvx.Format, name string, columns []string) *csvx.Writer {
	header, numeric := csvColumns(httpx.Lang(c), f, columns)
	c.Set(fiber.HeaderContentDisposition, `attachment; filename="`+csvFileName(name, f)+`"`)
	c.Set(fiber.HeaderContentType, "text/csv; charset=utf-8") // not c.Type: Fiber's csv type carries a charset already
	cw := csvx.NewFormatWriter(w, f, numeric)
	_ = cw.Write(header)
	return cw
}

// excelURL is the Excel (ru/kk) twin of a CSV link.
func excelURL(csvURL string) string {
	if strings.Contains(csvURL, "?") {
		return csvURL + "&format=excel"
	}
	return csvURL + "?format=excel"
}
