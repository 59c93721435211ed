package app

import (
	"context"
	"fmt"
	"net"
	"net/http"
	"net/http/pprof"
	"strings"
	"time"

	"github.com/prometheus/client_golang/prometheus"
	"github.com/prometheus/client_golang/prometheus/promhttp"
	"go.uber.org/zap"

	"github.com/outcry-dev/outcry/web"
)

// serveHTTP serves the live page (when hub is set), /metrics, /healthz and /readyz on
// ln until ctx ends. With a token, everything but the health endpoints needs it: as a
// bearer header, or as the session cookie /login sets for browsers.
func serveHTTP(ctx context.Context, ln net.Listener, hub *web.Hub, reg *prometheus.Registry, notReady func() []string, token string, withPprof bool, log *zap.Logger) error {
	mux := http.NewServeMux()
	protect := func(h http.Handler) http.Handler { return h }
	if token != "" {
		auth, err := web.NewAuth(token, log)
		if err != nil {
			return fmt.Errorf("http: %w", err)
		}
		protect = auth.Protect
		mux.Handle("/login", auth.Login())
	}
	if withPprof {
		mux.Handle("/debug/pprof/", protect(http.HandlerFunc(pprof.Index)))
		mux.Handle("/debug/pprof/profile", protect(http.HandlerFunc(pprof.Profile)))
		mux.Handle("/debug/pprof/trace", protect(http.HandlerFunc(pprof.Trace)))
		mux.Handle("/debug/pprof/symbol", protect(http.HandlerFunc(pprof.Symbol)))
		mux.Handle("/debug/pprof/cmdline", protect(http.HandlerFunc(pprof.Cmdline)))
	}
	if hub != nil {
		mux.Handle("/", protect(hub.Handler()))
		defer hub.Close()
	}
	mux.Handle("/metrics", protect(promhttp.HandlerFor(reg, promhttp.HandlerOpts{Registry: reg})))
	// The health endpoints stay open for probes; they tell nothing about the data.
	mux.HandleFunc("/healthz", func(w http.ResponseWriter, _ *http.Request) { fmt.Fprintln(w, "ok") })
	mux.HandleFunc("/readyz", func(w http.ResponseWriter, _ *http.Request) {
		if why := notReady(); len(why) > 0 {
			http.Error(w, "not ready:\n"+strings.Join(why, "\n"), http.StatusServiceUnavailable)
			return
		}
		fmt.Fprintln(w, "ready")
	})
	srv := newHTTPServer(mux)
	log.Info("serving the live page, metrics and health", zap.String("addr", "http://"+ln.Addr().String()+"/"))
	errc := make(chan error, 1)
	go func() { errc <- srv.Serve(ln) }()
	select {
	case err := <-errc:
		return fmt.Errorf("http: %w", err)
	case <-ctx.Done():
		sctx, cancel := context.WithTimeout(context.WithoutCancel(ctx), 5*time.Second)
		defer cancel()
		if hub != nil {
			hub.Close() // ends the live streams, which Shutdown would wait for
		}
		_ = srv.Shutdown(sctx)
		<-errc
		return nil
	}
}

// newHTTPServer bounds what a client can hold: 5 s to send its headers, and an idle
// keep-alive connection is closed after 2 min. There is no write timeout, as a live
// stream (/api/stream) is one response that lasts; the Hub caps those instead.
func newHTTPServer(h http.Handler) *http.Server {
	return &http.Server{
		Handler:           h,
		ReadHeaderTimeout: 5 * time.Second,
		IdleTimeout:       2 * time.Minute,
		MaxHeaderBytes:    64 << 10,
	}
}
