package domain

import (
	"strings"
	"time"

	"econdip/services/platform/apperr"
	"econdip/services/platform/reference"
)

// ExporterInput is what a user types to register a Kazakh exporter.
type ExporterInput struct {
	BIN, Name, Region string
}

// Validate checks an exporter: a valid BIN, a name, and a known region if one is given.
func (in ExporterInput) Validate(ref *reference.Data) error {
	var f apperr.Fields
	CheckBINField(&f, "bin", in.BIN)
	f.Text("name", in.Name, true, 300)
	if in.Region != "" && !known(ref.Region, in.Region) {
		f.Add("region", "error.unknown_region", in.Region)
	}
	return f.Err()
}

// Trimmed is the input without the spaces around its name and region.
func (in ExporterInput) Trimmed() ExporterInput {
	in.Name, in.Region = strings.TrimSpace(in.Name), strings.TrimSpace(in.Region)
	return in
}

// Exporter is a registered Kazakh exporter. Its BIN is its identity: it is
// registered once, and then only its name and region change.
type Exporter struct {
	BIN          string
	Version      int
	Name         string
	Region       string
	RegisteredBy string
	CreatedAt    time.Time
	UpdatedAt    time.Time
}

// NewExporter is the exporter in registers, by the user registeredBy at
// time now; in has passed Validate.
func NewExporter(in ExporterInput, registeredBy string, now time.Time) Exporter {
	return Exporter{BIN: in.BIN, Version: 1, Name: in.Name, Region: in.Region, RegisteredBy: registeredBy, CreatedAt: now, UpdatedAt: now}
}

// Rename gives the exporter the name and region of in, and reports whether
// either changed.
func (e *Exporter) Rename(in ExporterInput) bool {
	if e.Name == in.Name && e.Region == in.Region {
		return false
	}
	e.Name, e.Region = in.Name, in.Region
	return true
}
