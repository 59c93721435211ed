// Fuzzy service names: aliases within one edit of a word, and the hash test
// that rules most words out first.

package match

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
// a name term right after a name, a negator or post-negator (their place says
// what they are) from five letters; a symptom verb, which counts only beside a
// negator, from six ("words" is a slip from "works"); an outage term, which
// stands anywhere, from seven (Romanian "plânge", cries, is a slip from French
// "plante", and "apucat" from "apicat").
func typoMin(p *phrase) int {
	switch p.cat {
	case catNamed, catNegator, catPostNeg:
		return 5
	case catVerb:
		return 6
	case catOutage:
		return 7
	}
	return 0
}

// typoTerm returns the term key is a typo of, or -1.
func (r *Rules) typoTerm(key []byte) int32 {
	for _, id := range r.fuzzyTerms[key[0]] {
		a := r.phrases[id].toks[0]
		if d := len(key) - len(a); d >= -1 && d <= 1 && typoOf(key, a) {
			if _, known := r.index[string(key)]; known {
				return -1 // a term of its own
			}
			return id
		}
	}
	return -1
}

// typoOf reports whether w is word slipped once on a QWERTY keyboard.
func typoOf(w []byte, word string) bool {
	i := 0
	for i < len(w) && i < len(word) && w[i] == word[i] {
		i++
	}
	switch {
	case len(w) == len(word):
		if i == len(w) {
			return false // the word itself
		}
		if string(w[i+1:]) == word[i+1:] {
			return keysAdjacent(w[i], word[i]) // struck beside
		}
		return i+1 < len(w) && w[i] == word[i+1] && w[i+1] == word[i] && string(w[i+2:]) == word[i+2:] // swapped
	case len(w) == len(word)+1:
		// w[i] struck beside the letters around it, or doubling one of them
		if string(w[i+1:]) != word[i:] {
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
