package main

import (
	"context"
	"net"
	"net/http"
	"testing"
	"time"

	"go.uber.org/zap"

	"github.com/outcry-dev/outcry/detectors/match"
	"github.com/outcry-dev/outcry/internal/testenv"
)

// TestHTTPBearerToken: with a token, the page and /metrics need it; the health
// endpoints stay open for probes.
func TestHTTPBearerToken(t *testing.T) {
	ln, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	addr := ln.Addr().String()
	ctx, cancel := context.WithCancel(context.Background())
	done := make(chan error, 1)
	go func() {
		done <- serveHTTP(ctx, ln, newHub(match.DefaultRules(), zap.NewNop()), newRegistry(), func() bool { return true }, "t0ken", true, zap.NewNop())
	}()
	defer func() { cancel(); <-done }()
	get := func(path, token string) int {
		req, _ := http.NewRequest(http.MethodGet, "http://"+addr+path, nil)
		if token != "" {
			req.Header.Set("Authorization", "Bearer "+token)
		}
		c := http.Client{Timeout: 2 * time.Second}
		resp, err := c.Do(req)
		if err != nil {
			return 0
		}
		resp.Body.Close()
		return resp.StatusCode
	}
	testenv.Eventually(t, 5*time.Second, "the server to answer", func() bool { return get("/healthz", "") == http.StatusOK })
	tests := []struct {
		path, token string
		want        int
	}{
		{"/metrics", "", http.StatusUnauthorized},
		{"/metrics", "wrong", http.StatusUnauthorized},
		{"/metrics", "t0ken", http.StatusOK},
		{"/", "", http.StatusUnauthorized},
		{"/", "t0ken", http.StatusOK},
		{"/api/state", "t0ken", http.StatusOK},
		{"/debug/pprof/", "", http.StatusUnauthorized},
		{"/debug/pprof/", "t0ken", http.StatusOK},
		{"/healthz", "", http.StatusOK},
		{"/readyz", "", http.StatusOK},
	}
	for _, tt := range tests {
		if got := get(tt.path, tt.token); got != tt.want {
			t.Errorf("GET %s with token %q: %d, want %d", tt.path, tt.token, got, tt.want)
		}
	}
}
