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
		if h := mixWords(key); hasBit(r.aliasBits, uint32(h>>(64-r.aliasLog))) {
			// A one-token alias, or the first two tokens of a longer one as scan's
			// follows will find them (the next token neither a break nor a mention).
			if hasBit(r.wordBits, uint32(h>>(64-r.aliasLog))) && r.aliasKeys[h]&akWord != 0 {
				return true
			}
			if nt := i + 1; t.fl&tkMention == 0 && nt < len(sc.toks) && sc.toks[nt].fl&(tkBreak|tkMention) == 0 &&
				r.startsPairSuffixed(key, b[sc.toks[nt].s:sc.toks[nt].e]) {
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
				if n := len(key) - len(suf); n >= minStem(suf) && lens&(1<<min(n, 31)) != 0 && string(key[n:]) == suf && r.aliasKind(key[:n]) != 0 {
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

// startsPairSuffixed reports whether a and b start an alias, b as written or
// without a name suffix, as the last word of a name takes one in scan's
// tokenIs ("Тик Токни", "апп стордан").
func (r *Rules) startsPairSuffixed(a, b []byte) bool {
	if r.startsPair(a, b) {
		return true
	}
	for _, suf := range suffixesByLast[b[len(b)-1]] {
		if hasNameSuffix(b, suf) && r.startsPair(a, b[:len(b)-len(suf)]) {
			return true
		}
	}
	return false
}
