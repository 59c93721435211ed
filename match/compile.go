package match

import (
	"encoding/binary"
	"maps"
	"math/bits"
	"slices"
	"strconv"
	"strings"
	"unicode"
	"unicode/utf8"

	"golang.org/x/text/unicode/norm"
)

// Phrase categories.
const (
	catAlias uint8 = iota + 1
	catOutage
	catRecovery
	catNegation
	catNegator
	catPostNeg
	catVerb
	catConnector
	catProblem
	catContext
	catFiller
	catCancel
	catPast      // the outage spoken of is over ("yesterday", "was down")
	catPresent   // it is failing now despite a past cue ("still", "again")
	catDisplace  // the service named next is where people went ("switched to")
	catArrive    // the service named just before is where people went ("twitter'a geçtik")
	catFine      // the service named nearest works ("insta is fine", "ютуб нормально работает")
	catNamed     // an outage term right after a name only ("steam plat", "ยูทูบพัง")
	catPotential // after a negator a few words before: "cannot" (vi "được")
	catConseq    // a clause that follows is the consequence ("so", "donc", "kaya")
	catCause     // opening a clause that is the cause ("because", "weil", "como")
	catAwait     // asks when a recovery comes ("when", "cuándo", "언제"): the recovery is awaited
	catOnlyMe    // "only me?", "nur bei mir?", "只有我": an outage term in a question
	catOwnWork   // "my code", "mera code", "내 코드": an outage term beside it is the poster's own work's
	catTogether  // "both", "at the same time", "同時に": the services named before it are one subject
	catNotName   // "liegt nicht an", "bukan", "это не": the service right after it is not the one failing
	catOwnSide   // "my wifi", "indihome", "мой телефон": as catOwnWork, and its failure is the cause of the post's others
	catPlatform  // "on the", "op de", "sur ma": a device alias right after it is where another service runs
	catSuppose   // "I thought", "думал", "sandım": the poster's own trouble beside it was a wrong guess
	catWith      // "with", "مع", "mit": an outage term it ends, a service named after it, is that service's
)

// phrase is one compiled term: a sequence of normalised tokens.
type phrase struct {
	toks []string
	cat  uint8
	prob int8 // problem category (catProblem)
	// catOutage, catRecovery: the category of services it counts for (0: any);
	// see Service.Category
	category uint8
	shared   bool  // a category's outage term said of apps too: no post negation for them
	svc      int32 // service (catAlias)
	// catAlias: the context group it needs (0: none); catContext: the groups it
	// satisfies (nil once merged into an identical phrase)
	cgroup  int32
	cgroups []int32
	segment bool // may be found inside a run-together hashtag
	strict  bool // catAlias with a context group: an adjacent intent term is not enough
	device  bool // catAlias: a device's name (device_aliases)
	// a term written "=sập": it counts only in a post that writes it so, accents
	// and all (lower case, NFC); its folded form "sap" is also "sắp", about to
	exact string
	// catAlias with words_in, written in plain ASCII ("uber"): the post must
	// write it so somewhere. Its folded form is also a word with accents
	// ("über", the commonest German preposition), which is not the name.
	plain string
	// catOutage, catRecovery, catNegator, catPostNeg, catVerb: the languages it
	// is listed under; catAlias: those
	// in which the alias is an ordinary word (an adjacent term listed under none
	// of them is enough, strict or not)
	langs uint64
	// a spaced Korean phrase: its last word matches a post's word by its start
	// (a particle or ending may follow)
	prefixLast bool
	// a recovery term's words run together ("back up" as "backup", for
	// #whatsappbackup): found only inside a hashtag, since elsewhere the
	// run-together form is a word of its own ("icloud backup stuck" is no
	// recovery). Names and outage terms run together are found anywhere
	// ("whats app", Indonesian "gabisa" for "ga bisa").
	joined bool
}

// Rules is a compiled, immutable rule set, safe for concurrent use.
type Rules struct {
	services []Service
	phrases  []phrase
	index    map[string][]int32 // first token → phrases, longest first
	// heads and pairs split index for scan: a first token's phrases whose
	// second token is any (heads), and those of each second token (pairs,
	// by first and second token hash, see secondHash), so that a common
	// first word ("no", "не", "ما") does not walk every phrase it starts;
	// rank keeps index's order (longest first) among the phrases found.
	heads    map[string]head
	pairs    map[uint64][]int32
	rank     []int32
	prefixed map[string][]int32 // first token → alias and one-word context phrases, looked up with a name suffix taken off
	cjk      []int32            // phrases matched by substring inside CJK runs
	cjkSet   map[int32]bool     // the same, as a set
	fuzzy    [256][]int32       // single-token aliases with one-edit tolerance, by first byte
	// single-token terms a typo of which is read as the term (typoOf), by
	// category, first and last byte and length, and by category, first two
	// bytes and length (typoKeys)
	typos    map[uint32][]typoTerm
	typoBits []uint64   // typoBits[typoSlot(k)]: a key of typos may be k
	trie     trie       // hashtag segmentation vocabulary
	probSets [][]string // problem bitmask → sorted names (shared)
	filter   []uint64   // one-hash filter over index keys: most tokens skip the map
	fLog     uint       // log2 of filter's bits
	problems []string
	terms    int    // terms as written in the file (Stats)
	english  uint64 // the language bit of "en" (0 if the file has none)
	finalNeg uint64 // the language bits of clauseFinalNegation
	verbLast uint64 // the language bits of verbLast
	// question_particles, normalised: a sentence ending in one asks ("ไหม", "吗", "mı")
	particles [][]byte
	// consequence_endings and clause_endings, normalised: verb endings that make
	// their word a consequence term ("-서": so) or end its clause ("-는데": but)
	conseqEndings, clauseEndings [][]byte
	adverbs                      map[string]uint64 // one of these may stand inside a term of several words (its languages)

	// Prefilter (see Matcher.mayName): most posts name no service and
	// leave after one cheap pass over their tokens.
	// Each one-hash bitset answers most tokens from the cache; the rare token
	// whose bit is set is confirmed in the exact set of full hashes behind it (a
	// bit set by another word let a tenth of the posts naming nothing through
	// to the scan, a fuzzy bit most of them).
	aliasLog  uint             // log2 of the bits of aliasBits, wordBits and pairBits
	aliasBits []uint64         // hashed first tokens of alias phrases
	wordBits  []uint64         // hashed one-token aliases
	aliasKeys map[uint64]uint8 // their full hashes (mixWords): akFirst, akWord
	// per hash of a first token's first two bytes (lensSlot): bit l set if such
	// a token has l bytes (bit 31: 31 or more), so that most words need not hash
	// their stems without each name suffix they may end in
	aliasLens  [1 << 12]uint32
	pairBits   []uint64           // hashed first two tokens of longer aliases ("i cloud")
	pairKeys   map[uint64]uint8   // their full hashes (pairOf): pkEnd, pkMore
	tripleKeys map[uint64]uint8   // the first three tokens of longer aliases (pairOf twice): pkEnd, pkMore
	looseBits  [64]uint64         // hashed first tokens of aliases whose last token is matched by its start (prefixLast)
	fuzzyBits  []uint64           // hashed fuzzy aliases and their one-deletion variants
	fuzzyKeys  map[uint32]bool    // their polynomial hashes, unfinished (see delHash)
	cjkByRune  map[rune][]int32   // CJK phrases of one rune, by it
	cjkByPair  map[uint64][]int32 // longer CJK phrases, by their first two runes (runePair)
	cjkAliases map[rune][]string  // CJK alias strings by first rune
	cjkBits    [64]uint64         // hashed first runes of cjkAliases
	fuzzyLens  [256]uint32        // per first byte: lengths within one of a fuzzy alias
	fuzzyEnds  [2][]uint64        // hashed first three bytes, and first and last three, of fuzzy aliases (see mayFuzzy)
	fuzzyLog   uint               // log2 of the bits of each of fuzzyEnds
	aliases    [][]string         // per service: normalised aliases, context aliases included
	category   []uint8            // per service: its category's id (0: none)
	posterSide []bool             // per category id: its outage terms are post negations for other services
}

// arabicPrefixes are clitics stripped from a token before alias lookup:
// الواتساب, والفيس, بالانستا, للتويتر, وواتساب.
var arabicPrefixes = []string{"وال", "بال", "فال", "كال", "لل", "ال", "و", "ب", "ل", "ف"}

// nameSuffixes are stripped before alias lookup: Indonesian possessives
// (whatsappnya), Turkish and Uzbek case endings (zoomda, telegramga,
// zoomning), the same endings on names in Cyrillic (Зумга, Стимда,
// телеграме) and Bengali (নেটফ্লিক্সে, ভাইবারের; a classifier: টেলিগ্রামটা),
// and Persian possessives (تلگرامم, "my Telegram").
var nameSuffixes = []string{"nya", "ku", "mu", "ta", "da", "te", "de", "tan", "dan", "ten", "den",
	"ga", "ni", "ning", "qa", "ka", "daki", "deki", "taki", "teki",
	"га", "да", "дан", "ни", "нинг", "ка", "қа", "ға", "та", "е", "а", "у", "ом",
	"ে", "ের", "তে", "কে", "র", "টা", "টি", "টার", "টাও", "ও", "ই", "েই", "টাই", // Bengali cases, classifiers, "also" and "itself"
	"م", "ت", "ش", "مون", "تون", "شون", "و",
	"ul", "ului", // Romanian articles: instagramul, facebookului
	"u", "a", "em", "owi", "om", "і", // Slavic cases: outlooku, Tauronu, discordem, Netflixowi, вотсапі
	"i", "и", // Turkish and Uzbek possessives and accusatives: instagramı, Инстаграми
	// Uzbek "my", alone and with a case: telegramim, вотсапим, discordimni, ютубимда
	"im", "imni", "imda", "imga", "imdan", "imning", "им", "имни", "имда", "имга", "имдан", "имнинг"}

func compile(raw *rawRules) *Rules {
	r := &Rules{
		index:    map[string][]int32{},
		cjkSet:   map[int32]bool{},
		prefixed: map[string][]int32{},
		problems: raw.problemNames,
		typos:    map[uint32][]typoTerm{},
		typoBits: make([]uint64, 1<<typoLog/64),
	}
	r.terms = len(raw.outage) + len(raw.recovery) + len(raw.fine) + len(raw.negations) + len(raw.cancels) + len(raw.negators) +
		len(raw.past) + len(raw.present) + len(raw.displace) + len(raw.arrive) +
		len(raw.postNegators) + len(raw.verbs) + len(raw.connectors) + len(raw.filler) + len(raw.adverbs) +
		len(raw.conseq) + len(raw.causes) + len(raw.awaits) + len(raw.onlyMe) + len(raw.ownWork) + len(raw.ownSide) + len(raw.together) + len(raw.notName) + len(raw.suppose) + len(raw.with)
	for _, p := range raw.problems {
		r.terms += len(p)
	}
	for _, c := range raw.categories {
		r.terms += len(c.outage) + len(c.shared) + len(c.recovery)
	}
	for _, s := range raw.services {
		r.terms += len(s.aliases) + len(s.devices)
		for _, c := range s.ctx {
			r.terms += 1 + len(c.context)
		}
	}
	seen := map[string]bool{}
	add := func(text string, p phrase) {
		if t, ok := strings.CutPrefix(text, "="); ok && t != "" {
			text, p.exact = t, exactForm(t)
		}
		ns := Normalize(text)
		if hasCJK(ns) {
			s := strings.Join(strings.Fields(ns), "")
			key := "cjk\x00" + s + "\x00" + string(rune(p.cat)) + strconv.Itoa(int(p.svc)) + "\x00" + string(rune(p.prob)) + string(rune(p.category)) + strconv.FormatBool(p.shared) + "\x00" + strconv.Itoa(int(p.cgroup)) + "\x00" + p.exact
			if !seen[key] {
				seen[key] = true
				q := p
				q.toks = []string{s}
				r.phrases = append(r.phrases, q)
				r.cjk = append(r.cjk, int32(len(r.phrases)-1))
				r.cjkSet[int32(len(r.phrases)-1)] = true
			}
			// (A spaced Korean phrase whose run-together spelling is listed
			// too, "구글드라이브" and "구글 드라이브", still needs its words.)
			if !strings.Contains(ns, " ") || !hangul(ns) {
				return
			}
			// Korean puts spaces between words (and particles on them): "또
			// 터졌" also matches the words "또" "터졌네", the last one by its
			// start.
			p.prefixLast = true
		}
		toks := tokenizePhrase(ns)
		if len(toks) == 0 {
			return
		}
		variants := [][]string{toks}
		if len(toks) > 1 && !p.prefixLast {
			variants = append(variants, []string{strings.Join(toks, "")})
		}
		for vi, v := range variants {
			key := strings.Join(v, " ") + "\x00" + string(rune(p.cat)) + string(rune(p.svc)) + string(rune(p.prob)) + string(rune(p.category)) + strconv.FormatBool(p.shared) + "\x00" + strconv.Itoa(int(p.cgroup)) + strconv.FormatBool(p.strict) + strconv.FormatBool(p.prefixLast) + "\x00" + p.exact
			if seen[key] {
				continue
			}
			seen[key] = true
			q := p
			q.toks = v
			q.joined = vi > 0 && p.cat == catRecovery
			r.phrases = append(r.phrases, q)
		}
	}
	ja, uz := raw.langBits("ja"), raw.langBits("uz", "uz-Cyrl")
	for _, t := range raw.outage {
		p := phrase{cat: catOutage, segment: true, langs: raw.termLangs[Normalize(t)]}
		add(t, p)
		if p.langs&uz != 0 {
			// An Uzbek verb denied now ("ochilmayapti", isn't opening) is
			// as often said in the plain present ("ochilmaydi", doesn't open).
			for _, f := range [][2]string{{"mayapti", "maydi"}, {"маяпти", "майди"}} {
				if stem, ok := strings.CutSuffix(t, f[0]); ok {
					add(stem+f[1], p)
				}
			}
		}
		if stem, ok := strings.CutSuffix(t, "ない"); ok && p.langs&ja != 0 && hasCJK(stem) {
			// A Japanese negative goes on inflecting where a list stops:
			// "開かない" is also "開かなくて" (won't open, so...) and
			// "開かなくなった" (stopped opening). (Not "開かなかった": that is
			// over, a past term.)
			add(stem+"なく", p)
		}
	}
	for _, t := range raw.recovery {
		add(t, phrase{cat: catRecovery, segment: true, langs: raw.termLangs[Normalize(t)]})
	}
	for i, c := range raw.categories {
		for _, t := range c.outage {
			add(t, phrase{cat: catOutage, category: uint8(i + 1)})
		}
		for _, t := range c.shared {
			add(t, phrase{cat: catOutage, category: uint8(i + 1), shared: true})
		}
		for _, t := range c.recovery {
			add(t, phrase{cat: catRecovery, category: uint8(i + 1)})
		}
	}
	for _, t := range raw.fine {
		add(t, phrase{cat: catFine})
	}
	for _, t := range raw.named {
		// (with the languages the same words are outage or recovery terms of: a
		// name term is foreign to an alias only when it is in none of them)
		n := Normalize(t)
		add(t, phrase{cat: catNamed, langs: raw.namedLangs[n] | raw.termLangs[n]})
	}
	for _, t := range raw.potential {
		add(t, phrase{cat: catPotential})
	}
	for _, t := range raw.negations {
		add(t, phrase{cat: catNegation, segment: true})
	}
	for _, l := range []struct {
		terms []string
		cat   uint8
		langs map[string]uint64 // the languages of each term, where they matter
	}{
		{raw.cancels, catCancel, nil}, {raw.past, catPast, nil}, {raw.present, catPresent, nil}, {raw.displace, catDisplace, nil},
		{raw.arrive, catArrive, nil}, {raw.negators, catNegator, raw.pairLangs}, {raw.postNegators, catPostNeg, raw.pairLangs},
		{raw.verbs, catVerb, raw.pairLangs}, {raw.conseq, catConseq, nil}, {raw.causes, catCause, nil},
		{raw.awaits, catAwait, raw.awaitLangs}, {raw.onlyMe, catOnlyMe, nil}, {raw.ownWork, catOwnWork, nil}, {raw.ownSide, catOwnSide, nil},
		{raw.together, catTogether, nil}, {raw.notName, catNotName, nil}, {raw.platform, catPlatform, nil},
		{raw.suppose, catSuppose, nil}, {raw.with, catWith, nil},
	} {
		for _, t := range l.terms {
			q := phrase{cat: l.cat}
			if l.langs != nil {
				q.langs = l.langs[Normalize(t)]
			}
			add(t, q)
		}
	}
	r.english = raw.langBits("en")
	r.finalNeg = raw.langBits(clauseFinalNegation...)
	r.verbLast = raw.langBits(verbLast...)
	for _, l := range []struct {
		terms []string
		dst   *[][]byte
	}{{raw.particles, &r.particles}, {raw.conseqEndings, &r.conseqEndings}, {raw.clauseEndings, &r.clauseEndings}} {
		for _, t := range l.terms {
			if n := Normalize(t); n != "" {
				*l.dst = append(*l.dst, []byte(n))
			}
		}
	}
	for _, t := range raw.connectors {
		add(t, phrase{cat: catConnector})
	}
	for _, t := range raw.filler {
		add(t, phrase{cat: catFiller, segment: true})
	}
	r.adverbs = make(map[string]uint64, len(raw.adverbs))
	for _, t := range raw.adverbs {
		n := Normalize(t)
		l := raw.adverbLangs[n]
		if l == 0 {
			l = ^uint64(0) // a plain list: of every language
		}
		r.adverbs[n] = l
	}
	for i, terms := range raw.problems {
		for _, t := range terms {
			add(t, phrase{cat: catProblem, prob: int8(i), segment: true})
		}
	}
	group := 0
	r.aliases = make([][]string, len(raw.services))
	r.category = make([]uint8, len(raw.services))
	r.posterSide = make([]bool, len(raw.categories)+1)
	for i, c := range raw.categories {
		r.posterSide[i+1] = c.posterSide
	}
	for si, s := range raw.services {
		r.services = append(r.services, s.Service)
		r.category[si] = raw.categoryID(s.Category)
		for _, a := range s.aliases {
			r.aliases[si] = append(r.aliases[si], Normalize(a))
		}
		for _, a := range s.devices {
			r.aliases[si] = append(r.aliases[si], Normalize(a))
		}
		for _, c := range s.ctx {
			r.aliases[si] = append(r.aliases[si], Normalize(c.alias))
		}
		// The service's names that are ordinary words somewhere, in plain
		// ASCII ("uber"): an alias starting with one ("uber'den") is named
		// only where the post writes that word unaccented, not "über den".
		words := map[string]bool{}
		for _, c := range s.ctx {
			if len(c.wordsIn) > 0 && plainASCII([]byte(c.alias)) && !strings.Contains(c.alias, " ") {
				words[exactForm(c.alias)] = true
			}
		}
		// (device names first: a name written both ways, "x-box" run together,
		// is the device's)
		for _, a := range s.devices {
			add(a, phrase{cat: catAlias, svc: int32(si), segment: true, device: true})
		}
		for _, a := range s.aliases {
			if h, ok := handleAlias(a); ok {
				// "@SEC_Care": a post's @-mention is one token, underscores and
				// digits included, and is looked up whole.
				key := h + "\x00handle" + string(rune(si))
				if !seen[key] {
					seen[key] = true
					r.phrases = append(r.phrases, phrase{toks: []string{h}, cat: catAlias, svc: int32(si)})
				}
				continue
			}
			add(a, phrase{cat: catAlias, svc: int32(si), segment: true, plain: nameWord(a, words)})
		}
		for _, c := range s.ctx {
			group++
			add(c.alias, phrase{cat: catAlias, svc: int32(si), cgroup: int32(group), segment: true, strict: c.strict, langs: raw.langMask(c.wordsIn), plain: nameWord(c.alias, words)})
			for _, t := range c.context {
				add(t, phrase{cat: catContext, cgroup: int32(group), cgroups: []int32{int32(group)}})
			}
		}
	}
	// Merge context phrases with identical tokens (one phrase, several groups): the
	// first takes the groups of the others, in order. (By a map: with tens of
	// thousands of services, comparing every pair took seconds.)
	firstCtx := map[string]int{}
	for i := range r.phrases {
		p := &r.phrases[i]
		if p.cat != catContext || p.cgroups == nil {
			continue
		}
		k := strings.Join(p.toks, "\x00")
		if j, ok := firstCtx[k]; ok {
			r.phrases[j].cgroups = append(r.phrases[j].cgroups, p.cgroups...)
			p.cgroups = nil
			continue
		}
		firstCtx[k] = i
	}
	var vocab []string
	for i, p := range r.phrases {
		if p.cat == catContext && p.cgroups == nil {
			continue
		}
		if isCJKPhrase(r, int32(i)) {
			continue
		}
		id := int32(i)
		r.index[p.toks[0]] = append(r.index[p.toks[0]], id)
		if p.cat == catContext && len(p.toks) == 1 {
			// a context word with a case ending counts as it does for a name
			// ("인스타는 멀쩡함" is context for 스레드, Threads)
			r.prefixed[p.toks[0]] = append(r.prefixed[p.toks[0]], id)
		}
		if p.cat == catAlias {
			r.prefixed[p.toks[0]] = append(r.prefixed[p.toks[0]], id)
			if p.cgroup == 0 && len(p.toks) == 1 && raw.services[p.svc].fuzzy && isASCIIWord(p.toks[0]) && len(p.toks[0]) >= 6 && !r.derived(&p) {
				r.fuzzy[p.toks[0][0]] = append(r.fuzzy[p.toks[0][0]], id)
			}
		}
		if w, n := p.toks[0], typoMin(&p); n > 0 && len(p.toks) == 1 && isASCIIWord(w) && len(w) >= n && len(w) < maxTypo && !p.joined && p.exact == "" {
			r.addTypoTerm(w, id, p.cat)
		}
		if p.segment && len(p.toks) == 1 {
			w := p.toks[0]
			if utf8.RuneCountInString(w) >= 2 || p.cat == catAlias {
				vocab = append(vocab, w)
			}
		}
	}
	for _, m := range []map[string][]int32{r.index, r.prefixed} {
		for k, ids := range m {
			// longest phrases first
			for a := 1; a < len(ids); a++ {
				for b := a; b > 0 && len(r.phrases[ids[b]].toks) > len(r.phrases[ids[b-1]].toks); b-- {
					ids[b], ids[b-1] = ids[b-1], ids[b]
				}
			}
			m[k] = ids
		}
	}
	r.splitIndex()
	r.trie = buildTrie(vocab)
	r.buildPrefilter()
	r.fLog = bitsLog(len(r.index), 16)
	r.filter = make([]uint64, 1<<r.fLog/64)
	for k := range r.index {
		setBit(r.filter, filterHash([]byte(k), r.fLog))
	}
	n := len(r.problems)
	if n <= 10 {
		r.probSets = make([][]string, 1<<n)
		for mask := 1; mask < 1<<n; mask++ {
			r.probSets[mask] = r.problemList(uint16(mask))
		}
	}
	return r
}

func isCJKPhrase(r *Rules, id int32) bool {
	p := &r.phrases[id]
	return len(p.toks) == 1 && hasCJK(p.toks[0]) && r.isCJK(id)
}

func (r *Rules) isCJK(id int32) bool { return r.cjkSet[id] }

// runePair is the key of two runes in cjkByPair.
func runePair(a, b rune) uint64 { return uint64(a)<<32 | uint64(uint32(b)) }

// cjkIter yields, in id order, the CJK phrases that may start where a run has
// the rune c followed by the rune at next (cjkAt).
type cjkIter struct{ one, two []int32 }

// cjkAt returns the iterator of the phrases that may start at byte k of the run
// key, whose rune there is c of size bytes.
func (r *Rules) cjkAt(key []byte, k int, c rune, size int) cjkIter {
	it := cjkIter{one: r.cjkByRune[c]}
	if k+size < len(key) {
		c2, _ := decode(key, k+size)
		it.two = r.cjkByPair[runePair(c, c2)]
	}
	return it
}

func (it *cjkIter) next() (int32, bool) {
	switch {
	case len(it.one) > 0 && (len(it.two) == 0 || it.one[0] < it.two[0]):
		id := it.one[0]
		it.one = it.one[1:]
		return id, true
	case len(it.two) > 0:
		id := it.two[0]
		it.two = it.two[1:]
		return id, true
	}
	return 0, false
}

func runeHash(r rune) uint32 { return (uint32(r) * 0x9E3779B1) >> 20 } // 12 bits

// fuzzyBitsLog is the size of the fuzzy aliases' prefilter (bits, a power of two).
const fuzzyBitsLog = 18

// bitsLog returns the log2 of the bits of a one-hash filter over n keys: about 16
// bits a key (a token not among them passes with a chance of 1 in 16), at least
// 2^least bits and at most 2^24 (2 MB). A filter of fixed size fills up as the rules
// grow: at 50,000 services one of 2^18 bits let four tokens in ten through to the
// maps, and most posts past the prefilter.
func bitsLog(n int, least uint) uint {
	return max(least, min(24, uint(bits.Len(uint(16*n)))))
}

func setBit(bits []uint64, h uint32) { bits[h>>6] |= 1 << (h & 63) }
func hasBit(bits []uint64, h uint32) bool {
	return bits[h>>6]&(1<<(h&63)) != 0
}

// Kinds of an alias token in Rules.aliasKeys.
const (
	akFirst uint8 = 1 << iota // the first token of an alias
	akWord                    // an alias of one token
)

// slot is the bit of aliasBits, wordBits and pairBits for a full hash.
func (r *Rules) slot(h uint64) uint32 { return uint32(h >> (64 - r.aliasLog)) }

// aliasKind returns how key starts an alias (akFirst, akWord; 0: it starts none).
func (r *Rules) aliasKind(key []byte) uint8 {
	h := mixWords(key)
	if !hasBit(r.aliasBits, r.slot(h)) {
		return 0
	}
	return r.aliasKeys[h]
}

// lensSlot is aliasLens's slot for a word starting with bytes a and b.
func lensSlot(a, b byte) uint32 { return (uint32(a)<<8 | uint32(b)) * 0x9E3779B1 >> 20 }

// isWordAlias reports whether key is an alias of one token.
func (r *Rules) isWordAlias(key []byte) bool { return r.isWord(mixWords(key)) }

// isWord is isWordAlias of a token's mixWords. Many common words start longer
// aliases ("in", "my"): their bit in wordBits keeps them from the map.
func (r *Rules) isWord(h uint64) bool {
	return hasBit(r.wordBits, r.slot(h)) && r.aliasKeys[h]&akWord != 0
}

// Kinds of a pair or triple of tokens in Rules.pairKeys and tripleKeys.
const (
	pkEnd  uint8 = 1 << iota // an alias ends with its last token
	pkMore                   // an alias goes on after it
)

// pairKind returns how the first two tokens of an alias, hashed together by
// pairOf, end it or go on (0: they start none).
func (r *Rules) pairKind(h uint64) uint8 {
	if !hasBit(r.pairBits, r.slot(h)) {
		return 0
	}
	return r.pairKeys[h]
}

// looseSlot is looseBits's bit for a token's mixWords hash.
func looseSlot(h uint64) uint32 { return uint32(h >> (64 - 12)) }

// mixWords hashes a token for the prefilter. It reads the token a word at a time
// (two overlapping words for most tokens), not a byte at a time: it runs for every
// token of every post.
func mixWords(b []byte) uint64 {
	const k0, k1, k2 = 0x9E3779B97F4A7C15, 0xC2B2AE3D27D4EB4F, 0x165667B19E3779F9
	n := len(b)
	var a, z uint64
	switch {
	case n >= 8:
		for len(b) > 16 {
			a = (a ^ binary.LittleEndian.Uint64(b)) * k0
			a ^= a >> 29
			b = b[8:]
		}
		a ^= binary.LittleEndian.Uint64(b)
		z = binary.LittleEndian.Uint64(b[len(b)-8:])
	case n >= 4:
		a = uint64(binary.LittleEndian.Uint32(b))
		z = uint64(binary.LittleEndian.Uint32(b[n-4:]))
	case n > 0:
		a = uint64(b[0])<<16 | uint64(b[n>>1])<<8 | uint64(b[n-1])
	}
	h := (a*k0 ^ z*k1 ^ uint64(n)*k2)
	h ^= h >> 32
	return h * k0
}

// hashBase is the base of the polynomial hashes of delHash and mayFuzzy, which drop
// one byte of a key in constant time.
const hashBase = 0x01000193

// pairOf hashes two consecutive tokens, the first by its mixWords (or the first
// two by theirs, for a third: tripleKeys).
func pairOf(ha uint64, b []byte) uint64 {
	h := ha*0xC2B2AE3D27D4EB4F ^ mixWords(b)
	h ^= h >> 31
	return h * 0x9E3779B97F4A7C15
}

func finishHash(h uint32, log uint) uint32 {
	h ^= h >> 15
	return (h * 0x9E3779B1) >> (32 - log)
}

// delHash hashes b without its byte at position del (del < 0: all of b), before
// finishHash.
func delHash(b []byte, del int) uint32 {
	var h uint32
	for i, c := range b {
		if i != del {
			h = h*hashBase + uint32(c)
		}
	}
	return h
}

func (r *Rules) buildPrefilter() {
	aliases := 0
	for id := range r.phrases {
		if r.phrases[id].cat == catAlias {
			aliases++
		}
	}
	r.aliasLog = bitsLog(aliases, 18)
	r.aliasBits = make([]uint64, 1<<r.aliasLog/64)
	r.wordBits = make([]uint64, 1<<r.aliasLog/64)
	r.aliasKeys = map[uint64]uint8{}
	r.pairBits = make([]uint64, 1<<r.aliasLog/64)
	r.pairKeys = map[uint64]uint8{}
	r.tripleKeys = map[uint64]uint8{}
	r.fuzzyBits = make([]uint64, 1<<fuzzyBitsLog/64)
	r.fuzzyKeys = map[uint32]bool{}
	r.cjkByRune = map[rune][]int32{}
	r.cjkByPair = map[uint64][]int32{}
	r.cjkAliases = map[rune][]string{}
	for _, id := range r.cjk {
		p := &r.phrases[id]
		if p.cat == catContext && p.cgroups == nil {
			continue
		}
		// Indexed by two runes where there are two: with thousands of services
		// many names share a first katakana, and a run would try them all.
		first, n := utf8.DecodeRuneInString(p.toks[0])
		if second, m := utf8.DecodeRuneInString(p.toks[0][n:]); m > 0 {
			k := runePair(first, second)
			r.cjkByPair[k] = append(r.cjkByPair[k], id)
		} else {
			r.cjkByRune[first] = append(r.cjkByRune[first], id)
		}
		if p.cat == catAlias {
			r.cjkAliases[first] = append(r.cjkAliases[first], p.toks[0])
			h := runeHash(first)
			r.cjkBits[h>>6] |= 1 << (h & 63)
		}
	}
	for id := range r.phrases {
		p := &r.phrases[id]
		if p.cat != catAlias || r.isCJK(int32(id)) {
			continue
		}
		h := mixWords([]byte(p.toks[0]))
		setBit(r.aliasBits, r.slot(h))
		if w := p.toks[0]; len(w) >= 2 {
			r.aliasLens[lensSlot(w[0], w[1])] |= 1 << min(len(w), 31)
		}
		r.aliasKeys[h] |= akFirst
		if len(p.toks) == 1 {
			setBit(r.wordBits, r.slot(h))
			r.aliasKeys[h] |= akWord
		} else {
			if p.prefixLast {
				setBit(r.looseBits[:], looseSlot(h))
			}
			h := pairOf(h, []byte(p.toks[1]))
			setBit(r.pairBits, r.slot(h))
			if len(p.toks) == 2 {
				r.pairKeys[h] |= pkEnd
			} else {
				r.pairKeys[h] |= pkMore
				k := pkMore
				if len(p.toks) == 3 {
					k = pkEnd
				}
				r.tripleKeys[pairOf(h, []byte(p.toks[2]))] |= k
			}
		}
	}
	n := 0
	for _, ids := range r.fuzzy {
		n += len(ids)
	}
	r.fuzzyLog = bitsLog(2*n, 12)
	r.fuzzyEnds = [2][]uint64{make([]uint64, 1<<r.fuzzyLog/64), make([]uint64, 1<<r.fuzzyLog/64)}
	for _, ids := range r.fuzzy {
		for _, id := range ids {
			a := []byte(r.phrases[id].toks[0])
			for l := len(a) - 1; l <= len(a)+1; l++ {
				if l < 32 {
					r.fuzzyLens[a[0]] |= 1 << l
				}
			}
			setBit(r.fuzzyEnds[0], fuzzyHead(a, r.fuzzyLog))
			setBit(r.fuzzyEnds[1], fuzzyTail(a, r.fuzzyLog))
			if len(a) == 6 {
				// the one edit that keeps neither: a[2] and a[3] swapped
				setBit(r.fuzzyEnds[0], fuzzyHead([]byte{a[0], a[1], a[3]}, r.fuzzyLog))
			}
			for del := -1; del < len(a); del++ {
				h := delHash(a, del)
				setBit(r.fuzzyBits, finishHash(h, fuzzyBitsLog))
				r.fuzzyKeys[h] = true
			}
		}
	}
}

func (r *Rules) problemList(mask uint16) []string {
	if mask == 0 {
		return nil
	}
	if int(mask) < len(r.probSets) && r.probSets[mask] != nil {
		return r.probSets[mask]
	}
	var out []string
	for i, name := range r.problems {
		if mask&(1<<i) != 0 {
			out = append(out, name)
		}
	}
	return out
}

func isASCIIWord(s string) bool {
	for i := 0; i < len(s); i++ {
		if c := s[i]; c < 'a' || c > 'z' {
			return false
		}
	}
	return true
}

// handleAlias returns the handle of an alias written as one ("@SEC_Care" →
// "sec_care"), normalised as a post's @-mention token is.
func handleAlias(a string) (string, bool) {
	if !strings.HasPrefix(a, "@") || len(a) < 2 {
		return "", false
	}
	h := Normalize(a[1:])
	for _, r := range h {
		if r != '_' && !unicode.IsLetter(r) && !unicode.IsDigit(r) {
			return "", false
		}
	}
	return h, true
}

// tokenizePhrase splits an already normalised phrase into tokens the same
// way the matcher tokenises posts (without hashtag/URL handling).
func tokenizePhrase(s string) []string {
	var out []string
	b := []byte(s)
	for i := 0; i < len(b); {
		r, size := utf8.DecodeRune(b[i:])
		if classOf(r) == clsSep {
			i += size
			continue
		}
		cls := classOf(r)
		j := i + size
		for j < len(b) {
			r2, s2 := utf8.DecodeRune(b[j:])
			if classOf(r2) != cls {
				break
			}
			j += s2
		}
		out = append(out, string(b[i:j]))
		i = j
	}
	return out
}

// hangul reports whether s is written in Hangul (its first letter is).
func hangul(s string) bool {
	for _, r := range s {
		if r != ' ' {
			return unicode.Is(unicode.Hangul, r)
		}
	}
	return false
}

func hasCJK(s string) bool {
	for _, r := range s {
		if classOf(r) == clsCJK {
			return true
		}
	}
	return false
}

// trie is a byte trie over the hashtag vocabulary.
type trie struct {
	root  [256]int32 // child of the root per byte (0 = none)
	nodes []trieNode
	edges []trieEdge
}

type trieNode struct {
	first, n int32
	term     bool
}

type trieEdge struct {
	b     byte
	child int32
}

func buildTrie(words []string) trie {
	type bnode struct {
		kids map[byte]int
		term bool
	}
	nodes := []*bnode{{kids: map[byte]int{}}}
	for _, w := range words {
		cur := 0
		for i := 0; i < len(w); i++ {
			nx, ok := nodes[cur].kids[w[i]]
			if !ok {
				nodes = append(nodes, &bnode{kids: map[byte]int{}})
				nx = len(nodes) - 1
				nodes[cur].kids[w[i]] = nx
			}
			cur = nx
		}
		nodes[cur].term = true
	}
	var t trie
	t.nodes = make([]trieNode, len(nodes))
	for i, n := range nodes {
		t.nodes[i].term = n.term
		t.nodes[i].first = int32(len(t.edges))
		// The edges in byte order: the node's own bytes sorted, not all 256 asked
		// (that was a third of loading 50,000 services).
		for _, c := range slices.Sorted(maps.Keys(n.kids)) {
			t.edges = append(t.edges, trieEdge{c, int32(n.kids[c])})
		}
		t.nodes[i].n = int32(len(t.edges)) - t.nodes[i].first
	}
	for c := 0; c < 256; c++ {
		if k, ok := nodes[0].kids[byte(c)]; ok {
			t.root[c] = int32(k)
		}
	}
	return t
}

func (t *trie) step(node int32, c byte) int32 {
	if node == 0 {
		return t.root[c]
	}
	n := t.nodes[node]
	for _, e := range t.edges[n.first : n.first+n.n] {
		if e.b == c {
			return e.child
		}
		if e.b > c {
			return 0
		}
	}
	return 0
}

func filterHash(b []byte, log uint) uint32 {
	var x uint32
	for i := 0; i < len(b) && i < 4; i++ {
		x |= uint32(b[i]) << (8 * i)
	}
	x ^= uint32(len(b)) << 27
	if len(b) > 4 {
		x ^= uint32(b[len(b)-1]) * 0x45d9f3b
	}
	return (x * 0x9E3779B1) >> (32 - log)
}

// mayHave reports whether key may be an index key (no false negatives).
func (r *Rules) mayHave(key []byte) bool {
	return hasBit(r.filter, filterHash(key, r.fLog))
}

// head is a first token's entry in Rules.heads.
type head struct {
	hash  uint32  // wordHash of the token
	any   []int32 // its phrases of one token, or matched by prefix (second 0)
	next  uint64  // a bit per second token hash (mod 64) of its other phrases: most words skip pairs
	names bool    // it starts a name of several words (whose last word may take a case ending)
}

// secondHash is the hash of phrase p's second token as a post's next word is
// hashed (tokHash), or 0 when any word may follow (one token, or a spaced
// Korean phrase whose last word matches by its start).
func secondHash(p *phrase) uint32 {
	if len(p.toks) > 1 && !(p.prefixLast && len(p.toks) == 2) {
		return wordHash([]byte(p.toks[1]))
	}
	return 0
}

// splitIndex builds heads, pairs and rank from index.
func (r *Rules) splitIndex() {
	r.heads = make(map[string]head, len(r.index))
	r.pairs = make(map[uint64][]int32)
	r.rank = make([]int32, len(r.phrases))
	for k, ids := range r.index {
		h := head{hash: wordHash([]byte(k))}
		for i, id := range ids {
			r.rank[id] = int32(i)
			if f := secondHash(&r.phrases[id]); f == 0 {
				h.any = append(h.any, id)
			} else {
				pk := pairKey(h.hash, f)
				r.pairs[pk] = append(r.pairs[pk], id)
				h.next |= 1 << (f & 63)
				h.names = h.names || r.phrases[id].cat == catAlias
			}
		}
		r.heads[k] = h
	}
}

// pairsOf is the phrases of the head whose second token hashes to h (none
// for h 0, the end of the post).
func (hd head) pairsOf(r *Rules, h uint32) []int32 {
	if h == 0 || hd.next&(1<<(h&63)) == 0 {
		return nil
	}
	return r.pairs[pairKey(hd.hash, h)]
}

// pairKey is the key of Rules.pairs for a first and a second token hash.
func pairKey(first, second uint32) uint64 { return uint64(first)<<32 | uint64(second) }

// derived reports whether alias p (one ASCII token) is within one edit of a
// fuzzy alias of its service already taken (a misspelling, "whatsap"): that
// one is fuzzy already, and a typo of a typo is two edits. (Forms with an
// ending stay fuzzy: "instagramida" is one edit from "instagramda".)
//
// The service's own name (its rule name, "youtube") is never derived and
// comes first wherever it is listed: listed after "youtub", it was once
// derived from that, and its own slips ("yotuube", "youttube") were lost.
func (r *Rules) derived(p *phrase) bool {
	w, name := p.toks[0], r.services[p.svc].Name
	if w == name {
		return false
	}
	if len(name) >= 6 && withinOneEdit([]byte(w), name) {
		return true
	}
	for _, id := range r.fuzzy[w[0]] {
		q := &r.phrases[id]
		if q.svc == p.svc && withinOneEdit([]byte(w), q.toks[0]) {
			return true
		}
	}
	return false
}

// wordHash is the hash of a word for Rules.pairs, never 0 (0 stands for "any
// word" in secondHash).
func wordHash(w []byte) uint32 {
	return hashBytes(0, w) | 1
}

// clauseFinalNegation are the languages whose main clause ends with its "not",
// after the objects and adverbs ("Outlook synchronisiert seit heute Morgen
// nicht mehr", "Teams doet het sinds gisteren niet"): their post-negators count
// up to postNegSpanFar words after the verb, within its clause.
var clauseFinalNegation = []string{"de", "nl"}

// verbLast are the languages that put the verb after its subject and object:
// a predicate follows what it is said of (decide: "Teams落ちてる？…上司からLINE来た"
// is Teams's), and what people wait for comes before the waiting (awaited:
// "카톡 복구 기다리는 나", "इंस्टाग्राम के वापस आने का इंतज़ार").
var verbLast = []string{"ko", "ja", "hi", "hi-Latn", "ur", "ur-Latn", "bn", "bn-Latn", "fa", "tr", "uz", "uz-Cyrl"}

// langBits returns the language bits of the named languages the rules have.
func (raw *rawRules) langBits(names ...string) uint64 {
	var bits uint64
	for _, l := range names {
		if bit, ok := raw.langs[l]; ok {
			bits |= 1 << bit
		}
	}
	return bits
}

// nameWord returns the word of words that alias starts with (before a
// space, apostrophe or hyphen), or "".
func nameWord(alias string, words map[string]bool) string {
	w := exactForm(alias)
	if i := strings.IndexAny(w, " '’-"); i >= 0 {
		w = w[:i]
	}
	if words[w] {
		return w
	}
	return ""
}

// exactForm is how an exact term ("=sập") and a post are compared: lower case,
// canonically composed.
func exactForm(s string) string {
	return norm.NFC.String(strings.ToLower(s))
}
