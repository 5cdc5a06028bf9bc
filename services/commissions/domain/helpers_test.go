package domain_test

import (
	"errors"
	"strings"

	"econdip/services/platform/apperr"
)

func fieldNames(err error) string {
	var ae *apperr.Error
	if !errors.As(err, &ae) {
		return ""
	}
	var out []string
	for _, f := range ae.Fields {
		out = append(out, f.Field)
	}
	return strings.Join(out, ",")
}
