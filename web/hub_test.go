package web

import (
	"bufio"
	"context"
	"encoding/json"
	"fmt"
	"io"
	"math"
	"net/http"
	"net/http/httptest"
	"strings"
	"testing"
	"time"

	"go.uber.org/zap/zaptest"

	"github.com/outcry-dev/outcry/counts"
	"github.com/outcry-dev/outcry/detect/evaluate"
	"github.com/outcry-dev/outcry/detect/incident"
	"github.com/outcry-dev/outcry/internal/testenv"
)

var t0 = time.Date(2022, 10, 25, 6, 0, 0, 0, time.UTC)

// verdict is the verdict of the bucket at start with a full 2-minute window.
// named returns the service of st named name (the zero value when st lacks it).
func named(st State, name string) ServiceState {
	for _, s := range st.Services {
		if s.Name == name {
			return s
		}
	}
	return ServiceState{}
}

func verdict(start time.Time, posts, complaints int64, expected float64) evaluate.Verdict {
	return evaluate.Verdict{
		Reason:      evaluate.ReasonNormal,
		BucketStart: start,
		WindowStart: start.Add(-110 * time.Second),
		WindowEnd:   start.Add(10 * time.Second),
		Bucket:      counts.Counts{Posts: posts, Complaints: complaints},
		Window:      counts.Counts{Posts: posts * 12, Complaints: complaints * 12},
		Expected:    expected,
		Ratio:       float64(complaints*12) / expected,
	}
}

func state(t *testing.T, h *Hub) State {
	t.Helper()
	b, _ := h.snapshot()
	var st State
	if err := json.Unmarshal(b, &st); err != nil {
		t.Fatal(err)
	}
	return st
}

func TestObserveAggregatesMinutes(t *testing.T) {
	h := NewHub([]Service{{"whatsapp", "WhatsApp"}, {"x", ""}}, zaptest.NewLogger(t))
	for i := range 9 { // a full minute and half of the next
		h.Observe("whatsapp", verdict(t0.Add(time.Duration(i)*10*time.Second), 2, 1, 0.4))
	}
	st := state(t, h)
	if len(st.Services) != 2 || st.Services[0].Name != "whatsapp" || st.Services[1].Display != "x" {
		t.Fatalf("services = %+v", st.Services)
	}
	m := st.Services[0].Minutes
	if !m.Start.Equal(t0) {
		t.Errorf("start = %v, want %v", m.Start, t0)
	}
	if fmt.Sprint(m.Posts, m.Complaints, m.Complete) != "[12 6] [6 3] [true false]" {
		t.Errorf("posts, complaints, complete = %v %v %v", m.Posts, m.Complaints, m.Complete)
	}
	// Expected is per 2-minute window: 0.4 → 0.2 per minute.
	if len(m.Baseline) != 2 || *m.Baseline[0] != 0.2 || *m.Baseline[1] != 0.2 {
		t.Errorf("baseline = %v", m.Baseline)
	}
	if want := t0.Add(90 * time.Second); !st.AsOf.Equal(want) || !st.Services[0].Updated.Equal(want) {
		t.Errorf("as_of = %v, updated = %v, want %v", st.AsOf, st.Services[0].Updated, want)
	}
	if st.Services[0].Window != 12 || st.Services[0].WindowMinutes != 2 {
		t.Errorf("latest = %+v", st.Services[0])
	}
	if st.Services[1].Minutes.Start != nil || len(st.Services[1].Minutes.Posts) != 0 || st.Services[1].Updated != nil {
		t.Errorf("unseen service = %+v", st.Services[1])
	}
}

func TestHistoryIsBounded(t *testing.T) {
	h := NewHub(nil, zaptest.NewLogger(t))
	// Four hours of buckets, with a 5-minute gap in the middle.
	var last time.Time
	for i := range 4 * 360 {
		if i >= 700 && i < 730 {
			continue
		}
		last = t0.Add(time.Duration(i) * 10 * time.Second)
		h.Observe("whatsapp", verdict(last, 1, 1, 0.4))
	}
	m := state(t, h).Services[0].Minutes
	if len(m.Posts) != historyMinutes || len(m.Baseline) != historyMinutes {
		t.Fatalf("kept %d minutes, want %d", len(m.Posts), historyMinutes)
	}
	if want := last.Truncate(time.Minute).Add(-(historyMinutes - 1) * time.Minute); !m.Start.Equal(want) {
		t.Errorf("first minute %v, want %v", m.Start, want)
	}
	if cap(h.services["whatsapp"].minutes) > 2*historyMinutes {
		t.Errorf("backing array grew to %d", cap(h.services["whatsapp"].minutes))
	}
	// A jump further than the history starts over.
	h.Observe("whatsapp", verdict(last.Add(5*time.Hour), 1, 1, 0.4))
	if m := state(t, h).Services[0].Minutes; len(m.Posts) != 1 {
		t.Errorf("after a jump: %d minutes", len(m.Posts))
	}
	// Unknown services are added, up to a bound.
	for i := range maxUndeclared + 10 {
		h.Observe(fmt.Sprintf("svc%d", i), verdict(t0, 1, 1, 1))
	}
	if n := state(t, h).ServicesTotal; n != maxUndeclared {
		t.Errorf("%d services, want %d", n, maxUndeclared)
	}
}

func TestHistoryGapsAreEmptyMinutes(t *testing.T) {
	h := NewHub(nil, zaptest.NewLogger(t))
	h.Observe("x", verdict(t0, 1, 1, 0.4))
	h.Observe("x", verdict(t0.Add(3*time.Minute), 1, 1, 0.4))
	h.Observe("x", verdict(t0.Add(30*time.Second), 5, 5, 0.4)) // late, into an existing minute
	m := state(t, h).Services[0].Minutes
	if fmt.Sprint(m.Posts) != "[6 0 0 1]" || m.Baseline[1] != nil {
		t.Errorf("posts %v baseline %v", m.Posts, m.Baseline)
	}
}

func incidentEvent(typ, service string, at time.Time, seq int) incident.Event {
	id := service + "-" + t0.Format("20060102T1504")
	d := incident.Data{
		IncidentID: id, Service: service, State: strings.TrimPrefix(typ, "outcry.incident."), Severity: incident.SeverityMajor,
		StartedAt: t0, DetectedAt: t0.Add(2 * time.Minute),
		Window:   incident.Span{Start: at.Add(-2 * time.Minute), End: at},
		Mentions: 420, DistinctAuthors: 400, Baseline: 0.5, Ratio: 840, Score: 50,
		Problems:  map[string]float64{"messages": 0.6, "login": 0.3},
		Countries: map[string]float64{"SA": 0.5, "IN": 0.2},
		Languages: map[string]float64{"ar": 0.7, "en": 0.3},
		Related:   []string{"facebook"}, Samples: []string{"1850001"},
	}
	if typ == incident.TypeResolved {
		r := at
		d.ResolvedAt = &r
	}
	return incident.Event{ID: fmt.Sprintf("%s-%d", id, seq), Type: typ, Time: at, Data: d}
}

func TestStateJSON(t *testing.T) {
	h := NewHub([]Service{{"facebook", "Facebook"}, {"whatsapp", "واتساب"}}, zaptest.NewLogger(t))
	srv := httptest.NewServer(h.Handler())
	defer srv.Close()
	h.Observe("whatsapp", verdict(t0, 2, 1, 0.4))
	h.Event(incidentEvent(incident.TypeStarted, "whatsapp", t0.Add(2*time.Minute), 1))
	h.Event(incidentEvent(incident.TypeUpdated, "whatsapp", t0.Add(3*time.Minute), 2))

	get := func() (State, map[string]any) {
		resp, err := http.Get(srv.URL + "/api/state")
		if err != nil {
			t.Fatal(err)
		}
		defer resp.Body.Close()
		if ct := resp.Header.Get("Content-Type"); ct != "application/json" {
			t.Errorf("content type %q", ct)
		}
		b, _ := io.ReadAll(resp.Body)
		var st State
		var raw map[string]any
		if err := json.Unmarshal(b, &st); err != nil {
			t.Fatal(err)
		}
		_ = json.Unmarshal(b, &raw)
		return st, raw
	}
	st, raw := get()
	if len(st.Incidents) != 1 {
		t.Fatalf("incidents = %+v", st.Incidents)
	}
	inc := st.Incidents[0]
	if inc.Display != "واتساب" || inc.State != "updated" || inc.Ratio != 840 || inc.Authors != 400 ||
		inc.Problems[0] != (Share{"messages", 0.6}) || inc.Countries[0].Label != "SA" ||
		len(inc.Related) != 1 || inc.Related[0].Display != "Facebook" || inc.Samples[0] != "1850001" {
		t.Errorf("incident = %+v", inc)
	}
	if wa, fb := named(st, "whatsapp"), named(st, "facebook"); wa.Incident == nil || wa.Status != "major" || fb.Incident != nil {
		t.Errorf("services = %+v", st.Services)
	}
	if len(st.Timeline) != 2 || st.Timeline[0].Type != "updated" || st.Timeline[1].Type != "started" || st.Timeline[0].Display != "واتساب" {
		t.Errorf("timeline = %+v", st.Timeline)
	}
	if !st.AsOf.Equal(t0.Add(3 * time.Minute)) {
		t.Errorf("as_of = %v", st.AsOf)
	}
	for _, k := range []string{"as_of", "version", "band", "services", "services_total", "incidents", "timeline"} {
		if _, ok := raw[k]; !ok {
			t.Errorf("state has no %q", k)
		}
	}

	h.Event(incidentEvent(incident.TypeResolved, "whatsapp", t0.Add(20*time.Minute), 3))
	st, _ = get()
	if wa := named(st, "whatsapp"); len(st.Incidents) != 0 || wa.Incident != nil || wa.LastIncident == nil ||
		wa.LastIncident.ResolvedAt == nil || st.Timeline[0].Type != "resolved" {
		t.Errorf("after resolution: %+v", st)
	}
	for i := range timelineMax + 20 {
		h.Event(incidentEvent(incident.TypeUpdated, "facebook", t0.Add(time.Duration(30+i)*time.Minute), 10+i))
	}
	if st, _ = get(); len(st.Timeline) != timelineMax || st.Timeline[0].ID != fmt.Sprintf("facebook-%s-%d", t0.Format("20060102T1504"), 10+timelineMax+19) {
		t.Errorf("timeline: %d entries, newest %q", len(st.Timeline), st.Timeline[0].ID)
	}
}

// sseReader reads server-sent events from /api/stream.
type sseReader struct {
	t    *testing.T
	body io.ReadCloser
	r    *bufio.Reader
}

func openStream(t *testing.T, ctx context.Context, url string) *sseReader {
	t.Helper()
	req, _ := http.NewRequestWithContext(ctx, "GET", url, nil)
	resp, err := http.DefaultClient.Do(req)
	if err != nil {
		t.Fatal(err)
	}
	if ct := resp.Header.Get("Content-Type"); ct != "text/event-stream" {
		t.Fatalf("content type %q", ct)
	}
	t.Cleanup(func() { resp.Body.Close() })
	return &sseReader{t: t, body: resp.Body, r: bufio.NewReader(resp.Body)}
}

// next returns the next "state" event, or an error (EOF when the stream ends; the
// request context's deadline bounds the wait).
func (s *sseReader) next() (State, error) {
	var event, data string
	for {
		line, err := s.r.ReadString('\n')
		if err != nil {
			return State{}, err
		}
		line = strings.TrimRight(line, "\n")
		switch {
		case line == "":
			if event == "state" {
				var st State
				err := json.Unmarshal([]byte(data), &st)
				return st, err
			}
			event, data = "", ""
		case strings.HasPrefix(line, "event: "):
			event = strings.TrimPrefix(line, "event: ")
		case strings.HasPrefix(line, "data: "):
			data += strings.TrimPrefix(line, "data: ")
		}
	}
}

func (s *sseReader) until(what string, ok func(State) bool) State {
	s.t.Helper()
	for {
		st, err := s.next()
		if err != nil {
			s.t.Fatalf("waiting for %s: %v", what, err)
		}
		if ok(st) {
			return st
		}
	}
}

func TestStreamDeliversUpdates(t *testing.T) {
	h := NewHub([]Service{{"whatsapp", "WhatsApp"}}, zaptest.NewLogger(t))
	srv := httptest.NewServer(http.StripPrefix("/live", h.Handler()))
	defer srv.Close()
	defer h.Close()
	ctx, cancel := context.WithTimeout(context.Background(), 10*time.Second)
	defer cancel()
	s := openStream(t, ctx, srv.URL+"/live/api/stream")

	first := s.until("the initial state", func(State) bool { return true })
	if first.AsOf != nil || len(first.Incidents) != 0 {
		t.Errorf("initial state = %+v", first)
	}
	h.Observe("whatsapp", verdict(t0, 3, 2, 0.4))
	st := s.until("the observed bucket", func(st State) bool { return st.AsOf != nil })
	if st.Services[0].Minutes.Complaints[0] != 2 {
		t.Errorf("state after Observe = %+v", st.Services[0])
	}
	// A burst of changes is coalesced, and the last one always arrives.
	for i := 1; i < 60; i++ {
		h.Observe("whatsapp", verdict(t0.Add(time.Duration(i)*10*time.Second), 3, 2, 0.4))
	}
	h.Event(incidentEvent(incident.TypeStarted, "whatsapp", t0.Add(10*time.Minute), 1))
	n := 0
	st = s.until("the started event", func(st State) bool { n++; return len(st.Incidents) == 1 })
	if n > 10 || st.Incidents[0].State != "started" || len(st.Services[0].Minutes.Posts) != 10 {
		t.Errorf("after %d messages: %+v", n, st.Incidents)
	}

	// Close ends the stream.
	h.Close()
	if _, err := s.next(); err != io.EOF && !strings.Contains(fmt.Sprint(err), "EOF") {
		t.Errorf("after Close: %v, want EOF", err)
	}
	resp, err := http.Get(srv.URL + "/live/api/stream")
	if err != nil {
		t.Fatal(err)
	}
	resp.Body.Close()
	if resp.StatusCode != http.StatusServiceUnavailable {
		t.Errorf("stream after Close: %s", resp.Status)
	}
}

func TestHandlerServesPageUnderPrefix(t *testing.T) {
	h := NewHub(nil, zaptest.NewLogger(t))
	mux := http.NewServeMux()
	mux.Handle("/live/", http.StripPrefix("/live", h.Handler()))
	mux.Handle("/live", http.StripPrefix("/live", h.Handler()))
	srv := httptest.NewServer(mux)
	defer srv.Close()
	client := &http.Client{CheckRedirect: func(*http.Request, []*http.Request) error { return http.ErrUseLastResponse }}

	for _, c := range []struct{ path, ctype, contains string }{
		{"/live/", "text/html", `src="assets/app.js"`},
		{"/live/assets/app.js", "javascript", "EventSource"},
		{"/live/assets/app.css", "text/css", "unicode-bidi: isolate"},
	} {
		resp, err := client.Get(srv.URL + c.path)
		if err != nil {
			t.Fatal(err)
		}
		b, _ := io.ReadAll(resp.Body)
		resp.Body.Close()
		if resp.StatusCode != 200 || !strings.Contains(resp.Header.Get("Content-Type"), c.ctype) || !strings.Contains(string(b), c.contains) {
			t.Errorf("%s: %s %q, body has %q: %v", c.path, resp.Status, resp.Header.Get("Content-Type"), c.contains, strings.Contains(string(b), c.contains))
		}
		if resp.Header.Get("Content-Security-Policy") == "" {
			t.Errorf("%s: no CSP", c.path)
		}
	}
	resp, err := client.Get(srv.URL + "/live?x=1")
	if err != nil {
		t.Fatal(err)
	}
	resp.Body.Close()
	if loc := resp.Header.Get("Location"); resp.StatusCode != http.StatusMovedPermanently || loc != "/live/?x=1" {
		t.Errorf("/live: %s → %q", resp.Status, loc)
	}
	resp, err = client.Get(srv.URL + "/live/nope")
	if err != nil {
		t.Fatal(err)
	}
	resp.Body.Close()
	if resp.StatusCode != http.StatusNotFound {
		t.Errorf("/live/nope: %s", resp.Status)
	}
}

// TestWithDetectors runs the real evaluation series and incident trackers into the Hub,
// the way the monitor does, and checks that the page's open incidents follow theirs.
func TestWithDetectors(t *testing.T) {
	names := []string{"whatsapp", "facebook"}
	h := NewHub([]Service{{"whatsapp", "WhatsApp"}, {"facebook", "Facebook"}}, zaptest.NewLogger(t))
	series := map[string]*evaluate.Series{}
	trackers := map[string]*incident.Tracker{}
	for _, n := range names {
		series[n] = evaluate.NewSeries(evaluate.Params{})
		trackers[n] = incident.NewTracker(n, incident.Params{})
	}
	events := 0
	for i := range 6 * 100 {
		at := t0.Add(time.Duration(i) * 10 * time.Second)
		for j, n := range names {
			c := counts.Counts{Posts: 3, Complaints: int64(i % 7 / 6), Authors: int64(i % 7 / 6)}
			if i >= 6*45 && i < 6*60 { // a loud outage of WhatsApp, a smaller one of Facebook
				k := int64(60 / (j*4 + 1))
				c = counts.Counts{Posts: k + 3, Complaints: k, Authors: k, Problems: map[string]int64{"login": k}}
			}
			v := series[n].Step(at, c)
			h.Observe(n, v)
			for _, e := range trackers[n].Step(v, nil) {
				h.Event(e)
				events++
			}
			series[n].Hold(trackers[n].Open())
			st := state(t, h)
			if open := named(st, n).Incident != nil; open != trackers[n].Open() {
				t.Fatalf("%s at %v: page shows open=%v, tracker %v", n, at, open, trackers[n].Open())
			}
		}
	}
	st := state(t, h)
	if len(st.Timeline) != events || len(st.Services[0].Minutes.Posts) != 100 {
		t.Errorf("%d timeline entries for %d events, %d minutes", len(st.Timeline), events, len(st.Services[0].Minutes.Posts))
	}
	t.Logf("%d incident events", events)
}

// TestHubHoldsAllDeclaredServices: the rules may declare up to 16,384 services, and
// the page shows every one of them; only services the rules do not declare are capped.
func TestHubHoldsAllDeclaredServices(t *testing.T) {
	for _, n := range []int{maxUndeclared + 1, 1000, 16384} {
		t.Run(fmt.Sprint(n), func(t *testing.T) {
			declared := make([]Service, n)
			for i := range declared {
				declared[i] = Service{Name: fmt.Sprintf("svc%05d", i), Display: fmt.Sprintf("Service %d", i)}
			}
			h := NewHub(declared, zaptest.NewLogger(t))
			for i, s := range declared {
				h.Observe(s.Name, verdict(t0, int64(i), 1, 0.4))
			}
			// Undeclared services still come in, up to their own bound.
			for i := range maxUndeclared + 10 {
				h.Observe(fmt.Sprintf("extra%d", i), verdict(t0, 1, 1, 0.4))
			}
			st := h.Page("", 0, math.MaxInt)
			if len(st.Services) != n+maxUndeclared || st.Total != n+maxUndeclared {
				t.Fatalf("%d services, want %d declared + %d undeclared", len(st.Services), n, maxUndeclared)
			}
			for i, s := range declared {
				got := st.Services[i]
				if got.Name != s.Name || got.Display != s.Display || len(got.Minutes.Posts) != 1 || got.Minutes.Posts[0] != int64(i) {
					t.Fatalf("service %d = %s %q %v, want %s %q [%d]", i, got.Name, got.Display, got.Minutes.Posts, s.Name, s.Display, i)
				}
			}
			if got := st.Services[n].Name; got != "extra0" {
				t.Errorf("first undeclared service %q, want extra0 after the declared ones", got)
			}
		})
	}
}

// TestHubStateOfManyServices: with 50,000 services /api/state carries the first page
// and the total, /api/services serves any page and searches by name (a bad parameter
// is refused, saying what is allowed), and a burst of requests after a change builds
// the state once, not once per request (every open stream asks for it after each
// change).
func TestHubStateOfManyServices(t *testing.T) {
	const n = 50000
	declared := make([]Service, n)
	for i := range declared {
		declared[i] = Service{Name: fmt.Sprintf("svc%05d", i)}
	}
	h := NewHub(declared, zaptest.NewLogger(t))
	for i := range 6 { // a minute of buckets for each
		for _, s := range declared {
			h.Observe(s.Name, verdict(t0.Add(time.Duration(i)*10*time.Second), 3, 1, 0.4))
		}
	}
	srv := httptest.NewServer(h.Handler())
	defer srv.Close()
	start := time.Now()
	resp, err := http.Get(srv.URL + "/api/state")
	if err != nil {
		t.Fatal(err)
	}
	b, err := io.ReadAll(resp.Body)
	resp.Body.Close()
	if err != nil || resp.StatusCode != http.StatusOK {
		t.Fatalf("GET /api/state: %s, %v", resp.Status, err)
	}
	var st State
	if err := json.Unmarshal(b, &st); err != nil {
		t.Fatal(err)
	}
	if len(st.Services) != PageSize || st.ServicesTotal != n || st.Services[PageSize-1].Name != "svc00049" {
		t.Fatalf("%d services of %d, the last %s", len(st.Services), st.ServicesTotal, st.Services[len(st.Services)-1].Name)
	}
	t.Logf("%d services: %d bytes in %s", n, len(b), time.Since(start))
	get := func(query string) (int, Page, string) {
		t.Helper()
		resp, err := http.Get(srv.URL + "/api/services?" + query)
		if err != nil {
			t.Fatal(err)
		}
		defer resp.Body.Close()
		b, _ := io.ReadAll(resp.Body)
		var p Page
		if resp.StatusCode == http.StatusOK {
			if err := json.Unmarshal(b, &p); err != nil {
				t.Fatal(err)
			}
		}
		return resp.StatusCode, p, string(b)
	}
	for _, tt := range []struct {
		query       string
		total       int
		first, last string
	}{
		{"", n, "svc00000", "svc00049"},
		{"offset=49990&limit=100", n, "svc49990", "svc49999"},
		{"q=SVC4999", 10, "svc49990", "svc49999"},
		{"q=12345", 1, "svc12345", "svc12345"},
		{"q=nothing", 0, "", ""},
	} {
		code, p, body := get(tt.query)
		if code != http.StatusOK || p.Total != tt.total {
			t.Errorf("?%s: %d, %d services; want %d: %s", tt.query, code, p.Total, tt.total, body[:min(len(body), 200)])
			continue
		}
		if tt.total > 0 && (p.Services[0].Name != tt.first || p.Services[len(p.Services)-1].Name != tt.last || p.Services[0].Minutes.Posts[0] != 18) {
			t.Errorf("?%s: %s … %s, want %s … %s", tt.query, p.Services[0].Name, p.Services[len(p.Services)-1].Name, tt.first, tt.last)
		}
	}
	for _, query := range []string{"limit=0", "limit=501", "offset=-1", "offset=x"} {
		if code, _, body := get(query); code != http.StatusBadRequest || !strings.Contains(body, "want a whole number from") {
			t.Errorf("?%s: %d %q, want 400 saying what is allowed", query, code, body)
		}
	}

	// After a change, concurrent snapshots share one build: all get the same bytes.
	h.Observe("svc00000", verdict(t0.Add(time.Minute), 1, 1, 0.4))
	const readers = 16
	docs := make(chan []byte, readers)
	for range readers {
		go func() {
			b, _ := h.snapshot()
			docs <- b
		}()
	}
	first := <-docs
	for range readers - 1 {
		if b := <-docs; &b[0] != &first[0] {
			t.Fatal("concurrent snapshots built the document more than once")
		}
	}
}

// TestStreamCap: beyond maxStreams live streams, a new one is refused with 503, a
// Retry-After and a message saying why; once one closes, a new one is let in.
func TestStreamCap(t *testing.T) {
	const max = 3
	h := NewHub([]Service{{"whatsapp", "WhatsApp"}}, zaptest.NewLogger(t))
	h.maxStreams = max // the default is 256
	srv := httptest.NewServer(h.Handler())
	defer srv.Close()
	defer h.Close()
	ctx, cancel := context.WithTimeout(context.Background(), 10*time.Second)
	defer cancel()

	cancels := make([]context.CancelFunc, max)
	for i := range max {
		sctx, scancel := context.WithCancel(ctx)
		cancels[i] = scancel
		s := openStream(t, sctx, srv.URL+"/api/stream")
		s.until("the first state", func(State) bool { return true })
	}
	get := func() (int, http.Header, string) {
		req, _ := http.NewRequestWithContext(ctx, http.MethodGet, srv.URL+"/api/stream", nil)
		resp, err := http.DefaultClient.Do(req)
		if err != nil {
			t.Fatal(err)
		}
		if resp.StatusCode == http.StatusOK {
			t.Cleanup(func() { resp.Body.Close() })
			return resp.StatusCode, resp.Header, ""
		}
		defer resp.Body.Close()
		b, _ := io.ReadAll(resp.Body)
		return resp.StatusCode, resp.Header, string(b)
	}
	code, hd, body := get()
	if code != http.StatusServiceUnavailable || hd.Get("Retry-After") == "" || !strings.Contains(body, "too many live streams (3); try again later") {
		t.Fatalf("stream %d: %d, Retry-After %q, %q", max+1, code, hd.Get("Retry-After"), body)
	}
	if n := h.RefusedStreams(); n != 1 {
		t.Errorf("%d refusals counted, want 1", n)
	}
	// The page and its snapshot stay available while streams are full.
	resp, err := http.Get(srv.URL + "/api/state")
	if err != nil {
		t.Fatal(err)
	}
	resp.Body.Close()
	if resp.StatusCode != http.StatusOK {
		t.Errorf("/api/state while streams are full: %s", resp.Status)
	}

	cancels[0]() // a browser tab closes
	testenv.Eventually(t, 5*time.Second, "a stream to be let in after one closed", func() bool {
		code, _, _ := get()
		return code == http.StatusOK
	})
	for _, c := range cancels {
		c()
	}
}
