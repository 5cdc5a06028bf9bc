// Package i18n is the one catalogue of user-facing strings. English comes
// first; Kazakh and Russian are added as further maps without touching handlers.
package i18n

import "fmt"

// Lang is a BCP 47 language tag the catalogue knows.
type Lang string

// The languages of the ministry's users; only English is filled in so far.
const (
	EN Lang = "en"
	KK Lang = "kk"
	RU Lang = "ru"
)

var catalogue = map[Lang]map[string]string{
	EN: en,
}

// T returns the message for key in lang, falling back to English and then to the key itself,
// formatted with args.
func T(lang Lang, key string, args ...any) string {
	msg, ok := catalogue[lang][key]
	if !ok {
		msg, ok = en[key]
	}
	if !ok {
		msg = key
	}
	if len(args) == 0 {
		return msg
	}
	return fmt.Sprintf(msg, args...)
}

// Has reports whether key exists in the English catalogue (tests use it to
// catch messages that were never added).
func Has(key string) bool { _, ok := en[key]; return ok }
