package auth

import (
	"fmt"
	"strings"
	"testing"
)

func usersFile(entries ...string) []byte {
	return []byte(`{"users":[` + strings.Join(entries, ",") + `]}`)
}

func entry(id, role, scope string) string {
	return fmt.Sprintf(`{"id":%q,"name":"N","role":%q,%s"token_sha256":%q}`, id, role, scope, HashToken("t-"+id))
}

func TestParseFileAndAuthenticate(t *testing.T) {
	d, err := ParseFile(usersFile(entry("att.berlin", "attache", `"post":"de-berlin",`), entry("ana", "analyst", "")))
	if err != nil {
		t.Fatal(err)
	}
	u, err := d.Authenticate("t-att.berlin")
	if err != nil || u.Post != "de-berlin" || u.Role != Attache || u.Scope() != "post:de-berlin" {
		t.Fatalf("got %+v, %v", u, err)
	}
	for _, tok := range []string{"", "t-att", "t-nobody"} {
		if _, err := d.Authenticate(tok); err == nil {
			t.Errorf("token %q accepted", tok)
		}
	}
}

func TestParseFileRejects(t *testing.T) {
	cases := map[string][]byte{
		"attaché without post": usersFile(entry("a1", "attache", "")),
		"secretariat no comm.": usersFile(entry("s1", "secretariat", "")),
		"unknown role":         usersFile(entry("x1", "king", "")),
		"duplicate id":         usersFile(entry("dup", "analyst", ""), entry("dup", "analyst", "")),
		"bad id":               usersFile(entry("Bad Id!", "analyst", "")),
		"short hash":           []byte(`{"users":[{"id":"aa","name":"n","role":"analyst","token_sha256":"abc"}]}`),
		"unknown field":        []byte(`{"users":[],"extra":1}`),
		"plain token not hash": []byte(`{"users":[{"id":"aa","name":"n","role":"analyst","token":"secret"}]}`),
		"not json":             []byte(`users:`),
	}
	for name, raw := range cases {
		if _, err := ParseFile(raw); err == nil {
			t.Errorf("%s: accepted", name)
		}
	}
}

func FuzzParseFile(f *testing.F) {
	f.Add(usersFile(entry("att.berlin", "attache", `"post":"de-berlin",`)))
	f.Add([]byte(`{"users":[{}]}`))
	f.Fuzz(func(t *testing.T, raw []byte) {
		d, err := ParseFile(raw)
		if err == nil && d == nil {
			t.Fatal("nil directory without error")
		}
	})
}
