package i18n

import (
	"strings"

	"golang.org/x/text/language"
)

var matcher = language.NewMatcher([]language.Tag{language.English, language.Kazakh, language.Russian})

// Parse returns the catalogue's language for a tag such as "ru", "kk-KZ" or
// "EN"; ok is false for any other.
func Parse(tag string) (Lang, bool) {
	t, err := language.Parse(strings.TrimSpace(tag))
	if err != nil {
		return "", false
	}
	base, _ := t.Base()
	switch l := Lang(base.String()); l {
	case KK, RU, EN:
		return l, true
	}
	return "", false
}

// Choose picks the language of a request: the user's own setting, then an
// explicit choice (?lang= or the language cookie), then the browser's
// Accept-Language under CLDR matching (kk-KZ is Kazakh; a Kazakh speaker's
// browser that lists only "ru, en" gets Russian), then English. The first
// that names a language of the catalogue wins.
func Choose(setting, explicit, acceptLanguage string) Lang {
	for _, s := range []string{setting, explicit} {
		if l, ok := Parse(s); ok {
			return l
		}
	}
	if acceptLanguage == "" {
		return EN
	}
	tags, _, err := language.ParseAcceptLanguage(acceptLanguage)
	if err != nil || len(tags) == 0 {
		return EN
	}
	_, i, conf := matcher.Match(tags...)
	if conf == language.No {
		return EN
	}
	return []Lang{EN, KK, RU}[i]
}
