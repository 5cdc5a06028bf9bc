package dashboards

import "testing"

func TestGroupDigits(t *testing.T) {
	for in, want := range map[string]string{
		"0": "0", "999": "999", "1000": "1,000", "1500000": "1,500,000", "1500000.50": "1,500,000.50",
		"-1234567.8": "-1,234,567.8", "123456": "123,456", "": "", "12,5": "12,5", "1e309": "1e309",
	} {
		if got := groupDigits(in); got != want {
			t.Errorf("groupDigits(%q) = %q, want %q", in, got, want)
		}
	}
}
