package web

import (
	"bytes"
	"crypto/hmac"
	"crypto/pbkdf2"
	"crypto/sha256"
	"crypto/subtle"
	"encoding/base64"
	"errors"
	"fmt"
	"html/template"
	"net/http"
	"net/url"
	"strconv"
	"strings"
	"sync"
	"time"

	"go.uber.org/zap"
)

const (
	// SessionCookie holds a browser's session after it posted the token to /login.
	SessionCookie = "outcry_session"
	sessionTTL    = 12 * time.Hour
	// A failed login waits this long before its answer, and at most loginSlots run at
	// once (the rest get 429): guessing is held to a few tries a second in all.
	loginFailDelay = time.Second
	loginSlots     = 4
)

// Auth guards handlers with a shared token. API clients send it on every request as
// "Authorization: Bearer <token>"; a browser cannot (the page's EventSource has no
// headers, and a person cannot type one), so it posts the token once to the login form
// and gets a session cookie instead. It is safe for concurrent use.
type Auth struct {
	log  *zap.Logger
	want [sha256.Size]byte // digest of the token: compared in constant time whatever the length sent
	// key signs session cookies. It is derived from the token, so that every replica
	// behind one address accepts the others' sessions and a restart keeps them, while
	// the cookie is not the token; a slow derivation makes guessing the token from a
	// stolen cookie costly.
	key       []byte
	failDelay time.Duration
	slots     chan struct{} // login attempts in progress
	now       func() time.Time

	mu     sync.Mutex
	failed refusals
}

// NewAuth returns an Auth for token, which must not be empty.
func NewAuth(token string, log *zap.Logger) (*Auth, error) {
	if strings.TrimSpace(token) == "" {
		return nil, errors.New("the HTTP token is empty")
	}
	if log == nil {
		log = zap.NewNop()
	}
	key, err := pbkdf2.Key(sha256.New, token, []byte("outcry session key v1"), 100_000, 32)
	if err != nil {
		return nil, fmt.Errorf("derive the session key: %w", err)
	}
	return &Auth{
		log:       log.With(zap.String("component", "http-auth")),
		want:      sha256.Sum256([]byte(token)),
		key:       key,
		failDelay: loginFailDelay,
		slots:     make(chan struct{}, loginSlots),
		now:       time.Now,
	}, nil
}

// Protect lets a request through to h with a valid bearer token or session cookie.
// Otherwise a browser asking for a page gets the login form, anything else a bare 401.
func (a *Auth) Protect(h http.Handler) http.Handler {
	return http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		if a.bearerOK(r) || a.sessionOK(r) {
			h.ServeHTTP(w, r)
			return
		}
		w.Header().Set("WWW-Authenticate", `Bearer realm="outcry"`)
		if (r.Method == http.MethodGet || r.Method == http.MethodHead) && wantsHTML(r) {
			a.form(w, http.StatusUnauthorized, "", r.URL.RequestURI())
			return
		}
		http.Error(w, "unauthorized", http.StatusUnauthorized)
	})
}

// Login serves the login form (GET) and checks a posted token (POST, form fields
// "token" and "next"): a match sets the session cookie and redirects to next (a path on
// this server, "/" by default); a mismatch shows the form again with 401.
func (a *Auth) Login() http.Handler {
	return http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		switch r.Method {
		case http.MethodGet, http.MethodHead:
			a.form(w, http.StatusOK, "", r.URL.Query().Get("next"))
			return
		case http.MethodPost:
		default:
			w.Header().Set("Allow", "GET, HEAD, POST")
			http.Error(w, "method not allowed", http.StatusMethodNotAllowed)
			return
		}
		r.Body = http.MaxBytesReader(w, r.Body, 8<<10)
		if err := r.ParseForm(); err != nil {
			http.Error(w, "bad login form", http.StatusBadRequest)
			return
		}
		next := r.PostForm.Get("next")
		// Take a slot before comparing: answering "too many" only to wrong guesses would
		// tell a wrong guess from a right one without the delay.
		select {
		case a.slots <- struct{}{}:
			defer func() { <-a.slots }()
		default:
			w.Header().Set("Retry-After", "2")
			a.form(w, http.StatusTooManyRequests, "Too many login attempts at once; try again in a few seconds.", next)
			return
		}
		if !a.tokenOK(r.PostForm.Get("token")) {
			a.mu.Lock()
			n, report := a.failed.add(a.now())
			a.mu.Unlock()
			if report {
				a.log.Warn("failed logins", zap.Uint64("since_last_report", n), zap.String("last_remote", r.RemoteAddr))
			}
			t := time.NewTimer(a.failDelay)
			select {
			case <-t.C:
			case <-r.Context().Done():
				t.Stop()
				return
			}
			w.Header().Set("WWW-Authenticate", `Bearer realm="outcry"`)
			a.form(w, http.StatusUnauthorized, "Wrong token.", next)
			return
		}
		http.SetCookie(w, &http.Cookie{
			Name:     SessionCookie,
			Value:    a.newSession(),
			Path:     "/",
			MaxAge:   int(sessionTTL / time.Second),
			HttpOnly: true,
			SameSite: http.SameSiteStrictMode,
			// Behind a TLS-terminating proxy r.TLS is nil; a forged header only makes the
			// cookie stricter, so it is safe to follow.
			Secure: r.TLS != nil || strings.EqualFold(r.Header.Get("X-Forwarded-Proto"), "https"),
		})
		a.log.Info("login", zap.String("remote", r.RemoteAddr))
		http.Redirect(w, r, localPath(next), http.StatusSeeOther)
	})
}

// bearerOK: "Authorization: Bearer <token>", the scheme in any case (RFC 7235).
func (a *Auth) bearerOK(r *http.Request) bool {
	v := r.Header.Get("Authorization")
	scheme, cred, ok := strings.Cut(strings.TrimSpace(v), " ")
	if !ok || !strings.EqualFold(scheme, "Bearer") {
		return false
	}
	return a.tokenOK(strings.TrimLeft(cred, " "))
}

func (a *Auth) tokenOK(token string) bool {
	got := sha256.Sum256([]byte(token))
	return subtle.ConstantTimeCompare(got[:], a.want[:]) == 1
}

// A session is "<expiry unix seconds>.<MAC of it>": nothing to store, and it ends by
// itself.
func (a *Auth) newSession() string {
	exp := strconv.FormatInt(a.now().Add(sessionTTL).Unix(), 10)
	return exp + "." + a.mac(exp)
}

func (a *Auth) mac(exp string) string {
	m := hmac.New(sha256.New, a.key)
	m.Write([]byte("outcry-session\x00" + exp))
	return base64.RawURLEncoding.EncodeToString(m.Sum(nil))
}

func (a *Auth) sessionOK(r *http.Request) bool {
	c, err := r.Cookie(SessionCookie)
	if err != nil {
		return false
	}
	exp, mac, ok := strings.Cut(c.Value, ".")
	if !ok {
		return false
	}
	if !hmac.Equal([]byte(mac), []byte(a.mac(exp))) {
		return false
	}
	sec, err := strconv.ParseInt(exp, 10, 64)
	return err == nil && a.now().Unix() < sec
}

// wantsHTML: a browser navigating to the page (its Accept names text/html), not the
// page's own fetches, EventSource or an API client.
func wantsHTML(r *http.Request) bool {
	return strings.Contains(strings.ToLower(r.Header.Get("Accept")), "text/html")
}

// localPath returns p when it is a path on this server, "/" otherwise, so the login
// form cannot be made to redirect elsewhere.
func localPath(p string) string {
	if !strings.HasPrefix(p, "/") || strings.HasPrefix(p, "//") || strings.ContainsAny(p, "\\\r\n\t") {
		return "/"
	}
	u, err := url.Parse(p)
	if err != nil || u.Scheme != "" || u.Host != "" || u.User != nil || u.Path == "/login" {
		return "/"
	}
	return p
}

// loginCSS is the form's only style, inline so the form needs nothing behind the
// login; the CSP allows it by its hash, and no script at all.
const loginCSS = `body{font:16px/1.4 system-ui,sans-serif;margin:0;display:grid;place-items:center;min-height:100vh;background:#f5f6f8;color:#1c1e21}` +
	`form{background:#fff;padding:2rem;border-radius:8px;box-shadow:0 1px 4px rgba(0,0,0,.15);min-width:18rem}` +
	`h1{font-size:1.3rem;margin:0 0 1rem}label{display:block;margin-bottom:.3rem}` +
	`input{box-sizing:border-box;width:100%;padding:.5rem;font:inherit;margin-bottom:1rem}` +
	`button{padding:.5rem 1.2rem;font:inherit}.error{color:#b00020;margin:0 0 1rem}`

var (
	loginCSP = func() string {
		sum := sha256.Sum256([]byte(loginCSS))
		return "default-src 'none'; style-src 'sha256-" + base64.StdEncoding.EncodeToString(sum[:]) +
			"'; form-action 'self'; frame-ancestors 'none'; base-uri 'none'"
	}()
	loginPage = template.Must(template.New("login").Parse(`<!doctype html>
<html lang="en">
<head>
<meta charset="utf-8">
<meta name="viewport" content="width=device-width, initial-scale=1">
<title>Outcry — sign in</title>
<style>` + loginCSS + `</style>
</head>
<body>
<main>
<form method="post" action="/login">
<h1>Outcry</h1>
{{if .Error}}<p class="error" role="alert">{{.Error}}</p>{{end}}
<label for="token">Access token</label>
<input id="token" name="token" type="password" autocomplete="current-password" required autofocus>
<input type="hidden" name="next" value="{{.Next}}">
<button type="submit">Sign in</button>
</form>
</main>
</body>
</html>
`))
)

// form writes the login form with status and an error message ("" for none).
func (a *Auth) form(w http.ResponseWriter, status int, msg, next string) {
	var b bytes.Buffer
	if err := loginPage.Execute(&b, struct{ Error, Next string }{msg, localPath(next)}); err != nil {
		a.log.Error("render the login form", zap.Error(err))
		http.Error(w, "unauthorized", status)
		return
	}
	hd := w.Header()
	hd.Set("Content-Type", "text/html; charset=utf-8")
	hd.Set("Cache-Control", "no-store")
	hd.Set("Content-Security-Policy", loginCSP)
	hd.Set("X-Content-Type-Options", "nosniff")
	hd.Set("Referrer-Policy", "no-referrer")
	w.WriteHeader(status)
	_, _ = w.Write(b.Bytes())
}
