package webhook

import (
	"context"
	"errors"
	"io"
	"net/http"
	"net/http/httptest"
	"strings"
	"sync"
	"sync/atomic"
	"testing"
	"time"

	"github.com/outcry-dev/outcry/alert"
	"github.com/outcry-dev/outcry/detect/incident"
)

func testEvent(id string) incident.Event {
	at := time.Date(2022, 10, 25, 7, 19, 10, 0, time.UTC)
	return incident.Event{ID: id, Type: incident.TypeStarted, Time: at, Data: incident.Data{
		IncidentID: "whatsapp-20221025T0717", Service: "whatsapp", State: "started", Severity: "major",
		StartedAt: at.Add(-2 * time.Minute), DetectedAt: at, Window: incident.Span{Start: at.Add(-5 * time.Minute), End: at},
		Mentions: 1234, DistinctAuthors: 1180, Baseline: 8.5, Ratio: 145.2, Score: 31.7,
		Problems: map[string]float64{"messages": 0.62}, Related: []string{}, Samples: []string{"1850001"},
	}}
}

// newSink returns a sink to url whose back-off waits are recorded instead of slept.
func newSink(t *testing.T, url string, cfg Config) (*Sink, *[]time.Duration) {
	t.Helper()
	cfg.URL = url
	s, err := New(cfg, nil, nil)
	if err != nil {
		t.Fatal(err)
	}
	var (
		mu    sync.Mutex
		waits []time.Duration
	)
	s.sleep = func(ctx context.Context, d time.Duration) error {
		mu.Lock()
		waits = append(waits, d)
		mu.Unlock()
		return ctx.Err()
	}
	return s, &waits
}

func TestWebhookSignature(t *testing.T) {
	secret := []byte("s3cret")
	type got struct {
		header http.Header
		body   []byte
	}
	reqs := make(chan got, 2)
	srv := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		b, _ := io.ReadAll(r.Body)
		reqs <- got{r.Header.Clone(), b}
		w.WriteHeader(http.StatusAccepted)
	}))
	defer srv.Close()
	s, _ := newSink(t, srv.URL+"/hook", Config{Secret: secret})
	e1, e2 := testEvent("whatsapp-20221025T0717-1"), testEvent("whatsapp-20221025T0717-2")
	if err := s.Publish(context.Background(), []incident.Event{e1, e2}); err != nil {
		t.Fatal(err)
	}
	for _, want := range []incident.Event{e1, e2} {
		r := <-reqs
		if ct := r.header.Get("Content-Type"); ct != "application/cloudevents+json" {
			t.Errorf("Content-Type %q", ct)
		}
		if id := r.header.Get(HeaderEventID); id != want.ID {
			t.Errorf("%s = %q, want %q", HeaderEventID, id, want.ID)
		}
		sig := r.header.Get(HeaderSignature)
		if !strings.HasPrefix(sig, "sha256=") || len(sig) != len("sha256=")+64 {
			t.Errorf("signature header %q", sig)
		}
		if !Verify(secret, r.body, sig) {
			t.Errorf("Verify rejects the signature of the posted body")
		}
		if Verify([]byte("other"), r.body, sig) || Verify(secret, append(r.body, ' '), sig) ||
			Verify(secret, r.body, strings.TrimPrefix(sig, "sha256=")) || Verify(secret, r.body, "sha256=zz") {
			t.Errorf("Verify accepts a wrong secret, body or header")
		}
		wantBody, _ := alert.Encode(want)
		if string(r.body) != string(wantBody) {
			t.Errorf("body is not the structured CloudEvent:\n%s\nwant\n%s", r.body, wantBody)
		}
		if e, err := alert.Decode(r.body); err != nil || e.ID != want.ID || e.Data.Mentions != 1234 {
			t.Errorf("decoded %+v, %v", e, err)
		}
	}
}

func TestWebhookRetriesOn503ThenSucceeds(t *testing.T) {
	var calls atomic.Int32
	srv := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		switch calls.Add(1) {
		case 1:
			w.Header().Set("Retry-After", "7")
			http.Error(w, "busy", http.StatusServiceUnavailable)
		case 2:
			http.Error(w, "still busy", http.StatusServiceUnavailable)
		default:
			w.WriteHeader(http.StatusOK)
		}
	}))
	defer srv.Close()
	s, waits := newSink(t, srv.URL, Config{MaxAttempts: 5, Backoff: 100 * time.Millisecond})
	if err := s.Publish(context.Background(), []incident.Event{testEvent("e-1")}); err != nil {
		t.Fatal(err)
	}
	if n := calls.Load(); n != 3 {
		t.Errorf("%d attempts, want 3", n)
	}
	// Retry-After wins for the first wait; then 100ms·2 minus up to 20% jitter
	if len(*waits) != 2 || (*waits)[0] != 7*time.Second || (*waits)[1] > 200*time.Millisecond || (*waits)[1] < 160*time.Millisecond {
		t.Errorf("waits %v, want [7s ~200ms]", *waits)
	}
}

func TestWebhookRetriesNetworkErrorsAnd429(t *testing.T) {
	var calls atomic.Int32
	srv := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		switch calls.Add(1) {
		case 1: // the connection drops without a response
			c, _, err := w.(http.Hijacker).Hijack()
			if err == nil {
				c.Close()
			}
		case 2:
			w.WriteHeader(http.StatusTooManyRequests)
		default:
			w.WriteHeader(http.StatusNoContent)
		}
	}))
	defer srv.Close()
	s, _ := newSink(t, srv.URL, Config{Backoff: time.Millisecond})
	if err := s.Publish(context.Background(), []incident.Event{testEvent("e-1")}); err != nil {
		t.Fatal(err)
	}
	if n := calls.Load(); n != 3 {
		t.Errorf("%d attempts, want 3", n)
	}
}

func TestWebhookNoRetryOn400(t *testing.T) {
	var calls atomic.Int32
	srv := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		calls.Add(1)
		http.Error(w, "bad signature", http.StatusBadRequest)
	}))
	defer srv.Close()
	s, waits := newSink(t, srv.URL+"/hook?token=abc", Config{Backoff: time.Millisecond})
	err := s.Publish(context.Background(), []incident.Event{testEvent("e-1"), testEvent("e-2")})
	var se *StatusError
	if !errors.As(err, &se) || se.Code != 400 || !strings.Contains(err.Error(), "status 400 Bad Request: bad signature") {
		t.Fatalf("error %v, want one naming status 400", err)
	}
	if strings.Contains(err.Error(), "token=abc") {
		t.Errorf("error leaks the URL's query: %v", err)
	}
	if n := calls.Load(); n != 1 || len(*waits) != 0 {
		t.Errorf("%d attempts and waits %v; a 400 is not retried and the next event is not sent", n, *waits)
	}
}

func TestWebhookGivesUpAfterMaxAttempts(t *testing.T) {
	var calls atomic.Int32
	srv := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		calls.Add(1)
		w.WriteHeader(http.StatusBadGateway)
	}))
	defer srv.Close()
	s, waits := newSink(t, srv.URL, Config{MaxAttempts: 3, Backoff: 10 * time.Millisecond})
	err := s.Publish(context.Background(), []incident.Event{testEvent("e-1")})
	if err == nil || !strings.Contains(err.Error(), "3 attempts failed") || !strings.Contains(err.Error(), "502") {
		t.Fatalf("error %v", err)
	}
	if n := calls.Load(); n != 3 || len(*waits) != 2 {
		t.Errorf("%d attempts, waits %v", n, *waits)
	}
	// exponential: the second wait is about twice the first
	if w := *waits; w[1] < w[0] || w[0] > 10*time.Millisecond || w[1] > 20*time.Millisecond {
		t.Errorf("waits %v, want ~10ms then ~20ms", w)
	}
}

func TestWebhookContextCancel(t *testing.T) {
	arrived := make(chan struct{}, 1)
	release := make(chan struct{})
	srv := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		arrived <- struct{}{}
		select {
		case <-r.Context().Done():
		case <-release:
		}
	}))
	defer srv.Close()
	defer close(release)
	s, err := New(Config{URL: srv.URL, Timeout: time.Minute, Backoff: time.Minute}, nil, nil)
	if err != nil {
		t.Fatal(err)
	}
	ctx, cancel := context.WithCancel(context.Background())
	done := make(chan error, 1)
	go func() { done <- s.Publish(ctx, []incident.Event{testEvent("e-1")}) }()
	<-arrived
	cancel()
	select {
	case err := <-done:
		if !errors.Is(err, context.Canceled) {
			t.Errorf("error %v, want context.Canceled", err)
		}
	case <-time.After(10 * time.Second):
		t.Fatal("Publish did not return after its context was cancelled")
	}

	// cancelled while waiting to retry (a real, minute-long back-off)
	srv503 := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		w.WriteHeader(http.StatusServiceUnavailable)
		arrived <- struct{}{}
	}))
	defer srv503.Close()
	s, _ = New(Config{URL: srv503.URL, Backoff: time.Minute}, nil, nil)
	ctx, cancel = context.WithCancel(context.Background())
	go func() { done <- s.Publish(ctx, []incident.Event{testEvent("e-1")}) }()
	<-arrived
	cancel()
	select {
	case err := <-done:
		if !errors.Is(err, context.Canceled) {
			t.Errorf("error %v, want context.Canceled", err)
		}
	case <-time.After(10 * time.Second):
		t.Fatal("Publish did not return when cancelled during back-off")
	}
}

func TestWebhookNewValidates(t *testing.T) {
	for _, u := range []string{"", "ftp://example.com/x", "http://", "example.com/hook", "://x"} {
		if _, err := New(Config{URL: u}, nil, nil); err == nil {
			t.Errorf("New accepted URL %q", u)
		}
	}
	if _, err := New(Config{URL: "https://example.com/hook", MaxAttempts: -1}, nil, nil); err == nil {
		t.Error("New accepted negative attempts")
	}
	s, err := New(Config{URL: "https://example.com/hook"}, nil, nil)
	if err != nil || s.cfg.MaxAttempts != DefaultMaxAttempts || s.cfg.Timeout != DefaultTimeout || s.cfg.Backoff != DefaultBackoff {
		t.Errorf("defaults not applied: %+v, %v", s, err)
	}
}

func TestWebhookRetryAfter(t *testing.T) {
	now := time.Date(2024, 1, 1, 0, 0, 0, 0, time.UTC)
	for v, want := range map[string]time.Duration{
		"": 0, "3": 3 * time.Second, "-1": 0, "soon": 0,
		now.Add(90 * time.Second).Format(http.TimeFormat): 90 * time.Second,
		now.Add(-time.Hour).Format(http.TimeFormat):       0,
	} {
		if got := parseRetryAfter(v, now); got != want {
			t.Errorf("Retry-After %q = %v, want %v", v, got, want)
		}
	}
}
