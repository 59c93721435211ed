package match

import (
	"bytes"
	"encoding/binary"
	"slices"
	"sync"
	"unicode"
	"unicode/utf8"
	"unsafe"
)

// Limits that keep the cost of one post bounded.
const (
	maxInput  = 8 << 10 // bytes of text examined
	maxTokens = 1024
	maxPart   = 64 // longest hashtag part segmented against the vocabulary

	// Proximity: an intent term counts for a service named within nearDist
	// tokens, or within sentDist tokens in the same sentence; in a post that
	// names one service only, at any distance (a rant that names the service
	// first and the error last).
	nearDist = 6
	sentDist = 12
	// A negator counts for a symptom verb up to negSpan tokens before it;
	// a post-negator up to postNegSpan tokens after it.
	negSpan = 3
	// An ambiguous alias without context counts when an intent term is
	// within ambiguousSpan tokens of it ("x is down").
	ambiguousSpan = 3
	postNegSpan   = 2
	// A negator counts for a potential marker up to potentialSpan tokens before
	// it ("ko vào lớp được").
	potentialSpan = 4
)

// Matcher finds the services a post names and whether it complains about an
// outage. It holds no mutable shared state and is safe for concurrent use.
type Matcher struct {
	r           *Rules
	model       *model // nil: rules only
	pool        sync.Pool
	noPrefilter bool // tests: no prefilter and no ASCII fast path (the reference)
}

// NewMatcher returns a matcher for the rules (DefaultRules if r is nil).
func NewMatcher(r *Rules) *Matcher {
	if r == nil {
		r = DefaultRules()
	}
	m := &Matcher{r: r, model: defaultModel}
	m.pool.New = func() any { return &scratch{english: r.english} }
	return m
}

// Token flags.
const (
	tkBreak   uint8 = 1 << iota // a phrase cannot continue into this token
	tkCJK                       // a run of CJK script: matched by substring
	tkMention                   // an @handle: only whole-token aliases
	tkHash                      // part of a hashtag
)

type token struct {
	s, e int32
	sent int32
	hg   int32 // hashtag number (0: not in a hashtag)
	fl   uint8
}

// Per-token marks set during phrase lookup.
const (
	mkNegator uint16 = 1 << iota
	mkPostNeg
	mkVerb
	mkConnector
	mkIntent    // covered by an outage/recovery/negation phrase
	mkDisplace  // ends a displacement phrase: the service after it is a destination
	mkPresent   // starts a present cue ("still", "now")
	mkArrive    // starts a displacement term after the service ("twitter'a geçtik", "트위터 옴")
	mkPotential // a potential marker: after a negator, "cannot" (vi "ko vào lớp được")
	mkRunTail   // a CJK run with words after its last name ("เมื่อคืนยูทูปล่ม"): a clause, not a list item
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

// displaceSpan is how many words a displacement phrase may stand before the
// service it sends people to: right before it, since words between
// ("checked downdetector, Facebook reports spiking") break the link.
const displaceSpan = 1

// A cue in another sentence counts as this much farther away than one in
// the same sentence.
const otherSentence = 1000

type mention struct {
	svc      int16
	pos, end int32
	sent, hg int32
	need     uint64
	group    int32
	strict   bool
	wordIn   uint64 // languages in which the alias is an ordinary word (phrase.langs)
	dest     bool   // named as where people went or look ("switched to", "checking")
}

type intent struct {
	cat      uint8 // catOutage, catRecovery or catFine
	pos, end int32
	sent, hg int32
	langs    uint64 // the languages the term is listed under (0: built, not listed)
}

type scratch struct {
	nz       normalizer
	buf      []byte
	toks     []token
	marks    []uint16
	plangs   []uint64 // per token: the languages of the negator, post-negator or verb it starts
	english  uint64   // the rules' language bit of English
	mentions []mention
	intents  []intent
	outD     []int32
	recD     []int32
	seen     []bool
	cjkFound []int32
	cjkHits  []cjkHit
	runBuf   []byte // a CJK run with its names masked, for the model
	touched  []int16
	probs    uint16
	cancel   bool    // a post negation: no outage in this post
	negated  bool    // a negation phrase ("isn't down", "calm down") was found
	bare     bool    // every word of the post is a name or an intent term
	past     []int32 // tokens starting a past cue ("yesterday", "was down")
	pastCov  []int32 // [start, end) token spans of past phrases in spaced script
	present  []int32 // tokens starting a present cue ("still", "now")
	pastD    []int32
	fineD    []int32 // distance from a service to the nearest term saying it works
	outP     []int32 // distance from a service's outage intents to the nearest present cue
	recP     []int32 // and from its recovery intents
	feats    []uint32
	best     [maxPart + 1]int16
	back     [maxPart + 1]int16
}

// Match appends to dst at most one Match per service named in text (in the
// order of the rules file) and returns dst.
func (m *Matcher) Match(dst []Match, text string) []Match {
	if len(text) > maxInput {
		text = text[:maxInput]
	}
	sc := m.pool.Get().(*scratch)
	defer m.pool.Put(sc)
	if !m.prepare(sc, text) {
		return dst
	}
	return m.decide(sc, dst)
}

// prepare normalises and scans text into sc; false when it names no service.
func (m *Matcher) prepare(sc *scratch, text string) bool {
	b, ascii := foldASCII(sc.buf[:0], text)
	if ascii {
		sc.nz.camel = sc.nz.camel[:0] // (the ASCII path marks no hashtags)
		b = sc.nz.squeezeASCII(b)
	}
	sc.buf = b
	if ascii && !m.noPrefilter {
		// Plain ASCII, most of a firehose: normalising is lower-casing, and
		// the tokens are found without decoding runes. (No hashtag, so the
		// normaliser's camel-case marks are never read.)
		m.tokenizeASCII(sc)
	} else {
		sc.buf = sc.nz.run(sc.buf[:0], text, true)
		if plainASCII(sc.buf) && !m.noPrefilter {
			// Accented Latin letters fold to ASCII: "não funciona", "bugün".
			m.tokenizeASCII(sc)
		} else {
			m.tokenize(sc)
		}
	}
	if len(sc.toks) == 0 || !m.noPrefilter && !m.mayName(sc) {
		return false
	}
	return m.scan(sc)
}

type charClass uint8

const (
	clsSep charClass = iota
	clsWord
	clsCJK
)

var asciiClass = func() (t [128]charClass) {
	for c := '0'; c <= '9'; c++ {
		t[c] = clsWord
	}
	for c := 'a'; c <= 'z'; c++ {
		t[c] = clsWord
		t[c-'a'+'A'] = clsWord
	}
	return
}()

func classOf(r rune) charClass {
	if r < utf8.RuneSelf {
		return asciiClass[r]
	}
	if r < 0x0900 {
		// Latin, Cyrillic, Arabic: the commonest non-ASCII letters, tested first.
		switch {
		case r >= 0x0620 && r <= 0x064A, r >= 0x0400 && r <= 0x04FF, r >= 0x00C0 && r <= 0x024F && r != 0xD7 && r != 0xF7:
			return clsWord
		}
		if unicode.IsLetter(r) || unicode.IsDigit(r) || unicode.IsMark(r) {
			return clsWord
		}
		return clsSep
	}
	switch {
	case r >= 0x3040 && r <= 0x30FF, r >= 0x31F0 && r <= 0x31FF, r >= 0x3400 && r <= 0x4DBF,
		r >= 0x4E00 && r <= 0x9FFF, r >= 0xF900 && r <= 0xFAFF, r >= 0xFF66 && r <= 0xFF9F,
		r >= 0xAC00 && r <= 0xD7AF, r >= 0x0E00 && r <= 0x0E7F, r >= 0x20000 && r <= 0x2FFFF:
		return clsCJK
	}
	switch {
	case r >= 0x0620 && r <= 0x064A, r >= 0x0400 && r <= 0x04FF, r >= 0x00C0 && r <= 0x024F && r != 0xD7 && r != 0xF7:
		return clsWord
	case r >= 0x0900 && r <= 0x097F:
		if r == 0x0964 || r == 0x0965 || r == 0x0970 {
			return clsSep
		}
		return clsWord
	}
	if unicode.IsLetter(r) || unicode.IsDigit(r) || unicode.IsMark(r) {
		return clsWord
	}
	return clsSep
}

func isSentenceEnd(r rune) bool {
	switch r {
	case '.', '!', '?', ';', '\n', '\u2026', '\u3002', '\u061f', '\u06d4', '\u061b', '\u0964', '|':
		return true
	}
	return false
}

func decode(b []byte, i int) (rune, int) {
	c := b[i]
	if c < utf8.RuneSelf {
		return rune(c), 1
	}
	if c >= 0xC2 && c <= 0xDF && i+1 < len(b) && b[i+1]&0xC0 == 0x80 {
		return rune(c&0x1F)<<6 | rune(b[i+1]&0x3F), 2 // two bytes, inline
	}
	return utf8.DecodeRune(b[i:])
}

// urlEnd returns where the URL starting at b[i] ends (the next blank), or i when
// no URL starts there: links (http://, https://, www.) are not words.
func urlEnd(b []byte, i int) int {
	if c := b[i]; c == 'h' && (hasPrefixAt(b, i, "http://") || hasPrefixAt(b, i, "https://")) || c == 'w' && hasPrefixAt(b, i, "www.") {
		return toBlank(b, i)
	}
	return i
}

// toBlank returns the index of the next blank (space, newline, tab) from i on.
func toBlank(b []byte, i int) int {
	for i < len(b) && b[i] != ' ' && b[i] != '\n' && b[i] != '\t' {
		i++
	}
	return i
}

// linkEnd returns where the link without a scheme starting at b[i] ends (the
// next blank), or i when none starts there: a domain followed by a path
// (pic.twitter.com/…, youtu.be/…, t.me/…) is a link, not words, so a
// service's domain in a link never names it. A bare domain ("x.com is
// down") stays words.
func linkEnd(b []byte, i int) int {
	j, dot := i, false
	for ; j < len(b); j++ {
		c := b[j]
		if c == '.' {
			dot = j+1 < len(b) && b[j+1] >= 'a' && b[j+1] <= 'z'
			continue
		}
		if c >= 'a' && c <= 'z' || c >= '0' && c <= '9' || c == '-' {
			continue
		}
		break
	}
	if !dot || j >= len(b) || b[j] != '/' {
		return i
	}
	return toBlank(b, j)
}

// linkAt is linkEnd for the word b[i:j], checked only when a dot follows it.
func linkAt(b []byte, i, j int) int {
	if j < len(b) && b[j] == '.' {
		return linkEnd(b, i)
	}
	return i
}

func hasPrefixAt(b []byte, i int, p string) bool {
	return len(b)-i >= len(p) && string(b[i:i+len(p)]) == p
}

// tokenize splits sc.buf into tokens; hashtags are segmented.
func (m *Matcher) tokenize(sc *scratch) {
	b := sc.buf
	toks := sc.toks[:0] // a local slice: appending to sc.toks in the loop costs a store per token
	var sent, hg int32
	brk := true
	prevWord := false
	for i := 0; i < len(b) && len(toks) < maxTokens; {
		if b[i] == ' ' { // the commonest separator: no sentence end, no hashtag
			prevWord = false
			i++
			continue
		}
		r, size := decode(b, i)
		cls := classOf(r)
		if cls == clsSep {
			switch {
			case r == '.' && prevWord && i+1 < len(b) && b[i+1] < utf8.RuneSelf && asciiClass[b[i+1]] == clsWord:
				// x.com, web.whatsapp.com: no sentence break
			case isSentenceEnd(r):
				sent++
				brk = true
			case r == '#' || r == '@':
				j := i + 1
				for j < len(b) {
					r2, s2 := decode(b, j)
					if r2 != '_' && classOf(r2) == clsSep {
						break
					}
					j += s2
				}
				if j > i+1 {
					if r == '@' {
						toks = append(toks, token{s: int32(i + 1), e: int32(j), sent: sent, fl: tkMention | tkBreak})
					} else {
						hg++
						sc.toks = toks
						m.hashtag(sc, i+1, j, sent, hg)
						toks = sc.toks
					}
					brk = true
					prevWord = false
					i = j
					continue
				}
			}
			prevWord = false
			i += size
			continue
		}
		if e := urlEnd(b, i); e > i {
			i = e
			brk = true
			prevWord = false
			continue
		}
		j := i + size
		for j < len(b) {
			if c := b[j]; c < utf8.RuneSelf {
				if asciiClass[c] != cls {
					break
				}
				j++
				continue
			}
			r2, s2 := decode(b, j)
			if classOf(r2) != cls {
				break
			}
			j += s2
		}
		if e := linkAt(b, i, j); e > i {
			i, brk, prevWord = e, true, false
			continue
		}
		t := token{s: int32(i), e: int32(j), sent: sent}
		if brk {
			t.fl |= tkBreak
		}
		if cls == clsCJK {
			t.fl |= tkCJK
		}
		toks = append(toks, t)
		brk = false
		prevWord = true
		i = j
	}
	sc.toks = toks
}

// foldASCII appends s lower-cased to dst when s is all ASCII without '#' or
// '@' (no hashtag or handle), eight bytes at a time; ok is false otherwise.
// What it appends is what the normaliser makes of such a text.
func foldASCII(dst []byte, s string) (_ []byte, ok bool) {
	at := len(dst)
	dst = slices.Grow(dst, len(s))[:at+len(s)]
	out := dst[at:]
	i := 0
	for ; i+8 <= len(s); i += 8 {
		x := binary.LittleEndian.Uint64(unsafe.Slice(unsafe.StringData(s[i:]), 8))
		if !plainWord(x) {
			return dst[:at], false
		}
		// Bytes in 'A'..'Z' get 0x20 added: the high bit of x+(0x80-'A') says
		// c >= 'A', that of x+(0x7f-'Z') says c > 'Z' (no carries: c < 0x80).
		upper := (x + ones*(0x80-'A')) &^ (x + ones*(0x7f-'Z')) & highs
		binary.LittleEndian.PutUint64(out[i:], x|upper>>2)
	}
	for ; i < len(s); i++ {
		c := s[i]
		if c >= utf8.RuneSelf || c == '#' || c == '@' {
			return dst[:at], false
		}
		out[i] = asciiFold[c]
	}
	return dst, true
}

// plainASCII reports whether b is all ASCII without '#' or '@': what
// tokenizeASCII takes.
func plainASCII(b []byte) bool {
	i := 0
	for ; i+8 <= len(b); i += 8 {
		if !plainWord(binary.LittleEndian.Uint64(b[i:])) {
			return false
		}
	}
	for ; i < len(b); i++ {
		if c := b[i]; c >= utf8.RuneSelf || c == '#' || c == '@' {
			return false
		}
	}
	return true
}

const ones, highs = 0x0101010101010101, 0x8080808080808080

// plainWord reports whether the eight bytes of x are ASCII and none is '#' or
// '@'. (v-ones)&^v&highs is non-zero when a byte of v is zero.
func plainWord(x uint64) bool {
	hash, at := x^ones*'#', x^ones*'@'
	return (x|(hash-ones)&^hash|(at-ones)&^at)&highs == 0
}

// tokenizeASCII is tokenize for the texts foldASCII accepts: no runes to
// decode, no hashtags, no handles.
func (m *Matcher) tokenizeASCII(sc *scratch) {
	b := sc.buf
	toks := sc.toks[:0]
	var sent int32
	brk := true
	prevWord := false
	for i := 0; i < len(b) && len(toks) < maxTokens; {
		c := b[i]
		if asciiClass[c] != clsWord {
			switch c {
			case '.':
				if prevWord && i+1 < len(b) && asciiClass[b[i+1]] == clsWord {
					break // x.com, web.whatsapp.com: no sentence break
				}
				fallthrough
			case '!', '?', ';', '\n', '|':
				sent++
				brk = true
			}
			prevWord = false
			i++
			continue
		}
		if e := urlEnd(b, i); e > i {
			i = e
			brk = true
			prevWord = false
			continue
		}
		j := i + 1
		for j < len(b) && asciiClass[b[j]] == clsWord {
			j++
		}
		if e := linkAt(b, i, j); e > i {
			i, brk, prevWord = e, true, false
			continue
		}
		t := token{s: int32(i), e: int32(j), sent: sent}
		if brk {
			t.fl |= tkBreak
		}
		toks = append(toks, t)
		brk, prevWord = false, true
		i = j
	}
	sc.toks = toks
}

// hashtag emits the tokens of the hashtag body b[s:e]: parts split at '_',
// each kept whole when it is a known term, else segmented against the
// vocabulary, else split at camel-case boundaries.
func (m *Matcher) hashtag(sc *scratch, s, e int, sent, hg int32) {
	first := true
	emit := func(ps, pe int) {
		if pe <= ps || len(sc.toks) >= maxTokens {
			return
		}
		t := token{s: int32(ps), e: int32(pe), sent: sent, hg: hg, fl: tkHash}
		if first {
			t.fl |= tkBreak
			first = false
		}
		for k := ps; k < pe; {
			r, size := decode(sc.buf, k)
			if classOf(r) == clsCJK {
				t.fl |= tkCJK
				break
			}
			k += size
		}
		sc.toks = append(sc.toks, t)
	}
	part := func(ps, pe int) {
		if pe <= ps {
			return
		}
		if _, ok := m.r.index[string(sc.buf[ps:pe])]; ok {
			emit(ps, pe)
			return
		}
		if m.segment(sc, ps, pe, emit) {
			return
		}
		// camel-case boundaries inside this part
		cs := ps
		for _, c := range sc.nz.camel {
			if int(c) > cs && int(c) < pe {
				sub := func(a, z int) {
					if _, ok := m.r.index[string(sc.buf[a:z])]; ok || !m.segment(sc, a, z, emit) {
						emit(a, z)
					}
				}
				sub(cs, int(c))
				cs = int(c)
			}
		}
		if cs == ps {
			emit(ps, pe)
			return
		}
		if _, ok := m.r.index[string(sc.buf[cs:pe])]; ok || !m.segment(sc, cs, pe, emit) {
			emit(cs, pe)
		}
	}
	// Parts: split at '_' and where the script switches between CJK and
	// other letters (#Discord障害).
	ps := s
	prevCJK := false
	for k := s; k < e; {
		if sc.buf[k] == '_' {
			part(ps, k)
			k++
			ps = k
			prevCJK = false
			continue
		}
		r, size := decode(sc.buf, k)
		isCJK := classOf(r) == clsCJK
		if isCJK != prevCJK && k > ps {
			part(ps, k)
			ps = k
		}
		prevCJK = isCJK
		k += size
	}
	part(ps, e)
}

// segment splits b[s:e] into the fewest vocabulary words covering it whole
// (at least two) and emits them; it reports whether it did.
func (m *Matcher) segment(sc *scratch, s, e int, emit func(int, int)) bool {
	n := e - s
	if n < 3 || n > maxPart {
		return false
	}
	t := &m.r.trie
	best, back := &sc.best, &sc.back
	for i := 1; i <= n; i++ {
		best[i] = -1
	}
	best[0] = 0
	for i := 0; i < n; i++ {
		if best[i] < 0 {
			continue
		}
		node := int32(0)
		for j := i; j < n; j++ {
			node = t.step(node, sc.buf[s+j])
			if node == 0 {
				break
			}
			if t.nodes[node].term {
				if best[j+1] < 0 || best[i]+1 < best[j+1] {
					best[j+1] = best[i] + 1
					back[j+1] = int16(i)
				}
			}
		}
	}
	if best[n] < 2 {
		return false
	}
	// Recover the cut points (at most n pieces) without allocating.
	var cuts [maxPart + 1]int16
	k := 0
	for i := n; i > 0; i = int(back[i]) {
		cuts[k] = int16(i)
		k++
	}
	prev := 0
	for k--; k >= 0; k-- {
		emit(s+prev, s+int(cuts[k]))
		prev = int(cuts[k])
	}
	return true
}

// scan looks every token up; it reports whether any service was named.
func (m *Matcher) scan(sc *scratch) bool {
	r := m.r
	b := sc.buf
	toks := sc.toks
	if cap(sc.marks) < len(toks) {
		sc.marks = make([]uint16, len(toks), 2*len(toks))
		sc.plangs = make([]uint64, len(toks), 2*len(toks))
	}
	sc.marks = sc.marks[:len(toks)]
	clear(sc.marks)
	sc.plangs = sc.plangs[:len(toks)]
	clear(sc.plangs)
	sc.mentions = sc.mentions[:0]
	sc.intents = sc.intents[:0]
	var ctx uint64
	sc.past, sc.present, sc.pastCov = sc.past[:0], sc.present[:0], sc.pastCov[:0]
	var probs uint16
	cancel, negated := false, false
	runWords := false // a CJK run holds a name and other words ("アウトルックの動画ってどうやって…？")
	runOther := false // a CJK run holds words that are neither names nor intent terms
	aliasNext, intentNext := 0, 0
	for i := range toks {
		t := &toks[i]
		key := b[t.s:t.e]
		var aliasBest, intentBest int32 = -1, -1
		cjkNeg := false  // a symptom verb and a post-negator inside one CJK run
		cjkDest := false // a name inside one CJK run right after a displacement term or before an arrival term
		aliasLen, intentLen := 0, 0
		inRun := false // considering the phrases found inside a CJK run
		consider := func(id int32, n int) {
			p := &r.phrases[id]
			if p.joined && t.fl&tkHash == 0 {
				return
			}
			switch p.cat {
			case catAlias:
				if n > aliasLen {
					aliasBest, aliasLen = id, n
				}
			case catOutage, catRecovery, catNegation, catFine:
				if n > intentLen {
					intentBest, intentLen = id, n
				}
			case catNamed:
				// only right after a name (in a CJK run, nameEndsAt checked the hits)
				if k := len(sc.mentions); n > intentLen && (inRun || k > 0 && sc.mentions[k-1].end == int32(i)) {
					intentBest, intentLen = id, n
				}
			case catNegator:
				sc.marks[i] |= mkNegator
				sc.plangs[i] |= p.langs
			case catPotential:
				sc.marks[i+n-1] |= mkPotential
			case catPostNeg:
				sc.marks[i] |= mkPostNeg
				sc.plangs[i] |= p.langs
			case catVerb:
				sc.marks[i] |= mkVerb
				sc.plangs[i] |= p.langs
			case catConnector:
				sc.marks[i] |= mkConnector
			case catProblem:
				probs |= 1 << uint(p.prob)
			case catContext:
				ctx |= p.ctx
			case catCancel:
				cancel = true
			case catPast:
				if len(sc.past) == 0 || sc.past[len(sc.past)-1] != int32(i) {
					sc.past = append(sc.past, int32(i))
				}
				if t.fl&tkCJK == 0 && n > 1 {
					sc.pastCov = append(sc.pastCov, int32(i), int32(i+n))
				}
			case catPresent:
				sc.marks[i] |= mkPresent
			case catDisplace:
				if t.fl&tkCJK == 0 { // in a CJK run: only at its end (below)
					sc.marks[i+n-1] |= mkDisplace
				}
			case catArrive:
				if t.fl&tkCJK == 0 { // in a CJK run: only at its start (below)
					sc.marks[i] |= mkArrive
				}
			}
		}
		if t.fl&tkMention != 0 {
			ids := r.index[string(key)]
			if len(ids) == 0 {
				if core := handleCore(key); core != nil {
					ids = r.index[string(core)]
				}
			}
			for _, id := range ids {
				if p := &r.phrases[id]; len(p.toks) == 1 && (p.cat == catAlias || p.cat == catContext) {
					consider(id, 1)
				}
			}
		} else {
			if r.mayHave(key) {
				if ids := r.index[string(key)]; len(ids) > 0 {
					// Most phrases a word starts fail on the next word: their
					// second words' hashes, in one small table, say which
					// without touching the phrases (the word after next
					// too, for an adverb between).
					h1, h2 := tokHash(sc, i+1), tokHash(sc, i+2)
					for _, id := range ids {
						if f := r.second[id]; f != 0 && f != h1 && f != h2 {
							continue
						}
						if n := m.follows(sc, i, id); n > 0 {
							consider(id, n)
						}
					}
				}
			}
			if t.fl&tkCJK != 0 {
				// CJK phrases by substring, considered in file order. A negation
				// cancels the outage and recovery terms it overlaps (落ちたら, "if it
				// goes down", holds 落ちた), as whole words do in spaced scripts.
				found, hits := sc.cjkFound[:0], sc.cjkHits[:0]
				negated := false
				for k := 0; k < len(key); {
					c, size := decode(key, k)
					for _, id := range r.cjkByRune[c] {
						p := &r.phrases[id]
						if runHit(p, key, k, c) {
							hits = append(hits, cjkHit{id, k, k + len(p.toks[0])})
							negated = negated || p.cat == catNegation
						}
					}
					k += size
				}
				named, upTo := runCover(r, hits, func(c uint8) bool { return c == catAlias })
				runWords = runWords || named > 0 && named < len(key)
				said, _ := runCover(r, hits, func(c uint8) bool {
					return c == catAlias || c == catOutage || c == catRecovery || c == catNamed
				})
				runOther = runOther || said < len(key)
				if named > 0 && upTo < len(key) && !listParticles[string(key[upTo:])] {
					// A run is a clause as often as a name: one that goes on
					// after its names ("เมื่อคืนยูทูปล่ม", "last night YouTube was
					// down") does not list them with the next name (a particle,
					// "카톡이랑", "LINEも", still does).
					sc.marks[i] |= mkRunTail
				}
				for _, h := range hits {
					cat := r.phrases[h.id].cat
					if negated && (cat == catOutage || cat == catRecovery || cat == catNamed) && negatedAt(r, hits, h) {
						continue
					}
					if cat == catOutage && inLongerRecovery(r, hits, h) {
						continue // หายล่มแล้ว, "no longer down": the outage word is part of the recovery
					}
					if cat == catNamed && !nameEndsAt(r, hits, h.s) {
						continue
					}
					found = append(found, h.id)
				}
				sc.cjkHits = hits
				if len(found) > 1 {
					slices.Sort(found)
					found = slices.Compact(found)
				}
				inRun = true
				for _, id := range found {
					// A name inside a longer one is not named: グーグルドライブ
					// holds グーグル, and is Google Drive.
					if r.phrases[id].cat != catAlias || !insideLongerName(r, hits, id) {
						consider(id, 1)
					}
				}
				inRun = false
				sc.cjkFound = found
				cjkNeg = !negated && verbThenNegator(r, hits)
				cjkDest = destinationInRun(r, hits)
				for _, h := range hits {
					// "所以来" + Instagram, Twitter + "に来た": a displacement term
					// ending the run, an arrival term starting it
					switch r.phrases[h.id].cat {
					case catDisplace:
						if h.e == len(key) {
							sc.marks[i] |= mkDisplace
						}
					case catArrive:
						if h.s == 0 {
							sc.marks[i] |= mkArrive
						}
					}
				}
			}
			if key[0] >= 0xD8 && key[0] <= 0xDB && (aliasBest < 0 || intentBest < 0) {
				// Arabic clitics: الواتساب, وما, لواتساب, المشكلة
				if _, known := r.index[string(key)]; !known {
					for _, pre := range arabicPrefixes {
						if len(key) > len(pre)+3 && string(key[:len(pre)]) == pre && r.mayHave(key[len(pre):]) {
							matched := false
							for _, id := range r.index[string(key[len(pre):])] {
								if n := m.follows(sc, i, id); n > 0 {
									consider(id, n)
									matched = true
								}
							}
							if matched {
								break // the longest clitic that leaves a known phrase: والكل راح, not وال + كل
							}
						}
					}
				}
			}
			if aliasBest < 0 && len(key) >= 4 {
				// Suffixes on names: whatsappnya, telegramga, Зумда, নেটফ্লিক্সে
				for _, suf := range suffixesByLast[key[len(key)-1]] {
					if len(key)-len(suf) >= minStem(suf) && string(key[len(key)-len(suf):]) == suf && r.mayHave(key[:len(key)-len(suf)]) {
						for _, id := range r.prefixed[string(key[:len(key)-len(suf)])] {
							if len(r.phrases[id].toks) == 1 {
								consider(id, 1)
							}
						}
						if aliasBest >= 0 {
							break
						}
					}
				}
			}
			if aliasBest < 0 && len(key) >= 5 && len(key) <= 16 && t.fl&tkHash == 0 {
				if id := m.fuzzy(key); id >= 0 {
					consider(id, 1)
				}
			}
		}
		if aliasBest >= 0 && i >= aliasNext {
			p := &r.phrases[aliasBest]
			sc.mentions = append(sc.mentions, mention{svc: p.svc, pos: int32(i), end: int32(i + aliasLen), sent: t.sent, hg: t.hg, need: p.ctx, strict: p.strict, wordIn: p.langs, dest: cjkDest})
			aliasNext = i + aliasLen
		}
		if intentBest >= 0 && i >= intentNext {
			p := &r.phrases[intentBest]
			for k := i; k < i+intentLen; k++ {
				sc.marks[k] |= mkIntent
			}
			if p.cat != catNegation {
				cat := p.cat
				if cat == catNamed {
					cat = catOutage
				}
				sc.intents = append(sc.intents, intent{cat: cat, pos: int32(i), end: int32(i + intentLen), sent: t.sent, hg: t.hg, langs: p.langs})
			} else {
				negated = true
			}
			intentNext = i + intentLen
		} else if cjkNeg && i >= intentNext {
			// Thai and other unspaced scripts: "ดูไม่ได้", verb then "cannot".
			sc.intents = append(sc.intents, intent{cat: catOutage, pos: int32(i), end: int32(i + 1), sent: t.sent, hg: t.hg})
			sc.marks[i] |= mkIntent
		}
	}
	if len(sc.mentions) == 0 {
		return false
	}
	// A present cue inside a recovery term ("works now") says nothing of
	// the outage.
	for i := range toks {
		if sc.marks[i]&mkPresent != 0 && !inRecovery(sc.intents, i) {
			sc.present = append(sc.present, int32(i))
		}
	}
	// A negated "works" ("не работает", "funktioniert bei mir nicht") says
	// nothing works: the term is dropped and its verb left to the negator. So
	// is one asked ("insta chal raha hai kisi ka?") or in the past ("fine five
	// minutes ago, now nothing loads").
	kept := sc.intents[:0]
	for _, in := range sc.intents {
		if in.cat == catFine && (sc.negatedSpan(int(in.pos), int(in.end), 0) || sc.asked(int(in.end)) || sc.isPast(in)) {
			for k := in.pos; k < in.end; k++ {
				sc.marks[k] &^= mkIntent
			}
			continue
		}
		if in.cat == catRecovery && sc.negatedClose(int(in.pos), int(in.end)) {
			// "not fixed", "no ha vuelto", "ainda não voltou": it is not back.
			in.cat = catOutage
		}
		kept = append(kept, in)
	}
	sc.intents = kept
	// An outage word right next to a recovery term is what was fixed ("fixed the
	// outage", "outage resolved", "تم اصلاح عطل", "تم حل مشكلة"): the news is
	// the recovery.
	kept = sc.intents[:0]
	for _, in := range sc.intents {
		if in.cat != catOutage || !sc.fixedBeside(in) {
			kept = append(kept, in)
		}
	}
	sc.intents = kept
	// Negator, a few words, potential marker: "cannot" (vi "ko vào lớp được",
	// "hông load được"), whatever the verb.
	for v := range toks {
		if sc.marks[v]&mkPotential == 0 || sc.marks[v]&mkIntent != 0 {
			continue
		}
		for k := v - 1; k >= 0 && k >= v-potentialSpan && toks[k].sent == toks[v].sent; k-- {
			if sc.marks[k]&mkIntent != 0 {
				break
			}
			if sc.marks[k]&mkNegator != 0 {
				sc.intents = append(sc.intents, intent{cat: catOutage, pos: int32(k), end: int32(v + 1), sent: toks[v].sent, hg: toks[v].hg, langs: sc.plangs[k]})
				break
			}
		}
	}
	// Negator + symptom verb ("not sending", "no carga", "lädt nicht").
	for v := range toks {
		if sc.marks[v]&mkVerb == 0 || sc.marks[v]&mkIntent != 0 {
			continue
		}
		if k, ok := sc.negator(v, v+1, sc.plangs[v]); ok {
			// Its languages are those the two share ("không load được" is
			// Vietnamese, though "load" is English too), and it spans both:
			// in "카톡 안 돼서 인스타로 연락함" the negator is as near the
			// name before it as the verb is to the one after.
			neg := sc.plangs[k]
			langs := sc.plangs[v] & neg
			if langs == 0 {
				langs = sc.plangs[v] | neg
			}
			sc.intents = append(sc.intents, intent{cat: catOutage, pos: int32(min(k, v)), end: int32(max(k, v) + 1), sent: toks[v].sent, hg: toks[v].hg, langs: langs})
		}
	}
	// Validate ambiguous aliases: context term anywhere, or a hashtag that
	// also holds an intent term (#xdown).
	ms := sc.mentions[:0]
	for _, mn := range sc.mentions {
		ok := mn.need == 0 || ctx&mn.need != 0 || sc.toks[mn.pos].fl&tkMention != 0
		if !ok {
			// #xdown, or an intent term right next to it: "x is down"; for a
			// strict alias, one of none of the languages in which the alias is
			// a word ("Teams ligt eruit", "snap ne marche plus"; not "signal is
			// down", "down" being English too)
			for _, in := range sc.intents {
				near := in.sent == mn.sent && in.pos >= mn.end && in.pos-mn.end < ambiguousSpan ||
					in.sent == mn.sent && in.end <= mn.pos && mn.pos-in.end < ambiguousSpan ||
					in.pos < mn.end && in.end > mn.pos
				foreign := mn.wordIn != 0 && in.langs != 0 && in.langs&mn.wordIn == 0
				if mn.hg != 0 && in.hg == mn.hg || near && (!mn.strict || foreign) {
					ok = true
				}
			}
		}
		if ok {
			ms = append(ms, mn)
		}
	}
	// A service named just after a displacement phrase is where people went
	// ("insta is down so back to tiktok"), not the one failing.
	for k := range ms {
		mn := &ms[k]
		for j := mn.pos - 1; j >= 0 && j >= mn.pos-displaceSpan && toks[j].sent == mn.sent; j-- {
			if sc.marks[j]&mkDisplace != 0 && !sc.outageRightAfter(*mn) {
				// ("checking ig down apa cuma aku" checks on ig, the one failing)
				mn.dest = true
				break
			}
		}
		// or just before one that follows it, a case ending between them
		// ("bluesky'a döndüm", "Twitterに来た")
		for j := int(mn.end); j < len(toks) && j <= int(mn.end)+1 && toks[j].sent == mn.sent; j++ {
			if sc.marks[j]&mkArrive != 0 && sc.marks[j]&mkIntent == 0 { // ("지메일 안 옴": not come, not came to)
				mn.dest = true
				break
			}
			if j == int(mn.end) && len(b[toks[j].s:toks[j].e]) > 3 {
				break // a word, not a case ending
			}
		}
	}
	if len(sc.intents) == 0 && len(ms) > 0 && !runWords && bareQuestion(sc.buf, toks, ms) {
		// A name asked and nothing else ("instagram???", "واتساب؟") is
		// someone checking whether it is down.
		sc.intents = append(sc.intents, intent{cat: catOutage, pos: ms[0].pos, end: ms[0].end, sent: ms[0].sent})
	}
	sc.mentions = ms
	sc.probs = probs
	sc.cancel = cancel
	sc.negated = negated
	sc.bare = !runOther && sc.onlyNamesAndTerms()
	return len(ms) > 0
}

// follows reports the number of tokens phrase id covers starting at token i
// (0 if it does not match there).
func (m *Matcher) follows(sc *scratch, i int, id int32) int {
	p := &m.r.phrases[id]
	if i+len(p.toks) > len(sc.toks) {
		return 0
	}
	skip := 0 // an adverb inside the phrase ("sluit zichzelf gewoon af", "fica só rodando")
	for k := 1; k < len(p.toks); k++ {
		j := i + k + skip
		if j >= len(sc.toks) {
			return 0
		}
		t := &sc.toks[j]
		if t.fl&(tkBreak|tkMention) != 0 {
			return 0
		}
		w := sc.buf[t.s:t.e]
		if tokenIs(w, p, k) {
			continue
		}
		if skip == 0 && p.cat != catAlias && t.fl&tkCJK == 0 && m.r.adverbs[string(w)] {
			skip = 1
			k-- // token k again, one word on
			continue
		}
		return 0
	}
	return len(p.toks) + skip
}

// tokenIs says whether w is the phrase's token k (a prefix, for the last
// token of a prefixLast phrase).
func tokenIs(w []byte, p *phrase, k int) bool {
	if p.prefixLast && k == len(p.toks)-1 {
		return bytes.HasPrefix(w, []byte(p.toks[k]))
	}
	return string(w) == p.toks[k]
}

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

// decide assigns each intent to the nearest service named near it and
// appends one Match per service.
func (m *Matcher) decide(sc *scratch, dst []Match) []Match {
	ns := len(m.r.services)
	if cap(sc.outD) < ns {
		sc.outD = make([]int32, ns)
		sc.recD = make([]int32, ns)
		sc.pastD = make([]int32, ns)
		sc.outP = make([]int32, ns)
		sc.fineD = make([]int32, ns)
		sc.recP = make([]int32, ns)
		sc.seen = make([]bool, ns)
	}
	outD, recD, pastD, seen := sc.outD[:ns], sc.recD[:ns], sc.pastD[:ns], sc.seen[:ns]
	outP, recP, fineD := sc.outP[:ns], sc.recP[:ns], sc.fineD[:ns]
	const none = 1 << 30
	// Only the services named in this post are touched (and reset after).
	touched := sc.touched[:0]
	for _, mn := range sc.mentions {
		if !seen[mn.svc] {
			seen[mn.svc] = true
			outD[mn.svc], recD[mn.svc], pastD[mn.svc] = none, none, none
			outP[mn.svc], recP[mn.svc], fineD[mn.svc] = none, none, none
			touched = append(touched, mn.svc)
		}
	}
	slices.Sort(touched)
	sc.touched = touched
	defer func() {
		for _, s := range touched {
			seen[s] = false
		}
	}()
	ms := sc.mentions
	// Services listed together ("whatsapp, instagram and facebook") share
	// intents: group mentions separated only by punctuation or a connector.
	for k := range ms {
		seen[ms[k].svc] = true
		ms[k].group = int32(k)
		if k > 0 {
			gap := ms[k].pos - ms[k-1].end
			clause := sc.marks[ms[k-1].end-1]&mkRunTail != 0
			if ms[k].sent == ms[k-1].sent && ms[k].hg == 0 && ms[k-1].hg == 0 && !clause && (gap == 0 || gap == 1 && sc.marks[ms[k-1].end]&mkConnector != 0) {
				ms[k].group = ms[k-1].group
				ms[k].dest = ms[k].dest || ms[k-1].dest
			}
		}
	}
	distinct := len(touched)
	for _, in := range sc.intents {
		if in.cat == catOutage && sc.cancel {
			continue
		}
		if distinct > 1 && in.hg != 0 && !hashtagNames(ms, in.hg) {
			// A bare intent hashtag (#down, #outage) in a post naming
			// several services says nothing about which one is down.
			continue
		}
		best, bestD := -1, int32(none)
		for k, mn := range ms {
			if mn.dest {
				continue
			}
			if in.cat == catFine && !sc.subjectOf(mn, in) {
				continue
			}
			var d int32
			before := mn.pos < in.pos
			switch {
			case in.hg != 0 && in.hg == mn.hg:
				d = 0
			case in.pos >= mn.end:
				d = in.pos - mn.end + 1
			case in.end <= mn.pos:
				d = mn.pos - in.end + 1
			default:
				d = 0
			}
			if distinct > 1 && d > nearDist && (d > sentDist || in.sent != mn.sent) {
				continue
			}
			if !before && mn.sent > in.sent {
				// A name opening a later sentence begins another statement
				// ("youtube won't load, black screen. staying on tiktok").
				d += nearDist
			} else if !before && mn.pos >= in.end && bytes.ContainsAny(sc.buf[sc.toks[in.end-1].e:sc.toks[mn.pos].s], ",;，；、") {
				// and one after a clause mark begins another clause
				// ("snapchat keeps crashing, insta is fine")
				d += nearDist / 2
			}
			if d < bestD || d == bestD && before {
				best, bestD = k, d
			}
		}
		if best < 0 {
			continue
		}
		g := ms[best].group
		if in.sent != ms[best].sent {
			// Across a sentence end, a term is farther from its name than
			// any in the name's own sentence ("ig won't post, keeps erroring.
			// fb is fine": the error is not fb's).
			bestD += otherSentence
		}
		pres := int32(none)
		if len(sc.present) > 0 {
			pres = sc.nearest(sc.present, in)
		}
		for _, mn := range ms {
			if mn.group != g {
				continue
			}
			switch {
			case in.cat == catOutage && sc.isPast(in):
				pastD[mn.svc] = min(pastD[mn.svc], bestD)
			case in.cat == catFine:
				fineD[mn.svc] = min(fineD[mn.svc], bestD)
			case in.cat == catOutage:
				outD[mn.svc] = min(outD[mn.svc], bestD)
				outP[mn.svc] = min(outP[mn.svc], pres)
			default:
				recD[mn.svc] = min(recD[mn.svc], bestD)
				recP[mn.svc] = min(recP[mn.svc], pres)
			}
		}
	}
	// The model reads the post once for each service it names, that service's
	// names masked apart from the others; not for a service named as where
	// people went (the rules' displacement decides those).
	// A post of names and terms only is left to the rules: the model would
	// judge the terms alone, whose n-grams it may have learnt from other
	// words ("장애" of "장애인").
	// The model may turn a mention into a complaint only when the rules found
	// nothing against one: a negation ("isn't down") or a post negation
	// ("stock is down", "imagine if").
	mayUpgrade := !sc.cancel && !sc.negated
	// Services listed together are read alike: one reading serves them all.
	var readFor uint64
	var p float32
	var class int
	for _, s := range touched {
		mt := Match{Service: m.r.services[s].Name, Kind: Mention}
		switch {
		case fineD[s] < outD[s] && fineD[s] < recD[s]:
			// Said to work ("youtube won't load, insta is fine"), nearer than
			// any outage term: a mention.
		case outD[s] < none && outD[s] < recD[s]:
			mt.Kind = Outage
		case outD[s] < none && outP[s] < recP[s] && outP[s] < otherSentence:
			// Both, and a present cue is nearer the outage ("back for five
			// minutes and dead again", "they say it's fixed, still can't log
			// in"): the outage is the news.
			mt.Kind = Outage
		case recD[s] < none:
			mt.Kind = Recovery
		case pastD[s] < none:
			mt.Kind = Past
		}
		if m.model != nil && !sc.bare && (mt.Kind == Outage || mt.Kind == Mention && mayUpgrade && fineD[s] == none) && !sc.isDest(s) {
			if g := sc.groupsOf(s); g != readFor {
				var others bool
				sc.feats, others = m.features(sc, sc.feats[:0], g)
				p, class, readFor = m.model.prob(sc.feats), postClass(sc.feats, others), g
			}
			mt.Kind = m.second(sc, mt.Kind, p, class)
		}
		if mt.Kind == Outage {
			mt.Problems = m.r.problemList(sc.probs)
		}
		dst = append(dst, mt)
	}
	return dst
}

// fixedBeside reports whether a recovery term stands within fixedSpan tokens of
// outage term in, in its clause.
func (sc *scratch) fixedBeside(in intent) bool {
	for _, o := range sc.intents {
		if o.cat != catRecovery || o.sent != in.sent {
			continue
		}
		var from, to int32 // the gap between the two terms
		switch {
		case o.end <= in.pos:
			from, to = o.end, in.pos
		case in.end <= o.pos:
			from, to = in.end, o.pos
		default:
			continue
		}
		if to-from > fixedSpan || sc.toks[from].fl&tkCJK != 0 {
			continue
		}
		if !bytes.ContainsAny(sc.buf[sc.toks[from-1].e:sc.toks[to].s], ",;，；、.!?،؛؟") {
			return true
		}
	}
	return false
}

// fixedSpan is how many words may stand between a recovery term and the outage
// word it fixed ("fixed the outage").
const fixedSpan = 1

// onlyNamesAndTerms reports whether every token is part of a name or of an
// intent term ("유튜브 장애", "instagram facebook"): such a post gives the model
// nothing beyond the words the rules read already.
func (sc *scratch) onlyNamesAndTerms() bool {
	for i := range sc.toks {
		if sc.marks[i]&mkIntent == 0 && !sc.covers(int32(i)) {
			return false
		}
	}
	return len(sc.toks) > 0
}

// covers reports whether token i is part of a name or an intent.
func (sc *scratch) covers(i int32) bool {
	for _, mn := range sc.mentions {
		if i >= mn.pos && i < mn.end {
			return true
		}
	}
	for _, it := range sc.intents {
		if i >= it.pos && i < it.end {
			return true
		}
	}
	return false
}

// isDest reports whether service svc is named as where people went or look.
func (sc *scratch) isDest(svc int16) bool {
	for _, mn := range sc.mentions {
		if mn.svc == svc && mn.dest {
			return true
		}
	}
	return false
}

// second is the model's second opinion (p, for posts of this class) on what
// the rules made of a post for one service: a mention (one that mayUpgrade
// lets it turn) becomes an outage, or a past outage in a post with a past cue
// and no present one, when the model is confident of a complaint; an outage
// becomes a mention when it is confident of none.
func (m *Matcher) second(sc *scratch, k Kind, p float32, class int) Kind {
	switch {
	case k == Mention && p >= m.model.up[class]:
		if len(sc.past) > 0 && len(sc.present) == 0 {
			return Past
		}
		return Outage
	case k == Outage && p < m.model.veto[class]:
		return Mention
	}
	return k
}

// bareQuestion reports whether the post is only service names and a question
// mark.
func bareQuestion(b []byte, toks []token, ms []mention) bool {
	n := 0
	for _, mn := range ms {
		n += int(mn.end - mn.pos)
	}
	return n == len(toks) && hasQuestionMark(b)
}

// negator reports where a negator of the tokens [pos, end) (a symptom verb, a
// "works" term) stands: up to negSpan tokens before them or a post-negator up
// to postNegSpan after them, in the same sentence and not across a hashtag.
// For a verb of the languages langs (0: any), only a negator of one of them or
// of English counts: Roman Urdu's "ni" is Swahili's "is", and "ni wakati wa
// sale" is no Spanish "no sale".
func (sc *scratch) negator(pos, end int, langs uint64) (int, bool) {
	toks := sc.toks
	for k := pos - 1; k >= 0 && k >= pos-negSpan; k-- {
		if toks[k].sent != toks[pos].sent || toks[k+1].fl&tkHash != 0 {
			break
		}
		if sc.marks[k]&mkNegator != 0 && sc.marks[k]&mkIntent == 0 && sc.sameLang(langs, sc.plangs[k]) {
			return k, true
		}
	}
	for k := end; k < len(toks) && k < end+postNegSpan; k++ {
		if toks[k].sent != toks[end-1].sent || toks[k].fl&tkHash != 0 {
			break
		}
		if sc.marks[k]&mkPostNeg != 0 && sc.marks[k]&mkIntent == 0 && sc.sameLang(langs, sc.plangs[k]) {
			return k, true
		}
	}
	return 0, false
}

// negatedSpan reports whether the tokens [pos, end) have a negator (see negator).
func (sc *scratch) negatedSpan(pos, end int, langs uint64) bool {
	_, ok := sc.negator(pos, end, langs)
	return ok
}

// sameLang reports whether a verb of the languages a and a negator of b may
// go together: a language in common, or English on either side (people mix
// English verbs and negators into every language: "hindi ma-load", "nahi
// load ho raha"). A zero mask goes with anything.
func (sc *scratch) sameLang(a, b uint64) bool {
	return a == 0 || b == 0 || a&b != 0 || (a|b)&sc.english != 0
}

// subjectOf reports whether a "works" term is said of the mention: it follows
// the name closely in its sentence with no outage term between ("insta is
// fine"; not "netflix shows an error, Disney+ is fine" of Netflix when Disney+
// is not a listed name, nor "feed won't load, the wifi is fine").
func (sc *scratch) subjectOf(mn mention, in intent) bool {
	if mn.sent != in.sent || mn.end > in.pos || in.pos-mn.end+1 > nearDist {
		return false
	}
	for _, o := range sc.intents {
		if o.cat == catOutage && o.pos >= mn.end && o.end <= in.pos {
			return false
		}
	}
	return true
}

// negatedClose reports whether the tokens [pos, end) are negated right by
// them: a negator one or two words before with no punctuation between, or a
// post-negator right after.
func (sc *scratch) negatedClose(pos, end int) bool {
	toks := sc.toks
	for k := pos - 1; k >= 0 && k >= pos-2; k-- {
		if toks[k].sent != toks[pos].sent || bytes.ContainsAny(sc.buf[toks[k].e:toks[k+1].s], ",;:!.") {
			break
		}
		if sc.marks[k]&mkNegator != 0 && sc.marks[k]&mkIntent == 0 {
			return true
		}
	}
	return end < len(toks) && toks[end].sent == toks[end-1].sent && sc.marks[end]&mkPostNeg != 0 && sc.marks[end]&mkIntent == 0
}

// outageRightAfter reports whether an outage term follows the mention at once,
// in its sentence (a spaced word: a CJK run after the name may hold the term
// anywhere, "来Instagram看看怎么回事").
func (sc *scratch) outageRightAfter(mn mention) bool {
	for _, in := range sc.intents {
		if in.cat == catOutage && in.pos == mn.end && in.sent == mn.sent && sc.toks[in.pos].fl&tkCJK == 0 {
			return true
		}
	}
	return false
}

// asked reports whether the sentence of token end-1 ends in a question mark
// after it.
func (sc *scratch) asked(end int) bool {
	toks := sc.toks
	from, to := int(toks[end-1].e), len(sc.buf)
	for k := end; k < len(toks); k++ {
		if toks[k].sent != toks[end-1].sent {
			to = int(toks[k].s)
			break
		}
	}
	return hasQuestionMark(sc.buf[from:to])
}

// hasQuestionMark reports whether b holds a question mark (Latin, Arabic or
// full-width).
func hasQuestionMark(b []byte) bool {
	return bytes.IndexByte(b, '?') >= 0 || bytes.Contains(b, []byte("؟")) || bytes.Contains(b, []byte("？"))
}

func inRecovery(ins []intent, i int) bool {
	for _, in := range ins {
		if (in.cat == catRecovery || in.cat == catFine) && int(in.pos) <= i && i < int(in.end) {
			return true
		}
	}
	return false
}

// isPast reports whether an outage term speaks of an outage that is over:
// a past cue ("yesterday", "was down") is nearer to it than any present cue
// ("still", "again", "now"), a cue in its own sentence always nearer than one
// in another ("down since yesterday and still nothing" is current; "the
// outage last week, I only read the report now" is not).
func (sc *scratch) isPast(in intent) bool {
	if len(sc.past) == 0 {
		return false
	}
	for k := 0; k < len(sc.pastCov); k += 2 {
		if sc.pastCov[k] < in.end && in.pos < sc.pastCov[k+1] {
			// The past cue holds the outage term itself ("was down for an
			// hour", "era giù"): no present cue outweighs its tense.
			return true
		}
	}
	return sc.nearest(sc.past, in) < sc.nearest(sc.present, in)
}

// nearest is the distance from the intent to the nearest of the cues.
func (sc *scratch) nearest(cues []int32, in intent) int32 {
	best := int32(1 << 30)
	for _, c := range cues {
		if c >= in.end && sc.opensClause(c) {
			continue
		}
		var d int32
		switch {
		case c >= in.end:
			d = c - in.end + 1
		case c < in.pos:
			d = in.pos - c
		}
		if sc.toks[c].sent != in.sent {
			d += otherSentence
		}
		best = min(best, d)
	}
	return best
}

// opensClause reports whether the cue at token c begins another service's
// clause: a name follows it within two words ("Netflix in tilt ieri sera,
// stasera Prime Video non parte": stasera is Prime Video's, not Netflix's).
func (sc *scratch) opensClause(c int32) bool {
	for _, mn := range sc.mentions {
		if mn.pos > c && mn.pos-c <= 2 && mn.sent == sc.toks[c].sent {
			return true
		}
	}
	return false
}

func hashtagNames(ms []mention, hg int32) bool {
	for _, mn := range ms {
		if mn.hg == hg {
			return true
		}
	}
	return false
}

// mayName reports whether any token of the post may start a service alias
// (no false negatives: it checks every path scan takes to an alias). Most
// posts of a firehose name no service and leave after this pass.
func (m *Matcher) mayName(sc *scratch) bool {
	r := m.r
	b := sc.buf
	for i := range sc.toks {
		t := &sc.toks[i]
		key := b[t.s:t.e]
		if h := keyHash(key, aliasBitsLog); hasBit(r.aliasBits, h) {
			// A one-token alias, or the first two tokens of a longer one as scan's
			// follows will find them (the next token neither a break nor a mention).
			if hasBit(r.wordBits, h) {
				return true
			}
			if nt := i + 1; t.fl&tkMention == 0 && nt < len(sc.toks) && sc.toks[nt].fl&(tkBreak|tkMention) == 0 &&
				hasBit(r.pairBits, pairHash(key, b[sc.toks[nt].s:sc.toks[nt].e], aliasBitsLog)) {
				return true
			}
		}
		if t.fl&tkMention != 0 {
			if core := handleCore(key); core != nil && hasBit(r.wordBits, keyHash(core, aliasBitsLog)) {
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
				if len(key) > len(pre)+3 && string(key[:len(pre)]) == pre && hasBit(r.aliasBits, keyHash(key[len(pre):], aliasBitsLog)) {
					return true
				}
			}
			// and, as the scan does, Persian and Urdu endings (تلگرامم, جیمیلم)
		}
		if len(key) >= 4 {
			for _, suf := range suffixesByLast[key[len(key)-1]] {
				if len(key)-len(suf) >= minStem(suf) && string(key[len(key)-len(suf):]) == suf && hasBit(r.aliasBits, keyHash(key[:len(key)-len(suf)], aliasBitsLog)) {
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

// mayFuzzy reports whether key may be within one edit of a fuzzy alias:
// key, or key without one of its bytes, hashes like an alias or an alias
// without one of its bytes (substitutions, insertions, deletions and
// transpositions all leave such a pair).
func (m *Matcher) mayFuzzy(key []byte) bool {
	if len(key) > maxFuzzyKey || m.r.fuzzyLens[key[0]]&(1<<len(key)) == 0 {
		return false
	}
	// Fuzzy aliases share the key's first byte. One edit at position 2 or later
	// keeps the first two bytes; one at position 1 keeps the last two (the key has
	// at least 5), so a key that shares neither with any fuzzy alias has none
	// within one edit.
	L := len(key)
	if !hasBit(m.r.fuzzyEnds[0][:], uint32(key[0])<<8|uint32(key[1])) &&
		!hasBit(m.r.fuzzyEnds[1][:], uint32(key[L-2])<<8|uint32(key[L-1])) {
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
	if hasBit(m.r.fuzzyBits, finishHash(pre[L], fuzzyBitsLog)) {
		return true
	}
	for i := 0; i < L; i++ {
		suf := pre[L] - pre[i+1]*pow[L-1-i]
		if hasBit(m.r.fuzzyBits, finishHash(pre[i]*pow[L-1-i]+suf, fuzzyBitsLog)) {
			return true
		}
	}
	return false
}

const maxFuzzyKey = 17

// suffixesByLast holds nameSuffixes by their last byte: most tokens end in a
// byte no suffix ends in.
var suffixesByLast = func() (t [256][]string) {
	for _, suf := range nameSuffixes {
		t[suf[len(suf)-1]] = append(t[suf[len(suf)-1]], suf)
	}
	return
}()

// minStem is the shortest word a suffix is stripped from: Indonesian
// possessives attach to short names (IGnya, WAku), the Turkish locatives
// (instagramda, twitterdan) only to longer ones.
func minStem(suf string) int {
	switch {
	case suf == "nya" || suf == "ku" || suf == "mu":
		return 2
	case suf[0] >= utf8.RuneSelf:
		return 6 // three Cyrillic letters, two Bengali ones
	}
	return 4
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
func runCover(r *Rules, hits []cjkHit, keep func(cat uint8) bool) (n, end int) {
	for _, h := range hits {
		if keep(r.phrases[h.id].cat) && h.e > end {
			n += h.e - max(h.s, end)
			end = h.e
		}
	}
	return n, end
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

// inLongerRecovery reports whether a recovery term among hits contains h.
func inLongerRecovery(r *Rules, hits []cjkHit, h cjkHit) bool {
	for _, g := range hits {
		if r.phrases[g.id].cat == catRecovery && g.s <= h.s && h.e <= g.e && g.e-g.s > h.e-h.s {
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

// Companies put words around a service's name in their accounts' handles:
// @AskPlayStation, @SteamSupport, @Uber_India, @TeamYouTube, @NetflixBrasil.
// Longer suffixes come first, so "helps" is tried before "help".
var (
	handlePrefixes = []string{"ask", "team", "get"}
	handleSuffixes = []string{"support", "status", "official", "indonesia", "brasil", "brazil", "mexico", "espana",
		"france", "turkiye", "arabia", "arabic", "global", "india", "japan", "cares", "helps", "help", "care",
		"news", "app", "usa", "ksa", "uk", "us", "es", "br", "mx", "jp", "de", "fr", "tr", "id", "hq"}
)

// handleCore returns the name inside a handle once one known prefix and one known
// suffix (and an underscore beside them) are taken off, or nil when none was.
func handleCore(key []byte) []byte {
	core := key
	for _, p := range handlePrefixes {
		if len(core) > len(p)+2 && string(core[:len(p)]) == p {
			core = core[len(p):]
			break
		}
	}
	for _, x := range handleSuffixes {
		if len(core) > len(x)+2 && string(core[len(core)-len(x):]) == x {
			core = core[:len(core)-len(x)]
			break
		}
	}
	core = bytes.Trim(core, "_")
	if len(core) == len(key) || len(core) < 3 {
		return nil
	}
	return core
}

// tokHash is the hash of token j's word that Rules.second holds for second
// words (0 when there is no token j).
func tokHash(sc *scratch, j int) uint32 {
	if j >= len(sc.toks) {
		return 0
	}
	t := &sc.toks[j]
	return wordHash(sc.buf[t.s:t.e])
}
