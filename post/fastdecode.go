package post

import (
	"encoding/binary"
	"math/bits"
	"strconv"
	"unicode/utf16"
	"unicode/utf8"
	"unsafe"
)

// This file holds the fast path of Decode: a single-pass scanner for the common case, a
// flat JSON object of the canonical shape {"id","text","author","created_at","lang",
// "country","source"}. It replaces encoding/json (validation + reflection) for that case
// only. Whenever the input is anything else — another shape, a nested value, a key that
// is not plain lowercase ASCII, an escaped key, a type mismatch, a syntax error — it
// reports ok=false and Decode falls back to encoding/json, which decides (shape, error
// reason). FuzzDecodeFastMatchesSlow checks that both paths agree on every input.
//
// Semantics mirrored from encoding/json decoding into the wire struct:
//   - duplicate keys: the last one wins;
//   - null into a string field is a no-op, null into text (*string) resets it to nil,
//     null into id (flexString) is a no-op;
//   - a numeric id keeps the number's literal text (after strconv.ParseFloat accepts it);
//   - string unescaping follows encoding/json's unquote, including its handling of
//     invalid UTF-16 surrogates (each bad \uXXXX becomes U+FFFD).

// Canonical keys the fast path handles.
const (
	fkID = iota
	fkText
	fkAuthor
	fkCreatedAt
	fkLang
	fkCountry
	fkSource
	fkCount
)

// fastSpan is where a decoded value lives: in the scratch buffer, or in the message
// itself (inB) when it needed no unescaping and the message may be shared.
type fastSpan struct {
	start, end int32
	set, inB   bool
}

// decodeFast decodes b if it is a flat canonical object. text is meaningful only when
// hasText is true (text present and not null). b must already be valid UTF-8. With
// share, the strings of the post may be views of b, which must then never change.
func decodeFast(b []byte, share bool) (p Post, text string, hasText bool, ts string, ok bool) {
	var (
		spans [fkCount]fastSpan
		buf   []byte // decoded values, lazily allocated with room for all of them
	)
	i := skipWS(b, 0)
	if i >= len(b) || b[i] != '{' {
		return
	}
	i = skipWS(b, i+1)
	if i >= len(b) {
		return
	}
	if b[i] == '}' {
		i++
	} else {
		for {
			// Key.
			if i >= len(b) || b[i] != '"' {
				return
			}
			ks := i + 1
			j := ks
			for j < len(b) && b[j] != '"' {
				c := b[j]
				if c < 0x20 || c >= utf8.RuneSelf || c == '\\' {
					return // control char (invalid), non-ASCII or escaped key: slow path
				}
				j++
			}
			if j >= len(b) {
				return
			}
			key, known := fastKey(b[ks:j])
			if !known {
				return // a wire field under another spelling (data, Text, ...): slow path
			}
			i = skipWS(b, j+1)
			if i >= len(b) || b[i] != ':' {
				return
			}
			i = skipWS(b, i+1)
			if i >= len(b) {
				return
			}
			// Value.
			switch c := b[i]; {
			case c == '"':
				if key < 0 {
					if i = skipString(b, i); i < 0 {
						return
					}
					break
				}
				if share {
					if j := plainRun(b, i+1); j < len(b) && b[j] == '"' {
						// Nothing to unescape (the common case): the value is a view of b.
						spans[key] = fastSpan{int32(i + 1), int32(j), true, true}
						i = j + 1
						break
					}
				}
				if buf == nil {
					buf = make([]byte, 0, len(b))
				}
				start := len(buf)
				if buf, i = appendUnquoted(buf, b, i); i < 0 {
					return
				}
				spans[key] = fastSpan{int32(start), int32(len(buf)), true, false}
			case c == '-' || (c >= '0' && c <= '9'):
				j := scanNumber(b, i)
				if j < 0 {
					return
				}
				if key >= 0 {
					if key != fkID {
						return // number into a string field: type error, slow path
					}
					if _, err := strconv.ParseFloat(bytesToString(b[i:j]), 64); err != nil {
						return // e.g. 1e400: flexString rejects it, slow path
					}
					if share {
						spans[key] = fastSpan{int32(i), int32(j), true, true}
					} else {
						if buf == nil {
							buf = make([]byte, 0, len(b))
						}
						start := len(buf)
						buf = append(buf, b[i:j]...)
						spans[key] = fastSpan{int32(start), int32(len(buf)), true, false}
					}
				}
				i = j
			case c == 'n':
				if !hasLiteral(b, i, "null") {
					return
				}
				if key == fkText {
					spans[key] = fastSpan{} // null into *string resets it
				}
				// null into string / flexString leaves the field as it was.
				i += 4
			case c == 't' || c == 'f':
				lit := "true"
				if c == 'f' {
					lit = "false"
				}
				if !hasLiteral(b, i, lit) || key >= 0 {
					return
				}
				i += len(lit)
			default:
				return // nested object/array or garbage: slow path
			}
			i = skipWS(b, i)
			if i >= len(b) {
				return
			}
			if b[i] == '}' {
				i++
				break
			}
			if b[i] != ',' {
				return
			}
			i = skipWS(b, i+1)
		}
	}
	if skipWS(b, i) != len(b) {
		return // trailing garbage
	}
	if sp := &spans[fkCountry]; sp.set {
		// finishPost upper-cases the country; doing it here for ASCII (same bytes, same
		// length) spares that allocation, as strings.ToUpper returns an upper-case
		// ASCII string as is. A view of b that needs it becomes a copy.
		if sp.inB && needsUpperASCII(b[sp.start:sp.end]) {
			start := len(buf)
			buf = append(buf, b[sp.start:sp.end]...)
			*sp = fastSpan{int32(start), int32(len(buf)), true, false}
		}
		if !sp.inB {
			upperASCII(buf[sp.start:sp.end])
		}
	}
	var s, sb string
	if len(buf) > 0 {
		// buf is never written again: share it as the backing store of every field.
		s = unsafe.String(unsafe.SliceData(buf), len(buf))
	}
	if share && len(b) > 0 {
		sb = unsafe.String(unsafe.SliceData(b), len(b))
	}
	get := func(k int) string {
		sp := spans[k]
		if sp.inB {
			return sb[sp.start:sp.end]
		}
		return s[sp.start:sp.end]
	}
	p = Post{
		ID:      get(fkID),
		Author:  get(fkAuthor),
		Lang:    get(fkLang),
		Country: get(fkCountry),
		Source:  get(fkSource),
	}
	return p, get(fkText), spans[fkText].set, get(fkCreatedAt), true
}

// fastKey classifies a plain-ASCII key. It returns the canonical key index for an exact
// canonical key, -1 for a key encoding/json ignores, and known=false for any other
// spelling of a field of the wire struct (which needs the slow path).
func fastKey(k []byte) (key int, known bool) {
	switch string(k) { // no allocation: the compiler optimizes switch string(bytes)
	case "id":
		return fkID, true
	case "text":
		return fkText, true
	case "author":
		return fkAuthor, true
	case "created_at":
		return fkCreatedAt, true
	case "lang":
		return fkLang, true
	case "country":
		return fkCountry, true
	case "source":
		return fkSource, true
	}
	if len(k) < 2 || len(k) > 10 {
		return -1, true // no wire field has this length
	}
	var lower [10]byte
	for i, c := range k {
		if 'A' <= c && c <= 'Z' {
			c += 'a' - 'A'
		}
		lower[i] = c
	}
	switch string(lower[:len(k)]) {
	case "id", "text", "author", "created_at", "lang", "country", "source",
		"data", "did", "kind", "commit", "content", "language", "account":
		return 0, false
	}
	return -1, true
}

func skipWS(b []byte, i int) int {
	for i < len(b) {
		switch b[i] {
		case ' ', '\t', '\n', '\r':
			i++
		default:
			return i
		}
	}
	return i
}

func hasLiteral(b []byte, i int, lit string) bool {
	return len(b)-i >= len(lit) && string(b[i:i+len(lit)]) == lit
}

// scanNumber returns the end of the JSON number starting at b[i], or -1 if it is not one.
func scanNumber(b []byte, i int) int {
	if i < len(b) && b[i] == '-' {
		i++
	}
	switch {
	case i >= len(b):
		return -1
	case b[i] == '0':
		i++
	case b[i] >= '1' && b[i] <= '9':
		for i < len(b) && b[i] >= '0' && b[i] <= '9' {
			i++
		}
	default:
		return -1
	}
	if i < len(b) && b[i] == '.' {
		i++
		d := i
		for i < len(b) && b[i] >= '0' && b[i] <= '9' {
			i++
		}
		if i == d {
			return -1
		}
	}
	if i < len(b) && (b[i] == 'e' || b[i] == 'E') {
		i++
		if i < len(b) && (b[i] == '+' || b[i] == '-') {
			i++
		}
		d := i
		for i < len(b) && b[i] >= '0' && b[i] <= '9' {
			i++
		}
		if i == d {
			return -1
		}
	}
	return i
}

// skipString validates the JSON string starting at b[i] (a '"') and returns the index
// after its closing quote, or -1 if it is invalid.
func skipString(b []byte, i int) int {
	for i++; i < len(b); {
		c := b[i]
		switch {
		case c == '"':
			return i + 1
		case c < 0x20:
			return -1
		case c == '\\':
			if i+1 >= len(b) {
				return -1
			}
			switch b[i+1] {
			case '"', '\\', '/', 'b', 'f', 'n', 'r', 't':
				i += 2
			case 'u':
				if hex4(b, i+2) < 0 {
					return -1
				}
				i += 6
			default:
				return -1
			}
		default:
			i++
		}
	}
	return -1
}

// appendUnquoted appends the value of the JSON string starting at b[i] (a '"') to dst,
// unescaping exactly like encoding/json, and returns the index after the closing quote
// (-1 if the string is invalid). b must be valid UTF-8.
func appendUnquoted(dst, b []byte, i int) ([]byte, int) {
	i++
	for {
		// Copy the run of plain bytes in one go.
		j := plainRun(b, i)
		dst = append(dst, b[i:j]...)
		i = j
		if i >= len(b) {
			return dst, -1
		}
		switch c := b[i]; {
		case c == '"':
			return dst, i + 1
		case c < 0x20:
			return dst, -1
		}
		// Backslash escape.
		if i+1 >= len(b) {
			return dst, -1
		}
		switch e := b[i+1]; e {
		case '"', '\\', '/':
			dst = append(dst, e)
			i += 2
		case 'b':
			dst = append(dst, '\b')
			i += 2
		case 'f':
			dst = append(dst, '\f')
			i += 2
		case 'n':
			dst = append(dst, '\n')
			i += 2
		case 'r':
			dst = append(dst, '\r')
			i += 2
		case 't':
			dst = append(dst, '\t')
			i += 2
		case 'u':
			r := hex4(b, i+2)
			if r < 0 {
				return dst, -1
			}
			i += 6
			if utf16.IsSurrogate(r) {
				// As encoding/json: a valid pair is consumed whole; otherwise this
				// escape alone becomes U+FFFD and the next one is decoded on its own.
				if i+1 < len(b) && b[i] == '\\' && b[i+1] == 'u' {
					if r1 := hex4(b, i+2); r1 >= 0 {
						if dec := utf16.DecodeRune(r, r1); dec != utf8.RuneError {
							dst = utf8.AppendRune(dst, dec)
							i += 6
							continue
						}
					}
				}
				r = utf8.RuneError
			}
			dst = utf8.AppendRune(dst, r)
		default:
			return dst, -1
		}
	}
}

// plainRun returns the index of the first byte at or after i that ends a run of plain
// string bytes: a quote, a backslash or a control character. It tests eight bytes at a
// time: the text of a post is most of its message.
func plainRun(b []byte, i int) int {
	const ones, highs = 0x0101010101010101, 0x8080808080808080
	for ; i+8 <= len(b); i += 8 {
		w := binary.LittleEndian.Uint64(b[i:])
		q := w ^ ('"' * ones)
		e := w ^ ('\\' * ones)
		// A byte of the mask is set where the byte is zero (or below 0x20 for w); a
		// borrow may mark bytes after a true one, never before it, so the lowest mark
		// is exact.
		m := ((q - ones) &^ q) | ((e - ones) &^ e) | ((w - 0x20*ones) &^ w)
		if m &= highs; m != 0 {
			return i + bits.TrailingZeros64(m)/8
		}
	}
	for i < len(b) && b[i] != '"' && b[i] != '\\' && b[i] >= 0x20 {
		i++
	}
	return i
}

// hex4 decodes the four hex digits at b[i:i+4], or returns -1.
func hex4(b []byte, i int) rune {
	if len(b)-i < 4 {
		return -1
	}
	var r rune
	for _, c := range b[i : i+4] {
		switch {
		case '0' <= c && c <= '9':
			c -= '0'
		case 'a' <= c && c <= 'f':
			c = c - 'a' + 10
		case 'A' <= c && c <= 'F':
			c = c - 'A' + 10
		default:
			return -1
		}
		r = r<<4 | rune(c)
	}
	return r
}

// needsUpperASCII reports whether upperASCII would change b.
func needsUpperASCII(b []byte) bool {
	for _, c := range b {
		if c >= utf8.RuneSelf {
			return false
		}
	}
	for _, c := range b {
		if 'a' <= c && c <= 'z' {
			return true
		}
	}
	return false
}

// upperASCII upper-cases b in place if it is all ASCII, and leaves it alone otherwise.
func upperASCII(b []byte) {
	for _, c := range b {
		if c >= utf8.RuneSelf {
			return
		}
	}
	for i, c := range b {
		if 'a' <= c && c <= 'z' {
			b[i] = c - ('a' - 'A')
		}
	}
}

// bytesToString views b as a string without copying; the result must not outlive b's
// current contents.
func bytesToString(b []byte) string {
	return unsafe.String(unsafe.SliceData(b), len(b))
}
