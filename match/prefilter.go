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
		if h := keyHash(key, r.aliasLog); hasBit(r.aliasBits, h) {
			// A one-token alias, or the first two tokens of a longer one as scan's
			// follows will find them (the next token neither a break nor a mention).
			if hasBit(r.wordBits, h) {
				return true
			}
			if nt := i + 1; t.fl&tkMention == 0 && nt < len(sc.toks) && sc.toks[nt].fl&(tkBreak|tkMention) == 0 &&
				hasBit(r.pairBits, pairHash(key, b[sc.toks[nt].s:sc.toks[nt].e], r.aliasLog)) {
				return true
			}
		}
		if t.fl&tkMention != 0 {
			if handleCore(key, func(c []byte) bool { return hasBit(r.wordBits, keyHash(c, r.aliasLog)) }) != nil {
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
				if len(key) > len(pre)+3 && string(key[:len(pre)]) == pre && hasBit(r.aliasBits, keyHash(key[len(pre):], r.aliasLog)) {
					return true
				}
			}
			// and, as the scan does, Persian and Urdu endings (تلگرامم, جیمیلم)
		}
		if len(key) >= 4 {
			for _, suf := range suffixesByLast[key[len(key)-1]] {
				if len(key)-len(suf) >= minStem(suf) && string(key[len(key)-len(suf):]) == suf && hasBit(r.aliasBits, keyHash(key[:len(key)-len(suf)], r.aliasLog)) {
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
