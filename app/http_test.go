package app

import (
	"bufio"
	"context"
	"io"
	"net"
	"net/http"
	"net/http/cookiejar"
	"net/url"
	"strings"
	"testing"
	"time"

	"go.uber.org/zap"

	"github.com/outcry-dev/outcry/internal/testenv"
	"github.com/outcry-dev/outcry/match"
)

// startHTTP runs serveHTTP with the default rules' page on a loopback port until the
// test ends, and returns its base URL once it answers.
func startHTTP(t *testing.T, token string) string {
	t.Helper()
	ln, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	base := "http://" + ln.Addr().String()
	ctx, cancel := context.WithCancel(context.Background())
	done := make(chan error, 1)
	go func() {
		done <- serveHTTP(ctx, ln, newHub(match.DefaultRules(), zap.NewNop()), newRegistry(), func() []string { return nil }, token, true, zap.NewNop())
	}()
	t.Cleanup(func() {
		cancel()
		if err := <-done; err != nil {
			t.Errorf("serveHTTP: %v", err)
		}
	})
	c := http.Client{Timeout: 2 * time.Second}
	testenv.Eventually(t, 5*time.Second, "the server to answer", func() bool {
		resp, err := c.Get(base + "/healthz")
		if err != nil {
			return false
		}
		resp.Body.Close()
		return resp.StatusCode == http.StatusOK
	})
	return base
}

// TestHTTPBearerToken: with a token, the page and /metrics need it (the scheme in any
// case); the health endpoints stay open for probes.
func TestHTTPBearerToken(t *testing.T) {
	base := startHTTP(t, "t0ken")
	get := func(path, auth string) int {
		req, _ := http.NewRequest(http.MethodGet, base+path, nil)
		if auth != "" {
			req.Header.Set("Authorization", auth)
		}
		c := http.Client{Timeout: 2 * time.Second}
		resp, err := c.Do(req)
		if err != nil {
			return 0
		}
		resp.Body.Close()
		return resp.StatusCode
	}
	tests := []struct {
		path, auth string
		want       int
	}{
		{"/metrics", "", http.StatusUnauthorized},
		{"/metrics", "Bearer wrong", http.StatusUnauthorized},
		{"/metrics", "Bearer t0ken", http.StatusOK},
		{"/metrics", "bearer t0ken", http.StatusOK},
		{"/metrics", "BEARER t0ken", http.StatusOK},
		{"/metrics", "Bearer T0KEN", http.StatusUnauthorized},
		{"/metrics", "Basic t0ken", http.StatusUnauthorized},
		{"/", "", http.StatusUnauthorized},
		{"/", "Bearer t0ken", http.StatusOK},
		{"/api/state", "bearer t0ken", http.StatusOK},
		{"/debug/pprof/", "", http.StatusUnauthorized},
		{"/debug/pprof/", "Bearer t0ken", http.StatusOK},
		{"/healthz", "", http.StatusOK},
		{"/readyz", "", http.StatusOK},
	}
	for _, tt := range tests {
		if got := get(tt.path, tt.auth); got != tt.want {
			t.Errorf("GET %s with Authorization %q: %d, want %d", tt.path, tt.auth, got, tt.want)
		}
	}
}

// TestHTTPLoginSession: a browser without the token gets the login form; posting the
// token to /login gives a session cookie with which the page, its live stream,
// /metrics and pprof work. API clients without credentials still get a bare 401.
func TestHTTPLoginSession(t *testing.T) {
	base := startHTTP(t, "t0ken")
	const html = "text/html,application/xhtml+xml,*/*;q=0.8"
	jar, _ := cookiejar.New(nil)
	browser := &http.Client{Jar: jar, Timeout: 10 * time.Second}
	bare := &http.Client{Timeout: 10 * time.Second}
	get := func(c *http.Client, path, accept string) (int, string) {
		t.Helper()
		req, _ := http.NewRequest(http.MethodGet, base+path, nil)
		if accept != "" {
			req.Header.Set("Accept", accept)
		}
		resp, err := c.Do(req)
		if err != nil {
			t.Fatalf("GET %s: %v", path, err)
		}
		defer resp.Body.Close()
		b, _ := io.ReadAll(resp.Body)
		return resp.StatusCode, string(b)
	}

	if code, body := get(browser, "/", html); code != http.StatusUnauthorized || !strings.Contains(body, `action="/login"`) {
		t.Fatalf("GET / from a browser without a session: %d %q", code, body)
	}
	if code, body := get(bare, "/api/state", ""); code != http.StatusUnauthorized || strings.Contains(body, "<form") {
		t.Fatalf("GET /api/state without credentials: %d %q", code, body)
	}
	resp, err := browser.PostForm(base+"/login", url.Values{"token": {"guess"}})
	if err != nil {
		t.Fatal(err)
	}
	b, _ := io.ReadAll(resp.Body)
	resp.Body.Close()
	if resp.StatusCode != http.StatusUnauthorized || !strings.Contains(string(b), "Wrong token.") {
		t.Fatalf("wrong token: %s %q", resp.Status, b)
	}
	// The redirect to "/" is followed: the page itself comes back.
	resp, err = browser.PostForm(base+"/login", url.Values{"token": {"t0ken"}})
	if err != nil {
		t.Fatal(err)
	}
	b, _ = io.ReadAll(resp.Body)
	resp.Body.Close()
	if resp.StatusCode != http.StatusOK || resp.Request.URL.Path != "/" || !strings.Contains(string(b), `src="assets/app.js"`) {
		t.Fatalf("login: %s at %s: %.200q", resp.Status, resp.Request.URL, b)
	}
	for _, path := range []string{"/api/state", "/metrics", "/debug/pprof/"} {
		if code, _ := get(browser, path, ""); code != http.StatusOK {
			t.Errorf("GET %s with the session: %d", path, code)
		}
	}

	ctx, cancel := context.WithTimeout(context.Background(), 10*time.Second)
	defer cancel()
	req, _ := http.NewRequestWithContext(ctx, http.MethodGet, base+"/api/stream", nil)
	req.Header.Set("Accept", "text/event-stream") // as EventSource sends it
	sresp, err := browser.Do(req)
	if err != nil {
		t.Fatal(err)
	}
	defer sresp.Body.Close()
	if sresp.StatusCode != http.StatusOK || sresp.Header.Get("Content-Type") != "text/event-stream" {
		t.Fatalf("stream with the session: %s %q", sresp.Status, sresp.Header.Get("Content-Type"))
	}
	r := bufio.NewReader(sresp.Body)
	for {
		line, err := r.ReadString('\n')
		if err != nil {
			t.Fatalf("reading the stream: %v", err)
		}
		if strings.HasPrefix(line, "data: {") {
			break // the first state
		}
	}
	sresp.Body.Close()
	if code, _ := get(bare, "/api/stream", "text/event-stream"); code != http.StatusUnauthorized {
		t.Errorf("stream without credentials: %d", code)
	}
}

// TestHTTPServerTimeouts: an idle keep-alive connection is closed, slow headers are
// cut short, and nothing bounds a response's write, which would end live streams.
func TestHTTPServerTimeouts(t *testing.T) {
	srv := newHTTPServer(http.NotFoundHandler())
	if srv.IdleTimeout <= 0 || srv.IdleTimeout > 5*time.Minute {
		t.Errorf("IdleTimeout %s, want a few minutes", srv.IdleTimeout)
	}
	if srv.ReadHeaderTimeout != 5*time.Second {
		t.Errorf("ReadHeaderTimeout %s, want 5s", srv.ReadHeaderTimeout)
	}
	if srv.WriteTimeout != 0 || srv.ReadTimeout != 0 {
		t.Errorf("WriteTimeout %s, ReadTimeout %s: they would end live streams", srv.WriteTimeout, srv.ReadTimeout)
	}
}
