// Package xstream is the X (Twitter) connector of `outcry ingest`: it reads X API
// v2's filtered stream and turns each post it delivers into a canonical post, before
// the posts topic in the data flow (docs/architecture.md). Like every connector it
// knows nothing of what reads the posts topic: the services to follow come in as
// stream rules (DeriveRules builds them from the names and aliases the caller gives).
//
// Before its first connection a Source makes the app's stream rules what Outcry wants
// (GET and POST /2/tweets/search/stream/rules): it deletes the rules tagged "outcry:"
// that are no longer wanted, adds the missing ones, and never touches a rule of
// another tool. It then reads GET /2/tweets/search/stream, newline-delimited JSON
// objects with a blank keep-alive line every 20 seconds, and hands each post on as an
// ingest.Event; a line that cannot be read is handed back for the dead-letter topic,
// and an operational-disconnect message from X ends the stream (ingest.Run
// reconnects).
//
// What an operator should know:
//   - X bills reads per post: every post the stream delivers counts against the
//     app's monthly cap of post reads, or is paid for, depending on the access
//     level, whether Outcry finds an outage in it or not. The rules decide that
//     volume: a rule with a short or common alias ("x", "wa", "ps", "prime")
//     matches a very large share of all posts.
//   - X allows one filtered-stream connection per app. A second process with the same
//     bearer token (another Outcry ingest, or another tool) is refused with 429
//     TooManyConnections, or takes the connection away. A connection dropped on X's
//     side may also count for a short while; the back-off covers it. The app's
//     rules serve that one stream: a post only another tool's rules matched is
//     counted (Kind other) and not produced.
//   - The stream is live only: a reconnect misses what was posted meanwhile, unless
//     Backfill is set (on the access levels that have it), which asks X to resend
//     up to five minutes (ingest.Run drops the duplicates). The cursor, the time of
//     the last post read, serves only that.
//   - The bearer token is sent in the Authorization header only: it is in no URL, no
//     error and no log line.
package xstream

import (
	"bufio"
	"bytes"
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"net/http"
	"net/url"
	"strconv"
	"strings"
	"sync"
	"sync/atomic"
	"time"

	"go.uber.org/zap"

	"github.com/outcry-dev/outcry/ingest"
	"github.com/outcry-dev/outcry/post"
)

// DefaultEndpoint is the API base of X.
const DefaultEndpoint = "https://api.x.com"

// Endpoints are the API bases tried in order: X has one.
var Endpoints = []string{DefaultEndpoint}

const (
	// DefaultKeepAlive is how often X sends a keep-alive (a blank line).
	DefaultKeepAlive = 20 * time.Second
	// DefaultMaxLineBytes: a longer line is dead-lettered ("oversized"), its first
	// badBytes only. A post with its includes is a few kilobytes; a long post
	// (note_tweet, 25,000 characters) some hundred.
	DefaultMaxLineBytes = 1 << 20
	// badBytes is the most of an oversized line the dead-letter topic gets.
	badBytes = 64 << 10

	streamPath = "/2/tweets/search/stream"
	rulesPath  = "/2/tweets/search/stream/rules"

	// connectTimeout bounds the wait for the response headers (the body is the
	// stream, which lasts); requestTimeout bounds each rules request.
	connectTimeout = 30 * time.Second
	requestTimeout = 30 * time.Second
)

// Source reads X's filtered stream. Only Token is required.
type Source struct {
	// Token is the app's bearer token (OAuth 2.0 app-only), sent as
	// "Authorization: Bearer". It is never logged, and never in an error or a URL.
	Token string
	// HTTPClient makes the requests; default http.DefaultClient. It must have no
	// Timeout: the stream is one response read for hours.
	HTTPClient *http.Client
	// UserAgent is sent with every request when not empty.
	UserAgent string
	// Rules are the stream rules to ensure before the first connection (see
	// DeriveRules). Empty: the app's rules are left as they are (managed by hand),
	// and every post the stream delivers is read.
	Rules []Rule
	// KeepAlive is how often X sends a keep-alive line: default 20 s, as X does. A
	// stream silent for KeepAlive and a half (30 s) is closed and reconnected. Not
	// KeepAlive itself: a keep-alive a little late (X's timer and the network's
	// delays) would then cost a reconnect, and reconnecting has a price here (one
	// connection per app, a rate limit on connecting, the posts missed meanwhile).
	// X's own guidance is to reconnect after "more than 20 seconds" of silence.
	KeepAlive time.Duration
	// Backfill asks X, on a reconnect, to resend what was posted since the cursor
	// (backfill_minutes, at most 5; ingest.Run drops what it had read already). X
	// offers it on some access levels only (Pro and Enterprise, as of writing):
	// leave it off on others, where X may refuse the connection.
	Backfill bool
	// MaxLineBytes: a longer line is dead-lettered; default DefaultMaxLineBytes.
	MaxLineBytes int
	// FastBackoff, when set, replaces X's reconnect delays (seconds to minutes) with
	// this one (tests).
	FastBackoff time.Duration
	// Log, when set, says what the rules sync did and the messages X sends in the
	// stream (errors objects); default none.
	Log *zap.Logger

	mu     sync.Mutex
	synced bool            // the rules were made what Rules says
	ours   map[string]bool // ids of the app's rules that serve Outcry's (after a sync)
}

// Name implements ingest.Source.
func (s *Source) Name() string { return "x" }

func (s *Source) client() *http.Client {
	if s.HTTPClient != nil {
		return s.HTTPClient
	}
	return http.DefaultClient
}

func (s *Source) log() *zap.Logger {
	if s.Log != nil {
		return s.Log
	}
	return zap.NewNop()
}

// header sets what every request to X carries.
func (s *Source) header(req *http.Request) {
	req.Header.Set("Authorization", "Bearer "+s.Token)
	if s.UserAgent != "" {
		req.Header.Set("User-Agent", s.UserAgent)
	}
}

// baseURL is endpoint checked, without a trailing slash; "" is DefaultEndpoint.
func baseURL(endpoint string) (string, error) {
	if endpoint == "" {
		endpoint = DefaultEndpoint
	}
	u, err := url.Parse(endpoint)
	if err != nil {
		return "", fmt.Errorf("endpoint %q: %w", endpoint, err)
	}
	if (u.Scheme != "https" && u.Scheme != "http") || u.Host == "" || u.RawQuery != "" || u.User != nil {
		return "", fmt.Errorf("endpoint %q: want the API's base URL, like %s", endpoint, DefaultEndpoint)
	}
	return strings.TrimSuffix(u.String(), "/"), nil
}

// streamURL is the stream's URL at base, with the fields Outcry reads: the post's
// time, language, author, place and entities, the full text of a long post
// (note_tweet), and the place's country; backfillMinutes > 0 asks for a backfill.
func streamURL(base string, backfillMinutes int) string {
	q := url.Values{}
	q.Set("tweet.fields", "created_at,lang,author_id,geo,entities,note_tweet")
	q.Set("expansions", "author_id,geo.place_id")
	q.Set("place.fields", "country_code")
	q.Set("user.fields", "username")
	if backfillMinutes > 0 {
		q.Set("backfill_minutes", strconv.Itoa(backfillMinutes))
	}
	return base + streamPath + "?" + q.Encode()
}

// backfillMinutes is how far back a reconnect from cursor (unix µs) asks X to
// resend: the whole minutes since cursor, rounded up, at most 5 (X's limit); 0 when
// there is no cursor.
func backfillMinutes(cursor int64, now time.Time) int {
	if cursor <= 0 {
		return 0
	}
	d := now.Sub(time.UnixMicro(cursor))
	if d <= 0 {
		return 1
	}
	return int(min((d+time.Minute-1)/time.Minute, 5))
}

// Open implements ingest.Source: it makes the rules what Outcry wants, the first
// time (and again after a sync that failed), then connects to the stream. Errors of
// X's refusals are *HTTPError (wrapped).
func (s *Source) Open(ctx context.Context, endpoint string, cursor int64) (ingest.Stream, error) {
	base, err := baseURL(endpoint)
	if err != nil {
		return nil, err
	}
	if s.Token == "" {
		return nil, errors.New("no bearer token: give the X app's bearer token")
	}
	ours, err := s.ensureRules(ctx, base)
	if err != nil {
		return nil, err
	}
	minutes := 0
	if s.Backfill {
		minutes = backfillMinutes(cursor, time.Now())
	}
	sctx, cancel := context.WithCancel(ctx)
	req, err := http.NewRequestWithContext(sctx, http.MethodGet, streamURL(base, minutes), nil)
	if err != nil {
		cancel()
		return nil, fmt.Errorf("connect to the stream: %w", err)
	}
	s.header(req)
	// The headers must come in time; the body is then read for as long as it flows.
	t := time.AfterFunc(connectTimeout, cancel)
	resp, err := s.client().Do(req)
	if !t.Stop() {
		if err == nil {
			resp.Body.Close()
		}
		cancel()
		return nil, fmt.Errorf("connect to the stream: no answer in %s", connectTimeout)
	}
	if err != nil {
		cancel()
		return nil, fmt.Errorf("connect to the stream: %w", err)
	}
	if resp.StatusCode/100 != 2 {
		herr := s.httpError(resp)
		resp.Body.Close()
		cancel()
		return nil, fmt.Errorf("connect to the stream: %w", herr)
	}
	keep := s.KeepAlive
	if keep <= 0 {
		keep = DefaultKeepAlive
	}
	return newStream(resp.Body, cancel, s.MaxLineBytes, keep+keep/2, ours, s.log()), nil
}

// newStream reads body; cancel ends its request. A stream silent for timeout while
// Next waits is cancelled (the time Run takes between two calls is not silence).
func newStream(body io.ReadCloser, cancel context.CancelFunc, maxLine int, timeout time.Duration, ours map[string]bool, log *zap.Logger) *stream {
	st := &stream{
		body:    body,
		r:       bufio.NewReaderSize(body, 64<<10),
		cancel:  cancel,
		max:     maxLine,
		timeout: timeout,
		ours:    ours,
		log:     log,
	}
	if st.max <= 0 {
		st.max = DefaultMaxLineBytes
	}
	st.idle = time.AfterFunc(time.Hour, func() { st.stalled.Store(true); cancel() })
	st.idle.Stop()
	return st
}

type stream struct {
	body    io.ReadCloser
	r       *bufio.Reader
	cancel  context.CancelFunc // ends the request: the body's reads then fail
	max     int
	timeout time.Duration
	idle    *time.Timer // cancels when Next waits for a line longer than timeout
	stalled atomic.Bool // idle fired
	ours    map[string]bool
	log     *zap.Logger
}

// Close implements ingest.Stream.
func (st *stream) Close() error {
	st.idle.Stop()
	st.cancel()
	return st.body.Close()
}

// Next implements ingest.Stream: the next line that is not a keep-alive, read.
func (st *stream) Next(ctx context.Context) (ingest.Event, error) {
	stop := context.AfterFunc(ctx, st.cancel)
	defer stop()
	st.idle.Reset(st.timeout)
	defer st.idle.Stop()
	for {
		line, size, err := st.readLine()
		if err != nil {
			switch {
			case st.stalled.Load():
				return ingest.Event{}, fmt.Errorf("no post or keep-alive for %s: the stream stalled", st.timeout)
			case ctx.Err() != nil:
				return ingest.Event{}, ctx.Err()
			case errors.Is(err, io.EOF):
				return ingest.Event{}, errors.New("X closed the stream")
			}
			return ingest.Event{}, fmt.Errorf("read the stream: %w", err)
		}
		st.idle.Reset(st.timeout)
		if size > st.max {
			return bad(line, post.ReasonOversized, fmt.Sprintf("a line of %d bytes, limit %d (the first %d kept)", size, st.max, len(line))), nil
		}
		if len(bytes.TrimSpace(line)) == 0 {
			continue // a keep-alive
		}
		ev, matched, end := parse(line, st.max)
		if end != nil {
			return ingest.Event{}, end
		}
		if ev.Kind == ingest.KindOther && ev.Detail != "" {
			st.log.Warn("X says", zap.String("source", "x"), zap.String("message", ev.Detail))
		}
		if ev.Post != nil && len(st.ours) > 0 && !ours(matched, st.ours) {
			// A post only another tool's rules matched (the app's rules are
			// shared by every reader of its one stream): not Outcry's.
			ev = ingest.Event{Kind: ingest.KindOther, Cursor: ev.Cursor, At: ev.At}
		}
		return ev, nil
	}
}

// readLine reads one line, without its end. size is the line's length; of a line
// longer than st.max, only the first badBytes are returned.
func (st *stream) readLine() (line []byte, size int, err error) {
	limit := st.max + 2 // + "\r\n"
	for {
		frag, err := st.r.ReadSlice('\n')
		size += len(frag)
		if len(line) < limit {
			line = append(line, frag[:min(len(frag), limit-len(line))]...)
		}
		if err == bufio.ErrBufferFull {
			continue
		}
		if err != nil {
			if err == io.EOF && size > 0 {
				err = io.ErrUnexpectedEOF // cut mid-line: the line is lost
			}
			return nil, size, err
		}
		size -= len(frag) - len(bytes.TrimRight(frag, "\r\n"))
		if size > st.max {
			return line[:min(len(line), badBytes)], size, nil
		}
		return line[:size], size, nil
	}
}

// matchingRule is a rule a post matched.
type matchingRule struct {
	ID  string `json:"id"`
	Tag string `json:"tag"`
}

// ours says whether matched names one of Outcry's rules (by id, or by the "outcry:"
// tag); a post without matching_rules is Outcry's.
func ours(matched []matchingRule, ids map[string]bool) bool {
	for _, r := range matched {
		if ids[r.ID] || strings.HasPrefix(r.Tag, TagPrefix) {
			return true
		}
	}
	return len(matched) == 0
}

func bad(b []byte, reason, detail string) ingest.Event {
	return ingest.Event{Kind: ingest.KindBad, Bad: b, Reason: reason, Detail: detail}
}

// line is one object of the stream: a post with its expansions and the rules it
// matched, or X's errors.
type line struct {
	Data *struct {
		ID        string `json:"id"`
		Text      string `json:"text"`
		AuthorID  string `json:"author_id"`
		CreatedAt string `json:"created_at"`
		Lang      string `json:"lang"`
		Geo       *struct {
			PlaceID string `json:"place_id"`
		} `json:"geo"`
		NoteTweet *struct {
			Text string `json:"text"`
		} `json:"note_tweet"`
	} `json:"data"`
	Includes *struct {
		Places []struct {
			ID          string `json:"id"`
			CountryCode string `json:"country_code"`
		} `json:"places"`
	} `json:"includes"`
	MatchingRules []matchingRule `json:"matching_rules"`
	Errors        []problem      `json:"errors"`
}

// problem is one of X's error objects.
type problem struct {
	Title          string   `json:"title"`
	Detail         string   `json:"detail"`
	Details        []string `json:"details"` // a rules error's
	Type           string   `json:"type"`
	DisconnectType string   `json:"disconnect_type"`
	Issue          string   `json:"connection_issue"`
	Value          string   `json:"value"` // the rule a rules error is about
	ID             string   `json:"id"`
}

func (p problem) String() string {
	s := cmpOr(p.Title, p.Type, "error")
	if d := cmpOr(p.Detail, strings.Join(p.Details, "; ")); d != "" && d != s {
		s += ": " + d
	}
	if t := cmpOr(p.DisconnectType, p.Issue); t != "" {
		s += " (" + t + ")"
	}
	return s
}

// ends says whether X closes the stream after this problem: an operational
// disconnect (X's maintenance, a slow reader, a rules change it could not apply
// live) or a connection problem.
func (p problem) ends() bool {
	return p.DisconnectType != "" || strings.HasSuffix(p.Type, "/operational-disconnect") ||
		strings.HasSuffix(p.Type, "/streaming-connection")
}

func cmpOr(ss ...string) string {
	for _, s := range ss {
		if s != "" {
			return s
		}
	}
	return ""
}

// maxField bounds the short fields as post.Decode does (256 bytes): a post the
// pipeline would refuse is refused here, where the line can still be seen.
const maxField = 256

// Parse reads one line of the stream: a post (Kind post), X's errors (Kind other,
// Detail saying what X said), a keep-alive (a blank line: Kind other), or a line that
// cannot be read (Kind bad, Bad the line).
func Parse(b []byte) ingest.Event {
	ev, _, _ := parse(b, DefaultMaxLineBytes)
	return ev
}

// parse is Parse, with the rules a post matched, and the error that ends the stream
// when the line says X is closing it. A line longer than max bytes is not read.
func parse(b []byte, max int) (ingest.Event, []matchingRule, error) {
	if len(b) > max {
		return bad(b[:min(len(b), badBytes)], post.ReasonOversized, fmt.Sprintf("a line of %d bytes, limit %d (the first %d kept)", len(b), max, min(len(b), badBytes))), nil, nil
	}
	if len(bytes.TrimSpace(b)) == 0 {
		return ingest.Event{Kind: ingest.KindOther}, nil, nil
	}
	var l line
	if err := json.Unmarshal(b, &l); err != nil {
		return bad(b, post.ReasonInvalidJSON, err.Error()), nil, nil
	}
	d := l.Data
	if d == nil {
		if len(l.Errors) == 0 {
			return bad(b, post.ReasonNotAPost, "neither data nor errors"), nil, nil
		}
		said := make([]string, len(l.Errors))
		var end error
		for i, p := range l.Errors {
			said[i] = p.String()
			if p.ends() && end == nil {
				end = fmt.Errorf("X ended the stream: %s", p)
			}
		}
		return ingest.Event{Kind: ingest.KindOther, Detail: strings.Join(said, "; ")}, nil, end
	}
	// Errors beside data are about an expansion (a withheld author, a place not
	// found): the post is read without it.
	if d.ID == "" {
		return bad(b, post.ReasonMissingID, "data without id"), nil, nil
	}
	if d.CreatedAt == "" {
		return bad(b, post.ReasonMissingTime, "data without created_at"), nil, nil
	}
	at, err := time.Parse(time.RFC3339Nano, d.CreatedAt)
	if err != nil || at.UTC().Year() < 2006 || at.UTC().Year() > 9999 {
		return bad(b, post.ReasonBadTime, fmt.Sprintf("created_at %q is not a time of X's", d.CreatedAt)), nil, nil
	}
	at = at.UTC()
	text := d.Text
	if d.NoteTweet != nil && strings.TrimSpace(d.NoteTweet.Text) != "" {
		text = d.NoteTweet.Text // a long post: text is its first 280 characters
	}
	if strings.TrimSpace(text) == "" {
		return ingest.Event{Kind: ingest.KindOther, Cursor: at.UnixMicro(), At: at}, nil, nil // nothing to read
	}
	p := &post.Post{ID: "x:" + d.ID, Text: text, Author: d.AuthorID, CreatedAt: at, Lang: lang(d.Lang), Source: "x"}
	if d.Geo != nil && d.Geo.PlaceID != "" && l.Includes != nil {
		for _, pl := range l.Includes.Places {
			if pl.ID == d.Geo.PlaceID {
				p.Country = country(pl.CountryCode)
				break
			}
		}
	}
	for _, f := range []string{p.ID, p.Author, p.Lang} {
		if len(f) > maxField {
			return bad(b, post.ReasonFieldTooLarge, fmt.Sprintf("a field is longer than %d bytes", maxField)), nil, nil
		}
	}
	return ingest.Event{Kind: ingest.KindPost, Post: p, Key: d.ID, Cursor: at.UnixMicro(), At: at}, l.MatchingRules, nil
}

// lang is X's language code, "" for X's codes that name no language: und
// (undetermined), zxx (no linguistic content) and the q codes (qam: mentions only,
// qct: cashtags only, qht: hashtags only, qme: media links only, qst: very short).
func lang(l string) string {
	switch l {
	case "und", "zxx", "qam", "qct", "qht", "qme", "qst":
		return ""
	}
	return l
}

// country is an ISO 3166-1 alpha-2 code upper-cased, "" when it is not one.
func country(c string) string {
	if len(c) != 2 {
		return ""
	}
	c = strings.ToUpper(c)
	if c[0] < 'A' || c[0] > 'Z' || c[1] < 'A' || c[1] > 'Z' {
		return ""
	}
	return c
}
