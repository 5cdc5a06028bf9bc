package documents

import (
	"archive/zip"
	"bytes"
	"io"
	"path/filepath"
	"strings"

	"econdip/events"
)

// Sniff returns the content type of the bytes in r (size bytes long), read
// from the content, never from a name: one of events.DocumentTypes, or ""
// when the bytes are none of them. PDF, PNG and JPEG by their signature;
// DOCX and XLSX are zip files whose central directory holds
// [Content_Types].xml and a word/ (DOCX) or xl/ (XLSX) part. A zip that
// holds both, or neither, is neither.
func Sniff(r io.ReaderAt, size int64) string {
	head := make([]byte, 8)
	n, _ := r.ReadAt(head, 0)
	head = head[:n]
	switch {
	case bytes.HasPrefix(head, []byte("%PDF-")):
		return events.DocPDF
	case bytes.HasPrefix(head, []byte("\x89PNG\r\n\x1a\n")):
		return events.DocPNG
	case bytes.HasPrefix(head, []byte{0xFF, 0xD8, 0xFF}):
		return events.DocJPEG
	case bytes.HasPrefix(head, []byte("PK\x03\x04")):
		return sniffOOXML(r, size)
	}
	return ""
}

// sniffOOXML tells DOCX from XLSX by the zip's central directory (no part
// is decompressed).
func sniffOOXML(r io.ReaderAt, size int64) string {
	z, err := zip.NewReader(r, size)
	if err != nil {
		return ""
	}
	var types, word, xl bool
	for _, f := range z.File {
		switch {
		case f.Name == "[Content_Types].xml":
			types = true
		case strings.HasPrefix(f.Name, "word/"):
			word = true
		case strings.HasPrefix(f.Name, "xl/"):
			xl = true
		}
	}
	switch {
	case !types || word == xl:
		return ""
	case word:
		return events.DocDOCX
	}
	return events.DocXLSX
}

// extensions are the file name endings each content type takes.
var extensions = map[string][]string{
	events.DocPDF:  {".pdf"},
	events.DocDOCX: {".docx"},
	events.DocXLSX: {".xlsx"},
	events.DocJPEG: {".jpg", ".jpeg"},
	events.DocPNG:  {".png"},
}

// ExtensionFits reports whether the file name's extension (in any case)
// agrees with the content type the bytes have.
func ExtensionFits(name, contentType string) bool {
	ext := strings.ToLower(filepath.Ext(name))
	for _, e := range extensions[contentType] {
		if ext == e {
			return true
		}
	}
	return false
}

// Extensions lists the extensions taken, for messages: ".pdf, .docx, …".
func Extensions() string {
	var out []string
	for _, t := range events.DocumentTypes {
		out = append(out, extensions[t]...)
	}
	return strings.Join(out, ", ")
}
