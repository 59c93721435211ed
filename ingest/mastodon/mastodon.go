// Package mastodon is the Mastodon connector of `outcry ingest`, before the posts
// topic in the data flow (docs/architecture.md): it reads a Mastodon server's public
// streaming API (server-sent events over HTTP: the federated or local timeline, or a
// hashtag, with a user token) and turns each new status into a canonical post, which
// ingest.Run dedupes (on the status's uri) and produces. Reblogs, media-only statuses,
// deletes and edits are counted and skipped; a frame that cannot be read is handed
// back for the dead-letter topic.
//
// The stream has no cursor of its own: the cursor is the created_at of the last status
// read (unix µs). A reconnect from a cursor first reads what it missed through the
// same server's REST timeline (status ids are snowflakes, so the time converts to a
// min_id), then goes live.
package mastodon

import (
	"bufio"
	"bytes"
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"mime"
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

// DefaultEndpoint is the federated timeline of the largest server. Its token only
// works there: another server is another account.
const DefaultEndpoint = "https://mastodon.social/api/v1/streaming/public"

const (
	// DefaultMaxEventBytes: a larger event is dead-lettered ("oversized") and the
	// stream goes on. A status with its account is a few kilobytes.
	DefaultMaxEventBytes = 1 << 20
	// DefaultIdle: Mastodon sends a heartbeat about every 15 s, so a minute of silence
	// is a dead connection (a proxy that lost it), not a quiet timeline.
	DefaultIdle = 60 * time.Second
	// connectTimeout bounds the wait for the stream's response headers (twice that,
	// a whole REST page): a server that accepts and says nothing is down.
	connectTimeout = 15 * time.Second
)

// Source reads a Mastodon streaming endpoint. Set Token; the rest may stay zero. Use
// it by pointer: it counts the backfills that failed across its streams.
type Source struct {
	// Token is a user access token with the read:statuses scope (Mastodon 4.2 and
	// later refuse unauthenticated streams). It goes in the Authorization header only:
	// never in a URL, an error or a log line.
	Token string
	// HTTPClient makes the requests; default http.DefaultClient. It must not have a
	// Timeout: the stream is one long response (Idle bounds its silences).
	HTTPClient *http.Client
	// UserAgent is sent with every request.
	UserAgent string
	// Idle: a stream without an event or a heartbeat for this long is closed (and
	// reconnected); default DefaultIdle.
	Idle time.Duration
	// MaxEventBytes: larger events are dead-lettered; default DefaultMaxEventBytes.
	MaxEventBytes int
	// Log says when a backfill is cut short or given up; optional.
	Log *zap.Logger

	// Backfills that failed in a row from the same cursor (giveUpBackfill).
	mu         sync.Mutex
	streaming  map[string]string // server host → its streaming host ("": its own)
	failedFrom int64
	failed     int
}

// Name implements ingest.Source.
func (s *Source) Name() string { return "mastodon" }

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

func (s *Source) maxEvent() int {
	if s.MaxEventBytes > 0 {
		return s.MaxEventBytes
	}
	return DefaultMaxEventBytes
}

// request is a GET of u with the token, and what the server is asked for.
func (s *Source) request(ctx context.Context, u, accept string) (*http.Request, error) {
	req, err := http.NewRequestWithContext(ctx, http.MethodGet, u, nil)
	if err != nil {
		return nil, err
	}
	req.Header.Set("Accept", accept)
	if s.Token != "" {
		req.Header.Set("Authorization", "Bearer "+s.Token)
	}
	if s.UserAgent != "" {
		req.Header.Set("User-Agent", s.UserAgent)
	}
	return req, nil
}

// Open implements ingest.Source. endpoint is a streaming URL: /api/v1/streaming/public,
// /public/local, /public/remote, /hashtag?tag=x or /hashtag/local?tag=x. When cursor is
// not 0, the stream first returns the statuses the REST timeline of the same server
// has after it (see backfill), then goes live.
func (s *Source) Open(ctx context.Context, endpoint string, cursor int64) (ingest.Stream, error) {
	u, err := streamURL(endpoint)
	if err != nil {
		return nil, err
	}
	tl, err := timelineURL(u)
	if err != nil {
		return nil, err
	}
	u = s.onStreamingHost(ctx, u)
	// The response outlives Open's ctx: it is cancelled by Close, by a Next whose ctx
	// ends, by the idle timer, and here if the headers are late or ctx ends first.
	sctx, cancel := context.WithCancel(context.WithoutCancel(ctx))
	req, err := s.request(sctx, u.String(), "text/event-stream")
	if err != nil {
		cancel()
		return nil, fmt.Errorf("endpoint %q: %w", endpoint, err)
	}
	req.Header.Set("Cache-Control", "no-cache")
	late := time.AfterFunc(connectTimeout, cancel)
	stop := context.AfterFunc(ctx, cancel)
	resp, err := s.client().Do(req)
	timedOut := !late.Stop()
	stop()
	if err != nil {
		cancel()
		if ctx.Err() != nil {
			return nil, ctx.Err()
		}
		if timedOut {
			return nil, fmt.Errorf("connect: no response within %s", connectTimeout)
		}
		return nil, fmt.Errorf("connect: %w", err)
	}
	if err := s.statusError(resp); err != nil {
		resp.Body.Close()
		cancel()
		if to := resp.Request.URL; to.Host != u.Host {
			// Go does not send the token on to another host: a server whose streaming
			// API lives elsewhere is given by that URL.
			return nil, fmt.Errorf("connect: %w (after a redirect to %s: give that URL as the endpoint)", err, s.redact(to.Scheme+"://"+to.Host+to.Path))
		}
		return nil, fmt.Errorf("connect: %w", err)
	}
	if mt, _, _ := mime.ParseMediaType(resp.Header.Get("Content-Type")); mt != "text/event-stream" {
		resp.Body.Close()
		cancel()
		return nil, fmt.Errorf("connect: the response is %.60q, not an event stream (is this a streaming URL?)", s.redact(resp.Header.Get("Content-Type")))
	}
	st := &stream{
		body:   resp.Body,
		cancel: cancel,
		sse:    newSSE(resp.Body, s.maxEvent()),
		idle:   s.Idle,
	}
	if st.idle <= 0 {
		st.idle = DefaultIdle
	}
	st.timer = time.AfterFunc(st.idle, func() {
		st.idled.Store(true)
		cancel()
	})
	st.timer.Stop() // it runs only while Next waits on the stream
	if cursor > 0 && !s.giveUpBackfill(cursor) {
		// Caught up once a status is newer than the stream: the stream has what follows.
		opened, err := http.ParseTime(resp.Header.Get("Date"))
		if err != nil {
			opened = time.Now()
		}
		st.bf = &backfill{s: s, url: tl, from: cursor, minID: minID(cursor), until: opened.Add(time.Second)}
	}
	return st, nil
}

// streamURL checks endpoint.
// onStreamingHost is u on the host that serves the server's streaming API, which
// the server names in its instance description (configuration.urls.streaming; on
// large servers a host of its own, such as streaming.mastodon.social). Asked once per
// server; a server that does not say (older versions, other software) is used as
// given.
func (s *Source) onStreamingHost(ctx context.Context, u *url.URL) *url.URL {
	s.mu.Lock()
	host, asked := s.streaming[u.Host]
	s.mu.Unlock()
	if !asked {
		host = s.askStreamingHost(ctx, u)
		s.mu.Lock()
		if s.streaming == nil {
			s.streaming = map[string]string{}
		}
		s.streaming[u.Host] = host
		s.mu.Unlock()
	}
	if host == "" || host == u.Host {
		return u
	}
	v := *u
	v.Host = host
	return &v
}

// askStreamingHost reads the streaming host from GET /api/v2/instance, or "".
func (s *Source) askStreamingHost(ctx context.Context, u *url.URL) string {
	ctx, cancel := context.WithTimeout(ctx, connectTimeout)
	defer cancel()
	req, err := s.request(ctx, u.Scheme+"://"+u.Host+"/api/v2/instance", "application/json")
	if err != nil {
		return ""
	}
	resp, err := s.client().Do(req)
	if err != nil {
		return ""
	}
	defer resp.Body.Close()
	var inst struct {
		Configuration struct {
			URLs struct {
				Streaming string `json:"streaming"`
			} `json:"urls"`
		} `json:"configuration"`
	}
	if resp.StatusCode != http.StatusOK || json.NewDecoder(io.LimitReader(resp.Body, 1<<20)).Decode(&inst) != nil {
		return ""
	}
	su, err := url.Parse(inst.Configuration.URLs.Streaming)
	if err != nil || su.Host == "" {
		return ""
	}
	// The stream is read over HTTP (server-sent events) from the host the
	// WebSocket URL names, with the same scheme's security.
	if (su.Scheme == "wss") != (u.Scheme == "https") {
		return ""
	}
	s.log().Info("the server streams from another host", zap.String("server", u.Host), zap.String("streaming", su.Host))
	return su.Host
}

func streamURL(endpoint string) (*url.URL, error) {
	u, err := url.Parse(endpoint)
	if err != nil {
		var ue *url.Error
		if errors.As(err, &ue) {
			err = ue.Err // without the URL, which may hold a secret
		}
		return nil, fmt.Errorf("endpoint: not a URL: %w", err)
	}
	if u.Scheme != "https" && u.Scheme != "http" || u.Host == "" {
		return nil, fmt.Errorf("endpoint %s: want an https:// streaming URL such as %s", u.Redacted(), DefaultEndpoint)
	}
	if u.Query().Has("access_token") {
		// The endpoint is logged; the token is not.
		return nil, errors.New("endpoint: it carries an access_token: give the token as the source's token, not in the URL")
	}
	return u, nil
}

// statusError says what a non-2xx response means, with the server's own message
// (Mastodon's {"error": ...}) cut short and without the token.
func (s *Source) statusError(resp *http.Response) error {
	if resp.StatusCode >= 200 && resp.StatusCode < 300 {
		return nil
	}
	msg := ""
	b, _ := io.ReadAll(io.LimitReader(resp.Body, 4<<10))
	var e struct {
		Error string `json:"error"`
	}
	if json.Unmarshal(b, &e) == nil && e.Error != "" {
		msg = s.redact(e.Error) // before the cut, which could leave a part of the token
		if len(msg) > 200 {
			msg = msg[:200] + "…"
		}
		msg = fmt.Sprintf(" (the server says %q)", msg)
	}
	switch resp.StatusCode {
	case http.StatusUnauthorized, http.StatusForbidden:
		return &httpError{resp.StatusCode, fmt.Sprintf("HTTP %s%s: a user access token with the read:statuses scope is needed (Mastodon 4.2 and later refuse unauthenticated streams)", resp.Status, msg)}
	case http.StatusTooManyRequests:
		retry := ""
		if ra := resp.Header.Get("Retry-After"); ra != "" && len(ra) < 40 {
			retry = ", retry after " + s.redact(ra)
		}
		return &httpError{resp.StatusCode, fmt.Sprintf("HTTP %s%s: the server is rate-limiting this client%s", resp.Status, msg, retry)}
	}
	return &httpError{resp.StatusCode, fmt.Sprintf("HTTP %s%s", resp.Status, msg)}
}

// redact removes the token from what a server says (it may echo the request back).
func (s *Source) redact(text string) string {
	if s.Token == "" {
		return text
	}
	return strings.ReplaceAll(text, s.Token, "[token]")
}

// httpError is a refused request.
type httpError struct {
	Code int
	Msg  string
}

func (e *httpError) Error() string { return e.Msg }

type stream struct {
	body   io.Closer
	cancel context.CancelFunc
	sse    *sse
	bf     *backfill // nil once caught up, or live from the start

	idle  time.Duration
	timer *time.Timer // cancels the response when the stream is silent for idle
	idled atomic.Bool
}

// Close implements ingest.Stream.
func (st *stream) Close() error {
	st.timer.Stop()
	st.cancel()
	return st.body.Close()
}

// Next implements ingest.Stream. Heartbeats are not events: they only keep the
// stream alive. When ctx ends, the stream ends with it.
func (st *stream) Next(ctx context.Context) (ingest.Event, error) {
	if st.bf != nil {
		ev, ok, err := st.bf.next(ctx)
		if err != nil || ok {
			return ev, err
		}
		st.bf = nil
	}
	stop := context.AfterFunc(ctx, st.cancel)
	defer stop()
	// The idle timer runs only while waiting here: a Run that is paused (its buffer
	// full) is not a silent server.
	st.timer.Reset(st.idle)
	defer st.timer.Stop()
	event, data, long, err := st.sse.next(func() { st.timer.Reset(st.idle) })
	if err != nil {
		switch {
		case ctx.Err() != nil:
			return ingest.Event{}, ctx.Err()
		case st.idled.Load():
			return ingest.Event{}, fmt.Errorf("no event or heartbeat for %s", st.idle)
		case errors.Is(err, io.EOF):
			return ingest.Event{}, errors.New("the server ended the stream")
		}
		return ingest.Event{}, fmt.Errorf("read: %w", err)
	}
	if long {
		return bad(data, post.ReasonOversized, fmt.Sprintf("an event of more than %d bytes (its head is kept)", st.sse.max)), nil
	}
	return Parse(event, data), nil
}

// sse reads server-sent events (the WHATWG event-stream format): "field: value" lines,
// an event at each blank line, comment lines starting with ':'. Lines and an event's
// data are bounded by max.
type sse struct {
	r     *bufio.Reader
	max   int
	line  []byte
	data  []byte
	event string
	// hasData: the event has a data line; long: it has a line, or data, over max.
	hasData, long bool
}

func newSSE(r io.Reader, max int) *sse {
	return &sse{r: bufio.NewReaderSize(r, 64<<10), max: max}
}

// next returns the next event: its type ("message" when it has none), its data (valid
// until the next call) and whether it was cut at max bytes. onLine is called after each
// line read (heartbeats included).
func (s *sse) next(onLine func()) (event string, data []byte, long bool, err error) {
	for {
		line, cut, err := s.readLine()
		if err != nil {
			return "", nil, false, err
		}
		onLine()
		if len(line) == 0 && !cut { // a blank line dispatches the event
			event, data, long, has := s.event, s.data, s.long, s.hasData
			s.event, s.data, s.long, s.hasData = "", s.data[:0], false, false
			if !has {
				continue // no data line: no event (the spec's rule)
			}
			if event == "" {
				event = "message"
			}
			return event, data, long, nil
		}
		if line[0] == ':' {
			continue // a comment: Mastodon's ":)" hello and ":thump" heartbeats
		}
		if cut {
			s.long = true
		}
		name, value, _ := bytes.Cut(line, []byte(":"))
		if len(value) > 0 && value[0] == ' ' {
			value = value[1:]
		}
		switch string(name) {
		case "event":
			s.event = string(value[:min(len(value), 64)])
		case "data":
			if s.hasData {
				s.data = append(s.data, '\n')
			}
			s.hasData = true
			if room := s.max - len(s.data); len(value) > room {
				value, s.long = value[:max(room, 0)], true
			}
			s.data = append(s.data, value...)
		}
		// id and retry mean nothing to Mastodon's stream.
	}
}

// readLine reads a line without its end, keeping at most max bytes of it and its
// field name (cut: it was longer; the rest is read and dropped).
func (s *sse) readLine() (line []byte, cut bool, err error) {
	s.line = s.line[:0]
	limit := s.max + len("data: \r\n")
	for {
		chunk, err := s.r.ReadSlice('\n')
		if room := limit - len(s.line); len(chunk) > room {
			chunk, cut = chunk[:max(room, 0)], true
		}
		s.line = append(s.line, chunk...)
		if err == bufio.ErrBufferFull {
			continue
		}
		if err != nil {
			return nil, false, err // a line cut by the end of the stream is not a line
		}
		break
	}
	line = s.line
	if !cut {
		line = line[:len(line)-1]
		if n := len(line); n > 0 && line[n-1] == '\r' {
			line = line[:n-1]
		}
	}
	return line, cut, nil
}

// minID is the min_id whose timeline page starts at the statuses created at cursor
// (unix µs; the millisecond of it): Mastodon's ids are snowflakes, unix milliseconds
// << 16 | a sequence, and a page holds the ids greater than min_id.
func minID(cursor int64) uint64 {
	if cursor < 1000 {
		return 0
	}
	return uint64(cursor/1000)<<16 - 1
}

// idTime is the time in a snowflake id; ok is false for an id that is not one (the
// sequential ids of statuses before Mastodon 2.0, another server's scheme).
func idTime(id string) (time.Time, bool) {
	v, err := strconv.ParseUint(id, 10, 64)
	if err != nil {
		return time.Time{}, false
	}
	t := time.UnixMilli(int64(v >> 16))
	return t, t.Year() >= 2016 && t.Year() < 2200
}
