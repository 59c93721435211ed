package mastodon

import (
	"bytes"
	"encoding/json"
	"fmt"
	"net/url"
	"strconv"
	"strings"
	"time"
	"unicode"
	"unicode/utf8"

	"github.com/outcry-dev/outcry/ingest"
	"github.com/outcry-dev/outcry/post"
)

// maxFieldBytes is what the pipeline accepts in a post's id, author and language
// (post.Decode): a longer one is dead-lettered here, with the frame that had it.
const maxFieldBytes = 256

// status is the part of Mastodon's Status entity a post needs.
type status struct {
	ID          flexID  `json:"id"`
	URI         string  `json:"uri"`
	CreatedAt   string  `json:"created_at"`
	Language    *string `json:"language"`
	Content     string  `json:"content"`
	SpoilerText string  `json:"spoiler_text"`
	Reblog      *struct {
		URI string `json:"uri"`
	} `json:"reblog"`
	Account *struct {
		Acct string `json:"acct"`
		URL  string `json:"url"`
	} `json:"account"`
	Tags []tag `json:"tags"`
}

type tag struct {
	Name string `json:"name"`
}

// flexID is a status id: Mastodon sends a string, some compatible servers a number.
type flexID string

func (f *flexID) UnmarshalJSON(b []byte) error {
	if len(b) > 0 && b[0] == '"' {
		var s string
		err := json.Unmarshal(b, &s)
		*f = flexID(s)
		return err
	}
	if string(b) == "null" {
		return nil
	}
	if _, err := strconv.ParseUint(string(b), 10, 64); err != nil {
		return fmt.Errorf("id %.40s is neither a string nor a number", b)
	}
	*f = flexID(b)
	return nil
}

// Parse reads one event of a Mastodon stream: its type (the SSE "event" field) and
// its data. An update is a post (Kind post), or Kind other for a reblog or a status
// without words; delete and status.update are counted only. It keeps no reference to
// data.
func Parse(event string, data []byte) ingest.Event {
	ev, _ := parse(event, data)
	return ev
}

// parse is Parse, and the status's id when it has one (the backfill pages with it).
func parse(event string, data []byte) (ingest.Event, string) {
	switch event {
	case "update":
	case "delete":
		return ingest.Event{Kind: ingest.KindDelete}, ""
	case "status.update":
		return ingest.Event{Kind: ingest.KindUpdate}, ""
	default: // notifications, announcements, filters: not of a public stream
		return ingest.Event{Kind: ingest.KindOther}, ""
	}
	switch c := firstNonSpace(data); {
	case c == 0:
		return bad(data, post.ReasonEmpty, "an update without data"), ""
	case c != '{':
		if json.Valid(data) {
			return bad(data, post.ReasonNotObject, "an update whose data is not a JSON object"), ""
		}
		return bad(data, post.ReasonInvalidJSON, "an update whose data does not start with '{'"), ""
	case !utf8.Valid(data):
		return bad(data, post.ReasonInvalidUTF8, "an update that is not valid UTF-8"), ""
	}
	var s status
	if err := json.Unmarshal(data, &s); err != nil {
		return bad(data, post.ReasonInvalidJSON, err.Error()), ""
	}
	id := string(s.ID)
	if s.CreatedAt == "" {
		return bad(data, post.ReasonMissingTime, "a status without created_at"), id
	}
	created, err := time.Parse(time.RFC3339Nano, s.CreatedAt)
	if err != nil {
		return bad(data, post.ReasonBadTime, fmt.Sprintf("created_at %.60q is not RFC 3339", s.CreatedAt)), id
	}
	// The id says when this server stored the status: a remote server's clock ahead
	// of it does not date a status in the future, nor move the cursor past statuses
	// the backfill would then miss.
	if seen, ok := idTime(id); ok && created.After(seen.Add(time.Second)) {
		created = seen
	}
	created = created.UTC()
	ev := ingest.Event{Kind: ingest.KindOther, Cursor: created.UnixMicro(), At: created}
	if s.Reblog != nil {
		return ev, id // a boost repeats a post, it is not a new one
	}
	if s.URI == "" {
		return bad(data, post.ReasonMissingID, "a status without uri"), id
	}
	text := Text(s.Content)
	if cw := strings.Join(strings.Fields(s.SpoilerText), " "); cw != "" {
		text = strings.TrimSpace(cw + "\n\n" + text)
	}
	if text == "" {
		return ev, id // media only: nothing to read
	}
	p := &post.Post{
		ID:        "mastodon:" + s.URI,
		Text:      withTags(text, s.Tags),
		Author:    author(&s),
		CreatedAt: created,
		Source:    "mastodon",
	}
	if s.Language != nil {
		p.Lang = *s.Language
	}
	if len(p.ID) > maxFieldBytes || len(p.Author) > maxFieldBytes || len(p.Lang) > maxFieldBytes {
		return bad(data, post.ReasonFieldTooLarge, fmt.Sprintf("uri, acct or language longer than %d bytes", maxFieldBytes)), id
	}
	ev.Kind, ev.Key, ev.Post = ingest.KindPost, s.URI, p
	return ev, id
}

func bad(data []byte, reason, detail string) ingest.Event {
	return ingest.Event{Kind: ingest.KindBad, Bad: bytes.Clone(data), Reason: reason, Detail: detail}
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

// author is the account's acct, with its server when the account is the server's own
// ("alice" on mastodon.social is alice@mastodon.social, another server's alice is not
// her). The server is the host of the account's URL (or of the status's uri).
func author(s *status) string {
	if s.Account == nil || s.Account.Acct == "" {
		return ""
	}
	acct := s.Account.Acct
	if strings.Contains(acct, "@") {
		return acct
	}
	for _, raw := range []string{s.Account.URL, s.URI} {
		if u, err := url.Parse(raw); err == nil && u.Hostname() != "" {
			return acct + "@" + strings.ToLower(u.Hostname())
		}
	}
	return acct
}

// withTags is text with the status's hashtags that it does not show appended
// ("#whatsappdown" matters to the matcher; a server may list tags it does not render).
func withTags(text string, tags []tag) string {
	lower := strings.ToLower(text)
	seen := map[string]bool{}
	for _, t := range tags {
		name := strings.TrimPrefix(strings.TrimSpace(t.Name), "#")
		key := strings.ToLower(name)
		if name == "" || strings.ContainsFunc(name, unicode.IsSpace) || seen[key] || len(text) > 10_000 {
			continue
		}
		seen[key] = true
		if !shows(lower, "#"+key) {
			text += " #" + name
			lower += " #" + key
		}
	}
	return text
}

// shows reports whether text has tag as a whole hashtag (#cat is not in #caturday).
func shows(text, tag string) bool {
	for i := 0; ; {
		j := strings.Index(text[i:], tag)
		if j < 0 {
			return false
		}
		end := i + j + len(tag)
		r, _ := utf8.DecodeRuneInString(text[end:])
		if end == len(text) || !(unicode.IsLetter(r) || unicode.IsDigit(r) || r == '_' || unicode.Is(unicode.Mn, r)) {
			return true
		}
		i = end
	}
}

// Text is the plain text of a status's HTML content (post.HTMLText).
func Text(content string) string { return post.HTMLText(content) }
