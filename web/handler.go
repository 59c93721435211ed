package web

import (
	"embed"
	"encoding/json"
	"errors"
	"fmt"
	"io/fs"
	"math"
	"net/http"
	"strconv"
	"strings"
	"time"

	"go.uber.org/zap"
)

//go:embed static
var staticFS embed.FS

// Stream timing: at most one state message per streamInterval (changes in between are
// coalesced into the next one), and a comment line every heartbeat so proxies keep an
// idle stream open.
const (
	streamInterval = 250 * time.Millisecond
	heartbeat      = 15 * time.Second
)

// Handler serves the page at "/", its embedded assets under "/assets/", "/api/state"
// (a JSON snapshot), "/api/stream" (server-sent events: one "state" event with the
// whole State after each change) and "/api/services" (the services a page at a time,
// searchable: the state carries the first page). All links are relative, so it can be mounted under a
// prefix with http.StripPrefix.
func (h *Hub) Handler() http.Handler {
	static, err := fs.Sub(staticFS, "static")
	if err != nil {
		panic(err) // the embedded tree is fixed at build time
	}
	assets := noCache(http.FileServerFS(static))
	mux := http.NewServeMux()
	mux.HandleFunc("GET /{$}", func(w http.ResponseWriter, r *http.Request) {
		page, _ := fs.ReadFile(static, "index.html")
		w.Header().Set("Content-Type", "text/html; charset=utf-8")
		w.Header().Set("Cache-Control", "no-cache")
		_, _ = w.Write(page)
	})
	mux.Handle("GET /assets/", assets)
	mux.HandleFunc("GET /api/state", h.serveState)
	mux.HandleFunc("GET /api/stream", h.serveStream)
	mux.HandleFunc("GET /api/services", h.serveServices)
	return http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		hd := w.Header()
		hd.Set("X-Content-Type-Options", "nosniff")
		hd.Set("Referrer-Policy", "no-referrer")
		hd.Set("Content-Security-Policy", "default-src 'self'; img-src 'self' data:; style-src 'self'; script-src 'self'; connect-src 'self'; frame-ancestors 'none'")
		// Mounted under a prefix without its trailing slash ("/live" stripped to ""):
		// redirect so that the page's relative links resolve under the prefix.
		if r.URL.Path == "" {
			target := r.RequestURI
			q := ""
			if i := strings.IndexByte(target, '?'); i >= 0 {
				target, q = target[:i], target[i:]
			}
			http.Redirect(w, r, target+"/"+q, http.StatusMovedPermanently)
			return
		}
		mux.ServeHTTP(w, r)
	})
}

func noCache(h http.Handler) http.Handler {
	return http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		w.Header().Set("Cache-Control", "no-cache")
		h.ServeHTTP(w, r)
	})
}

func (h *Hub) serveState(w http.ResponseWriter, _ *http.Request) {
	b, _ := h.snapshot()
	writeJSON(w, b)
}

// writeJSON writes a JSON document that reflects the live state (not cached).
func writeJSON(w http.ResponseWriter, b []byte) {
	w.Header().Set("Content-Type", "application/json")
	w.Header().Set("Cache-Control", "no-store")
	_, _ = w.Write(b)
}

// maxPage bounds /api/services's limit.
const maxPage = 500

// serveServices serves one page of the services: ?q= (part of a name), &offset= (from
// 0) and &limit= (1 to maxPage, default PageSize).
func (h *Hub) serveServices(w http.ResponseWriter, r *http.Request) {
	q := r.URL.Query()
	num := func(name string, def, lo, hi int) (int, error) {
		v := q.Get(name)
		if v == "" {
			return def, nil
		}
		n, err := strconv.Atoi(v)
		if err != nil || n < lo || n > hi {
			return 0, fmt.Errorf("%s: want a whole number from %d to %d, got %q", name, lo, hi, v)
		}
		return n, nil
	}
	offset, err1 := num("offset", 0, 0, math.MaxInt32)
	limit, err2 := num("limit", PageSize, 1, maxPage)
	if err := errors.Join(err1, err2); err != nil {
		http.Error(w, err.Error(), http.StatusBadRequest)
		return
	}
	b, err := json.Marshal(h.Page(q.Get("q"), offset, limit))
	if err != nil { // cannot happen: only plain types, and NaN and Inf are filtered
		http.Error(w, err.Error(), http.StatusInternalServerError)
		return
	}
	writeJSON(w, b)
}

func (h *Hub) serveStream(w http.ResponseWriter, r *http.Request) {
	rc := http.NewResponseController(w)
	sub, err := h.subscribe()
	if err != nil {
		// The page's EventSource gives up on a 503 and opens a new stream after a while;
		// Retry-After tells other clients when to.
		w.Header().Set("Retry-After", "10")
		http.Error(w, err.Error(), http.StatusServiceUnavailable)
		return
	}
	defer h.unsubscribe(sub)
	// A stream lives for long: lift the server's write timeout for it, if any.
	_ = rc.SetWriteDeadline(time.Time{})
	hd := w.Header()
	hd.Set("Content-Type", "text/event-stream")
	hd.Set("Cache-Control", "no-store")
	hd.Set("X-Accel-Buffering", "no") // nginx: do not buffer the stream
	w.WriteHeader(http.StatusOK)
	h.log.Debug("stream opened", zap.String("remote", r.RemoteAddr))
	defer h.log.Debug("stream closed", zap.String("remote", r.RemoteAddr))

	var sent uint64
	send := func() error {
		b, ver := h.snapshot()
		if ver == sent && sent != 0 {
			return nil
		}
		sent = ver
		// JSON has no raw newlines, so the document is one data line.
		if _, err := fmt.Fprintf(w, "event: state\nid: %d\ndata: %s\n\n", ver, b); err != nil {
			return err
		}
		return rc.Flush()
	}
	if _, err := fmt.Fprint(w, "retry: 2000\n\n"); err != nil {
		return
	}
	if err := send(); err != nil {
		return
	}
	beat := time.NewTicker(heartbeat)
	defer beat.Stop()
	var throttle <-chan time.Time // non-nil while waiting out streamInterval after a send
	pending := false
	lastSend := time.Now()
	for {
		select {
		case <-r.Context().Done():
			return
		case <-h.done:
			return
		case <-sub:
			if throttle != nil {
				pending = true
				continue
			}
			if wait := streamInterval - time.Since(lastSend); wait > 0 {
				pending = true
				throttle = time.After(wait)
				continue
			}
		case <-throttle:
			throttle = nil
			if !pending {
				continue
			}
			pending = false
		case <-beat.C:
			if _, err := fmt.Fprint(w, ": keep-alive\n\n"); err != nil {
				return
			}
			if err := rc.Flush(); err != nil {
				return
			}
			continue
		}
		if err := send(); err != nil {
			return
		}
		lastSend = time.Now()
	}
}
