package demo_test

import (
	"testing"

	"econdip/services/leads/httpapi"
)

// The leads API's answers are read here: scorecard_test.go reads the
// exports API's, and a file imports one package named httpapi.

// listLeads is the leads API's list of every lead, as the analyst sees it.
func listLeads(t *testing.T, addr, token string) httpapi.ListJSON {
	t.Helper()
	var list httpapi.ListJSON
	getURL(t, "http://"+addr+"/api/v1/leads?limit=500", token, &list)
	return list
}

// leadHistory is a lead's changes, oldest first.
func leadHistory(t *testing.T, addr, id, token string) []httpapi.ChangeJSON {
	t.Helper()
	var h struct{ History []httpapi.ChangeJSON }
	getURL(t, "http://"+addr+"/api/v1/leads/"+id+"/history", token, &h)
	return h.History
}
