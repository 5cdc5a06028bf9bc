package domain

import (
	"sort"
	"strings"
	"unicode"
	"unicode/utf8"

	"github.com/hbollon/go-edlib"
	"golang.org/x/text/runes"
	"golang.org/x/text/transform"
	"golang.org/x/text/unicode/norm"
)

// cyrillic is the transliteration of Russian and Kazakh letters to Latin
// (lower case): a practical romanisation close to what companies write on
// their Latin letterheads (Қ→q, Ұ/Ү→u, Ө→o, Ғ→gh, Ә→a, Ң→ng, Һ→h, І→i),
// not a reversible standard. Matching reduces both sides further
// (phonetic), so the choice between close spellings does not matter there.
var cyrillic = map[rune]string{
	'а': "a", 'б': "b", 'в': "v", 'г': "g", 'д': "d", 'е': "e", 'ё': "yo", 'ж': "zh", 'з': "z", 'и': "i",
	'й': "y", 'к': "k", 'л': "l", 'м': "m", 'н': "n", 'о': "o", 'п': "p", 'р': "r", 'с': "s", 'т': "t",
	'у': "u", 'ф': "f", 'х': "kh", 'ц': "ts", 'ч': "ch", 'ш': "sh", 'щ': "shch", 'ъ': "", 'ы': "y", 'ь': "",
	'э': "e", 'ю': "yu", 'я': "ya",
	// Kazakh
	'ә': "a", 'ғ': "gh", 'қ': "q", 'ң': "ng", 'ө': "o", 'ұ': "u", 'ү': "u", 'һ': "h", 'і': "i",
	// Ukrainian and Belarusian letters seen in names
	'є': "ye", 'ї': "yi", 'ў': "u",
	// German sharp s, which has no decomposition
	'ß': "ss",
}

// hasCyrillic reports whether s has a Cyrillic letter.
func hasCyrillic(s string) bool {
	for _, r := range s {
		if unicode.Is(unicode.Cyrillic, r) {
			return true
		}
	}
	return false
}

// Transliterate writes the Cyrillic letters of s in Latin, keeping the
// case of each letter's first Latin letter; other characters are kept.
func Transliterate(s string) string {
	var b strings.Builder
	for _, r := range s {
		lower := unicode.ToLower(r)
		lat, ok := cyrillic[lower]
		if !ok {
			b.WriteRune(r)
			continue
		}
		if lower != r && lat != "" {
			lat = strings.ToUpper(lat[:1]) + lat[1:]
		}
		b.WriteString(lat)
	}
	return b.String()
}

// LatinForm is the Latin form of a name given only in Cyrillic: its
// transliteration, with the quotes of a Russian or Kazakh name («», „“)
// dropped. A Latin name is its own Latin form.
func LatinForm(name string) string {
	if !hasCyrillic(name) {
		return name
	}
	s := strings.NewReplacer("«", "", "»", "", "„", "", "“", "", "”", "").Replace(name)
	return strings.Join(strings.Fields(Transliterate(s)), " ")
}

// legalForms are the legal-form words dropped from a name before it is
// compared, as Normalise spells them (transliterated, lower case, without
// dots): Latin abbreviations and the Russian and Kazakh ones (ТОО, ЖШС,
// ООО, АО, АҚ, ...). Longer phrases are legalPhrases.
var legalForms = map[string]bool{
	"gmbh": true, "ag": true, "kg": true, "kgaa": true, "ug": true, "se": true, "llc": true, "llp": true, "lp": true,
	"gmbkh": true, "ltd": true, "limited": true, "inc": true, "incorporated": true, "corp": true, "corporation": true,
	"co": true, "sa": true, "sas": true, "sarl": true, "spa": true, "srl": true, "bv": true, "nv": true, "plc": true,
	"jsc": true, "ojsc": true, "cjsc": true, "pjsc": true, "ooo": true, "oao": true, "zao": true, "ao": true, "pao": true,
	"too": true, "zhshs": true, "aq": true, "ip": true, "zhk": true, "oy": true, "ab": true, "as": true, "asa": true,
	"kk": true, "pte": true, "pty": true, "sdn": true, "bhd": true, "tbk": true, "ltda": true, "sp": true, "zoo": true,
	"as.": true, "doo": true, "kft": true, "zrt": true, "nyrt": true, "sro": true, "aps": true,
}

// legalPhrases are legal forms written out, as Normalise spells them.
var legalPhrases = []string{
	"tovarishchestvo s ogranichennoy otvetstvennostyu", "obshchestvo s ogranichennoy otvetstvennostyu",
	"aktsionernoe obshchestvo", "aktsionerlik qoghamy", "zhauapkershiligi shekteuli seriktestik",
	"limited liability partnership", "limited liability company", "joint stock company", "public limited company",
	"gesellschaft mit beschrankter haftung", "aktiengesellschaft", "company limited", "co ltd",
}

// Normalise folds a name for comparison: lower case, Cyrillic in Latin,
// accents off, punctuation and quotes out (dots inside abbreviations
// joined: S.A. is sa), legal forms removed. It returns the words left; a
// name that is nothing but a legal form keeps it.
func Normalise(name string) []string {
	s := strings.ToLower(name)
	s = Transliterate(s)
	s, _, _ = transform.String(transform.Chain(norm.NFKD, runes.Remove(runes.In(unicode.Mn)), norm.NFC), s)
	var b strings.Builder
	for _, r := range s {
		switch {
		case r == '.' || r == '\'' || r == '’' || r == '`':
			// joined: S.A. → sa, O'Neil → oneil
		case r == '&':
			b.WriteString(" and ")
		case unicode.IsLetter(r) || unicode.IsDigit(r):
			b.WriteRune(r)
		default:
			b.WriteByte(' ')
		}
	}
	words := " " + strings.Join(strings.Fields(b.String()), " ") + " "
	for _, p := range legalPhrases {
		words = strings.ReplaceAll(words, " "+p+" ", " ")
	}
	all := strings.Fields(words)
	var out []string
	for _, w := range all {
		if !legalForms[w] && w != "and" {
			out = append(out, w)
		}
	}
	if len(out) == 0 {
		return all
	}
	return out
}

// phonetic reduces a normalised word to a skeleton that close spellings of
// one name share: sch → sh; rh → r; th → t; kh, q, ck → k; gh → g; ph → f; w → v; zh → j; ts,
// tz → c; y, j → i; yu/ya/yo/ye after a vowel sound dropped to the vowel;
// -ium, -iy, -ii, -ij endings → i; double letters single.
func phonetic(w string) string {
	r := strings.NewReplacer(
		"shch", "sh", "sch", "sh", "kh", "k", "rh", "r", "th", "t", "ck", "k", "gh", "g", "ph", "f", "zh", "j", "tz", "c", "ts", "c",
		"yu", "u", "ya", "a", "yo", "o", "ye", "e", "ju", "u", "ja", "a",
	)
	w = r.Replace(w)
	w = strings.NewReplacer("q", "k", "w", "v", "x", "ks", "y", "i", "j", "i").Replace(w)
	for _, end := range []string{"ium", "iy", "ii", "ij", "ia"} {
		if strings.HasSuffix(w, end) && len(w) > len(end)+2 {
			w = strings.TrimSuffix(w, end) + "i"
			break
		}
	}
	var b strings.Builder
	var last rune
	for _, c := range w {
		if c != last {
			b.WriteRune(c)
		}
		last = c
	}
	return b.String()
}

// Skeleton is the phonetic skeleton of a name: its normalised words, each
// reduced. Two spellings of one company share it, or nearly.
func Skeleton(name string) []string {
	words := Normalise(name)
	out := make([]string, len(words))
	for i, w := range words {
		out[i] = phonetic(w)
	}
	return out
}

// Similarity is how alike two names are, 0 to 1: the Jaro-Winkler
// similarity of their skeletons' words, each word paired with its best
// match on the other side; the mean over both sides weighted by word
// length (so a missing word counts against the pair), averaged with the
// worst word's (so one shared word, "Kazakhstan", does not make two names
// alike); or the similarity of the words run together, when the split
// differs and that is higher (KazAlum and Kaz Alum). Words shorter than
// four letters (ABB, CNPC's initials) match only when equal: Jaro-Winkler
// says little of them.
func Similarity(a, b string) float64 {
	return skeletonSimilarity(Skeleton(a), Skeleton(b))
}

func skeletonSimilarity(sa, sb []string) float64 {
	if len(sa) == 0 || len(sb) == 0 {
		return 0
	}
	meanA, worstA := side(sa, sb)
	meanB, worstB := side(sb, sa)
	tokens := ((meanA+meanB)/2 + min(worstA, worstB)) / 2
	joined := wordSimilarity(strings.Join(sa, ""), strings.Join(sb, ""))
	// Run together, a shared first word lifts Jaro-Winkler a lot: count it
	// only when the split into words differs.
	if len(sa) != len(sb) && joined > tokens {
		return joined
	}
	return tokens
}

// side is the length-weighted mean, over the words of a, of each word's
// best similarity with a word of b, and the lowest of those bests.
func side(a, b []string) (mean, worst float64) {
	var sum, weight float64
	worst = 1
	for _, w := range a {
		best := 0.0
		for _, o := range b {
			best = max(best, wordSimilarity(w, o))
		}
		n := float64(len([]rune(w)))
		sum += best * n
		weight += n
		worst = min(worst, best)
	}
	return sum / weight, worst
}

// wordSimilarity is the Jaro-Winkler similarity of two words, or for a
// word shorter than four letters 1 when they are equal and 0 otherwise.
func wordSimilarity(a, b string) float64 {
	if a == b {
		return 1
	}
	if utf8.RuneCountInString(a) < 4 || utf8.RuneCountInString(b) < 4 {
		return 0
	}
	return float64(edlib.JaroWinklerSimilarity(a, b))
}

// Threshold is the similarity from which a name is a likely duplicate.
const Threshold = 0.88

// Candidate is a company a name may duplicate, with how alike they are
// (the best of its names) and which of its names was closest.
type Candidate struct {
	Company Company
	Score   float64
	Name    string
}

// Match returns the companies of others that name (in country) likely
// duplicates: same country, not merged into another, a registration
// number equal to regNumber (score 1), or one of their names with a
// similarity of Threshold or more; best first.
func Match(name, country, regNumber string, others []Company) []Candidate {
	sk := Skeleton(name)
	reg := strings.ToLower(strings.Join(strings.Fields(regNumber), ""))
	var out []Candidate
	for _, c := range others {
		if c.Country != country || c.MergedInto != "" {
			continue
		}
		best := Candidate{Company: c}
		if reg != "" && strings.EqualFold(strings.Join(strings.Fields(c.RegNumber), ""), reg) {
			best.Score, best.Name = 1, c.RegNumber
		}
		for _, n := range c.Names() {
			if n == "" {
				continue
			}
			if s := skeletonSimilarity(sk, Skeleton(n)); s > best.Score {
				best.Score, best.Name = s, n
			}
		}
		if best.Score >= Threshold {
			out = append(out, best)
		}
	}
	sort.SliceStable(out, func(i, j int) bool { return out[i].Score > out[j].Score })
	return out
}
