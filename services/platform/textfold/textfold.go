// Package textfold makes text comparable the way people type it: lower
// case, the Kazakh letters folded to the Russian ones a Russian keyboard
// types for them (қ → к, ү → у ...) and ё to е, so "ҚАЗАҚ", "казак" and
// "Қазақ" are one word to the HS search and the global search alike.
package textfold

import (
	"strings"
	"unicode"
	"unicode/utf8"
)

// kazakhFold maps the Kazakh letters to the Russian ones people type for
// them on a Russian keyboard, and ё to е, so "Караганды" finds "Қарағанды"
// and "мед" finds "мёд".
var kazakhFold = strings.NewReplacer("ә", "а", "ғ", "г", "қ", "к", "ң", "н", "ө", "о", "ұ", "у", "ү", "у", "һ", "х", "і", "и", "ё", "е")

// Fold lower-cases s (Unicode-aware: Cyrillic and Kazakh capitals too) and
// folds the Kazakh letters and ё.
func Fold(s string) string { return kazakhFold.Replace(strings.ToLower(s)) }

// cyrillicEndings are the (folded) vowels and signs a Russian or Kazakh word
// ends in when inflected: cutting them lets "пшеницы" find "пшеница".
const cyrillicEndings = "аеиоуыэюяьй"

// Stem cuts the trailing vowels of a folded Cyrillic word of 5 or more
// letters, keeping at least 4; shorter and Latin words are kept as typed.
func Stem(w string) string {
	if !strings.ContainsFunc(w, func(r rune) bool { return unicode.Is(unicode.Cyrillic, r) }) || utf8.RuneCountInString(w) < 5 {
		return w
	}
	for utf8.RuneCountInString(w) > 4 {
		r, size := utf8.DecodeLastRuneInString(w)
		if !strings.ContainsRune(cyrillicEndings, r) {
			break
		}
		w = w[:len(w)-size]
	}
	return w
}
