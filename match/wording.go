package match

import (
	"unicode"
	"unicode/utf8"
)

// wordingLetters is how many letters of a writer's own words (the services'
// names not counted) make a wording: about five words, past the stock phrases
// ("is down for anyone") that people write alike on their own.
const wordingLetters = 24

// wording returns a hash of what the scanned post says apart from the services
// it names, its @handles and its links, or 0 when that is under wordingLetters
// letters (a CJK or Hangul character counts two). It is read from the
// normalised tokens, so case, accents, punctuation and stretched letters do
// not tell two posts apart, nor does the spelling of a name: "IG down again,
// none of my messages send" and "Instagram down again, none of my messages
// send!!" are one wording, as a template posted with the name written several
// ways is one text.
func (m *Matcher) wording(sc *scratch) uint64 {
	const offset64, prime64 = 14695981039346656037, 1099511628211
	h := uint64(offset64)
	letters := 0
	word := func(w []byte) {
		n := letters
		for k := 0; k < len(w); {
			r, size := decode(w, k)
			k += size
			switch {
			case r < utf8.RuneSelf:
				if 'a' <= r && r <= 'z' || '0' <= r && r <= '9' {
					h = (h ^ uint64(r)) * prime64
					letters++
				}
			case unicode.IsLetter(r) || unicode.IsDigit(r):
				for _, c := range w[k-size : k] {
					h = (h ^ uint64(c)) * prime64
				}
				letters += runeWeight(r)
			}
		}
		if letters > n {
			h = (h ^ ' ') * prime64 // words apart: "no w" is not "now"
		}
	}
	b := sc.buf
	mi := 0
	for i := 0; i < len(sc.toks); i++ {
		t := &sc.toks[i]
		for mi < len(sc.mentions) && int(sc.mentions[mi].end) <= i {
			mi++
		}
		named := mi < len(sc.mentions) && int(sc.mentions[mi].pos) <= i
		switch {
		case t.fl&(tkMention|tkTracker) != 0 || string(b[t.s:t.e]) == "rt":
			// a handle, a link or a retweet's mark: who is addressed, not what is said
		case named && t.fl&tkCJK != 0:
			// a run written without spaces: only its names are left out
			sc.runBuf, _ = m.maskRun(sc, sc.runBuf[:0], b[t.s:t.e], ^uint64(0))
			word(sc.runBuf)
		case named:
			i = int(sc.mentions[mi].end) - 1
		default:
			word(b[t.s:t.e])
		}
	}
	if letters < wordingLetters || h == 0 {
		return 0
	}
	return h
}

// runeWeight counts a logogram or syllable block as two letters: a word of a
// language written without spaces holds fewer runes than an alphabet's.
func runeWeight(r rune) int {
	if unicode.In(r, unicode.Han, unicode.Hangul, unicode.Hiragana, unicode.Katakana) {
		return 2
	}
	return 1
}
