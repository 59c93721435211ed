// Package mastodontest is a Mastodon server on loopback for tests. Its streaming API
// (server-sent events, as Mastodon's streaming server writes them) replays a
// transcript, each connection scripted: refuse with a status, miss frames, drop
// mid-stream, send extra frames. Its REST timelines page the statuses that have
// happened by min_id, as Mastodon does. Every request must carry the bearer token.
package mastodontest

import (
	"bufio"
	"bytes"
	"encoding/json"
	"fmt"
	"net/http"
	"net/http/httptest"
	"slices"
	"strconv"
	"strings"
	"sync"
	"testing"
)

// Conn says what the server does with one streaming connection.
type Conn struct {
	// Status refuses the connection with this HTTP status and a Mastodon error body
	// that echoes the Authorization header back (as a careless server might).
	Status int
	// Skip: frames that happen before this connection streams; only the REST
	// timeline has them (the client was away).
	Skip int
	// Send: frames to send, then drop the connection (the chunked body is never
	// ended); -1: all, then stay open.
	Send int
	// Extra is raw event-stream text sent after the first frame of this connection.
	Extra []string
}

// Options are the server's.
type Options struct {
	Token    string   // the bearer every request must carry
	History  [][]byte // statuses that happened before the transcript (REST only)
	PageSize int      // the most statuses a page holds; default 40, Mastodon's
	// FailPages: the first timeline requests fail with 503.
	FailPages int
}

// Server is a Mastodon on loopback: see the package comment. Its streams are under
// URL + "/api/v1/streaming/...".
type Server struct {
	URL string
	// SentAll is closed once a connection has sent the last frame.
	SentAll chan struct{}

	o      Options
	frames []frame
	plan   []Conn
	done   chan struct{}

	mu      sync.Mutex
	pos     int      // frames that have happened (sent, or skipped)
	streams int      // streaming connections so far
	pages   []string // the REST requests, path?query
	badAuth []string // requests without the bearer, by path
	once    sync.Once
}

// frame is one event of the transcript, with the comment lines before it.
type frame struct {
	raw    string
	id     uint64 // the status's id, for an update that has one
	status []byte
}

// NewServer serves transcript (an event stream as Mastodon writes it: a ":)" hello,
// then "event:"/"data:" blocks ending in a blank line, ":thump" heartbeats) on
// loopback, each streaming connection scripted by plan (the last entry repeats).
func NewServer(t testing.TB, transcript []byte, o Options, plan ...Conn) *Server {
	if o.PageSize <= 0 {
		o.PageSize = 40
	}
	if len(plan) == 0 {
		plan = []Conn{{Send: -1}}
	}
	s := &Server{o: o, plan: plan, SentAll: make(chan struct{}), done: make(chan struct{})}
	transcript = bytes.TrimPrefix(transcript, []byte(":)\n")) // each connection says hello
	var cur strings.Builder
	var event, data string
	sc := bufio.NewScanner(bytes.NewReader(transcript))
	sc.Buffer(nil, 4<<20)
	for sc.Scan() {
		line := sc.Text()
		cur.WriteString(line + "\n")
		switch {
		case strings.HasPrefix(line, "event: "):
			event = strings.TrimPrefix(line, "event: ")
		case strings.HasPrefix(line, "data: "):
			data = strings.TrimPrefix(line, "data: ")
		case line == "":
			f := frame{raw: cur.String()}
			if event == "update" {
				f.id, f.status = statusID([]byte(data))
			}
			s.frames = append(s.frames, f)
			cur.Reset()
			event, data = "", ""
		}
	}
	if err := sc.Err(); err != nil {
		t.Fatal(err)
	}
	// The history happened before the transcript: only the REST timeline has it.
	var history []frame
	for _, h := range o.History {
		id, st := statusID(h)
		if st == nil {
			t.Fatalf("a history status without an id: %.80s", h)
		}
		history = append(history, frame{id: id, status: st})
	}
	s.frames, s.pos = append(history, s.frames...), len(history)
	hs := httptest.NewServer(s)
	t.Cleanup(hs.Close)
	t.Cleanup(func() { close(s.done) }) // runs first: the streams end, then the server
	s.URL = hs.URL
	return s
}

// statusID reads the id of a status; nil when it is not one.
func statusID(b []byte) (uint64, []byte) {
	var st struct {
		ID string `json:"id"`
	}
	if json.Unmarshal(b, &st) != nil {
		return 0, nil
	}
	id, err := strconv.ParseUint(st.ID, 10, 64)
	if err != nil {
		return 0, nil
	}
	return id, b
}

func (s *Server) ServeHTTP(w http.ResponseWriter, r *http.Request) {
	if r.Header.Get("Authorization") != "Bearer "+s.o.Token {
		s.mu.Lock()
		s.badAuth = append(s.badAuth, r.URL.Path)
		s.mu.Unlock()
		mastodonError(w, http.StatusUnauthorized, "The access token is invalid")
		return
	}
	switch {
	case strings.Contains(r.URL.Path, "/api/v1/streaming/"): // a prefix: a streaming-only host
		s.stream(w, r)
	case r.URL.Path == "/api/v1/timelines/public" || strings.HasPrefix(r.URL.Path, "/api/v1/timelines/tag/"):
		s.timeline(w, r)
	default:
		mastodonError(w, http.StatusNotFound, "Record not found")
	}
}

func mastodonError(w http.ResponseWriter, code int, msg string) {
	w.Header().Set("Content-Type", "application/json; charset=utf-8")
	w.WriteHeader(code)
	b, _ := json.Marshal(map[string]string{"error": msg})
	w.Write(b)
}

func (s *Server) stream(w http.ResponseWriter, r *http.Request) {
	s.mu.Lock()
	p := s.plan[min(s.streams, len(s.plan)-1)]
	s.streams++
	s.mu.Unlock()
	if !strings.Contains(r.Header.Get("Accept"), "text/event-stream") {
		mastodonError(w, http.StatusNotAcceptable, "want Accept: text/event-stream")
		return
	}
	if p.Status != 0 {
		if p.Status == http.StatusTooManyRequests {
			w.Header().Set("Retry-After", "1")
		}
		mastodonError(w, p.Status, "Refused: "+r.Header.Get("Authorization"))
		return
	}
	s.mu.Lock()
	s.pos = min(s.pos+p.Skip, len(s.frames))
	s.mu.Unlock()
	w.Header().Set("Content-Type", "text/event-stream")
	w.Header().Set("Cache-Control", "private, no-store")
	fl := w.(http.Flusher)
	write := func(text string) bool {
		if _, err := fmt.Fprint(w, text); err != nil {
			return false
		}
		fl.Flush()
		return true
	}
	if !write(":)\n") {
		return
	}
	for sent := 0; p.Send < 0 || sent < p.Send; sent++ {
		s.mu.Lock()
		if s.pos == len(s.frames) {
			s.mu.Unlock()
			break
		}
		f := s.frames[s.pos]
		s.pos++
		last := s.pos == len(s.frames)
		s.mu.Unlock()
		if !write(f.raw) {
			return
		}
		if sent == 0 {
			for _, x := range p.Extra {
				if !write(x) {
					return
				}
			}
		}
		if last {
			s.once.Do(func() { close(s.SentAll) })
		}
	}
	if p.Send >= 0 {
		panic(http.ErrAbortHandler) // a dropped connection: the body is never ended
	}
	select { // live: nothing more to say
	case <-r.Context().Done():
	case <-s.done:
	}
}

// timeline is GET /api/v1/timelines/public or /tag/:tag with min_id and limit: the
// statuses just after min_id that have happened, newest first.
func (s *Server) timeline(w http.ResponseWriter, r *http.Request) {
	q := r.URL.Query()
	s.mu.Lock()
	s.pages = append(s.pages, r.URL.Path+"?"+r.URL.RawQuery)
	happened := slices.Clone(s.frames[:s.pos])
	fail := s.o.FailPages > 0
	s.o.FailPages--
	s.mu.Unlock()
	if fail {
		mastodonError(w, http.StatusServiceUnavailable, "Service Unavailable")
		return
	}
	minID, _ := strconv.ParseUint(q.Get("min_id"), 10, 64)
	limit, err := strconv.Atoi(q.Get("limit"))
	if err != nil || limit <= 0 || limit > s.o.PageSize {
		limit = s.o.PageSize
	}
	var after []frame
	for _, f := range happened {
		if f.status != nil && f.id > minID {
			after = append(after, f)
		}
	}
	slices.SortFunc(after, func(a, b frame) int { return cmpU(a.id, b.id) })
	after = after[:min(limit, len(after))]
	slices.Reverse(after)
	var b bytes.Buffer
	b.WriteByte('[')
	for i, f := range after {
		if i > 0 {
			b.WriteByte(',')
		}
		b.Write(f.status)
	}
	b.WriteByte(']')
	w.Header().Set("Content-Type", "application/json; charset=utf-8")
	w.Write(b.Bytes())
}

func cmpU(a, b uint64) int {
	switch {
	case a < b:
		return -1
	case a > b:
		return 1
	}
	return 0
}

// Streams is how many streaming connections were made.
func (s *Server) Streams() int {
	s.mu.Lock()
	defer s.mu.Unlock()
	return s.streams
}

// Pages are the REST timeline requests made, path?query.
func (s *Server) Pages() []string {
	s.mu.Lock()
	defer s.mu.Unlock()
	return slices.Clone(s.pages)
}

// BadAuth are the paths of the requests that came without the bearer token.
func (s *Server) BadAuth() []string {
	s.mu.Lock()
	defer s.mu.Unlock()
	return slices.Clone(s.badAuth)
}

// Happened is how many frames have happened (sent or skipped; history included).
func (s *Server) Happened() int {
	s.mu.Lock()
	defer s.mu.Unlock()
	return s.pos
}
