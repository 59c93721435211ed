package match

import (
	_ "embed"
	"encoding/binary"
	"errors"
	"fmt"
	"math"
	"slices"
	"unicode/utf8"
)

// The learned part of the decision. Word lists miss phrasings nobody wrote
// down ("it closes by itself", "ไม่ได้เลย", "werkt niet meer"); a linear model
// over character n-grams catches the pieces such phrasings share with the
// ones it was trained on (negation, symptom stems, particles), in every
// script, without word boundaries for CJK and Thai.
//
// It reads a post that names one service only, with the service's name
// masked (so it judges what is said, not about whom), and returns how likely
// the post is a complaint that the service is failing now. The rules stay
// first: the model only turns a mention the rules could not place into an
// outage when it is confident, and takes back an outage the rules found when
// it is confident they are wrong. Posts naming several services keep the
// rules' decision (the model cannot tell which service a complaint is for).
//
// model.bin is built by `go test ./match -run TestModel -train`
// from the tuning corpora (see model_test.go); TestModel checks that it is
// what training makes of them.

//go:embed model.bin
var modelBin []byte

const (
	// 2^20 weights: at 2^18 the n-grams of 61,000 training posts collided
	// enough to cost the model a point of recall on text it never saw
	// (docs/matching.md, "A larger model"); 2^22 bought a sixth of that for
	// four times the size.
	modelBits  = 20
	modelDim   = 1 << modelBits
	modelMagic = "outcry-ngram-6\n"
	// Posts with fewer features than this are short: their thresholds are
	// chosen apart, since a few words weigh more in a short post and the
	// model is less sure of them ("whatsapp message sent").
	shortFeats = 48
	// Classes of posts with thresholds of their own: short and long posts
	// about one subject, posts that name other services too (the model is
	// less sure which service a complaint is about), and posts naming a
	// service only by an ambiguous name nothing validated (mention.tentative:
	// the model must also be sure it is the service).
	nClasses       = 4
	classAmbiguous = 3
)

// model is a logistic regression over hashed features, int8-quantised.
type model struct {
	w     []int8
	scale float32 // weight = w × scale
	bias  float32
	up    [nClasses]float32 // by class (postClass): probability from which a mention becomes an outage
	veto  [nClasses]float32 // by class: probability below which an outage becomes a mention
}

var defaultModel = func() *model {
	md, err := decodeModel(modelBin)
	if err != nil {
		panic("match: embedded model.bin: " + err.Error())
	}
	return md
}()

func decodeModel(b []byte) (*model, error) {
	if len(b) < len(modelMagic) || string(b[:len(modelMagic)]) != modelMagic {
		return nil, errors.New("not an outcry model")
	}
	b = b[len(modelMagic):]
	head := 4 * (2 + 2*nClasses)
	if len(b) != head+modelDim {
		return nil, fmt.Errorf("model is %d bytes, want %d", len(b), head+modelDim)
	}
	f := func(i int) float32 { return math.Float32frombits(binary.LittleEndian.Uint32(b[4*i:])) }
	md := &model{scale: f(0), bias: f(1), w: make([]int8, modelDim)}
	for c := range nClasses {
		md.up[c], md.veto[c] = f(2+c), f(2+nClasses+c)
	}
	for i, c := range b[head:] {
		md.w[i] = int8(c)
	}
	return md, nil
}

// encodeModel writes float weights quantised to int8.
func encodeModel(w []float32, bias float32, up, veto [nClasses]float32) []byte {
	var maxAbs float32
	for _, x := range w {
		maxAbs = max(maxAbs, float32(math.Abs(float64(x))))
	}
	scale := maxAbs / 127
	if scale == 0 {
		scale = 1
	}
	out := append([]byte(nil), modelMagic...)
	out = binary.LittleEndian.AppendUint32(out, math.Float32bits(scale))
	out = binary.LittleEndian.AppendUint32(out, math.Float32bits(bias))
	for _, x := range append(up[:], veto[:]...) {
		out = binary.LittleEndian.AppendUint32(out, math.Float32bits(x))
	}
	for _, x := range w {
		out = append(out, byte(int8(math.Round(float64(x/scale)))))
	}
	return out
}

// postClass is 0 for a short post about one subject, 1 for a long one, 2 for a
// post that names other services too.
func postClass(feats []uint32, others bool) int {
	switch {
	case others:
		return 2
	case len(feats) < shortFeats:
		return 0
	}
	return 1
}

// prob is the probability that the post with these features is a complaint.
func (md *model) prob(feats []uint32) float32 {
	if len(feats) == 0 {
		return 0
	}
	var s int32
	for _, f := range feats {
		s += int32(md.w[f])
	}
	z := md.bias + float32(s)*md.scale/float32(math.Sqrt(float64(len(feats))))
	return 1 / (1 + float32(math.Exp(float64(-z))))
}

// Feature kinds, mixed into the hash so that equal strings of different
// kinds land apart.
const (
	fkWord   = 0x9e3779b1
	fkBigram = 0x85ebca77
	fkNear   = 0x27d4eb2f
	fkChar   = 0xc2b2ae3d
)

// maskTok stands for the names of the service the model is asked about (and
// those listed with it); otherTok for any other service named in the post.
var (
	maskTok  = []byte("§")
	otherTok = []byte("¤")
)

// groupsOf returns the listing groups that name service svc, one bit each
// (groups past 63 share a bit); never 0 for a service the post names.
func (sc *scratch) groupsOf(svc int32) uint64 {
	var groups uint64
	for _, mn := range sc.mentions {
		if mn.svc == svc {
			groups |= 1 << min(mn.group, 63)
		}
	}
	return groups
}

// features appends the hashed features of the scanned post as seen for the
// services of the listing groups (groupsOf): its words and word pairs, and
// character 3- to 5-grams of each word (1- to 3-grams of each run, for CJK and
// Thai), with those services' names replaced by one mask word and other
// services' names by another ("¤ is down so I'm on §" is not a complaint about
// §). It reports whether other services are named.
func (m *Matcher) features(sc *scratch, dst []uint32, groups uint64) (_ []uint32, others bool) {
	b := sc.buf
	mi := 0
	prevSent := int32(-1)
	var prevTok []byte
	sc.gramSpan = slices.Grow(sc.gramSpan[:0], len(sc.toks))[:len(sc.toks)]
	clear(sc.gramSpan)
	for i := 0; i < len(sc.toks); i++ {
		t := &sc.toks[i]
		tok := b[t.s:t.e]
		for mi < len(sc.mentions) && int(sc.mentions[mi].end) <= i {
			mi++
		}
		masked := mi < len(sc.mentions) && int(sc.mentions[mi].pos) <= i
		if masked {
			tok = maskTok
			if groups&(1<<min(sc.mentions[mi].group, 63)) == 0 {
				tok, others = otherTok, true
			}
			i = int(sc.mentions[mi].end) - 1
		}
		dst = append(dst, hashBytes(fkWord, tok)&(modelDim-1))
		if t.sent == prevSent {
			h := hashBytes(fkBigram, prevTok)
			dst = append(dst, hashBytes(h^0xff, tok)&(modelDim-1))
		}
		prevTok, prevSent = tok, t.sent
		switch {
		case !masked:
			n := int32(len(dst))
			dst = charGrams(dst, tok, t.fl&tkCJK != 0)
			sc.gramSpan[i] = [2]int32{n, int32(len(dst))}
		case t.fl&tkCJK != 0:
			// A CJK run is a whole sentence as often as a word: masking it whole
			// would leave the model nothing of what is said ("5年前に§で妻と出会った"
			// read as "5 §"). Its grams are read with only the names masked.
			var o bool
			sc.runBuf, o = m.maskRun(sc, sc.runBuf[:0], b[t.s:t.e], groups)
			others = others || o
			dst = charGrams(dst, sc.runBuf, true)
		}
	}
	return m.nearFeatures(sc, dst, groups), others
}

// nearSpan is how many words before and after a name nearFeatures reads.
const nearSpan = 3

// nearFeatures appends the words within nearSpan of each name of the services of
// the listing groups, with their offset from it ("¤ +1 down", "-1 my ¤"), and
// their first four letters with only the side they are on ("¤ +: lädt"), so a
// complaint's word said of the service weighs apart from the same word elsewhere
// in the post, and its inflections share that weight. Measured on the tuning
// corpora out of fold (2026-12-06): the model alone, at its fixed thresholds,
// finds 0.598 of the complaints instead of 0.568, at the same precision (0.995).
// The near words' character grams by side (sideGrams) came later the same day.
func (m *Matcher) nearFeatures(sc *scratch, dst []uint32, groups uint64) []uint32 {
	b := sc.buf
	for _, mn := range sc.mentions {
		if groups&(1<<min(mn.group, 63)) == 0 {
			continue
		}
		for off := -nearSpan; off <= nearSpan; off++ {
			var k int
			switch {
			case off < 0:
				k = int(mn.pos) + off
			case off > 0:
				k = int(mn.end) - 1 + off
			default:
				continue
			}
			if k < 0 || k >= len(sc.toks) || sc.toks[k].sent != mn.sent || sc.toks[k].fl&tkCJK != 0 {
				continue
			}
			w := b[sc.toks[k].s:sc.toks[k].e]
			dst = append(dst, hashBytes(fkNear+uint32(off+8)*0x9e37, w)&(modelDim-1))
			side := uint32(1)
			if off < 0 {
				side = 2
			}
			dst = append(dst, hashBytes(fkNear+side*0x51ed, firstRunes(w, 4))&(modelDim-1))
			if sp := sc.gramSpan[k]; sp[0] < sp[1] {
				dst = sideKeyed(dst, int(sp[0]), int(sp[1]), side) // the word's grams, read above
			} else {
				dst = sideGrams(dst, w, side) // a word masked or skipped above (another service's name)
			}
		}
	}
	return dst
}

// sideGrams appends the character grams of a word near a name, keyed by the
// side of the name it is on: an inflection or a compound of a complaint's
// word said of the service ("¤ +: ladet", "nie działa §" / "nie działają §")
// shares its grams, where the first four letters alone miss suffixes and the
// words' grams elsewhere in the post do not say whose they are.
func sideGrams(dst []uint32, w []byte, side uint32) []uint32 {
	n := len(dst)
	dst = charGrams(dst, w, false)
	for i := n; i < len(dst); i++ {
		dst[i] = sideKey(dst[i], side)
	}
	return dst
}

// sideKeyed appends the grams dst[from:to] keyed by side.
func sideKeyed(dst []uint32, from, to int, side uint32) []uint32 {
	for i := from; i < to; i++ {
		dst = append(dst, sideKey(dst[i], side))
	}
	return dst
}

func sideKey(gram, side uint32) uint32 { return (gram*2654435761 ^ side*0x7feb352d) & (modelDim - 1) }

// firstRunes returns the first n runes of w (all of it when it is shorter).
func firstRunes(w []byte, n int) []byte {
	for i := range string(w) {
		if n == 0 {
			return w[:i]
		}
		n--
	}
	return w
}

// maskRun appends the CJK run key to dst with the names it holds replaced by
// the mask word when they belong to the services of the listing groups, by the
// other-service word otherwise (reporting whether there was one).
func (m *Matcher) maskRun(sc *scratch, dst, key []byte, groups uint64) (_ []byte, others bool) {
	r := m.r
	for k := 0; k < len(key); {
		c, size := decode(key, k)
		n, svc := 0, int32(-1)
		for it := r.cjkAt(key, k, c, size); ; {
			id, ok := it.next()
			if !ok {
				break
			}
			p := &r.phrases[id]
			if p.cat == catAlias && len(p.toks[0]) > n && runHit(p, key, k, c) {
				n, svc = len(p.toks[0]), p.svc
			}
		}
		if n == 0 {
			dst = append(dst, key[k:k+size]...)
			k += size
			continue
		}
		if sc.groupsOf(svc)&groups != 0 {
			dst = append(dst, maskTok...)
		} else {
			dst, others = append(dst, otherTok...), true
		}
		k += n
	}
	return dst, others
}

// charGrams appends the character 3-, 4- and 5-grams of a word, with its
// edges marked (so "^no" and "ok$" are grams); a CJK or Thai run has no
// edges worth marking inside and gets 1- to 3-grams.
func charGrams(dst []uint32, tok []byte, cjk bool) []uint32 {
	if !cjk && len(tok) <= 64 && plainASCII(tok) {
		return charGramsASCII(dst, tok)
	}
	return charGramsRunes(dst, tok, cjk)
}

// charGramsRunes is charGrams for any word (the reference of charGramsASCII).
func charGramsRunes(dst []uint32, tok []byte, cjk bool) []uint32 {
	var rs [66]int32 // rune starts, plus the edges
	n := 0
	if !cjk {
		rs[n] = -1 // the leading edge
		n++
	}
	for k := 0; k < len(tok) && n < len(rs)-1; {
		rs[n] = int32(k)
		n++
		_, size := utf8.DecodeRune(tok[k:])
		k += size
	}
	end := n // rs[end] is the end of the last rune
	rs[n] = int32(len(tok))
	lo, hi := 3, 5
	if cjk {
		lo, hi = 1, 3
	}
	npos := end
	if !cjk {
		npos++ // the trailing edge
	}
	// One pass per start: the hash of a gram extends the one a rune shorter.
	for s := 0; s+lo <= npos; s++ {
		h := uint32(fkChar)
		for k := s; k < s+hi && k < npos; k++ {
			switch {
			case k >= end:
				h = (h ^ '$') * 16777619
			case rs[k] < 0:
				h = (h ^ '^') * 16777619
			default:
				for _, c := range tok[rs[k]:rs[k+1]] {
					h = (h ^ uint32(c)) * 16777619
				}
			}
			if k-s+1 >= lo {
				dst = append(dst, h&(modelDim-1))
			}
		}
	}
	return dst
}

// charGramsASCII is charGrams of a word of at most 64 bytes, all ASCII: a
// rune is a byte (the same grams, without finding where runes start; most
// words near a name are ASCII, and this is a sixth of a post's matching).
func charGramsASCII(dst []uint32, tok []byte) []uint32 {
	var sym [66]byte // the word between its edges
	sym[0] = '^'
	n := copy(sym[1:], tok) + 2
	sym[n-1] = '$'
	for s := 0; s+3 <= n; s++ {
		h := uint32(fkChar)
		h = (h ^ uint32(sym[s])) * 16777619
		h = (h ^ uint32(sym[s+1])) * 16777619
		h = (h ^ uint32(sym[s+2])) * 16777619
		dst = append(dst, h&(modelDim-1))
		if s+3 < n {
			h = (h ^ uint32(sym[s+3])) * 16777619
			dst = append(dst, h&(modelDim-1))
			if s+4 < n {
				h = (h ^ uint32(sym[s+4])) * 16777619
				dst = append(dst, h&(modelDim-1))
			}
		}
	}
	return dst
}

// hashBytes is FNV-1a seeded with seed.
func hashBytes(seed uint32, b []byte) uint32 {
	h := seed ^ 2166136261
	for _, c := range b {
		h = (h ^ uint32(c)) * 16777619
	}
	return h
}
