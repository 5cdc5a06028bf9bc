package dashboards

import (
	"testing"

	"econdip/services/platform/i18n"
)

func TestNumberText(t *testing.T) {
	for _, c := range []struct {
		lang     i18n.Lang
		in, want string
	}{
		{i18n.EN, "0", "0"}, {i18n.EN, "999", "999"}, {i18n.EN, "1000", "1,000"}, {i18n.EN, "1500000", "1,500,000"},
		{i18n.EN, "1500000.50", "1,500,000.50"}, {i18n.EN, "-1234567.8", "-1,234,567.8"}, {i18n.EN, "", ""},
		{i18n.EN, "12,5", "12,5"}, {i18n.EN, "1e309x", "1e309x"},
		{i18n.RU, "1500000.50", "1\u00a0500\u00a0000,50"}, {i18n.KK, "1350000000", "1\u00a0350\u00a0000\u00a0000"},
	} {
		if got := numberText(c.lang, c.in); got != c.want {
			t.Errorf("numberText(%s, %q) = %q, want %q", c.lang, c.in, got, c.want)
		}
	}
	if got := moneyText(i18n.RU, "1350000000", "NOK"); got != "1\u00a0350\u00a0000\u00a0000\u00a0NOK" {
		t.Errorf("moneyText = %q", got)
	}
}
