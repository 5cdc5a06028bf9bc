package loadgen

import "econdip/services/exports/httpapi"

// exporterRequest is the exporter Setup registers, named here because Go
// names imports per file and plan.go cannot import two httpapi packages.
type exporterRequest = httpapi.ExporterRequest
