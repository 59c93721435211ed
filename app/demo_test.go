package app

import (
	"context"
	"io"
	"net/http"
	"regexp"
	"strconv"
	"testing"
	"time"

	"go.uber.org/zap/zaptest"

	"github.com/outcry-dev/outcry/internal/testenv"
	"github.com/outcry-dev/outcry/scenario"
)

// TestDemoMetrics: the demo's /metrics has what run's has (a newcomer can point
// Prometheus at it): posts consumed and matched while the replay runs.
func TestDemoMetrics(t *testing.T) {
	out := &syncBuffer{}
	ctx, cancel := context.WithCancel(context.Background())
	defer cancel()
	done := make(chan error, 1)
	go func() {
		done <- Demo(ctx, DemoOptions{Scenario: scenario.WhatsApp20221025(), Speed: 1000, SpeedLabel: "1000",
			Keep: true, HTTPAddr: "127.0.0.1:0", Out: out}, zaptest.NewLogger(t))
	}()
	var page string
	testenv.Eventually(t, 30*time.Second, "the live page's address", func() bool {
		m := regexp.MustCompile(`live page: (http://\S+)/`).FindStringSubmatch(out.String())
		if m != nil {
			page = m[1]
		}
		return m != nil
	})
	consumed := regexp.MustCompile(`(?m)^outcry_posts_consumed_total (\d+)`)
	matched := regexp.MustCompile(`(?m)^outcry_posts_matched_total\{kind="outage",service="whatsapp"\} (\d+)`)
	testenv.Eventually(t, 60*time.Second, "posts consumed and complaints matched on /metrics", func() bool {
		resp, err := http.Get(page + "/metrics")
		if err != nil {
			return false
		}
		b, _ := io.ReadAll(resp.Body)
		resp.Body.Close()
		c, m := consumed.FindSubmatch(b), matched.FindSubmatch(b)
		if c == nil || m == nil {
			return false
		}
		nc, _ := strconv.Atoi(string(c[1]))
		nm, _ := strconv.Atoi(string(m[1]))
		return nc > 1000 && nm > 10
	})
	cancel()
	select {
	case err := <-done:
		if err != nil {
			t.Errorf("Demo: %v", err)
		}
	case <-time.After(30 * time.Second):
		t.Error("the demo did not stop within 30 s of its context ending")
	}
}
