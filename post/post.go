// Package post is the canonical post and the decoder of every source shape Outcry reads
// (its own canonical JSON, X API v2 tweets, Bluesky Jetstream commits, Mastodon statuses).
//
// It is the first stage after the source in the data flow (docs/architecture.md): the
// pipeline decodes each Kafka message here; what cannot be decoded leaves with a
// DecodeError whose Reason is the dead-letter header. Pure: no Kafka, Redis or HTTP.
package post

import (
	"bytes"
	"encoding/json"
	"errors"
	"fmt"
	"html"
	"strconv"
	"strings"
	"time"
	"unicode"
	"unicode/utf8"
)

// Post is the canonical post every source shape is decoded into (docs/architecture.md, "Post").
type Post struct {
	ID        string    `json:"id"`
	Text      string    `json:"text"`
	Author    string    `json:"author,omitempty"`
	CreatedAt time.Time `json:"created_at"`
	Lang      string    `json:"lang,omitempty"`
	Country   string    `json:"country,omitempty"`
	Source    string    `json:"source,omitempty"`
}

// Shape names the input format a message was recognised as.
type Shape string

const (
	ShapeCanonical Shape = "canonical"
	ShapeXv2       Shape = "x_api_v2"
	ShapeJetstream Shape = "bluesky_jetstream"
	ShapeMastodon  Shape = "mastodon"
)

// DecodeError says why a message is not a post. Reason is a short stable code used
// as the dead-letter header and the metric label; Detail is for humans.
type DecodeError struct {
	Reason string
	Detail string
}

func (e *DecodeError) Error() string {
	if e.Detail == "" {
		return e.Reason
	}
	return e.Reason + ": " + e.Detail
}

// Reasons a message is dead-lettered. They are part of the dead-letter contract.
const (
	ReasonEmpty         = "empty"
	ReasonOversized     = "oversized"
	ReasonInvalidUTF8   = "invalid_utf8"
	ReasonInvalidJSON   = "invalid_json"
	ReasonNotObject     = "not_an_object"
	ReasonMissingID     = "missing_id"
	ReasonMissingText   = "missing_text"
	ReasonMissingTime   = "missing_created_at"
	ReasonBadTime       = "invalid_created_at"
	ReasonNotAPost      = "not_a_post"
	ReasonFuture        = "future_created_at"
	ReasonTooLate       = "too_late"
	ReasonTooOld        = "too_old"
	ReasonFieldTooLarge = "field_too_large"
)

// DefaultMaxPostBytes is the largest message the decoder accepts.
const DefaultMaxPostBytes = 64 << 10

// maxFieldBytes bounds the short fields (id, author, lang, country, source) so that a
// hostile message cannot blow up Redis keys or per-batch maps.
const maxFieldBytes = 256

func decodeErr(reason, format string, args ...any) error {
	return &DecodeError{Reason: reason, Detail: fmt.Sprintf(format, args...)}
}

// flexString accepts a JSON string or number (some sources send numeric ids).
type flexString string

func (f *flexString) UnmarshalJSON(b []byte) error {
	if len(b) > 0 && b[0] == '"' {
		var s string
		if err := json.Unmarshal(b, &s); err != nil {
			return err
		}
		*f = flexString(s)
		return nil
	}
	if bytes.Equal(b, []byte("null")) {
		return nil
	}
	if _, err := strconv.ParseFloat(string(b), 64); err != nil {
		return fmt.Errorf("id is neither string nor number: %s", b)
	}
	*f = flexString(b)
	return nil
}

// wire is the union of the shapes the decoder accepts; which fields are set tells the shape.
type wire struct {
	ID        flexString `json:"id"`
	Text      *string    `json:"text"`
	Author    string     `json:"author"`
	CreatedAt string     `json:"created_at"`
	Lang      string     `json:"lang"`
	Country   string     `json:"country"`
	Source    string     `json:"source"`

	// X API v2: {"data":{...},"includes":...,"matching_rules":[...]}
	Data *struct {
		ID        flexString `json:"id"`
		Text      *string    `json:"text"`
		AuthorID  string     `json:"author_id"`
		CreatedAt string     `json:"created_at"`
		Lang      string     `json:"lang"`
	} `json:"data"`

	// Bluesky Jetstream commit event.
	Did    string `json:"did"`
	Kind   string `json:"kind"`
	Commit *struct {
		Operation  string `json:"operation"`
		Collection string `json:"collection"`
		Rkey       string `json:"rkey"`
		Record     *struct {
			Text      *string  `json:"text"`
			CreatedAt string   `json:"createdAt"`
			Langs     []string `json:"langs"`
		} `json:"record"`
	} `json:"commit"`

	// Mastodon status.
	Content  *string `json:"content"`
	Language string  `json:"language"`
	Account  *struct {
		Acct string `json:"acct"`
	} `json:"account"`
}

// Decode turns one message into a Post, recognising the canonical post, X API v2 tweet
// objects, Bluesky Jetstream commit events and Mastodon statuses. Errors are *DecodeError.
// The post shares no memory with b.
func Decode(b []byte, maxBytes int) (Post, Shape, error) {
	return decode(b, maxBytes, true, false)
}

// DecodeShared is Decode for a message that never changes afterwards (a Kafka message's
// value: the client allocates one per message): the post's strings may be views of b,
// which spares copying and allocating for most posts.
func DecodeShared(b []byte, maxBytes int) (Post, Shape, error) {
	return decode(b, maxBytes, true, true)
}

// decode is Decode; fast selects the scanner of fastdecode.go for flat canonical objects
// (tests compare it with the encoding/json path alone, fast=false), share lets it return
// views of b.
func decode(b []byte, maxBytes int, fast, share bool) (Post, Shape, error) {
	if maxBytes <= 0 {
		maxBytes = DefaultMaxPostBytes
	}
	switch {
	case len(bytes.TrimSpace(b)) == 0:
		return Post{}, "", decodeErr(ReasonEmpty, "empty message")
	case len(b) > maxBytes:
		return Post{}, "", decodeErr(ReasonOversized, "%d bytes, limit %d", len(b), maxBytes)
	case !utf8.Valid(b):
		return Post{}, "", decodeErr(ReasonInvalidUTF8, "message is not valid UTF-8")
	}
	if c := firstNonSpace(b); c != '{' {
		if c == '[' || c == '"' || c == 't' || c == 'f' || c == 'n' || (c >= '0' && c <= '9') || c == '-' {
			if json.Valid(b) {
				return Post{}, "", decodeErr(ReasonNotObject, "JSON value is not an object")
			}
		}
		return Post{}, "", decodeErr(ReasonInvalidJSON, "does not start with '{'")
	}
	if fast {
		if p, text, hasText, ts, ok := decodeFast(b, share); ok {
			var tp *string
			if hasText {
				tp = &text
			}
			return finishPost(p, ShapeCanonical, tp, ts)
		}
	}
	var w wire
	if err := json.Unmarshal(b, &w); err != nil {
		return Post{}, "", decodeErr(ReasonInvalidJSON, "%v", err)
	}
	var (
		p     Post
		shape Shape
		text  *string
		ts    string
	)
	switch {
	case w.Data != nil:
		shape = ShapeXv2
		p = Post{ID: string(w.Data.ID), Author: w.Data.AuthorID, Lang: w.Data.Lang, Source: "x"}
		text, ts = w.Data.Text, w.Data.CreatedAt
	case w.Commit != nil || w.Kind != "":
		shape = ShapeJetstream
		c := w.Commit
		if w.Kind != "commit" || c == nil || c.Operation != "create" || c.Collection != "app.bsky.feed.post" || c.Record == nil {
			return Post{}, shape, decodeErr(ReasonNotAPost, "jetstream event is not a post creation")
		}
		p = Post{Author: w.Did, Source: "bluesky"}
		if w.Did != "" && c.Rkey != "" {
			p.ID = "at://" + w.Did + "/app.bsky.feed.post/" + c.Rkey
		}
		if len(c.Record.Langs) > 0 {
			p.Lang = c.Record.Langs[0]
		}
		text, ts = c.Record.Text, c.Record.CreatedAt
	case w.Content != nil && w.Text == nil:
		shape = ShapeMastodon
		p = Post{ID: string(w.ID), Lang: w.Language, Source: "mastodon"}
		if w.Account != nil {
			p.Author = w.Account.Acct
		}
		s := HTMLText(*w.Content)
		text, ts = &s, w.CreatedAt
	default:
		shape = ShapeCanonical
		p = Post{ID: string(w.ID), Author: w.Author, Lang: w.Lang, Country: w.Country, Source: w.Source}
		text, ts = w.Text, w.CreatedAt
	}
	return finishPost(p, shape, text, ts)
}

// finishPost validates the fields of a decoded post of any shape and completes it.
func finishPost(p Post, shape Shape, text *string, ts string) (Post, Shape, error) {
	if p.ID == "" {
		return Post{}, shape, decodeErr(ReasonMissingID, "no id")
	}
	if text == nil || blank(*text) {
		return Post{}, shape, decodeErr(ReasonMissingText, "no text")
	}
	if ts == "" {
		return Post{}, shape, decodeErr(ReasonMissingTime, "no created_at")
	}
	t, err := parseTime(ts)
	if err != nil {
		return Post{}, shape, decodeErr(ReasonBadTime, "%q is not RFC 3339", ts)
	}
	for _, f := range []string{p.ID, p.Author, p.Lang, p.Country, p.Source} {
		if len(f) > maxFieldBytes {
			return Post{}, shape, decodeErr(ReasonFieldTooLarge, "a field is longer than %d bytes", maxFieldBytes)
		}
	}
	p.Text = *text
	p.CreatedAt = t.UTC()
	p.Country = strings.ToUpper(p.Country)
	return p, shape, nil
}

// blank reports whether strings.TrimSpace(s) == "", deciding at the first rune for
// most texts (TrimSpace takes its slow path, from both ends, on non-ASCII text).
func blank(s string) bool {
	for i := 0; i < len(s); {
		if c := s[i]; c < utf8.RuneSelf {
			if c != ' ' && (c < '\t' || c > '\r') {
				return false
			}
			i++
			continue
		}
		r, n := utf8.DecodeRuneInString(s[i:])
		if !unicode.IsSpace(r) {
			return false
		}
		i += n
	}
	return true
}

// parseTime is time.Parse(time.RFC3339Nano, ts), with a fast path for the form most
// sources send, whole seconds in UTC ("2022-10-25T07:21:03Z").
func parseTime(ts string) (time.Time, error) {
	if len(ts) != 20 || ts[4] != '-' || ts[7] != '-' || ts[10] != 'T' || ts[13] != ':' || ts[16] != ':' || ts[19] != 'Z' {
		return time.Parse(time.RFC3339Nano, ts)
	}
	num := func(i, n int) int {
		v := 0
		for _, c := range []byte(ts[i : i+n]) {
			if c < '0' || c > '9' {
				return -1
			}
			v = v*10 + int(c-'0')
		}
		return v
	}
	y, mo, d, h, mi, sec := num(0, 4), num(5, 2), num(8, 2), num(11, 2), num(14, 2), num(17, 2)
	if y < 0 || mo < 1 || mo > 12 || d < 1 || d > 28 && d > daysIn(time.Month(mo), y) || h < 0 || h > 23 || mi < 0 || mi > 59 || sec < 0 || sec > 59 {
		return time.Parse(time.RFC3339Nano, ts) // time.Parse says what is wrong
	}
	return time.Date(y, time.Month(mo), d, h, mi, sec, 0, time.UTC), nil
}

// daysIn is the number of days of month m of year y.
func daysIn(m time.Month, y int) int {
	return time.Date(y, m+1, 0, 0, 0, 0, 0, time.UTC).Day()
}

func firstNonSpace(b []byte) byte {
	for _, c := range b {
		switch c {
		case ' ', '\t', '\r', '\n':
			continue
		}
		return c
	}
	return 0
}

// HTMLText is the plain text of HTML content (a Mastodon status's): tags removed (a link's text,
// mentions and hashtags stay as shown: "https://example.org/path", "@alice",
// "#whatsappdown"), entities decoded, paragraphs and line breaks kept as blank lines
// and new lines, other white space collapsed.
func HTMLText(content string) string {
	var w textWriter
	for len(content) > 0 {
		i := strings.IndexByte(content, '<')
		if i < 0 {
			w.text(html.UnescapeString(content))
			break
		}
		w.text(html.UnescapeString(content[:i]))
		content = content[i:]
		if len(content) < 2 || !isTagStart(content[1]) {
			w.text("<") // a lone '<' is text
			content = content[1:]
			continue
		}
		end := strings.IndexByte(content, '>')
		if end < 0 {
			break // an unclosed tag: the rest is inside it
		}
		w.tag(content[1:end])
		content = content[end+1:]
	}
	return w.b.String()
}

func isTagStart(c byte) bool {
	return c == '/' || c == '!' || c == '?' || c >= 'a' && c <= 'z' || c >= 'A' && c <= 'Z'
}

// textWriter writes text with HTML's white space rules: runs of spaces are one, and
// breaks (new lines) are written only between words.
type textWriter struct {
	b      strings.Builder
	space  bool
	breaks int // pending new lines, at most 2 (a paragraph)
}

func (w *textWriter) text(s string) {
	for _, r := range s {
		if unicode.IsSpace(r) {
			w.space = true
			continue
		}
		if w.b.Len() > 0 {
			if w.breaks > 0 {
				w.b.WriteString("\n\n"[:w.breaks])
			} else if w.space {
				w.b.WriteByte(' ')
			}
		}
		w.space, w.breaks = false, 0
		w.b.WriteRune(r)
	}
}

// tag applies the break a tag makes (s is what is between < and >).
func (w *textWriter) tag(s string) {
	s = strings.TrimPrefix(s, "/")
	n := 0
	for n < len(s) && (s[n] >= 'a' && s[n] <= 'z' || s[n] >= 'A' && s[n] <= 'Z' || s[n] >= '0' && s[n] <= '9') {
		n++
	}
	switch strings.ToLower(s[:n]) {
	case "br":
		w.breaks = min(w.breaks+1, 2)
	case "p", "blockquote", "pre", "ul", "ol", "h1", "h2", "h3", "h4", "h5", "h6":
		w.breaks = 2
	case "li", "div", "tr", "hr":
		w.breaks = max(w.breaks, 1)
	}
}

// ErrReason returns the dead-letter reason of err, or "error" when err is not a DecodeError.
func ErrReason(err error) string {
	var de *DecodeError
	if errors.As(err, &de) {
		return de.Reason
	}
	return "error"
}
