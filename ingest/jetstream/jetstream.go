// Package jetstream is the Bluesky connector of `outcry ingest`: it reads Bluesky's
// Jetstream (the firehose as JSON over a WebSocket, v1 wire format) and turns each
// post creation into a canonical post. Deletes, edits, identity and account events
// (which arrive whatever the filter) are counted and skipped; a frame that cannot be
// read is handed back for the dead-letter topic. The cursor is Jetstream's time_us.
package jetstream

import (
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"net/http"
	"net/url"
	"strconv"
	"strings"
	"time"

	"github.com/coder/websocket"

	"github.com/outcry-dev/outcry/ingest"
	"github.com/outcry-dev/outcry/post"
)

// Endpoints are the public Jetstream instances, in the order they are tried.
var Endpoints = []string{
	"wss://jetstream1.us-east.bsky.network/subscribe",
	"wss://jetstream2.us-east.bsky.network/subscribe",
	"wss://jetstream1.us-west.bsky.network/subscribe",
	"wss://jetstream2.us-west.bsky.network/subscribe",
}

const (
	postCollection = "app.bsky.feed.post"
	// DefaultMaxFrameBytes: a larger frame is dead-lettered unread ("oversized"). A
	// post's record is a few kilobytes at most.
	DefaultMaxFrameBytes = 256 << 10
	// readLimit is what the WebSocket accepts at all (Jetstream is asked for no
	// larger message); a larger frame ends the connection.
	readLimit = 4 << 20
)

// Source reads Jetstream. The zero value is ready to use.
type Source struct {
	// MaxFrameBytes: larger frames are dead-lettered; default DefaultMaxFrameBytes.
	MaxFrameBytes int
	// Idle: a stream silent this long is closed (and reconnected); default 30 s.
	// Jetstream sends several hundred events a second.
	Idle time.Duration
	// HTTPClient dials the WebSocket; default http.DefaultClient.
	HTTPClient *http.Client
	// UserAgent is sent when connecting.
	UserAgent string
}

// Name implements ingest.Source.
func (s *Source) Name() string { return "bluesky" }

// URL is endpoint with the query Outcry subscribes with: posts only, from cursor
// (unix µs) when it is not 0, no compression.
func URL(endpoint string, cursor int64) (string, error) {
	u, err := url.Parse(endpoint)
	if err != nil {
		return "", fmt.Errorf("endpoint %q: %w", endpoint, err)
	}
	switch u.Scheme {
	case "ws", "wss", "http", "https":
	default:
		return "", fmt.Errorf("endpoint %q: want a ws:// or wss:// URL", endpoint)
	}
	q := u.Query()
	q.Set("wantedCollections", postCollection)
	q.Set("maxMessageSizeBytes", strconv.Itoa(readLimit))
	if cursor > 0 {
		q.Set("cursor", strconv.FormatInt(cursor, 10))
	} else {
		q.Del("cursor")
	}
	u.RawQuery = q.Encode()
	return u.String(), nil
}

// Open implements ingest.Source.
func (s *Source) Open(ctx context.Context, endpoint string, cursor int64) (ingest.Stream, error) {
	u, err := URL(endpoint, cursor)
	if err != nil {
		return nil, err
	}
	dctx, cancel := context.WithTimeout(ctx, 15*time.Second)
	defer cancel()
	h := http.Header{}
	if s.UserAgent != "" {
		h.Set("User-Agent", s.UserAgent)
	}
	c, resp, err := websocket.Dial(dctx, u, &websocket.DialOptions{HTTPClient: s.HTTPClient, HTTPHeader: h})
	if err != nil {
		if resp != nil {
			return nil, fmt.Errorf("connect: HTTP %s: %w", resp.Status, err)
		}
		return nil, fmt.Errorf("connect: %w", err)
	}
	c.SetReadLimit(readLimit)
	st := &stream{c: c, max: s.MaxFrameBytes, idle: s.Idle}
	if st.max <= 0 {
		st.max = DefaultMaxFrameBytes
	}
	if st.idle <= 0 {
		st.idle = 30 * time.Second
	}
	return st, nil
}

type stream struct {
	c    *websocket.Conn
	max  int
	idle time.Duration
}

func (st *stream) Close() error {
	return st.c.Close(websocket.StatusNormalClosure, "")
}

// Next implements ingest.Stream.
func (st *stream) Next(ctx context.Context) (ingest.Event, error) {
	rctx, cancel := context.WithTimeout(ctx, st.idle)
	defer cancel()
	typ, b, err := st.c.Read(rctx)
	if err != nil {
		if errors.Is(rctx.Err(), context.DeadlineExceeded) && ctx.Err() == nil {
			return ingest.Event{}, fmt.Errorf("no event for %s", st.idle)
		}
		return ingest.Event{}, fmt.Errorf("read: %w", err)
	}
	if typ != websocket.MessageText {
		return bad(b, "unsupported_frame", "a binary frame (compressed streams are not supported)"), nil
	}
	if len(b) > st.max {
		return bad(b, post.ReasonOversized, fmt.Sprintf("%d bytes, limit %d", len(b), st.max)), nil
	}
	return Parse(b), nil
}

func bad(b []byte, reason, detail string) ingest.Event {
	return ingest.Event{Kind: ingest.KindBad, Bad: b, Reason: reason, Detail: detail}
}

// event is Jetstream's v1 event.
type event struct {
	Did    string `json:"did"`
	TimeUS int64  `json:"time_us"`
	Kind   string `json:"kind"`
	Commit *struct {
		Operation  string  `json:"operation"`
		Collection string  `json:"collection"`
		Rkey       string  `json:"rkey"`
		Record     *record `json:"record"`
	} `json:"commit"`
}

type record struct {
	Text      string   `json:"text"`
	CreatedAt string   `json:"createdAt"`
	Langs     []string `json:"langs"`
	Tags      []string `json:"tags"`
	Facets    []struct {
		Features []struct {
			Type string `json:"$type"`
			Tag  string `json:"tag"`
		} `json:"features"`
	} `json:"facets"`
}

// Parse reads one Jetstream frame.
func Parse(b []byte) ingest.Event {
	var e event
	if err := json.Unmarshal(b, &e); err != nil {
		return bad(b, post.ReasonInvalidJSON, err.Error())
	}
	ev := ingest.Event{Cursor: e.TimeUS, Kind: ingest.KindOther}
	if e.TimeUS > 0 {
		ev.At = time.UnixMicro(e.TimeUS)
	}
	switch e.Kind {
	case "identity":
		ev.Kind = ingest.KindIdentity
		return ev
	case "account":
		ev.Kind = ingest.KindAccount
		return ev
	case "commit":
	default:
		return ev
	}
	c := e.Commit
	if c == nil || c.Collection != postCollection {
		return ev
	}
	switch c.Operation {
	case "delete":
		ev.Kind = ingest.KindDelete
		return ev
	case "update":
		ev.Kind = ingest.KindUpdate
		return ev
	case "create":
	default:
		return ev
	}
	ev.Kind = ingest.KindPost
	if e.Did == "" || c.Rkey == "" || c.Record == nil || e.TimeUS <= 0 {
		return bad(b, post.ReasonNotAPost, "a post creation without did, rkey, record or time_us")
	}
	text := withTags(c.Record)
	if strings.TrimSpace(text) == "" {
		ev.Kind = ingest.KindOther // an image or a quote without words: nothing to read
		return ev
	}
	ev.Key = e.Did + "/" + c.Collection + "/" + c.Rkey
	p := &post.Post{
		ID:        "bluesky:at://" + e.Did + "/" + postCollection + "/" + c.Rkey,
		Text:      text,
		Author:    e.Did,
		CreatedAt: createdAt(c.Record.CreatedAt, ev.At),
		Source:    "bluesky",
	}
	if len(c.Record.Langs) > 0 {
		p.Lang = c.Record.Langs[0]
	}
	ev.Post = p
	return ev
}

// withTags is the post's text, with the hashtags of its facets and its hidden tags
// that the text does not show appended ("#whatsappdown" matters to the matcher).
func withTags(r *record) string {
	text, lower := r.Text, strings.ToLower(r.Text)
	seen := map[string]bool{}
	add := func(tag string) {
		tag = strings.TrimPrefix(strings.TrimSpace(tag), "#")
		low := strings.ToLower(tag)
		if tag == "" || seen[low] || len(text) > 10_000 {
			return
		}
		seen[low] = true
		if !strings.Contains(lower, "#"+low) {
			text += " #" + tag
			lower += " #" + low
		}
	}
	for _, f := range r.Facets {
		for _, ft := range f.Features {
			if ft.Type == "app.bsky.richtext.facet#tag" {
				add(ft.Tag)
			}
		}
	}
	for _, t := range r.Tags {
		add(t)
	}
	return text
}

// createdAt is the record's createdAt, which the client sets: the time the network
// saw the post (time_us) when it is missing, unreadable, in the future of it, or more
// than a day before it (an imported archive is not news).
func createdAt(s string, seen time.Time) time.Time {
	t, err := time.Parse(time.RFC3339Nano, s)
	if err != nil || t.After(seen.Add(time.Minute)) || t.Before(seen.Add(-24*time.Hour)) {
		return seen.UTC()
	}
	return t.UTC()
}
