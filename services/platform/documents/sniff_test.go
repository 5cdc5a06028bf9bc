package documents

import (
	"archive/zip"
	"bytes"
	"slices"
	"testing"

	"econdip/events"
)

// zipOf is a zip holding the named (empty) parts.
func zipOf(t testing.TB, names ...string) []byte {
	t.Helper()
	var buf bytes.Buffer
	w := zip.NewWriter(&buf)
	for _, n := range names {
		f, err := w.Create(n)
		if err != nil {
			t.Fatal(err)
		}
		_, _ = f.Write([]byte("<x/>"))
	}
	if err := w.Close(); err != nil {
		t.Fatal(err)
	}
	return buf.Bytes()
}

// DOCX and XLSX are minimal OOXML packages: what the sniffer looks at.
func DOCX(t testing.TB) []byte {
	return zipOf(t, "[Content_Types].xml", "_rels/.rels", "word/document.xml")
}

func XLSX(t testing.TB) []byte {
	return zipOf(t, "[Content_Types].xml", "_rels/.rels", "xl/workbook.xml", "xl/worksheets/sheet1.xml")
}

var (
	pdfBytes  = []byte("%PDF-1.7\n%\xe2\xe3\xcf\xd3\n1 0 obj\n<<>>\nendobj\n%%EOF\n")
	pngBytes  = []byte("\x89PNG\r\n\x1a\n\x00\x00\x00\rIHDR\x00\x00\x00\x01\x00\x00\x00\x01\x08\x06\x00\x00\x00")
	jpegBytes = []byte{0xFF, 0xD8, 0xFF, 0xE0, 0x00, 0x10, 'J', 'F', 'I', 'F', 0x00}
)

func TestSniff(t *testing.T) {
	for _, tt := range []struct {
		name string
		data []byte
		want string
	}{
		{"pdf", pdfBytes, events.DocPDF},
		{"png", pngBytes, events.DocPNG},
		{"jpeg", jpegBytes, events.DocJPEG},
		{"docx", DOCX(t), events.DocDOCX},
		{"xlsx", XLSX(t), events.DocXLSX},
		{"zip without [Content_Types].xml", zipOf(t, "word/document.xml"), ""},
		{"zip with word/ and xl/", zipOf(t, "[Content_Types].xml", "word/document.xml", "xl/workbook.xml"), ""},
		{"pptx (neither)", zipOf(t, "[Content_Types].xml", "ppt/presentation.xml"), ""},
		{"plain zip", zipOf(t, "readme.txt"), ""},
		{"zip header, no directory", []byte("PK\x03\x04garbage"), ""},
		{"pdf signature cut", []byte("%PDF"), ""},
		{"png signature cut", []byte("\x89PNG\r\n"), ""},
		{"jpeg signature cut", []byte{0xFF, 0xD8}, ""},
		{"html", []byte("<!doctype html><script>alert(1)</script>"), ""},
		{"gif", []byte("GIF89a\x01\x00"), ""},
		{"empty", nil, ""},
		{"pdf later in the file", append([]byte(" "), pdfBytes...), ""},
	} {
		if got := Sniff(bytes.NewReader(tt.data), int64(len(tt.data))); got != tt.want {
			t.Errorf("%s: %q, want %q", tt.name, got, tt.want)
		}
	}
}

func TestExtensionFits(t *testing.T) {
	for _, tt := range []struct {
		name, contentType string
		want              bool
	}{
		{"Protocol 12.pdf", events.DocPDF, true},
		{"PROTOCOL.PDF", events.DocPDF, true},
		{"photo.jpg", events.DocJPEG, true},
		{"photo.JPEG", events.DocJPEG, true},
		{"scan.png", events.DocPNG, true},
		{"letter.docx", events.DocDOCX, true},
		{"figures.xlsx", events.DocXLSX, true},
		{"scan.pdf", events.DocPNG, false},
		{"letter.xlsx", events.DocDOCX, false},
		{"letter.doc", events.DocDOCX, false},
		{"protocol", events.DocPDF, false},
		{"protocol.pdf.exe", events.DocPDF, false},
	} {
		if got := ExtensionFits(tt.name, tt.contentType); got != tt.want {
			t.Errorf("%s as %s: %v, want %v", tt.name, tt.contentType, got, tt.want)
		}
	}
}

// FuzzSniffContent: on any bytes the sniffer answers without panicking,
// with one of the document types or nothing, and a type only when the
// bytes start with its signature.
func FuzzSniffContent(f *testing.F) {
	for _, seed := range [][]byte{pdfBytes, pngBytes, jpegBytes, DOCX(f), XLSX(f), zipOf(f, "[Content_Types].xml"), []byte("PK\x03\x04"), nil} {
		f.Add(seed)
	}
	f.Fuzz(func(t *testing.T, data []byte) {
		got := Sniff(bytes.NewReader(data), int64(len(data)))
		if got == "" {
			return
		}
		if !slices.Contains(events.DocumentTypes, got) {
			t.Fatalf("unknown type %q", got)
		}
		sig := map[string]string{events.DocPDF: "%PDF-", events.DocPNG: "\x89PNG\r\n\x1a\n", events.DocJPEG: "\xff\xd8\xff",
			events.DocDOCX: "PK\x03\x04", events.DocXLSX: "PK\x03\x04"}[got]
		if !bytes.HasPrefix(data, []byte(sig)) {
			t.Fatalf("%q without its signature: % x", got, data[:min(len(data), 8)])
		}
	})
}
