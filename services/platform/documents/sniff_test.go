package documents

import (
	"bytes"
	"slices"
	"testing"

	"econdip/events"
	"econdip/services/platform/documents/doctest"
)

var (
	pdfBytes  = doctest.PDF(40)
	pngBytes  = doctest.PNG()
	jpegBytes = doctest.JPEG()
	zipOf     = doctest.Zip
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
		{"docx", doctest.DOCX(), events.DocDOCX},
		{"xlsx", doctest.XLSX(), events.DocXLSX},
		{"zip without [Content_Types].xml", zipOf("word/document.xml"), ""},
		{"zip with word/ and xl/", zipOf("[Content_Types].xml", "word/document.xml", "xl/workbook.xml"), ""},
		{"pptx (neither)", zipOf("[Content_Types].xml", "ppt/presentation.xml"), ""},
		{"plain zip", zipOf("readme.txt"), ""},
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
	for _, seed := range [][]byte{pdfBytes, pngBytes, jpegBytes, doctest.DOCX(), doctest.XLSX(), zipOf("[Content_Types].xml"), []byte("PK\x03\x04"), nil} {
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
