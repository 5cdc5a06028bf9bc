package loadgen

import (
	"econdip/services/platform/auth"
	"econdip/services/platform/reference"
	"econdip/services/tools/demo"
)

// TestAccounts are the accounts a load writes as, the demo's (an attaché
// per post, a secretariat per demo commission, an analyst and an
// administrator), with tokens made from prefix and the user id, for tests
// and benchmarks that start their own system: the users file and the tokens
// by user id. A running `econdip up` has its own random tokens (its demo
// tokens file).
func TestAccounts(ref *reference.Data, prefix string) (auth.File, map[string]string) {
	var f auth.File
	tokens := map[string]string{}
	add := func(u auth.User) {
		tok := prefix + u.ID
		tokens[u.ID] = tok
		f.Users = append(f.Users, auth.Entry{User: u, TokenSHA256: auth.HashToken(tok)})
	}
	add(auth.User{ID: "analyst", Name: "Load Analyst", Role: auth.Analyst})
	add(auth.User{ID: "admin", Name: "Load Administrator", Role: auth.Admin})
	for _, p := range ref.Posts() {
		add(auth.User{ID: "attache." + p.Code, Name: "Attaché, " + p.CityEN, Role: auth.Attache, Post: p.Code})
	}
	for _, id := range demo.CommissionIDs() {
		add(auth.User{ID: "secretariat." + id, Name: "Secretariat, " + id, Role: auth.Secretariat, Commission: id})
	}
	return f, tokens
}
