// Package doctest makes files for the tests of documents (issue 18): small
// valid-looking PDF, PNG, JPEG, DOCX and XLSX contents (what the content
// sniffer looks at), and the multipart form of an upload.
package doctest

import (
	"archive/zip"
	"bytes"
	"mime/multipart"
)

// PDF is a PDF of exactly n bytes (at least its signature).
func PDF(n int) []byte {
	b := make([]byte, max(n, 9))
	copy(b, "%PDF-1.7\n")
	return b
}

// PNG is the start of a PNG.
func PNG() []byte {
	return []byte("\x89PNG\r\n\x1a\n\x00\x00\x00\rIHDR\x00\x00\x00\x01\x00\x00\x00\x01\x08\x06\x00\x00\x00")
}

// JPEG is the start of a JPEG (JFIF).
func JPEG() []byte { return []byte{0xFF, 0xD8, 0xFF, 0xE0, 0x00, 0x10, 'J', 'F', 'I', 'F', 0x00} }

// Zip is a zip holding the named parts, each a tiny XML document.
func Zip(names ...string) []byte {
	var buf bytes.Buffer
	w := zip.NewWriter(&buf)
	for _, n := range names {
		f, err := w.Create(n)
		if err != nil {
			panic(err)
		}
		_, _ = f.Write([]byte("<x/>"))
	}
	if err := w.Close(); err != nil {
		panic(err)
	}
	return buf.Bytes()
}

// DOCX and XLSX are minimal OOXML packages.
func DOCX() []byte { return Zip("[Content_Types].xml", "_rels/.rels", "word/document.xml") }

func XLSX() []byte {
	return Zip("[Content_Types].xml", "_rels/.rels", "xl/workbook.xml", "xl/worksheets/sheet1.xml")
}

// Form is a multipart form with fields and the file data named name in
// the field file; it returns the body and its content type.
func Form(fields map[string]string, file, name string, data []byte) (*bytes.Buffer, string) {
	var buf bytes.Buffer
	w := multipart.NewWriter(&buf)
	for k, v := range fields {
		_ = w.WriteField(k, v)
	}
	part, err := w.CreateFormFile(file, name)
	if err != nil {
		panic(err)
	}
	_, _ = part.Write(data)
	if err := w.Close(); err != nil {
		panic(err)
	}
	return &buf, w.FormDataContentType()
}
