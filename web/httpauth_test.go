package web

import (
	"bufio"
	"context"
	"crypto/sha256"
	"encoding/base64"
	"io"
	"net/http"
	"net/http/cookiejar"
	"net/http/httptest"
	"net/url"
	"strconv"
	"strings"
	"sync"
	"testing"
	"time"

	"go.uber.org/zap/zaptest"

	"github.com/outcry-dev/outcry/internal/testenv"
)

const testToken = "s3cret-t0ken"

// authServer serves the Hub's page behind an Auth, with /login, as cmd/outcry does.
func authServer(t *testing.T, tls bool) (*httptest.Server, *Hub, *Auth) {
	t.Helper()
	h := NewHub([]Service{{"whatsapp", "WhatsApp"}}, zaptest.NewLogger(t))
	a, err := NewAuth(testToken, zaptest.NewLogger(t))
	if err != nil {
		t.Fatal(err)
	}
	a.failDelay = 10 * time.Millisecond
	mux := http.NewServeMux()
	mux.Handle("/login", a.Login())
	mux.Handle("/", a.Protect(h.Handler()))
	var srv *httptest.Server
	if tls {
		srv = httptest.NewTLSServer(mux)
	} else {
		srv = httptest.NewServer(mux)
	}
	t.Cleanup(srv.Close)
	t.Cleanup(h.Close) // before srv.Close: ends the streams it would wait for
	return srv, h, a
}

// client returns a new client of srv (srv.Client() is shared), with a time limit.
func client(srv *httptest.Server) *http.Client {
	return &http.Client{Transport: srv.Client().Transport, Timeout: 10 * time.Second}
}

func noRedirects(c *http.Client) *http.Client {
	c.CheckRedirect = func(*http.Request, []*http.Request) error { return http.ErrUseLastResponse }
	return c
}

func do(t *testing.T, c *http.Client, method, u string, hdr map[string]string, form url.Values) (*http.Response, string) {
	t.Helper()
	var body io.Reader
	if form != nil {
		body = strings.NewReader(form.Encode())
	}
	req, err := http.NewRequest(method, u, body)
	if err != nil {
		t.Fatal(err)
	}
	if form != nil {
		req.Header.Set("Content-Type", "application/x-www-form-urlencoded")
	}
	for k, v := range hdr {
		req.Header.Set(k, v)
	}
	resp, err := c.Do(req)
	if err != nil {
		t.Fatal(err)
	}
	defer resp.Body.Close()
	b, _ := io.ReadAll(resp.Body)
	return resp, string(b)
}

const browserAccept = "text/html,application/xhtml+xml,application/xml;q=0.9,*/*;q=0.8"

// TestTokenBearerScheme: the scheme is case-insensitive (RFC 7235); the token is not.
func TestTokenBearerScheme(t *testing.T) {
	srv, _, _ := authServer(t, false)
	tests := []struct {
		auth string
		want int
	}{
		{"Bearer " + testToken, http.StatusOK},
		{"bearer " + testToken, http.StatusOK},
		{"BEARER " + testToken, http.StatusOK},
		{"BeArEr  " + testToken, http.StatusOK},
		{"Bearer " + strings.ToUpper(testToken), http.StatusUnauthorized},
		{"Bearer " + testToken + "x", http.StatusUnauthorized},
		{"Bearer " + testToken[:4], http.StatusUnauthorized},
		{"Basic " + testToken, http.StatusUnauthorized},
		{"Bearer", http.StatusUnauthorized},
		{testToken, http.StatusUnauthorized},
		{"", http.StatusUnauthorized},
	}
	for _, tt := range tests {
		resp, _ := do(t, client(srv), http.MethodGet, srv.URL+"/api/state", map[string]string{"Authorization": tt.auth}, nil)
		if resp.StatusCode != tt.want {
			t.Errorf("Authorization %q: %s, want %d", tt.auth, resp.Status, tt.want)
		}
		if tt.want == http.StatusUnauthorized && resp.Header.Get("WWW-Authenticate") != `Bearer realm="outcry"` {
			t.Errorf("Authorization %q: WWW-Authenticate %q", tt.auth, resp.Header.Get("WWW-Authenticate"))
		}
	}
}

// TestLoginFormForBrowsers: without credentials a browser gets the login form (no
// script, its only style allowed by hash), anything else a bare 401.
func TestLoginFormForBrowsers(t *testing.T) {
	srv, _, _ := authServer(t, false)
	tests := []struct {
		path, accept string
		form         bool
	}{
		{"/", browserAccept, true},
		{"/api/state", browserAccept, true},
		{"/", "", false},
		{"/", "*/*", false},
		{"/api/state", "application/json", false},
		{"/api/stream", "text/event-stream", false},
		{"/assets/app.js", "*/*", false},
	}
	for _, tt := range tests {
		resp, body := do(t, client(srv), http.MethodGet, srv.URL+tt.path, map[string]string{"Accept": tt.accept}, nil)
		if resp.StatusCode != http.StatusUnauthorized || resp.Header.Get("WWW-Authenticate") == "" {
			t.Errorf("%s (Accept %q): %s, WWW-Authenticate %q", tt.path, tt.accept, resp.Status, resp.Header.Get("WWW-Authenticate"))
		}
		isForm := strings.Contains(body, `<form method="post" action="/login">`)
		if isForm != tt.form {
			t.Errorf("%s (Accept %q): form %v, want %v: %q", tt.path, tt.accept, isForm, tt.form, body)
		}
		if !isForm {
			continue
		}
		if !strings.HasPrefix(resp.Header.Get("Content-Type"), "text/html") || strings.Contains(body, "<script") ||
			!strings.Contains(body, `name="next" value="`+tt.path+`"`) || strings.Contains(body, "WhatsApp") {
			t.Errorf("%s: form %q (Content-Type %q)", tt.path, body, resp.Header.Get("Content-Type"))
		}
		// The inline style is the one whose hash the CSP allows, and nothing else is.
		_, css, _ := strings.Cut(body, "<style>")
		css, _, _ = strings.Cut(css, "</style>")
		sum := sha256.Sum256([]byte(css))
		csp := resp.Header.Get("Content-Security-Policy")
		if !strings.Contains(csp, "style-src 'sha256-"+base64.StdEncoding.EncodeToString(sum[:])+"'") ||
			!strings.Contains(csp, "default-src 'none'") || strings.Contains(csp, "script-src") || strings.Contains(csp, "unsafe-inline") {
			t.Errorf("%s: CSP %q does not fit the form's style", tt.path, csp)
		}
	}
	// The form has its own address too.
	resp, body := do(t, client(srv), http.MethodGet, srv.URL+"/login", nil, nil)
	if resp.StatusCode != http.StatusOK || !strings.Contains(body, `action="/login"`) {
		t.Errorf("GET /login: %s %q", resp.Status, body)
	}
}

// TestLoginSession: posting the token sets a session cookie (not the token) with which
// the page, its snapshot and its live stream work, as they do for a browser; a wrong
// token shows the form again with 401 and sets nothing.
func TestLoginSession(t *testing.T) {
	for _, tls := range []bool{false, true} {
		name := "http"
		if tls {
			name = "https"
		}
		t.Run(name, func(t *testing.T) {
			srv, h, _ := authServer(t, tls)
			jar, _ := cookiejar.New(nil)
			c := noRedirects(client(srv))
			c.Jar = jar

			resp, body := do(t, c, http.MethodPost, srv.URL+"/login", map[string]string{"Accept": browserAccept}, url.Values{"token": {"wrong"}, "next": {"/api/state"}})
			if resp.StatusCode != http.StatusUnauthorized || !strings.Contains(body, "Wrong token.") || !strings.Contains(body, `value="/api/state"`) || len(resp.Cookies()) != 0 {
				t.Fatalf("wrong token: %s, cookies %v, %q", resp.Status, resp.Cookies(), body)
			}
			resp, _ = do(t, c, http.MethodGet, srv.URL+"/api/state", nil, nil)
			if resp.StatusCode != http.StatusUnauthorized {
				t.Fatalf("/api/state after a wrong token: %s", resp.Status)
			}

			resp, _ = do(t, c, http.MethodPost, srv.URL+"/login", map[string]string{"Accept": browserAccept}, url.Values{"token": {testToken}})
			if resp.StatusCode != http.StatusSeeOther || resp.Header.Get("Location") != "/" {
				t.Fatalf("login: %s → %q", resp.Status, resp.Header.Get("Location"))
			}
			cookies := resp.Cookies()
			if len(cookies) != 1 {
				t.Fatalf("cookies %v", cookies)
			}
			ck := cookies[0]
			if ck.Name != SessionCookie || !ck.HttpOnly || ck.SameSite != http.SameSiteStrictMode || ck.Path != "/" ||
				ck.Secure != tls || ck.MaxAge != int(sessionTTL/time.Second) || strings.Contains(ck.Value, testToken) || ck.Value == "" {
				t.Errorf("cookie %+v", ck)
			}

			for _, path := range []string{"/", "/api/state", "/assets/app.js"} {
				resp, body := do(t, c, http.MethodGet, srv.URL+path, map[string]string{"Accept": browserAccept}, nil)
				if resp.StatusCode != http.StatusOK || strings.Contains(body, `action="/login"`) {
					t.Errorf("GET %s with the session: %s", path, resp.Status)
				}
			}
			ctx, cancel := context.WithTimeout(context.Background(), 10*time.Second)
			defer cancel()
			req, _ := http.NewRequestWithContext(ctx, http.MethodGet, srv.URL+"/api/stream", nil)
			req.Header.Set("Accept", "text/event-stream")
			sresp, err := c.Do(req)
			if err != nil {
				t.Fatal(err)
			}
			defer sresp.Body.Close()
			if sresp.StatusCode != http.StatusOK {
				t.Fatalf("stream with the session: %s", sresp.Status)
			}
			s := &sseReader{t: t, body: sresp.Body, r: bufio.NewReader(sresp.Body)}
			if st := s.until("the first state", func(State) bool { return true }); len(st.Services) != 1 {
				t.Errorf("first state %+v", st)
			}
			h.Observe("whatsapp", verdict(t0, 3, 2, 0.4))
			s.until("the observed bucket", func(st State) bool { return st.AsOf != nil })

			// The same requests without the cookie are refused.
			bare := client(srv)
			for _, path := range []string{"/api/state", "/api/stream"} {
				resp, _ := do(t, bare, http.MethodGet, srv.URL+path, nil, nil)
				if resp.StatusCode != http.StatusUnauthorized {
					t.Errorf("GET %s without the session: %s", path, resp.Status)
				}
			}
		})
	}
}

// TestLoginSessionValidity: tampered, foreign and expired sessions are refused.
func TestLoginSessionValidity(t *testing.T) {
	srv, _, a := authServer(t, false)
	other, err := NewAuth("another token", zaptest.NewLogger(t))
	if err != nil {
		t.Fatal(err)
	}
	valid := a.newSession()
	exp, mac, _ := strings.Cut(valid, ".")
	past := strconv.FormatInt(a.now().Add(-time.Minute).Unix(), 10)
	later := strconv.FormatInt(a.now().Add(10*24*time.Hour).Unix(), 10)
	tests := []struct {
		name, value string
		want        int
	}{
		{"valid", valid, http.StatusOK},
		{"expired", past + "." + a.mac(past), http.StatusUnauthorized},
		{"later expiry, old MAC", later + "." + mac, http.StatusUnauthorized},
		{"another token's", other.newSession(), http.StatusUnauthorized},
		{"the token itself", testToken, http.StatusUnauthorized},
		{"no MAC", exp, http.StatusUnauthorized},
		{"empty", "", http.StatusUnauthorized},
	}
	for _, tt := range tests {
		req, _ := http.NewRequest(http.MethodGet, srv.URL+"/api/state", nil)
		req.AddCookie(&http.Cookie{Name: SessionCookie, Value: tt.value})
		resp, err := client(srv).Do(req)
		if err != nil {
			t.Fatal(err)
		}
		resp.Body.Close()
		if resp.StatusCode != tt.want {
			t.Errorf("%s session: %s, want %d", tt.name, resp.Status, tt.want)
		}
	}
}

// TestLoginRedirectStaysLocal: after a login the browser goes back to the page it
// asked for, and never to another site.
func TestLoginRedirectStaysLocal(t *testing.T) {
	srv, _, _ := authServer(t, false)
	c := noRedirects(client(srv))
	tests := []struct{ next, want string }{
		{"", "/"},
		{"/api/state", "/api/state"},
		{"/metrics?x=1", "/metrics?x=1"},
		{"https://evil.example/", "/"},
		{"//evil.example/", "/"},
		{"/\\evil.example/", "/"},
		{"javascript:alert(1)", "/"},
		{"/login", "/"},
	}
	for _, tt := range tests {
		resp, _ := do(t, c, http.MethodPost, srv.URL+"/login", nil, url.Values{"token": {testToken}, "next": {tt.next}})
		if resp.StatusCode != http.StatusSeeOther || resp.Header.Get("Location") != tt.want {
			t.Errorf("next %q: %s → %q, want %q", tt.next, resp.Status, resp.Header.Get("Location"), tt.want)
		}
	}
}

// TestLoginAttemptsLimited: failed logins are slowed down, and only a few run at once;
// more are refused with 429 before the token is even compared.
func TestLoginAttemptsLimited(t *testing.T) {
	srv, _, a := authServer(t, false)
	a.failDelay = time.Minute // the failing attempts below hold their slot until cancelled
	ctx, cancel := context.WithCancel(context.Background())
	var wg sync.WaitGroup
	defer wg.Wait()
	defer cancel()
	for range loginSlots {
		wg.Add(1)
		go func() {
			defer wg.Done()
			req, _ := http.NewRequestWithContext(ctx, http.MethodPost, srv.URL+"/login", strings.NewReader("token=guess"))
			req.Header.Set("Content-Type", "application/x-www-form-urlencoded")
			if resp, err := client(srv).Do(req); err == nil {
				resp.Body.Close()
			}
		}()
	}
	testenv.Eventually(t, 5*time.Second, "the failing logins to hold every slot", func() bool { return len(a.slots) == loginSlots })
	for _, token := range []string{"another guess", testToken} {
		resp, body := do(t, noRedirects(client(srv)), http.MethodPost, srv.URL+"/login", nil, url.Values{"token": {token}})
		if resp.StatusCode != http.StatusTooManyRequests || resp.Header.Get("Retry-After") == "" || !strings.Contains(body, "Too many login attempts") {
			t.Errorf("login while the slots are full: %s, Retry-After %q", resp.Status, resp.Header.Get("Retry-After"))
		}
	}
	cancel()
	testenv.Eventually(t, 5*time.Second, "the slots to free", func() bool { return len(a.slots) == 0 })
	resp, _ := do(t, noRedirects(client(srv)), http.MethodPost, srv.URL+"/login", nil, url.Values{"token": {testToken}})
	if resp.StatusCode != http.StatusSeeOther {
		t.Errorf("login once the slots are free: %s", resp.Status)
	}
}

func TestNewAuthRefusesAnEmptyToken(t *testing.T) {
	for _, token := range []string{"", " ", "\n\t"} {
		if _, err := NewAuth(token, nil); err == nil {
			t.Errorf("NewAuth(%q): no error", token)
		}
	}
}
