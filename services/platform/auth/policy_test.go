package auth

import (
	"os"
	"strings"
	"testing"
)

// The README's role matrix is the policy's: a change to one without the
// other fails here.
func TestREADMERoleMatrixIsThePolicy(t *testing.T) {
	raw, err := os.ReadFile("../../../README.md")
	if err != nil {
		t.Fatal(err)
	}
	rows := 0
	for _, line := range strings.Split(string(raw), "\n") {
		cells := strings.Split(strings.Trim(line, "| "), "|")
		if len(cells) != 5 || !strings.Contains(cells[0], ".") {
			continue
		}
		a := Action(strings.TrimSpace(cells[0]))
		if _, ok := Matrix[a]; !ok {
			t.Errorf("README names action %q, which the policy does not have", a)
			continue
		}
		rows++
		for i, role := range Roles {
			want := strings.TrimSpace(cells[i+1])
			got := Matrix[a][role].String()
			if got == "none" {
				got = "-"
			}
			if want != got {
				t.Errorf("README says %s may %s: %q; the policy says %q", role, a, want, got)
			}
		}
	}
	if rows != len(Matrix) {
		t.Errorf("README lists %d actions, the policy has %d", rows, len(Matrix))
	}
}
