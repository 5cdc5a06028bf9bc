package auth

import (
	"errors"
	"os"
	"strings"
	"testing"

	"econdip/services/platform/apperr"
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

// TestPermitChecksTheReachThenTheScope: a role without the action is
// refused whatever the record; a reach of Own needs the record to be the
// user's; a reach of All does not ask.
func TestPermitChecksTheReachThenTheScope(t *testing.T) {
	berlin := User{ID: "a", Role: Attache, Post: "de-berlin"}
	analyst := User{ID: "n", Role: Analyst}
	owns := func(post string) func(User) bool { return func(u User) bool { return u.Post == post } }
	tests := []struct {
		name string
		u    User
		a    Action
		post string
		want string // message key; "" allowed
	}{
		{"own post", berlin, WriteLeads, "de-berlin", ""},
		{"another post", berlin, WriteLeads, "cn-beijing", "error.other_post"},
		{"role without the action", analyst, WriteLeads, "de-berlin", "error.leads_write_role"},
		{"reach of all", analyst, ReadLeads, "cn-beijing", ""},
		{"signed out", User{}, ReadLeads, "de-berlin", "error.auth_missing"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			err := Permit(tt.u, tt.a, owns(tt.post), "error.other_post")
			got := ""
			var ae *apperr.Error
			if errors.As(err, &ae) {
				got = ae.Key
			} else if err != nil {
				t.Fatal(err)
			}
			if got != tt.want {
				t.Fatalf("%q; want %q", got, tt.want)
			}
		})
	}
}
