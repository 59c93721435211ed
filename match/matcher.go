// The Matcher and its entry point Match, and the state one post's matching
// shares across the stages in the other files.

package match

import (
	"strings"
	"sync"
	"unicode"
	"unicode/utf8"
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
	// a post-negator up to postNegSpan tokens after it (postNegSpanFar in the
	// languages of clauseFinalNegation).
	negSpan = 3
	// An ambiguous alias without context counts when an intent term is
	// within ambiguousSpan tokens of it ("x is down").
	ambiguousSpan  = 3
	postNegSpan    = 2
	postNegSpanFar = 5
	// An awaiting term ("when") this near a recovery term makes it awaited.
	awaitSpan = 4
	// An outage term this near the poster's own work ("my code") is its.
	ownWorkSpan = 4
	// A past cue this many words after a present cue in its clause says when a
	// failure that goes on began ("sinds 6 uur vanochtend").
	sinceSpan = 3
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
	// training: keep ambiguous names nothing validated (mention.tentative)
	// without a model, with the rules' reading of them
	keepTentative bool
}

// NewMatcher returns a matcher for the rules (DefaultRules if r is nil).
func NewMatcher(r *Rules) *Matcher {
	if r == nil {
		r = DefaultRules()
	}
	m := &Matcher{r: r, model: defaultModel}
	m.pool.New = func() any { return &scratch{english: r.english, finalNeg: r.finalNeg} }
	return m
}

// Token flags.
const (
	tkBreak   uint8 = 1 << iota // a phrase cannot continue into this token
	tkCJK                       // a run of CJK script: matched by substring
	tkMention                   // an @handle: only whole-token aliases
	tkHash                      // part of a hashtag
	tkTracker                   // a word of a service's slug in a link to an outage tracker
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
	mkNotName   // ends a not-name term: the service right after it is not the one failing ("bukan WA")
	mkPlatform  // ends a platform term ("on the", "op de"): a device named right after it is where another service runs
	mkSuppose   // in a supposition term ("I thought", "думал"): the poster's own trouble beside it was a wrong guess
	mkWith      // ends a with term ("with", "مع"): a service named right after it is what an outage term before it is about
)

type mention struct {
	svc      int32
	pos, end int32
	sent, hg int32
	cgroup   int32 // the context group it needs (0: none)
	group    int32
	strict   bool
	device   bool   // named by a device alias (phrase.device)
	wordIn   uint64 // languages in which the alias is an ordinary word (phrase.langs)
	dest     bool   // named as where people went or look ("switched to", "checking")
	listed   bool   // in a CJK or Thai run, joined to the name before it by a list particle ("ไลน์กับเฟส")
	// an ambiguous name nothing validated, in a post naming no other service:
	// it names the service only if the model is confident of a complaint
	tentative bool
}

type intent struct {
	cat      uint8 // catOutage, catRecovery or catFine
	pos, end int32
	sent, hg int32
	langs    uint64 // the languages the term is listed under (0: built, not listed)
	category uint8  // a category's own term: counts only for services of it (0: any)
	shared   bool   // and is said of apps too (no post negation for them)
}

type scratch struct {
	nz        normalizer
	text      string // the post as written
	exactText string // text in exactForm, made when an exact term is first looked for
	exactDone bool
	ascii     bool // the post is plain ASCII: its folded form has no accent to undo
	buf       []byte
	toks      []token
	marks     []uint16
	plangs    []uint64 // per token: the languages of the negator, post-negator or verb it starts
	english   uint64   // the rules' language bit of English
	finalNeg  uint64   // the rules' language bits of clauseFinalNegation
	mentions  []mention
	intents   []intent
	outD      []int32
	recD      []int32
	seen      []bool
	cjkFound  []int32
	cands     []int32 // scan: the phrases a word starts that its next words allow
	ctxGroups []int32 // scan: the context groups of the post's context terms
	cjkHits   []cjkHit
	runBuf    []byte // a CJK run with its names masked, for the model
	// gramSpan[i] is where token i's character grams sit in the model's
	// features ([0] == [1]: none), so the words near a name reuse them
	gramSpan [][2]int32
	touched  []int32
	probs    uint16
	cancel   bool    // a post negation: no outage in this post
	cancels  []int32 // [start, end) token spans of the post negations
	negated  bool    // a negation phrase ("isn't down", "calm down") was found
	bare     bool    // every word of the post is a name or an intent term
	past     []int32 // tokens starting a past cue ("yesterday", "was down")
	pastCov  []int32 // [start, end) token spans of past phrases in spaced script
	// [start, end) token spans of present phrases of several words in spaced script
	presentCov []int32
	conseq     []int32  // tokens starting a consequence term ("so", "donc")
	causes     []int32  // tokens starting a cause term ("because", "weil")
	awaits     []intent // awaiting terms ("when", "cuándo") and their languages
	ownWork    []intent // own-work terms ("my code", "mera code")
	together   []int32  // tokens holding a together term ("both", "同時に")
	svcChain   []int32  // listedInRun's alias phrases
	present    []int32  // tokens starting a present cue ("still", "now")
	pastD      []int32
	fineD      []int32 // distance from a service to the nearest term saying it works
	outP       []int32 // distance from a service's outage intents to the nearest present cue
	recP       []int32 // and from its recovery intents
	causeOf    []bool  // an outage term was set aside as the cause of what the service is named in (acrossCause)
	feats      []uint32
	best       [maxPart + 1]int16
	back       [maxPart + 1]int16
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
	n := len(dst)
	dst = m.decide(sc, dst)
	var w uint64
	done := false // a post's wording is read once, for complaints only
	for i := n; i < len(dst); i++ {
		if dst[i].Kind != Outage {
			continue
		}
		if !done {
			w, done = m.wording(sc), true
		}
		dst[i].Wording = w
	}
	return dst
}

// prepare normalises and scans text into sc; false when it names no service.
func (m *Matcher) prepare(sc *scratch, text string) bool {
	m.tokens(sc, text)
	if len(sc.toks) == 0 || !m.noPrefilter && !m.mayName(sc) {
		return false
	}
	if !sc.ascii {
		m.splitRuns(sc)
	}
	return m.scan(sc)
}

// tokens normalises text into sc.buf and finds its tokens.
func (m *Matcher) tokens(sc *scratch, text string) {
	sc.text, sc.exactText, sc.exactDone = text, "", false
	b, ascii := foldASCII(sc.buf[:0], text)
	sc.ascii = ascii
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
}

// writesPlain reports whether the post writes w anywhere, in any case: an
// alias its folded form found may have been a word with accents ("über").
func (sc *scratch) writesPlain(w string) bool {
	if sc.ascii {
		return true // nothing was folded: the name is written as found
	}
	if !sc.exactDone {
		sc.exactText, sc.exactDone = exactForm(sc.text), true
	}
	return strings.Contains(sc.exactText, w)
}

// writes reports whether the post writes w (in exactForm) as a word of its own:
// not inside a longer word.
func (sc *scratch) writes(w string) bool {
	if !sc.exactDone {
		sc.exactText, sc.exactDone = exactForm(sc.text), true
	}
	t := sc.exactText
	for from := 0; from < len(t); {
		i := strings.Index(t[from:], w)
		if i < 0 {
			return false
		}
		i += from
		before, _ := utf8.DecodeLastRuneInString(t[:i])
		after, _ := utf8.DecodeRuneInString(t[i+len(w):])
		if (i == 0 || !unicode.IsLetter(before) && !unicode.IsMark(before)) && (i+len(w) == len(t) || !unicode.IsLetter(after) && !unicode.IsMark(after)) {
			return true
		}
		from = i + 1
	}
	return false
}
