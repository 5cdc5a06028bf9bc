package digest

import (
	"bytes"
	_ "embed"

	"codeberg.org/go-pdf/fpdf"
)

// DejaVu Sans (fonts/, from Debian's fonts-dejavu-core 2.37; see
// fonts/PROVENANCE.md): the PDF core fonts have no Cyrillic, and Kazakh
// needs letters (ә, ғ, қ, ң, ө, ұ, ү, һ, і) beyond Russian's.
var (
	//go:embed fonts/DejaVuSans.ttf
	fontRegular []byte
	//go:embed fonts/DejaVuSans-Bold.ttf
	fontBold []byte
)

const fontFamily = "DejaVu"

// renderPDF lays the digest out on A4 pages: the same content as the
// e-mail, without links' addresses.
func renderPDF(v view) ([]byte, error) {
	pdf := fpdf.New("P", "mm", "A4", "")
	pdf.SetTitle(v.Subject, true)
	pdf.SetCreator("econdip", true)
	pdf.SetLang(v.Lang)
	pdf.AddUTF8FontFromBytes(fontFamily, "", fontRegular)
	pdf.AddUTF8FontFromBytes(fontFamily, "B", fontBold)
	pdf.SetMargins(18, 18, 18)
	pdf.SetAutoPageBreak(true, 18)
	pdf.AliasNbPages("")
	pdf.SetFooterFunc(func() {
		pdf.SetY(-12)
		pdf.SetFont(fontFamily, "", 8)
		pdf.SetTextColor(120, 120, 120)
		pdf.CellFormat(0, 5, v.Subject+" · {nb}", "", 0, "C", false, 0, "")
	})
	pdf.AddPage()
	pdf.SetFont(fontFamily, "B", 16)
	pdf.MultiCell(0, 8, v.Title, "", "L", false)
	pdf.SetFont(fontFamily, "", 10)
	pdf.MultiCell(0, 5, v.Scope, "", "L", false)
	pdf.SetTextColor(87, 96, 106)
	pdf.MultiCell(0, 5, v.Week, "", "L", false)
	for _, s := range v.Sections {
		pdf.Ln(4)
		pdf.SetTextColor(27, 31, 36)
		pdf.SetFont(fontFamily, "B", 12)
		heading := s.Heading
		if s.Count != "" {
			heading += " (" + s.Count + ")"
		}
		pdf.MultiCell(0, 6, heading, "", "L", false)
		if len(s.Lines) == 0 {
			pdf.SetFont(fontFamily, "", 10)
			pdf.SetTextColor(87, 96, 106)
			pdf.MultiCell(0, 5, s.None, "", "L", false)
			continue
		}
		for _, l := range s.Lines {
			pdf.SetFont(fontFamily, "", 10)
			pdf.SetTextColor(27, 31, 36)
			pdf.MultiCell(0, 5, "• "+l.Text, "", "L", false)
			pdf.SetTextColor(87, 96, 106)
			pdf.SetFont(fontFamily, "", 9)
			pdf.SetX(pdf.GetX() + 4)
			pdf.MultiCell(0, 4.5, l.Detail, "", "L", false)
			pdf.Ln(1)
		}
	}
	pdf.Ln(6)
	pdf.SetFont(fontFamily, "", 8)
	pdf.SetTextColor(120, 120, 120)
	pdf.MultiCell(0, 4, v.NoTitles, "", "L", false)
	var b bytes.Buffer
	if err := pdf.Output(&b); err != nil {
		return nil, err
	}
	return b.Bytes(), nil
}
