package dashboards_test

import (
	"bytes"
	"os"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"econdip/services/platform/reference"
	"econdip/services/test/stacktest"
)

// nbkDayXML is a day of the National Bank's rates XML written for the test.
const nbkDayXML = `<?xml version="1.0" encoding="utf-8"?>
<rates><date>03.11.2026</date>
<item><fullname>ДОЛЛАР США</fullname><title>USD</title><description>512.37</description><quant>1</quant><index>UP</index><change>1.21</change></item>
<item><fullname>РОССИЙСКИЙ РУБЛЬ</fullname><title>RUB</title><description>6,37</description><quant>1</quant><index>DOWN</index><change>-0.02</change></item>
<item><fullname>100 УЗБЕКСКИХ СУМОВ</fullname><title>UZS</title><description>4.21</description><quant>100</quant><index>DOWN</index><change>-0.01</change></item>
</rates>`

// uploadRates posts files to /admin/rates (upload, in trade_test.go).
func uploadRates(t *testing.T, url, token string, files map[string]string) (int, string) {
	t.Helper()
	raw := map[string][]byte{}
	for name, body := range files {
		raw[name] = []byte(body)
	}
	r := upload(t, url, token, "files", raw)
	return r.Status, string(r.Body)
}

// The administrator imports the National Bank's rates from the page: a bad
// file refuses the upload whole, naming the file, currency and field; a good
// one is imported and summarised. Other roles may not.
func TestAdminImportsNBKRatesFromThePage(t *testing.T) {
	dir := t.TempDir()
	s := stacktest.StartWith(t, stacktest.Options{Dir: dir})
	page := "http://" + s.DashboardAddr + "/admin/rates"
	admin, analyst := stacktest.Tokens["admin"], stacktest.Tokens["analyst"]
	store := filepath.Join(dir, "reference", reference.RatesFile)
	before, err := os.ReadFile(store)
	if err != nil {
		t.Fatal(err)
	}
	if r := stacktest.Do(t, "GET", page, admin, "", "Accept-Language", "en"); r.Status != 200 || !strings.Contains(string(r.Body), `data-currency="UZS"`) {
		t.Fatalf("the rates page: %d", r.Status)
	}
	if r := stacktest.Do(t, "GET", page, analyst, ""); r.Status != 403 {
		t.Errorf("an analyst opens the rates page: %d", r.Status)
	}
	if status, _ := uploadRates(t, page, analyst, map[string]string{"day.xml": nbkDayXML}); status != 403 {
		t.Errorf("an analyst uploads rates: %d", status)
	}
	bad := strings.Replace(nbkDayXML, "<quant>100</quant>", "<quant>3</quant>", 1)
	status, body := uploadRates(t, page, admin, map[string]string{"03.11.2026.xml": nbkDayXML, "bad.xml": bad})
	if status != 400 || !strings.Contains(body, "bad.xml, day 03.11.2026, item 3, currency UZS, field quant") || !strings.Contains(body, "Nothing was imported") {
		t.Fatalf("a bad file: %d\n%s", status, body)
	}
	if after, _ := os.ReadFile(store); !bytes.Equal(after, before) {
		t.Fatal("a refused upload changed the rates store")
	}
	status, body = uploadRates(t, page, admin, map[string]string{"03.11.2026.xml": nbkDayXML})
	if status != 200 || !strings.Contains(body, `id="rates-summary"`) || !strings.Contains(body, "1 files, 3 rates (3 new, 0 replaced), 1 days, 3 currencies") {
		t.Fatalf("a good file: %d\n%s", status, body)
	}
	rs, err := reference.Default().LoadRatesFile(store)
	if err != nil {
		t.Fatal(err)
	}
	if r, _, _ := rs.At("UZS", time.Date(2026, 11, 3, 0, 0, 0, 0, time.UTC)); r.String() != "0.0421" {
		t.Errorf("UZS of 3 November in the store: %s", r)
	}
}
