// CJK and Thai runs: phrases found by substring inside an unspaced run, and
// the checks on what the hits stand beside.

package match

import (
	"bytes"
	"cmp"
	"slices"
	"unicode/utf8"
)

// listParticles join names at the end of a CJK, Korean or Thai run ("LINEも
// インスタも", "카톡이랑 인스타", "微信和 QQ", "ไลน์กับ เฟซ"): a run of names and one of
// these is still a list item, not a clause of its own.
var listParticles = map[string]bool{
	"も": true, "と": true, "や": true, "とか": true, "、": true,
	"이랑": true, "랑": true, "와": true, "과": true, "도": true, "하고": true, "이나": true,
	"和": true, "跟": true, "与": true, "也": true, "或": true, "还有": true, "，": true,
	"กับ": true, "และ": true, "หรือ": true,
}

// midKatakanaWord reports whether a name starting with rune c at key[k:] starts
// inside a katakana word: ライン in タイムライン (timeline) or オンライン (online) is
// not LINE. Katakana loanwords are written together, so a katakana name is only taken
// where the katakana before it ends. Terms are not held to it: エラー in
// ネットワークエラー is an error.
func midKatakanaWord(key []byte, k int, c rune) bool {
	if k == 0 || !isKatakana(c) {
		return false
	}
	prev, _ := utf8.DecodeLastRune(key[:k])
	return isKatakana(prev)
}

// runHit reports whether phrase p is found at byte k (rune c) of the CJK or Thai
// run key; a name not in the middle of a longer katakana word nor of a Thai loanword.
func runHit(p *phrase, key []byte, k int, c rune) bool {
	return bytes.HasPrefix(key[k:], []byte(p.toks[0])) && (p.cat != catAlias || !midKatakanaWord(key, k, c) && !thaiLoanword(key[:k]))
}

// runHits appends to dst the phrases found in CJK or Thai run key (only names
// when names is set), in order of their start.
func runHits(r *Rules, dst []cjkHit, key []byte, names bool) []cjkHit {
	for k := 0; k < len(key); {
		c, size := decode(key, k)
		for it := r.cjkAt(key, k, c, size); ; {
			id, ok := it.next()
			if !ok {
				break
			}
			if p := &r.phrases[id]; (!names || p.cat == catAlias) && runHit(p, key, k, c) {
				dst = append(dst, cjkHit{id, k, k + len(p.toks[0])})
			}
		}
		k += size
	}
	return dst
}

// nameEndsAt reports whether a name found in a CJK or Thai run ends at byte k of
// it ("ยูทูบ" before "พัง").
func nameEndsAt(r *Rules, hits []cjkHit, k int) bool {
	for _, h := range hits {
		if h.e == k && r.phrases[h.id].cat == catAlias {
			return true
		}
	}
	return false
}

// thaiLoanPrefixes are what makes ไลน์ part of an English loanword, not LINE:
// ออนไลน์ online, ออฟไลน์ offline, ไทม์ไลน์ timeline, เดดไลน์ deadline,
// ไกด์ไลน์ guideline, แอร์ไลน์ airline.
var thaiLoanPrefixes = [][]byte{[]byte("ออน"), []byte("ออฟ"), []byte("ไทม์"), []byte("เดด"), []byte("ไกด์"), []byte("แอร์")}

// thaiLoanword reports whether the run before a Thai alias ends in one of
// thaiLoanPrefixes.
func thaiLoanword(before []byte) bool {
	for _, p := range thaiLoanPrefixes {
		if bytes.HasSuffix(before, p) {
			return true
		}
	}
	return false
}

// isKatakana reports katakana letters and the long-vowel mark ー, not the middle dot
// ・ that separates words.
func isKatakana(r rune) bool {
	return (r >= 0x30A1 && r <= 0x30FA) || r == 0x30FC || (r >= 0x31F0 && r <= 0x31FF)
}

// cjkHit is a phrase found in a CJK run, at key[s:e].
type cjkHit struct {
	id   int32
	s, e int
}

// cjkVerbGap is how many bytes may stand between a symptom verb and its
// post-negator inside a CJK or Thai run: an object of a few letters
// ("เปิดเพลงไม่ได้", open + song + cannot).
const cjkVerbGap = 15

// destinationInRun reports whether a name in a CJK or Thai run comes right
// after a displacement term or right before an arrival term of the same run
// ("มาดูในเฟสบุ๊ค", "インスタに来て").
func destinationInRun(r *Rules, hits []cjkHit) bool {
	for _, a := range hits {
		if r.phrases[a.id].cat != catAlias {
			continue
		}
		for _, d := range hits {
			switch r.phrases[d.id].cat {
			case catDisplace:
				if d.e == a.s {
					return true
				}
			case catArrive:
				if d.s == a.e {
					return true
				}
			}
		}
	}
	return false
}

// runCover returns how many bytes of a CJK or Thai run the hits of the
// categories keep cover, and where the last of them ends (hits come in order
// of start).
func runCover(r *Rules, hits []cjkHit, keep func(p *phrase) bool) (n, end int) {
	for _, h := range hits {
		if keep(&r.phrases[h.id]) && h.e > end {
			n += h.e - max(h.s, end)
			end = h.e
		}
	}
	return n, end
}

// listedInRun adds the names a CJK or Thai run lists with the one taken from it
// (svc, of token t): a run takes one name, but "ไลน์กับเฟสล่มพร้อมกัน" and
// "推特和油管同时抽风" name two services joined by a list particle, and what
// the run says is said of both.
func (sc *scratch) listedInRun(r *Rules, key []byte, t *token, svc int32) {
	first := len(sc.mentions) - 1
	chain := sc.svcChain[:0]
	prevEnd := -1
	linked := false // the chain holds svc
	for _, h := range sc.cjkHits {
		p := &r.phrases[h.id]
		if p.cat != catAlias || h.s < prevEnd || insideLongerName(r, sc.cjkHits, h.id) {
			continue
		}
		if prevEnd >= 0 && !listParticles[string(key[prevEnd:h.s])] {
			if linked {
				break
			}
			chain = chain[:0]
		}
		chain = append(chain, h.id)
		linked = linked || p.svc == svc
		prevEnd = h.e
	}
	sc.svcChain = chain
	if !linked || len(chain) < 2 {
		return
	}
	for _, id := range chain {
		p := &r.phrases[id]
		if !slices.ContainsFunc(sc.mentions[first:], func(mn mention) bool { return mn.svc == p.svc }) {
			base := sc.mentions[first]
			sc.mentions = append(sc.mentions, mention{svc: p.svc, pos: base.pos, end: base.end, sent: t.sent, hg: t.hg, cgroup: p.cgroup, strict: p.strict, device: p.device, wordIn: p.langs, dest: base.dest, listed: true})
		}
	}
}

// insideLongerName reports whether every hit of alias phrase id lies inside the
// hit of a longer alias.
func insideLongerName(r *Rules, hits []cjkHit, id int32) bool {
	for _, h := range hits {
		if h.id != id {
			continue
		}
		inside := false
		for _, o := range hits {
			if o.id != id && r.phrases[o.id].cat == catAlias && o.s <= h.s && o.e >= h.e && o.e-o.s > h.e-h.s {
				inside = true
				break
			}
		}
		if !inside {
			return false
		}
	}
	return true
}

// verbThenNegator reports whether a symptom verb among the hits of a CJK run
// is followed, within cjkVerbGap bytes, by a post-negator.
func verbThenNegator(r *Rules, hits []cjkHit) bool {
	for _, v := range hits {
		if r.phrases[v.id].cat != catVerb {
			continue
		}
		for _, n := range hits {
			if r.phrases[n.id].cat == catPostNeg && n.s >= v.e && n.s-v.e <= cjkVerbGap {
				return true
			}
		}
	}
	return false
}

// inLonger reports whether hit h lies inside a longer hit of category cat
// (หายล่มแล้ว, "no longer down", holds the outage word ล่ม; 现在想起来,
// "thinking of it now", holds the present word 现在).
func inLonger(r *Rules, hits []cjkHit, h cjkHit, cat uint8) bool {
	for _, g := range hits {
		if r.phrases[g.id].cat == cat && g.s <= h.s && h.e <= g.e && g.e-g.s > h.e-h.s {
			return true
		}
	}
	return false
}

// supposedInRun reports whether a supposition term in the run stands apart from
// hit h, before or after it: the poster's own trouble h names was a wrong guess
// ("我以为我手机坏了", "I thought my phone was broken"; "スマホ壊れたかと思った"),
// as supposedBefore and supposedAfter find for words in spaced script.
func supposedInRun(r *Rules, hits []cjkHit, h cjkHit) bool {
	for _, g := range hits {
		if r.phrases[g.id].cat == catSuppose && (g.e <= h.s || h.e <= g.s) {
			return true
		}
	}
	return false
}

// negatedAt reports whether a negation among hits overlaps h.
func negatedAt(r *Rules, hits []cjkHit, h cjkHit) bool {
	for _, g := range hits {
		if r.phrases[g.id].cat == catNegation && h.s < g.e && g.s < h.e {
			return true
		}
	}
	return false
}

// splitRuns cuts a CJK or Thai run before each name that follows other words
// in it: "ไลน์ล่มเลยย้ายมาคุยในเฟสแทน" (LINE is down so we moved to Facebook) is
// two statements about two services, as "昨日ようつべ落ちてたのに今日はネトフリが
// 再生できない" is, and a run takes one name. Names joined by a list particle
// ("ไลน์กับเฟสล่มพร้อมกัน") or written side by side stay in one run, which
// lists them (listedInRun). Hashtags are left whole.
func (m *Matcher) splitRuns(sc *scratch) {
	r := m.r
	for i := 0; i < len(sc.toks); i++ {
		t := sc.toks[i]
		if t.fl&tkCJK == 0 || t.fl&tkHash != 0 {
			continue
		}
		key := sc.buf[t.s:t.e]
		hits := runHits(r, sc.cjkHits[:0], key, true)
		sc.cjkHits = hits
		if len(hits) == 0 {
			continue
		}
		// The longest name at each place, in order, none inside another.
		slices.SortFunc(hits, func(a, b cjkHit) int { return cmp.Or(cmp.Compare(a.s, b.s), cmp.Compare(b.e, a.e)) })
		cut, prevEnd := -1, -1
		if hits[0].s > 0 && i > 0 && sc.toks[i-1].sent == t.sent && sc.toks[i-1].fl&tkCJK == 0 {
			// A run after a Latin word whose first name follows other words:
			// the words before the name are the end of the Latin word's
			// statement ("LINE死んでるからインスタのDMで": LINE is dead, so
			// Instagram's DMs), not a list of LINE and Instagram.
			prevEnd = 0
		}
		for _, h := range hits {
			if h.s < prevEnd {
				continue
			}
			if prevEnd >= 0 && h.s > prevEnd && !listParticles[string(key[prevEnd:h.s])] {
				cut = h.s
				break
			}
			prevEnd = h.e
		}
		if cut < 0 {
			continue
		}
		// The rest of the run is looked at again as a run of its own (it may
		// name a third service).
		rest := token{s: t.s + int32(cut), e: t.e, sent: t.sent, hg: t.hg, fl: tkCJK}
		sc.toks[i].e = t.s + int32(cut)
		sc.toks = slices.Insert(sc.toks, i+1, rest)
	}
}
