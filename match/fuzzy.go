// Fuzzy service names (aliases within one edit of a word, and the hash test
// that rules most words out first) and typing slips of terms (readTypos).

package match

import (
	"cmp"
	"slices"
	"unicode/utf8"
)

// fuzzy returns an alias within one edit (insertion, deletion, substitution
// or transposition) of key, or -1.
func (m *Matcher) fuzzy(key []byte) int32 {
	if !m.noPrefilter && !m.mayFuzzy(key) {
		return -1
	}
	for _, id := range m.r.fuzzy[key[0]] {
		a := m.r.phrases[id].toks[0]
		if d := len(key) - len(a); d < -1 || d > 1 {
			continue
		}
		if withinOneEdit(key, a) {
			if _, known := m.r.index[string(key)]; known {
				return -1
			}
			return id
		}
	}
	return -1
}

func withinOneEdit(a []byte, b string) bool {
	i := 0
	for i < len(a) && i < len(b) && a[i] == b[i] {
		i++
	}
	if i == len(a) && i == len(b) {
		return true
	}
	switch {
	case len(a) == len(b):
		if string(a[i+1:]) == b[i+1:] {
			return true
		}
		return i+1 < len(a) && a[i] == b[i+1] && a[i+1] == b[i] && string(a[i+2:]) == b[i+2:]
	case len(a) == len(b)+1:
		return string(a[i+1:]) == b[i:]
	case len(a)+1 == len(b):
		return string(a[i:]) == b[i+1:]
	}
	return false
}

// mayFuzzy reports whether key may be within one edit of a fuzzy alias:
// key, or key without one of its bytes, hashes like an alias or an alias
// without one of its bytes (substitutions, insertions, deletions and
// transpositions all leave such a pair).
func (m *Matcher) mayFuzzy(key []byte) bool {
	if len(key) > maxFuzzyKey || m.r.fuzzyLens[key[0]]&(1<<len(key)) == 0 {
		return false
	}
	// Fuzzy aliases share the key's first byte and have at least six. One edit at
	// position 3 or later keeps the first three bytes; one at position 1 or 2 keeps
	// the last three, but for a six-byte alias whose bytes 2 and 3 are swapped
	// (compile adds that head), so a key that shares neither with any fuzzy alias
	// has none within one edit. Three bytes, not two: two let half the words of a
	// post through to the hashes below.
	L := len(key)
	if !hasBit(m.r.fuzzyEnds[0], fuzzyHead(key, m.r.fuzzyLog)) && !hasBit(m.r.fuzzyEnds[1], fuzzyTail(key, m.r.fuzzyLog)) {
		return false
	}
	// pre[i]: hash of key[:i]; pow[k]: hashBase^k. Dropping byte i gives
	// pre[i]*pow[L-1-i] + (hash of key[i+1:]).
	var pre [maxFuzzyKey + 1]uint32
	var pow [maxFuzzyKey + 1]uint32
	pow[0] = 1
	for i, c := range key {
		pre[i+1] = pre[i]*hashBase + uint32(c)
		pow[i+1] = pow[i] * hashBase
	}
	if m.r.mayFuzzyHash(pre[L]) {
		return true
	}
	for i := 0; i < L; i++ {
		suf := pre[L] - pre[i+1]*pow[L-1-i]
		if m.r.mayFuzzyHash(pre[i]*pow[L-1-i] + suf) {
			return true
		}
	}
	return false
}

const maxFuzzyKey = 17

// mayFuzzyHash reports whether h (delHash's) is the hash of a fuzzy alias or of
// one without one of its bytes.
func (r *Rules) mayFuzzyHash(h uint32) bool {
	return hasBit(r.fuzzyBits, finishHash(h, fuzzyBitsLog)) && r.fuzzyKeys[h]
}

// fuzzyHead and fuzzyTail hash a word's first three bytes, and its first and
// last three, for mayFuzzy's first test.
func fuzzyHead(w []byte, log uint) uint32 {
	return finishHash(uint32(w[0])<<16|uint32(w[1])<<8|uint32(w[2]), log)
}

func fuzzyTail(w []byte, log uint) uint32 {
	n := len(w)
	return finishHash(uint32(w[0])<<24|uint32(w[n-3])<<16|uint32(w[n-2])<<8|uint32(w[n-1])^0x5bd1e995, log)
}

// Typos of terms. The people who complain type fast on phones: "not wokring",
// "messages not deivering", "geht nocht", "wa tunbang". A word of a post naming
// a service that is no term, within one typing slip of one, is read as it. A
// slip is what fingers do (typoOf): two neighbouring letters swapped, a letter
// struck for its neighbour on the keyboard, a letter doubled or a neighbouring
// key struck beside it. Other edits of one letter make other words as often as
// typos ("crushed" is no "crashed", "spending" no "sending"), and a letter left
// out most of all: Turkish negates a verb with one ("açılıyor", it opens, is
// "açılmıyor" less its m), Portuguese "falando" is "falhando" less its h.

// typoMin is the shortest term of p's category read through a typo (0: none):
// a name term and a post-negator from five letters, a symptom verb from six
// ("words" is a slip from "works"). Not an outage term alone: there are ten
// thousand, so a slip of one is often another language's word (Romanian
// "plânge", cries, is a slip from French "plante"), and looking them up in
// every post cost 3% of the matcher's speed.
func typoMin(p *phrase) int {
	switch p.cat {
	case catNamed, catPostNeg:
		return 5
	case catVerb:
		return 6
	}
	return 0
}

// maxTypo bounds the length of a word read as a term's typo.
const maxTypo = 17

// typoKeys are the two keys under which a term of category cat and n bytes, w,
// is kept in Rules.typos: its first and last bytes, and its first two. A slip
// leaves one of the pairs as it was (the last byte, unless the slip is at the
// end, which leaves the first two).
func typoKeys(w []byte, n int, cat uint8) (uint32, uint32) {
	k := uint32(n)<<16 | uint32(cat)<<24
	return k | uint32(w[0]) | uint32(w[len(w)-1])<<8 | 1<<23, k | uint32(w[0]) | uint32(w[1])<<8
}

// addTypoTerm keeps term w (phrase id, of category cat) in r.typos.
func (r *Rules) addTypoTerm(w string, id int32, cat uint8) {
	t := typoTerm{n: uint8(len(w)), id: id, cat: cat}
	copy(t.word[:], w)
	k1, k2 := typoKeys(t.word[:t.n], len(w), cat)
	r.typos[k1] = append(r.typos[k1], t)
	r.typos[k2] = append(r.typos[k2], t)
	setBit(r.typoBits, typoSlot(k1))
	setBit(r.typoBits, typoSlot(k2))
}

// typoLog is the size of typoBits (bits, a power of two): about 1,300 terms,
// two keys each, one bit in twenty.
const typoLog = 16

func typoSlot(k uint32) uint32 { return k * 0x9E3779B1 >> (32 - typoLog) }

// readTypos reads the words of a post that are no term, no name and no part of
// one, as the terms they are a slip from, where such a term would stand
// (typoCats): after the scan, which has marked the negators and verbs around
// them.
func (sc *scratch) readTypos(r *Rules) {
	for _, in := range sc.intents {
		if in.cat == catOutage {
			return // read as a complaint already: a slip would add nothing
		}
	}
	added := false
	try := func(i int) {
		if i >= len(sc.toks) || sc.marks[i] != 0 {
			return
		}
		t := sc.toks[i]
		if t.e-t.s < 5 || t.e-t.s > 16 || t.fl&(tkHash|tkCJK|tkMention) != 0 || sc.buf[t.s] >= utf8.RuneSelf {
			return
		}
		cats := sc.typoCats(r, i)
		if cats == 0 || sc.inMention(i) {
			return
		}
		id := r.typoOfTerm(sc.buf[t.s:t.e], cats)
		if id < 0 {
			return
		}
		p := &r.phrases[id]
		switch p.cat {
		case catVerb:
			sc.markPair(i, mkVerb, p.langs)
		case catPostNeg:
			sc.markPair(i, mkPostNeg, p.langs)
		default: // a name term, right after a name
			sc.marks[i] |= mkIntent
			sc.intents = append(sc.intents, intent{cat: catOutage, pos: int32(i), end: int32(i + 1), sent: t.sent, hg: t.hg, langs: p.langs})
			added = true
		}
	}
	// Only where a term may stand, a cheap superset of the places typoCats
	// allows (it reads the marks, which a slip read here may have set): after
	// a name or a word on, one or two words after a negator, after a verb.
	for _, mn := range sc.mentions {
		try(int(mn.end))
		try(int(mn.end) + 1)
	}
	for k := range sc.toks {
		if m := sc.marks[k]; m&mkNegator != 0 {
			try(k + 1)
			try(k + 2)
		} else if m&mkVerb != 0 {
			try(k + 1)
		}
	}
	if added {
		slices.SortStableFunc(sc.intents, func(a, b intent) int { return cmp.Compare(a.pos, b.pos) })
	}
}

// typoCats returns the categories of term a typo at token i is read as: where
// such a term would stand. A name term right after a name (or its copula or an
// adverb: "tá lrnto"), a symptom verb right after a negator or one word on
// ("not wokring", "não está funcionnado"), a post-negator right after a verb
// ("geht nocht").
func (sc *scratch) typoCats(r *Rules, i int) (cats uint64) {
	if nameEndsBefore(sc, i) || sc.oneWordAfterName(i) && (sc.copulaAt(i-1) || r.adverbAt(sc, i-1) != 0) {
		cats |= 1 << catNamed
	}
	for k := i - 1; k >= 0 && k >= i-2 && sc.toks[k].sent == sc.toks[i].sent; k-- {
		if sc.marks[k]&mkNegator != 0 {
			cats |= 1 << catVerb
			break
		}
	}
	if i > 0 && sc.marks[i-1]&mkVerb != 0 {
		cats |= 1 << catPostNeg
	}
	return cats
}

// typoTerm is a term a typo of which is read as it, with what typoOfTerm reads
// of it kept together: the phrases are many and large, a cache miss each.
type typoTerm struct {
	word [maxTypo]byte
	n    uint8
	cat  uint8
	id   int32
}

// typoOfTerm returns the term of the categories cats (bits by category) key is a
// typo of, or -1.
func (r *Rules) typoOfTerm(key []byte, cats uint64) int32 {
	if len(key) > maxTypo {
		return -1
	}
	// terms of key's length (a swap, a slip) and a byte shorter (a key struck
	// beside), under either key
	for _, cat := range [...]uint8{catNamed, catVerb, catPostNeg} {
		if cats&(1<<cat) == 0 {
			continue
		}
		a1, a2 := typoKeys(key, len(key), cat)
		b1, b2 := typoKeys(key, len(key)-1, cat)
		for _, k := range [4]uint32{a1, a2, b1, b2} {
			if !hasBit(r.typoBits, typoSlot(k)) {
				continue
			}
			for _, t := range r.typos[k] {
				if typoOf(key, t.word[:t.n]) {
					if _, known := r.index[string(key)]; known {
						return -1 // a term of its own
					}
					return t.id
				}
			}
		}
	}
	return -1
}

// typoOf reports whether w is word with one slip on a QWERTY keyboard.
func typoOf(w, word []byte) bool {
	i := 0
	for i < len(w) && i < len(word) && w[i] == word[i] {
		i++
	}
	switch {
	case len(w) == len(word):
		if i == len(w) {
			return false // the word itself
		}
		if string(w[i+1:]) == string(word[i+1:]) {
			return keysAdjacent(w[i], word[i]) // struck beside
		}
		return i+1 < len(w) && w[i] == word[i+1] && w[i+1] == word[i] && string(w[i+2:]) == string(word[i+2:]) // swapped
	case len(w) == len(word)+1:
		// w[i] struck beside the letters around it, or doubling one of them
		if string(w[i+1:]) != string(word[i:]) {
			return false
		}
		c := w[i]
		return i > 0 && (c == word[i-1] || keysAdjacent(c, word[i-1])) || i < len(word) && (c == word[i] || keysAdjacent(c, word[i]))
	}
	return false
}

// keyAt is each lower-case letter's row and column on a QWERTY keyboard
// (row 0 the top letter row; each row starts half a key or so to the right
// of the one above).
var keyAt = func() (t [256][2]int8) {
	for i := range t {
		t[i] = [2]int8{-9, -9}
	}
	for r, row := range []string{"qwertyuiop", "asdfghjkl", "zxcvbnm"} {
		for c := range len(row) {
			t[row[c]] = [2]int8{int8(r), int8(c)}
		}
	}
	return
}()

// keysAdjacent reports whether keys a and b touch on a QWERTY keyboard.
func keysAdjacent(a, b byte) bool {
	ka, kb := keyAt[a], keyAt[b]
	if ka[0] < 0 || kb[0] < 0 {
		return false
	}
	switch kb[0] - ka[0] {
	case 0:
		return kb[1]-ka[1] == 1 || ka[1]-kb[1] == 1
	case -1: // b on the row above: above a and to its right
		return kb[1] == ka[1] || kb[1] == ka[1]+1
	case 1: // b on the row below: below a and to its left
		return kb[1] == ka[1] || kb[1] == ka[1]-1
	}
	return false
}
