// Uzbek is written in Latin and in Cyrillic script, often by the same people:
// the rules list a term once, in Latin, and it is found in both.

package match

import "strings"

// otherScripts returns a term listed under lang in the language's other
// script (nil for most languages): an Uzbek term listed in Latin is also found
// in Cyrillic.
func otherScripts(lang, term string) []string {
	if lang == "uz" {
		return uzCyrillic(term)
	}
	return nil
}

// uzPairs are the Latin letters and digraphs of Uzbek with their Cyrillic
// letters, longest first.
var uzPairs = []struct{ lat, cyr string }{
	{"o'", "ў"}, {"oʻ", "ў"}, {"o‘", "ў"}, {"o`", "ў"}, {"g'", "ғ"}, {"gʻ", "ғ"}, {"g‘", "ғ"}, {"g`", "ғ"},
	{"sh", "ш"}, {"ch", "ч"}, {"yo", "ё"}, {"yu", "ю"}, {"ya", "я"}, {"ye", "е"},
	{"a", "а"}, {"b", "б"}, {"d", "д"}, {"e", "е"}, {"f", "ф"}, {"g", "г"}, {"h", "ҳ"}, {"i", "и"},
	{"j", "ж"}, {"k", "к"}, {"l", "л"}, {"m", "м"}, {"n", "н"}, {"o", "о"}, {"p", "п"}, {"q", "қ"},
	{"r", "р"}, {"s", "с"}, {"t", "т"}, {"u", "у"}, {"v", "в"}, {"x", "х"}, {"y", "й"}, {"z", "з"},
	{"'", "ъ"}, {"ʼ", "ъ"}, {"’", "ъ"},
}

// uzInformal folds the letters Uzbek Cyrillic keyboards often lack to the
// Russian ones people type instead (ҳ → х, қ → к, ў → у, ғ → г).
var uzInformal = strings.NewReplacer("ҳ", "х", "қ", "к", "ў", "у", "ғ", "г")

// uzCyrillic returns a Latin Uzbek term in Cyrillic, as written and with the
// Russian keyboard's letters, or nil when the term is not all Latin letters
// (a term already in Cyrillic, or with digits).
func uzCyrillic(term string) []string {
	s := strings.ToLower(term)
	var b strings.Builder
	wordStart := true
	for len(s) > 0 {
		if s[0] == ' ' || s[0] == '-' {
			b.WriteByte(s[0])
			s, wordStart = s[1:], true
			continue
		}
		found := false
		for _, p := range uzPairs {
			if strings.HasPrefix(s, p.lat) {
				c := p.cyr
				if p.lat == "e" && wordStart {
					c = "э" // a word's first e is э: ertaga → эртага
				}
				b.WriteString(c)
				s, found, wordStart = s[len(p.lat):], true, false
				break
			}
		}
		if !found {
			return nil
		}
	}
	out := b.String()
	if inf := uzInformal.Replace(out); inf != out {
		return []string{out, inf}
	}
	return []string{out}
}
