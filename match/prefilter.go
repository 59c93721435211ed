// The prefilter: a cheap pass that lets a post naming no service leave
// before the phrase scan.

package match

import "bytes"

// mayName reports whether any token of the post may start a service alias
// (no false negatives: it checks every path scan takes to an alias). Most
// posts of a firehose name no service and leave after this pass.
func (m *Matcher) mayName(sc *scratch) bool {
	r := m.r
	b := sc.buf
	for i := range sc.toks {
		t := &sc.toks[i]
		key := b[t.s:t.e]
		if h := mixWords(key); hasBit(r.aliasBits, r.slot(h)) {
			// A one-token alias, or a longer one as scan's follows will find it.
			if r.isWord(h) {
				return true
			}
			if t.fl&tkMention == 0 && sc.continues(i+1) && r.mayContinue(sc, i, h) {
				return true
			}
		}
		if t.fl&tkMention != 0 {
			if handleCore(key, r.isWordAlias) != nil {
				return true
			}
			continue
		}
		if t.fl&tkCJK != 0 {
			for k := 0; k < len(key); {
				c, size := decode(key, k)
				if h := runeHash(c); r.cjkBits[h>>6]&(1<<(h&63)) == 0 {
					k += size
					continue
				}
				for _, a := range r.cjkAliases[c] {
					if bytes.HasPrefix(key[k:], []byte(a)) {
						return true
					}
				}
				k += size
			}
			continue
		}
		if key[0] >= 0xD8 && key[0] <= 0xDB {
			for _, pre := range arabicPrefixes {
				if len(key) > len(pre)+3 && string(key[:len(pre)]) == pre && r.aliasKind(key[len(pre):]) != 0 {
					return true
				}
			}
			// and, as the scan does, Persian and Urdu endings (تلگرامم, جیمیلم)
		}
		if len(key) >= 4 {
			lens := r.aliasLens[lensSlot(key[0], key[1])]
			for _, suf := range suffixesByLast[key[len(key)-1]] {
				// (the stem's length first: most words start no name of that length)
				if n := len(key) - len(suf); lens&(1<<min(max(n, 0), 31)) != 0 && hasNameSuffix(key, suf) && r.aliasKind(key[:n]) != 0 {
					return true
				}
			}
		}
		if len(key) >= 5 && len(key) <= 16 && t.fl&tkHash == 0 && m.mayFuzzy(key) {
			return true
		}
	}
	return false
}

// continues reports whether a name of several tokens may go on at token j: it is
// there, neither a break nor a mention.
func (sc *scratch) continues(j int) bool {
	return j < len(sc.toks) && sc.toks[j].fl&(tkBreak|tkMention) == 0
}

// mayContinue reports whether token i, the first token of an alias (hk: its
// mixWords), starts one with the tokens after it as scan's tokenIs matches them:
// each as written but the alias's last, which may also carry a name suffix ("Тик
// Токни", "апп стордан") or, in a Korean name, anything after it ("마크 서버가").
// The first three tokens are checked: "on the" starts "on the gram", not "on the
// corner".
func (r *Rules) mayContinue(sc *scratch, i int, hk uint64) bool {
	b := sc.buf
	if hasBit(r.looseBits[:], looseSlot(hk)) {
		return true // (a few Korean names)
	}
	next := b[sc.toks[i+1].s:sc.toks[i+1].e]
	h := pairOf(hk, next)
	switch k := r.pairKind(h); {
	case k&pkEnd != 0:
		return true
	case k&pkMore != 0 && sc.continues(i+2):
		third := b[sc.toks[i+2].s:sc.toks[i+2].e]
		if r.tripleKeys[pairOf(h, third)] != 0 ||
			anyStem(third, func(stem []byte) bool { return r.tripleKeys[pairOf(h, stem)]&pkEnd != 0 }) {
			return true
		}
	}
	return anyStem(next, func(stem []byte) bool { return r.pairKind(pairOf(hk, stem))&pkEnd != 0 })
}

// anyStem reports whether f holds for w without one of the name suffixes it ends in.
func anyStem(w []byte, f func(stem []byte) bool) bool {
	for _, suf := range suffixesByLast[w[len(w)-1]] {
		if hasNameSuffix(w, suf) && f(w[:len(w)-len(suf)]) {
			return true
		}
	}
	return false
}
