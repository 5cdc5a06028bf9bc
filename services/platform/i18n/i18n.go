// Package i18n is the one catalogue of user-facing strings, in Kazakh,
// Russian and English, and the one place numbers, money and dates are
// formatted for a language.
//
// The catalogue is a set of JSON files in catalogue/, one per area and
// language (area.lang.json, e.g. attache.ru.json), read by go-i18n
// (github.com/nicksnyder/go-i18n/v2 v2.7.0), which also knows each
// language's CLDR plural rules. A message is a printf format ("%s is not a
// date"), so callers pass arguments by position; a plural message is an
// object of CLDR plural forms ({"one": …, "few": …, "many": …, "other": …})
// looked up with TN. Every key exists in all three languages: the catalogue
// test fails otherwise. To add a language see the README.
package i18n

import (
	"embed"
	"encoding/json"
	"fmt"
	"io/fs"
	"path"
	"slices"
	"strings"

	goi18n "github.com/nicksnyder/go-i18n/v2/i18n"
	"golang.org/x/text/language"
)

// Lang is a BCP 47 language tag the catalogue knows.
type Lang string

// The languages of the ministry's users: Kazakh, the state language, and
// Russian, the language of inter-ethnic communication, then English.
const (
	KK Lang = "kk"
	RU Lang = "ru"
	EN Lang = "en"
)

// Langs lists the languages in the order a language menu shows them.
var Langs = []Lang{KK, RU, EN}

// Name is the language's name in itself, for a language menu.
func (l Lang) Name() string {
	switch l {
	case KK:
		return "Қазақша"
	case RU:
		return "Русский"
	}
	return "English"
}

//go:embed catalogue/*.json
var catalogueFiles embed.FS

var (
	bundle, index = mustLoad(catalogueFiles)
	localizers    = map[Lang]*goi18n.Localizer{}
)

func init() {
	for _, l := range Langs {
		localizers[l] = goi18n.NewLocalizer(bundle, string(l))
	}
}

// mustLoad reads every catalogue file into go-i18n's bundle and into an
// index of each language's keys (the bundle lists none). A broken file, or
// a key two files of a language define, stops the program at start, not at
// the first page that needs it.
func mustLoad(files fs.FS) (*goi18n.Bundle, map[Lang]map[string]string) {
	b := goi18n.NewBundle(language.English)
	b.RegisterUnmarshalFunc("json", json.Unmarshal)
	idx := map[Lang]map[string]string{}
	names, err := fs.Glob(files, "catalogue/*.json")
	if err != nil || len(names) == 0 {
		panic(fmt.Sprintf("i18n: no catalogue files: %v", err))
	}
	for _, name := range names {
		if err := loadFile(b, idx, files, name); err != nil {
			panic(fmt.Sprintf("i18n: catalogue file %s: %v", name, err))
		}
	}
	return b, idx
}

func loadFile(b *goi18n.Bundle, idx map[Lang]map[string]string, files fs.FS, name string) error {
	raw, err := fs.ReadFile(files, name)
	if err != nil {
		return err
	}
	mf, err := b.ParseMessageFileBytes(raw, path.Base(name))
	if err != nil {
		return err
	}
	lang := Lang(mf.Tag.String())
	if idx[lang] == nil {
		idx[lang] = map[string]string{}
	}
	for _, m := range mf.Messages {
		if _, dup := idx[lang][m.ID]; dup {
			return fmt.Errorf("key %q is defined in another %s file too", m.ID, lang)
		}
		idx[lang][m.ID] = m.Other
	}
	return nil
}

// T returns the message for key in lang formatted with args; a key the
// language lacks falls back to English, and an unknown key shows itself
// (tests catch both).
func T(lang Lang, key string, args ...any) string {
	return format(lang, lookup(lang, key, nil), args)
}

// TN is T for a message with plural forms, chosen by n under lang's CLDR
// rules; n is not passed to the format unless it is among args.
func TN(lang Lang, key string, n int, args ...any) string {
	return format(lang, lookup(lang, key, n), args)
}

func lookup(lang Lang, key string, n any) string {
	loc, ok := localizers[lang]
	if !ok {
		loc = localizers[EN]
	}
	msg, err := loc.Localize(&goi18n.LocalizeConfig{MessageID: key, PluralCount: n})
	if msg == "" && err != nil {
		return key
	}
	return msg
}

func format(lang Lang, msg string, args []any) string {
	if len(args) == 0 {
		return msg
	}
	shown := args
	for i, a := range args {
		if l, ok := a.(Localizer); ok {
			if &shown[0] == &args[0] {
				shown = slices.Clone(args) // the caller's arguments stay as they are
			}
			shown[i] = l.Localize(lang)
		}
	}
	return fmt.Sprintf(msg, shown...)
}

// Has reports whether key exists in lang's catalogue itself (no fallback).
func Has(lang Lang, key string) bool {
	_, ok := index[lang][key]
	return ok
}

// Prefixed returns the messages of lang whose keys start with prefix, for a
// page's script (JavaScript strings live under "js.").
func Prefixed(lang Lang, prefix string) map[string]string {
	out := map[string]string{}
	for k := range index[EN] {
		if strings.HasPrefix(k, prefix) {
			out[k] = lookup(lang, k, nil)
		}
	}
	return out
}

// Localizer is a message argument with words of its own in each language,
// such as an enumeration's value: T shows it in the message's language.
type Localizer interface{ Localize(Lang) string }

// Label is an enumeration's value as a message argument, e.g.
// Label{"lead_stage", "on_hold"}: "On hold", «Приостановлен».
type Label struct{ Kind, Value string }

// Localize names the value in lang (the catalogue's enum.<kind>.<value>;
// a value it lacks shows as it is).
func (l Label) Localize(lang Lang) string {
	key := "enum." + l.Kind + "." + l.Value
	if !Has(EN, key) {
		return l.Value
	}
	return lookup(lang, key, nil)
}

// Labels is several values of one enumeration, joined by commas; none
// reads "none (it is final)".
type Labels struct {
	Kind   string
	Values []string
}

// Localize names each value in lang.
func (l Labels) Localize(lang Lang) string {
	if len(l.Values) == 0 {
		return lookup(lang, "enum.none_final", nil)
	}
	names := make([]string, len(l.Values))
	for i, v := range l.Values {
		names[i] = Label{l.Kind, v}.Localize(lang)
	}
	return strings.Join(names, ", ")
}
