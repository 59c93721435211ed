// Tokenising: the normalised text split into words, CJK runs, handles and
// hashtags, with links skipped; and the ASCII fast path for plain texts.

package match

import (
	"bytes"
	"encoding/binary"
	"slices"
	"unicode"
	"unicode/utf8"
	"unsafe"
)

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

// arabicThenLatin returns where the ASCII letters of a word that begins in
// Arabic script start, or 0.
func arabicThenLatin(w []byte) int {
	if len(w) < 3 || w[0] < 0xD8 || w[0] > 0xDB {
		return 0
	}
	for k := 0; k < len(w); k++ {
		if c := w[k]; c < utf8.RuneSelf {
			if c >= 'a' && c <= 'z' {
				return k
			}
			return 0
		}
	}
	return 0
}

// brkFlag is tkBreak when brk is set.
func brkFlag(brk bool) uint8 {
	if brk {
		return tkBreak
	}
	return 0
}

// trackers are the sites people link to when a service is down: a link to
// one's page of a service (downdetector.com/status/whatsapp/,
// allestoerungen.de/stoerung/whatsapp/) asks whether it is down.
var trackers = map[string]bool{"downdetector": true, "allestoerungen": true, "xn--allestrungen-9ib": true, "allestoringen": true,
	"istheservicedown": true, "isdown": true, "downforeveryoneorjustme": true, "isitdownrightnow": true,
	"updownradar": true, "outage": true, "downradar": true}

// trackerSlug returns the span of the service's slug (the link's last path
// segment, up to a dot) in the link b[i:e] when it is a link to an outage
// tracker's page of a service; s == end when it is not.
func trackerSlug(b []byte, i, e int) (s, end int) {
	for _, p := range [...]string{"https://", "http://", "www."} {
		if hasPrefixAt(b[:e], i, p) {
			i += len(p)
		}
	}
	u := b[i:e]
	slash := bytes.IndexByte(u, '/')
	if slash < 0 || !trackedHost(u[:slash]) {
		return 0, 0
	}
	path := bytes.TrimRight(u[slash:], "/")
	if k := bytes.IndexAny(path, "?#"); k >= 0 {
		path = bytes.TrimRight(path[:k], "/")
	}
	k := bytes.LastIndexByte(path, '/')
	seg := path[k+1:]
	if d := bytes.IndexByte(seg, '.'); d >= 0 {
		seg = seg[:d] // isitdownrightnow.com/whatsapp.com.html
	}
	if len(seg) < 2 {
		return 0, 0
	}
	s = i + slash + k + 1
	return s, s + len(seg)
}

// trackedHost reports whether a label of host names an outage tracker (every
// link of a post is asked, so without allocating).
func trackedHost(host []byte) bool {
	for len(host) > 0 {
		label := host
		if d := bytes.IndexByte(host, '.'); d >= 0 {
			label, host = host[:d], host[d+1:]
		} else {
			host = nil
		}
		if trackers[string(label)] {
			return true
		}
	}
	return false
}

// linkToken appends, for the link b[i:e], the words of the service's slug
// when it is a link to an outage tracker ("playstation-network" is two).
func linkToken(toks []token, b []byte, i, e int, sent int32) []token {
	s, end := trackerSlug(b, i, e)
	fl := tkBreak | tkTracker
	for k := s; k < end; {
		w := k
		for w < end && b[w] != '-' && b[w] != '_' && b[w] != '+' {
			w++
		}
		if w > k {
			toks = append(toks, token{s: int32(k), e: int32(w), sent: sent, fl: fl})
			fl = tkTracker
		}
		k = w + 1
	}
	return toks
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
			case r == ',' || r == '،' || r == '，' || r == '、':
				brk = true // a term does not run across a comma ("ah no, se cayó")
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
			toks = linkToken(toks, b, i, e, sent)
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
			toks = linkToken(toks, b, i, e, sent)
			i, brk, prevWord = e, true, false
			continue
		}
		if k := arabicThenLatin(b[i:j]); cls == clsWord && k > 0 {
			// an Arabic article or clitic glued to a Latin name ("الـPSN",
			// "بالـWhatsApp"; the tatweel is gone): two words
			toks = append(toks, token{s: int32(i), e: int32(i + k), sent: sent, fl: brkFlag(brk)})
			i, brk = i+k, false
		}
		t := token{s: int32(i), e: int32(j), sent: sent, fl: brkFlag(brk)}
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
			case ',':
				brk = true // a term does not run across a comma ("ah no, se cayó")
			}
			prevWord = false
			i++
			continue
		}
		if e := urlEnd(b, i); e > i {
			toks = linkToken(toks, b, i, e, sent)
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
			toks = linkToken(toks, b, i, e, sent)
			i, brk, prevWord = e, true, false
			continue
		}
		toks = append(toks, token{s: int32(i), e: int32(j), sent: sent, fl: brkFlag(brk)})
		brk, prevWord = false, true
		i = j
	}
	sc.toks = toks
}
