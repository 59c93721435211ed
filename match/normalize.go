package match

import (
	"encoding/binary"
	"slices"
	"unicode"
	"unicode/utf8"

	"golang.org/x/text/unicode/norm"
)

// Normalize returns s in the form the matcher compares: compatibility
// decomposition (NFKD) of every rune, case folded, Latin diacritics dropped,
// Arabic tashkeel, tatweel, the Devanagari nukta and zero-width characters dropped, Arabic and
// Persian letter variants unified, then canonically recomposed where marks
// were kept (so the result is NFKC for scripts such as Devanagari). Invalid
// UTF-8 becomes U+FFFD. Normalize is idempotent.
func Normalize(s string) string {
	var n normalizer
	return string(n.run(nil, s, false))
}

// normalizer holds per-call state and the scratch used by run.
type normalizer struct {
	latin   bool // the last base rune was Latin: following marks are dropped
	compose bool // a mark or a multi-rune decomposition was kept: NFC needed
	hashtag bool // inside a hashtag (camel-case boundaries are recorded)
	lower   bool // previous rune was a lower-case letter (camel detection)
	slow    bool // tests: no fast paths (reference behaviour)
	camel   []int32
	tmp     []byte
}

// run appends the normalised form of s to dst. With camel, byte offsets in
// dst where a hashtag switches from lower to upper case are recorded in
// n.camel (used to split #WhatsAppDown when vocabulary segmentation fails).
func (n *normalizer) run(dst []byte, s string, camel bool) []byte {
	n.latin, n.compose, n.hashtag, n.lower = false, false, false, false
	n.camel = n.camel[:0]
	base := len(dst)
	for i := 0; i < len(s); {
		if c := s[i]; c < utf8.RuneSelf && n.slow {
			// The reference path (tests): one byte at a time.
			i++
			if camel {
				n.trackASCII(c, len(dst))
			}
			c = asciiFold[c]
			n.latin = 'a' <= c && c <= 'z'
			dst = append(dst, c)
			continue
		}
		if s[i] < utf8.RuneSelf {
			// A run of ASCII, most of most posts: folded in one tight loop.
			j := i + 1
			for j < len(s) && s[j] < utf8.RuneSelf {
				j++
			}
			at := len(dst)
			dst = slices.Grow(dst, j-i)[:at+j-i]
			out := dst[at:]
			for k, c := range []byte(s[i:j]) {
				if camel && (n.hashtag || c == '#') {
					n.trackASCII(c, at+k)
				}
				out[k] = asciiFold[c]
			}
			c := out[len(out)-1]
			n.latin = 'a' <= c && c <= 'z'
			i = j
			continue
		}
		var r rune
		var size int
		if c := s[i]; c >= 0xC2 && c <= 0xDF && i+1 < len(s) && s[i+1]&0xC0 == 0x80 && !n.slow {
			// Two bytes (Latin, Cyrillic, Arabic): decoded inline, and most of
			// them folded by one look-up.
			r, size = rune(c&0x1F)<<6|rune(s[i+1]&0x3F), 2
			if e := &twoByte[r-0x80]; e.kind == tbDrop || e.kind == tbEmit && !(camel && n.hashtag) {
				i += 2
				if e.kind == tbEmit {
					dst = append(dst, e.b[:e.n]...)
					n.latin = e.latin
				}
				continue
			}
		} else {
			r, size = utf8.DecodeRuneInString(s[i:])
		}
		if r == utf8.RuneError && size <= 1 {
			i++
			n.latin = false
			n.lower = false
			dst = utf8.AppendRune(dst, utf8.RuneError)
			continue
		}
		if dropped(r) {
			i += size
			continue
		}
		if camel && n.hashtag {
			n.trackRune(r, len(dst))
		}
		if r >= latinLo && r < latinHi && !n.slow {
			if f := latinFold[r-latinLo]; f[0] != 0 {
				// A Latin letter with diacritics: its folded base letters.
				i += size
				dst = append(dst, f[0])
				if f[1] != 0 {
					dst = append(dst, f[1])
				}
				n.latin = true
				continue
			}
		}
		if fast, ok := n.fastRune(r); ok && !n.slow {
			i += size
			switch {
			case fast >= 0x80 && fast < 0x800:
				dst = append(dst, 0xC0|byte(fast>>6), 0x80|byte(fast&0x3F))
			case fast != 0:
				dst = utf8.AppendRune(dst, fast)
			}
			continue
		}
		d := norm.NFKD.PropertiesString(s[i:]).Decomposition()
		i += size
		if len(d) == 0 {
			dst = n.emit(dst, r)
			continue
		}
		kept := 0
		for j := 0; j < len(d); {
			dr, ds := utf8.DecodeRune(d[j:])
			j += ds
			before := len(dst)
			dst = n.emit(dst, dr)
			if len(dst) > before {
				kept++
			}
		}
		if kept > 1 && !n.latin {
			n.compose = true
		}
	}
	if n.compose && !norm.NFC.IsNormal(dst[base:]) {
		// Recompose (canonical) the part written by this call. A camel mark
		// stands before a letter that starts a word, which nothing before it
		// composes with: its place is the length of the recomposed text
		// before it.
		n.tmp = append(n.tmp[:0], dst[base:]...)
		dst = norm.NFC.Append(dst[:base], n.tmp...)
		for k, c := range n.camel {
			n.camel[k] = int32(base + len(norm.NFC.Bytes(n.tmp[:int(c)-base])))
		}
	}
	return n.squeeze(dst, base)
}

// squeeze shortens every run of three or more of the same letter in dst[base:]
// to one: people stretch the words of a complaint ("dooown", "caiuuuu",
// "ÇÖKTÜÜÜ", "ไม่ได้เลยยยย", "واقففف"), and terms are squeezed alike, so the
// stretched word is the term. Two in a row are letters of the word ("too",
// "offline"); 'w' is left alone, for links (www.) and Japanese laughter.
func (n *normalizer) squeeze(dst []byte, base int) []byte {
	if firstRun(dst[base:]) < 0 {
		return dst
	}
	return n.squeezeRuns(dst, base)
}

// squeezeASCII is squeeze for ASCII text (the fast path of most posts).
func (n *normalizer) squeezeASCII(dst []byte) []byte {
	if firstRunASCII(dst) < 0 {
		return dst
	}
	return n.squeezeRuns(dst, 0)
}

// firstRun returns where the first run of three of the same letter starts in
// b, or -1: most posts have none, and then nothing moves.
func firstRun(b []byte) int {
	for i := 0; i+2 < len(b); i++ {
		c := b[i]
		if c < utf8.RuneSelf {
			if c == b[i+1] && c == b[i+2] && c != 'w' && 'a' <= c && c <= 'z' {
				return i
			}
			continue
		}
		if c < 0xC0 {
			continue // a continuation byte
		}
		sz := 2 // by the lead byte: decoding every rune costs more than the scan
		if c >= 0xF0 {
			sz = 4
		} else if c >= 0xE0 {
			sz = 3
		}
		if i+3*sz <= len(b) && b[i+1] == b[i+sz+1] && string(b[i:i+sz]) == string(b[i+sz:i+2*sz]) && string(b[i:i+sz]) == string(b[i+2*sz:i+3*sz]) {
			if r, _ := utf8.DecodeRune(b[i:]); unicode.IsLetter(r) {
				return i
			}
		}
		i += sz - 1
	}
	return -1
}

// firstRunASCII is firstRun for ASCII b, eight bytes at a time: a run of three
// holds two equal neighbours, which show as a zero byte in b[i:] XOR b[i+1:].
func firstRunASCII(b []byte) int {
	for i := 0; i+2 < len(b); i += 8 {
		if i+9 <= len(b) {
			v := binary.LittleEndian.Uint64(b[i:]) ^ binary.LittleEndian.Uint64(b[i+1:])
			if (v-0x0101010101010101)&^v&0x8080808080808080 == 0 {
				continue // no equal neighbours start in b[i:i+8]
			}
		}
		for j := i; j < i+8 && j+2 < len(b); j++ {
			if c := b[j]; c == b[j+1] && c == b[j+2] && c != 'w' && 'a' <= c && c <= 'z' {
				return j
			}
		}
	}
	return -1
}

// squeezeRuns squeezes dst[base:], moving the camel marks with the letters.
// Inside a hashtag words run together, so a double letter may meet the next
// word's first ("#whatsapppanne"): there only four in a row are a stretch.
func (n *normalizer) squeezeRuns(dst []byte, base int) []byte {
	b := dst[base:]
	w, run, tag := 0, 0, false
	var prev rune = -1
	k := 0 // next camel mark to move
	for i := 0; i < len(b); {
		r, sz := utf8.DecodeRune(b[i:])
		for ; k < len(n.camel) && int(n.camel[k]) <= base+i; k++ {
			n.camel[k] = int32(base + w)
		}
		tag = r == '#' || tag && (unicode.IsLetter(r) || unicode.IsDigit(r) || r == '_')
		if r == prev && r != 'w' && unicode.IsLetter(r) {
			run++
		} else {
			prev, run = r, 1
		}
		limit := 3
		if tag {
			limit = 4
		}
		switch {
		case run == limit:
			w -= (limit - 2) * sz // all of the run but its first go
		case run > limit:
		default:
			copy(b[w:], b[i:i+sz])
			w += sz
		}
		i += sz
	}
	for ; k < len(n.camel); k++ {
		n.camel[k] = int32(base + w)
	}
	return dst[:base+w]
}

// latinFold holds, for the accented Latin letters of Latin-1 and Latin
// Extended-A and -B, what the general path makes of them when that is one or
// two ASCII letters (é → e, Ç → c, ß → ss): Portuguese, Spanish, French,
// German and Turkish posts are full of them.
const latinLo, latinHi = 0xC0, 0x250

var latinFold [latinHi - latinLo][2]byte

func init() {
	t := &latinFold
	for r := rune(latinLo); r < latinHi; r++ {
		ref := normalizer{slow: true}
		out := ref.run(nil, string(r), false)
		if len(out) == 0 || len(out) > 2 {
			continue
		}
		ok := true
		for _, c := range out {
			ok = ok && 'a' <= c && c <= 'z'
		}
		if ok {
			copy(t[r-latinLo][:], out)
		}
	}
}

// asciiFold lower-cases ASCII letters.
var asciiFold = func() (t [utf8.RuneSelf]byte) {
	for c := range t {
		t[c] = byte(c)
		if 'A' <= c && c <= 'Z' {
			t[c] += 'a' - 'A'
		}
	}
	return
}()

func (n *normalizer) trackASCII(c byte, at int) {
	switch {
	case c == '#':
		n.hashtag, n.lower = true, false
	case 'a' <= c && c <= 'z':
		n.lower = true
	case 'A' <= c && c <= 'Z':
		if n.hashtag && n.lower {
			n.camel = append(n.camel, int32(at))
		}
		n.lower = false
	case '0' <= c && c <= '9' || c == '_':
		n.lower = false
	default:
		n.hashtag, n.lower = false, false
	}
}

func (n *normalizer) trackRune(r rune, at int) {
	switch {
	case unicode.IsLower(r):
		n.lower = true
	case unicode.IsUpper(r):
		if n.hashtag && n.lower {
			n.camel = append(n.camel, int32(at))
		}
		n.lower = false
	case unicode.IsLetter(r) || unicode.IsDigit(r) || unicode.IsMark(r):
		n.lower = false
	default:
		n.hashtag, n.lower = false, false
	}
}

// dropped reports runes removed outright: zero-width characters, the Arabic
// tatweel and Arabic vowel marks (tashkeel, Quranic annotation marks,
// hamza/madda above and below).
func dropped(r rune) bool {
	switch {
	case r >= 0x200B && r <= 0x200F, r == 0xFEFF, r == 0x2060, r == 0x00AD:
		return true
	case r == 0x0640: // tatweel
		return true
	case r == 0x093C:
		// Devanagari nukta: Hindi writers put it or leave it (स्पॉटिफ़ाई,
		// स्पॉटिफाई; ज़ूम, जूम), so it is dropped as Latin diacritics are.
		return true
	case r >= 0x0610 && r <= 0x061A, r >= 0x064B && r <= 0x065F, r == 0x0670,
		r >= 0x06D6 && r <= 0x06DC, r >= 0x06DF && r <= 0x06E8, r >= 0x06EA && r <= 0x06ED:
		return true
	}
	return false
}

// emit appends the folded form of one (decomposed) rune.
func (n *normalizer) emit(dst []byte, r rune) []byte {
	if r < utf8.RuneSelf {
		c := byte(r)
		if 'A' <= c && c <= 'Z' {
			c += 'a' - 'A'
		}
		n.latin = ('a' <= c && c <= 'z')
		return append(dst, c)
	}
	if dropped(r) {
		return dst
	}
	if unicode.Is(unicode.Mn, r) {
		if n.latin {
			return dst // Latin diacritic
		}
		n.compose = true
		return utf8.AppendRune(dst, r)
	}
	if unicode.Is(unicode.Mc, r) || unicode.Is(unicode.Me, r) {
		n.compose = true
		return utf8.AppendRune(dst, r)
	}
	r = unicode.ToLower(r)
	switch r {
	case 'ı':
		r = 'i'
	case 'ß':
		n.latin = true
		return append(dst, 's', 's')
	case 'ø':
		r = 'o'
	case 'đ':
		r = 'd'
	case 'ł':
		r = 'l'
	case 'æ':
		n.latin = true
		return append(dst, 'a', 'e')
	case 'œ':
		n.latin = true
		return append(dst, 'o', 'e')
	case 'ς':
		r = 'σ'
	case 0x2019, 0x2018, 0x02BC, 0x00B4, 0x0060: // ’ ‘ ʼ ´ ` → '
		r = '\''
	case 0x0671: // ٱ
		r = 0x0627
	case 0x0629: // ة
		r = 0x0647
	case 0x0649: // ى
		r = 0x064A
	case 0x06A9: // ک
		r = 0x0643
	case 0x06CC: // ی
		r = 0x064A
	case 0x06C0: // ۀ
		r = 0x0647
	}
	if r < utf8.RuneSelf {
		n.latin = ('a' <= r && r <= 'z')
		return append(dst, byte(r))
	}
	n.latin = unicode.Is(unicode.Latin, r)
	return utf8.AppendRune(dst, r)
}

// Kinds of twoByteFold.
const (
	tbGeneral = iota // run's other paths
	tbDrop           // dropped: nothing written, no state changed
	tbEmit           // b[:n] written, n.latin set to latin
)

// twoByteFold is what run's stateless paths (dropped, latinFold, fastRune) make of
// a rune of two bytes in UTF-8, found by one look-up instead of their tests in
// turn: Cyrillic, Arabic and accented Latin are most of the text that is not
// ASCII.
type twoByteFold struct {
	kind  uint8
	n     uint8
	latin bool
	b     [2]byte
}

var twoByte = func() (t [0x800 - 0x80]twoByteFold) {
	for r := rune(0x80); r < 0x800; r++ {
		e := &t[r-0x80]
		if dropped(r) {
			e.kind = tbDrop
			continue
		}
		if r >= latinLo && r < latinHi {
			if f := latinFold[r-latinLo]; f[0] != 0 {
				e.kind, e.b, e.n, e.latin = tbEmit, f, 1, true
				if f[1] != 0 {
					e.n = 2
				}
				continue
			}
		}
		var nz normalizer
		nz.latin = true // (fastRune clears it for the runes it folds)
		fast, ok := nz.fastRune(r)
		switch {
		case !ok || nz.compose:
		case fast == 0:
			e.kind, e.latin = tbEmit, nz.latin
		case fast >= 0x80 && fast < 0x800:
			e.kind, e.latin, e.n = tbEmit, nz.latin, 2
			e.b = [2]byte{0xC0 | byte(fast>>6), 0x80 | byte(fast&0x3F)}
		}
	}
	return
}()

// fastRune folds the common Arabic and Devanagari runes without table
// look-ups. It returns ok=false when the general path is needed; a zero
// rune with ok means "drop".
func (n *normalizer) fastRune(r rune) (rune, bool) {
	switch {
	case r >= 0x0621 && r <= 0x064A: // Arabic letters (no case, few variants)
		n.latin = false
		switch r {
		case 0x0622, 0x0623, 0x0625:
			return 0x0627, true
		case 0x0624:
			return 0x0648, true
		case 0x0626, 0x0649:
			return 0x064A, true
		case 0x0629:
			return 0x0647, true
		case 0x0640:
			return 0, true
		}
		return r, true
	case r >= 0x0900 && r <= 0x097F: // Devanagari
		switch {
		case r == 0x0929, r == 0x0931, r == 0x0934, r >= 0x0958 && r <= 0x095F:
			return 0, false // nukta forms decompose (and lose the nukta)
		case r >= 0x0951 && r <= 0x0954:
			// stress marks: recompose at the end
			n.compose = true
		}
		// Other signs have combining class 0 (no reordering) except the
		// virama, which only needs reordering next to a nukta (above).
		// Copying them keeps NFC input NFC.
		n.latin = false
		return r, true
	case r >= 0x0410 && r <= 0x042F: // Cyrillic capitals А..Я
		n.latin = false
		return r + 0x20, true
	case r >= 0x0430 && r <= 0x045F: // Cyrillic small letters (ё й: NFKD+NFC gives them back)
		n.latin = false
		return r, true
	case r >= 0x0400 && r <= 0x040F: // Ѐ..Џ
		n.latin = false
		return r + 0x50, true
	case r >= 0x3041 && r <= 0x3096, r >= 0x30A1 && r <= 0x30FA, r >= 0x30FC && r <= 0x30FE,
		r >= 0x4E00 && r <= 0x9FFF, r == 0x3001, r == 0x3002: // kana, CJK ideographs, 、。
		n.latin = false
		return r, true
	case r >= 0x1F300 && r <= 0x1FAFF, r >= 0x2600 && r <= 0x27BF: // emoji, symbols, dingbats
		n.latin = false
		return r, true
	}
	return 0, false
}
