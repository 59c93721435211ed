package app

import (
	"bufio"
	"bytes"
	"context"
	"regexp"
	"sync"
	"testing"
	"time"

	"github.com/chromedp/chromedp"
	"go.uber.org/zap/zaptest"

	"github.com/outcry-dev/outcry/detect/incident"
	"github.com/outcry-dev/outcry/ingest/jetstream/jetstreamtest"
	"github.com/outcry-dev/outcry/internal/testenv"
	"github.com/outcry-dev/outcry/post"
	"github.com/outcry-dev/outcry/scenario"
)

// syncBuffer is an io.Writer the test reads while Watch writes to it.
type syncBuffer struct {
	mu sync.Mutex
	b  bytes.Buffer
}

func (s *syncBuffer) Write(p []byte) (int, error) {
	s.mu.Lock()
	defer s.mu.Unlock()
	return s.b.Write(p)
}

func (s *syncBuffer) String() string {
	s.mu.Lock()
	defer s.mu.Unlock()
	return s.b.String()
}

// TestWatchJetstream: `outcry watch bluesky` against a Jetstream on loopback that
// replays the demo's outage as Bluesky posts: the incident starts, is printed, and
// shows on the live page in headless Chromium.
func TestWatchJetstream(t *testing.T) {
	var posts bytes.Buffer
	if _, err := scenario.Write(&posts, scenario.WhatsApp20221025()); err != nil {
		t.Fatal(err)
	}
	var frames [][]byte
	sc := bufio.NewScanner(&posts)
	sc.Buffer(nil, 1<<20)
	for sc.Scan() {
		if p, _, err := post.Decode(sc.Bytes(), 0); err == nil {
			frames = append(frames, jetstreamtest.Frame(p))
		}
	}
	_, url := jetstreamtest.NewServer(t, frames, jetstreamtest.Conn{Send: -1})

	var (
		mu      sync.Mutex
		started = make(chan incident.Event, 1)
	)
	out := &syncBuffer{}
	ctx, cancel := context.WithCancel(context.Background())
	done := make(chan error, 1)
	go func() {
		done <- Watch(ctx, WatchOptions{Source: "bluesky", Endpoints: []string{url}, HTTPAddr: "127.0.0.1:0", Out: out, GiveUp: 3,
			OnEvent: func(e incident.Event) {
				mu.Lock()
				defer mu.Unlock()
				if e.Type == incident.TypeStarted && e.Data.Service == "whatsapp" {
					select {
					case started <- e:
					default:
					}
				}
			}}, zaptest.NewLogger(t))
	}()
	defer func() {
		cancel()
		select {
		case err := <-done:
			if err != nil {
				t.Errorf("Watch: %v", err)
			}
		case <-time.After(30 * time.Second):
			t.Error("Watch did not return within 30 s of its context ending")
		}
	}()
	var e incident.Event
	select {
	case e = <-started:
	case err := <-done:
		t.Fatalf("Watch returned before the outage was found: %v\n%s", err, out.String())
	case <-time.After(2 * time.Minute):
		t.Fatalf("no WhatsApp incident within 2 min:\n%s", out.String())
	}
	onset := time.Date(2022, 10, 25, 7, 17, 0, 0, time.UTC)
	if e.Time.Before(onset) || e.Time.After(onset.Add(10*time.Minute)) {
		t.Errorf("the incident started at %s (event time), want within 10 min of the onset %s", e.Time, onset)
	}
	testenv.Eventually(t, 10*time.Second, "the alert to be printed", func() bool {
		return regexp.MustCompile(`(?i)started.*whatsapp`).MatchString(out.String())
	})
	page := regexp.MustCompile(`live page: (http://\S+)`).FindStringSubmatch(out.String())
	if page == nil {
		t.Fatalf("no live page address in the output:\n%s", out.String())
	}
	bctx, closeBrowser := testenv.Headless(t, 30*time.Second)
	defer closeBrowser()
	// The replay is over in seconds, so the incident may be open or resolved by now:
	// either way it is on the page's timeline, once the page has its state (before,
	// the timeline says "None yet.").
	if err := chromedp.Do(bctx, chromedp.Navigate(page[1])); err != nil {
		t.Fatalf("load the live page: %v", err)
	}
	const startedJS = `[...document.querySelectorAll('#timeline > li')].some(li => li.innerText.startsWith('Started') && li.innerText.includes('WhatsApp'))`
	if _, err := chromedp.Run(bctx, chromedp.Poll[bool](startedJS, chromedp.WithPollingTimeout(15*time.Second))); err != nil {
		timeline, _ := chromedp.Run(bctx, chromedp.Evaluate[[]string](`[...document.querySelectorAll('#timeline > li')].map(li => li.innerText.replace(/\s+/g, ' '))`))
		t.Errorf("the live page's timeline has no WhatsApp start: %q (%v)", timeline, err)
	}
}
