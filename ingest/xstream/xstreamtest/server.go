// Package xstreamtest is X's filtered stream on loopback, for tests: the rules
// endpoints (rules kept in memory, ids given as X does, duplicates refused) and the
// stream, which goes on where the last connection stopped, each connection scripted
// (refuse with a status, drop mid-stream, stall, send extra lines), with keep-alive
// lines once everything is sent. Every request must carry the bearer token.
package xstreamtest

import (
	"bytes"
	"encoding/json"
	"fmt"
	"io"
	"net/http"
	"net/http/httptest"
	"net/url"
	"slices"
	"strconv"
	"strings"
	"sync"
	"testing"
	"time"
)

// Rule is a stream rule as X's rules endpoints show it.
type Rule struct {
	ID    string `json:"id,omitempty"`
	Value string `json:"value"`
	Tag   string `json:"tag,omitempty"`
}

// Conn says what the server does with one stream connection.
type Conn struct {
	Status int           // refuse with this status (429, 503)
	Reset  time.Duration // with a 429: x-rate-limit-reset this far ahead
	// Send: the lines to send, from where the last connection stopped, then drop the
	// connection (no end of the response); -1: all, then keep-alives until the
	// client leaves. A line of X's operational-disconnect ends the connection after
	// it, as X does.
	Send  int
	Stall bool     // after Send lines, stay connected and silent: no keep-alive
	Extra [][]byte // sent first (after a backfill), outside the lines' order
}

// Options make a Server.
type Options struct {
	Token string   // the bearer token every request must carry
	Lines [][]byte // the stream; an empty line is a keep-alive
	Plan  []Conn   // one per stream connection, the last repeats
	Rules []Rule   // the app's rules at the start
	// FailRules: the first FailRules rules requests are answered 503.
	FailRules int
	// Backfill: the posts resent, from before where the last connection stopped,
	// when a connection asks for backfill_minutes.
	Backfill int
	// KeepAlive: the interval of keep-alive lines once all is sent; default 20 ms.
	KeepAlive time.Duration
}

// Request is a request the server answered.
type Request struct {
	Method, Path string
	Query        url.Values
	Authorized   bool // with the bearer token
	Body         string
}

// Server is X's filtered stream on loopback.
type Server struct {
	URL string // the API base
	o   Options

	mu         sync.Mutex
	pos        int // the next line to send
	conns      int
	rules      []Rule
	nextID     int
	failed     int
	requests   []Request
	keepAlives int // sent once everything was
	// SentAll is closed once a connection has sent the last line.
	SentAll chan struct{}
	once    sync.Once
}

// NewServer starts a Server, closed at the end of the test.
func NewServer(t testing.TB, o Options) *Server {
	if o.KeepAlive <= 0 {
		o.KeepAlive = 20 * time.Millisecond
	}
	if len(o.Plan) == 0 {
		o.Plan = []Conn{{Send: -1}}
	}
	s := &Server{o: o, rules: append([]Rule(nil), o.Rules...), nextID: 1997000000000000100, SentAll: make(chan struct{})}
	hs := httptest.NewServer(s)
	t.Cleanup(hs.Close)
	s.URL = hs.URL
	return s
}

// Rules returns the app's rules now.
func (s *Server) Rules() []Rule {
	s.mu.Lock()
	defer s.mu.Unlock()
	return append([]Rule(nil), s.rules...)
}

// Requests returns the requests answered so far.
func (s *Server) Requests() []Request {
	s.mu.Lock()
	defer s.mu.Unlock()
	return append([]Request(nil), s.requests...)
}

// Connections returns the queries of the stream connections so far.
func (s *Server) Connections() []url.Values {
	var out []url.Values
	for _, r := range s.Requests() {
		if r.Path == "/2/tweets/search/stream" {
			out = append(out, r.Query)
		}
	}
	return out
}

// KeepAlives returns how many keep-alives were sent after the last line.
func (s *Server) KeepAlives() int {
	s.mu.Lock()
	defer s.mu.Unlock()
	return s.keepAlives
}

func (s *Server) ServeHTTP(w http.ResponseWriter, r *http.Request) {
	body, _ := io.ReadAll(io.LimitReader(r.Body, 1<<20))
	auth := r.Header.Get("Authorization")
	ok := auth == "Bearer "+s.o.Token
	s.mu.Lock()
	s.requests = append(s.requests, Request{Method: r.Method, Path: r.URL.Path, Query: r.URL.Query(), Authorized: ok, Body: string(body)})
	s.mu.Unlock()
	if !ok {
		// X says "Unauthorized"; this one repeats what it was given, so that a test
		// can see the client does not pass it on.
		problem(w, http.StatusUnauthorized, "Unauthorized", "Unauthorized: "+auth, "about:blank")
		return
	}
	switch {
	case r.URL.Path == "/2/tweets/search/stream/rules" && (r.Method == http.MethodGet || r.Method == http.MethodPost):
		s.serveRules(w, r, body)
	case r.URL.Path == "/2/tweets/search/stream" && r.Method == http.MethodGet:
		s.serveStream(w, r)
	default:
		problem(w, http.StatusNotFound, "Not Found Error", "no such endpoint", "https://api.twitter.com/2/problems/resource-not-found")
	}
}

func problem(w http.ResponseWriter, status int, title, detail, typ string) {
	writeJSON(w, status, map[string]any{"title": title, "detail": detail, "type": typ, "status": status})
}

func writeJSON(w http.ResponseWriter, status int, v any) {
	w.Header().Set("Content-Type", "application/json; charset=utf-8")
	w.WriteHeader(status)
	_ = json.NewEncoder(w).Encode(v)
}

func sent() string { return time.Now().UTC().Format("2006-01-02T15:04:05.000Z") }

func (s *Server) serveRules(w http.ResponseWriter, r *http.Request, body []byte) {
	s.mu.Lock()
	defer s.mu.Unlock()
	if s.failed < s.o.FailRules {
		s.failed++
		problem(w, http.StatusServiceUnavailable, "Service Unavailable", "Service Unavailable", "about:blank")
		return
	}
	if r.Method == http.MethodGet {
		out := map[string]any{"meta": map[string]any{"sent": sent(), "result_count": len(s.rules)}}
		if len(s.rules) > 0 {
			out["data"] = s.rules
		}
		writeJSON(w, http.StatusOK, out)
		return
	}
	var req struct {
		Add    []Rule `json:"add"`
		Delete *struct {
			IDs []string `json:"ids"`
		} `json:"delete"`
	}
	if err := json.Unmarshal(body, &req); err != nil || (req.Add == nil) == (req.Delete == nil) {
		problem(w, http.StatusBadRequest, "Invalid Request", "want one of add and delete", "https://api.twitter.com/2/problems/invalid-request")
		return
	}
	if req.Delete != nil {
		deleted, notDeleted := 0, 0
		for _, id := range req.Delete.IDs {
			i := s.find(func(r Rule) bool { return r.ID == id })
			if i < 0 {
				notDeleted++
				continue
			}
			s.rules = append(s.rules[:i], s.rules[i+1:]...)
			deleted++
		}
		writeJSON(w, http.StatusOK, map[string]any{"meta": map[string]any{"sent": sent(),
			"summary": map[string]int{"deleted": deleted, "not_deleted": notDeleted}}})
		return
	}
	var created []Rule
	var errs []map[string]any
	for _, a := range req.Add {
		if i := s.find(func(r Rule) bool { return r.Value == a.Value }); i >= 0 {
			errs = append(errs, map[string]any{"value": a.Value, "id": s.rules[i].ID, "title": "DuplicateRule",
				"type": "https://api.twitter.com/2/problems/duplicate-rules"})
			continue
		}
		if strings.TrimSpace(a.Value) == "" || len(a.Value) > 1024 {
			errs = append(errs, map[string]any{"value": a.Value, "details": []string{"Rule is empty or too long"},
				"title": "UnprocessableEntity", "type": "https://api.twitter.com/2/problems/invalid-rules"})
			continue
		}
		s.nextID++
		a.ID = strconv.Itoa(s.nextID)
		s.rules = append(s.rules, a)
		created = append(created, a)
	}
	out := map[string]any{"meta": map[string]any{"sent": sent(), "summary": map[string]int{
		"created": len(created), "not_created": len(errs), "valid": len(created), "invalid": len(errs)}}}
	if len(created) > 0 {
		out["data"] = created
	}
	if len(errs) > 0 {
		out["errors"] = errs
	}
	writeJSON(w, http.StatusCreated, out)
}

func (s *Server) find(f func(Rule) bool) int {
	for i, r := range s.rules {
		if f(r) {
			return i
		}
	}
	return -1
}

// isPost says whether a line is a post (what a backfill resends).
func isPost(line []byte) bool { return bytes.HasPrefix(line, []byte(`{"data":`)) }

// ends says whether a line is X's operational disconnect.
func ends(line []byte) bool {
	return !isPost(line) && bytes.Contains(line, []byte("operational-disconnect"))
}

func (s *Server) serveStream(w http.ResponseWriter, r *http.Request) {
	q := r.URL.Query()
	for k, want := range map[string][]string{
		"tweet.fields": {"created_at", "lang", "author_id", "geo"},
		"expansions":   {"author_id", "geo.place_id"},
		"place.fields": {"country_code"},
	} {
		got := strings.Split(q.Get(k), ",")
		for _, f := range want {
			if !slices.Contains(got, f) {
				problem(w, http.StatusBadRequest, "Invalid Request", fmt.Sprintf("want %s in %s", f, k), "https://api.twitter.com/2/problems/invalid-request")
				return
			}
		}
	}
	backfill := 0
	if v := q.Get("backfill_minutes"); v != "" {
		n, err := strconv.Atoi(v)
		if err != nil || n < 0 || n > 5 {
			problem(w, http.StatusBadRequest, "Invalid Request", "backfill_minutes: want 0 to 5", "https://api.twitter.com/2/problems/invalid-request")
			return
		}
		backfill = n
	}
	s.mu.Lock()
	p := s.o.Plan[min(s.conns, len(s.o.Plan)-1)]
	s.conns++
	from := s.pos
	s.mu.Unlock()
	if p.Status != 0 {
		if p.Status == http.StatusTooManyRequests {
			w.Header().Set("x-rate-limit-reset", strconv.FormatInt(time.Now().Add(p.Reset).Unix(), 10))
			writeJSON(w, p.Status, map[string]any{"title": "ConnectionException", "detail": "This stream is currently at the maximum allowed connection limit.",
				"connection_issue": "TooManyConnections", "type": "https://api.twitter.com/2/problems/streaming-connection"})
			return
		}
		problem(w, p.Status, http.StatusText(p.Status), http.StatusText(p.Status), "about:blank")
		return
	}
	w.Header().Set("Content-Type", "application/json")
	w.WriteHeader(http.StatusOK)
	f := w.(http.Flusher)
	f.Flush()
	write := func(line []byte) bool {
		if _, err := w.Write(append(append([]byte(nil), line...), '\r', '\n')); err != nil {
			return false
		}
		f.Flush()
		return true
	}
	if backfill > 0 {
		var again [][]byte
		for k := from - 1; k >= 0 && len(again) < s.o.Backfill; k-- {
			if isPost(s.o.Lines[k]) {
				again = append([][]byte{s.o.Lines[k]}, again...)
			}
		}
		for _, l := range again {
			if !write(l) {
				return
			}
		}
	}
	for _, x := range p.Extra {
		if !write(x) {
			return
		}
	}
	ctx := r.Context()
	for k, n := from, 0; k < len(s.o.Lines); k, n = k+1, n+1 {
		if p.Send >= 0 && n == p.Send {
			if p.Stall {
				<-ctx.Done()
				return
			}
			panic(http.ErrAbortHandler) // a dropped connection: the response never ends
		}
		if !write(s.o.Lines[k]) {
			return
		}
		s.mu.Lock()
		s.pos = k + 1
		s.mu.Unlock()
		if ends(s.o.Lines[k]) {
			return
		}
	}
	s.once.Do(func() { close(s.SentAll) })
	t := time.NewTicker(s.o.KeepAlive)
	defer t.Stop()
	for {
		select {
		case <-ctx.Done():
			return
		case <-t.C:
			if !write(nil) {
				return
			}
			s.mu.Lock()
			s.keepAlives++
			s.mu.Unlock()
		}
	}
}
