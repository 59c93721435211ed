package web

import (
	"context"
	"fmt"
	"net/http/httptest"
	"os"
	"path/filepath"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/chromedp/cdproto/runtime"
	"github.com/chromedp/chromedp"
	"go.uber.org/zap"

	"github.com/outcry-dev/outcry/detect/incident"
	"github.com/outcry-dev/outcry/internal/testenv"
)

// headless starts headless Chromium for a test, for at most 30 s (testenv.Headless).
func headless(t *testing.T, extra ...chromedp.ExecAllocatorOption) (context.Context, func()) {
	t.Helper()
	return testenv.Headless(t, 30*time.Second, extra...)
}

// TestPageInChromium loads the page in headless Chromium, then feeds the Hub an outage
// and checks that the page shows it live, without a reload; it saves a screenshot.
func TestPageInChromium(t *testing.T) {
	bctx, closeBrowser := headless(t, chromedp.WindowSize(1440, 1200))
	defer closeBrowser()
	h := NewHub([]Service{
		{"whatsapp", "واتساب"}, {"facebook", "Facebook"}, {"instagram", "Instagram"},
		{"x", "X"}, {"telegram", "تيليجرام"}, {"youtube", "YouTube"},
	}, zap.NewNop())
	srv := httptest.NewServer(h.Handler())
	defer srv.Close()
	defer h.Close() // ends the page's stream first, so srv.Close does not wait for it

	// Event time: a quiet morning, then WhatsApp and Facebook fail together at 07:17.
	start := time.Date(2022, 10, 25, 6, 20, 0, 0, time.UTC)
	onset := time.Date(2022, 10, 25, 7, 17, 0, 0, time.UTC)
	sy := newSynth(h, start, map[string]float64{"whatsapp": 0.6, "facebook": 0.3, "instagram": 0.25, "x": 0.9, "telegram": 0.12, "youtube": 0.2})
	quiet := func(string, time.Time) float64 { return 0 }
	sy.run(onset.Sub(start), quiet)
	// An earlier, resolved Instagram incident for the timeline.
	igStart := start.Add(10 * time.Minute)
	h.Event(synthEvent(incident.TypeStarted, "instagram", igStart, igStart.Add(2*time.Minute), 1, incident.SeverityMinor, 6.2, 24))
	h.Event(synthEvent(incident.TypeResolved, "instagram", igStart, igStart.Add(14*time.Minute), 2, incident.SeverityMinor, 1.1, 3))

	var mu sync.Mutex
	var jsErrors []string
	listen := func(ev any) {
		if e, ok := ev.(*runtime.EventExceptionThrown); ok && e.ExceptionDetails != nil {
			msg := e.ExceptionDetails.Text
			if ex := e.ExceptionDetails.Exception; ex != nil {
				msg += " " + ex.Description
			}
			mu.Lock()
			jsErrors = append(jsErrors, msg)
			mu.Unlock()
		}
	}
	if err := chromedp.Listen(bctx, listen); err != nil {
		t.Fatalf("start chromium: %v", err)
	}
	do := func(what string, actions ...chromedp.Action[chromedp.Void]) {
		t.Helper()
		if err := chromedp.Do(bctx, actions...); err != nil {
			t.Fatalf("%s: %v", what, err)
		}
	}
	text := func(sel string) string {
		t.Helper()
		s, err := chromedp.Run(bctx, chromedp.Text(chromedp.CSS(sel)))
		if err != nil {
			t.Fatalf("text of %s: %v", sel, err)
		}
		return strings.TrimSpace(s)
	}
	waitJS := func(what, expr string) {
		t.Helper()
		if _, err := chromedp.Run(bctx, chromedp.Poll[bool](expr, chromedp.WithPollingTimeout(10*time.Second))); err != nil {
			t.Fatalf("waiting for %s: %v", what, err)
		}
	}

	do("load the page",
		chromedp.Navigate(srv.URL+"/"),
		chromedp.WaitVisible(chromedp.CSS(`#conn.conn-live`)),
	)
	waitJS("the services", `document.querySelectorAll('#services > li').length === 6`)
	incidents := evalJS[int](t, bctx, `document.querySelectorAll('#incidents article.incident').length`)
	evalJS[string](t, bctx, `window.outcryMarker = 'same page'`)
	if asOf := text(`#asof`); !strings.Contains(asOf, "as of 07:17:00Z event time") || incidents != 0 {
		t.Fatalf("before the outage: as-of %q, %d incidents", asOf, incidents)
	}

	// The outage, fed while the page is open.
	peak := map[string]float64{"whatsapp": 45, "facebook": 9}
	out := ramp(onset, time.Hour, peak)
	sy.run(130*time.Second, out)
	detected := onset.Add(130 * time.Second)
	h.Event(synthEvent(incident.TypeStarted, "whatsapp", onset, detected, 1, incident.SeverityMajor, 38.4, 310))
	sy.run(80*time.Second, out)
	fb := onset.Add(210 * time.Second)
	h.Event(synthEvent(incident.TypeStarted, "facebook", onset.Add(30*time.Second), fb, 1, incident.SeverityMajor, 14.2, 62, "whatsapp"))
	h.Event(synthEvent(incident.TypeUpdated, "whatsapp", onset, fb, 2, incident.SeverityMajor, 61.7, 498, "facebook"))
	sy.run(4*time.Minute, out)
	upd := onset.Add(450 * time.Second)
	h.Event(synthEvent(incident.TypeUpdated, "whatsapp", onset, upd, 3, incident.SeverityCritical, 142.6, 1080, "facebook"))
	sy.run(50*time.Second, out)
	_, version := h.snapshot()

	do("see the outage live", chromedp.WaitVisible(chromedp.CSS(`#incidents article.incident[data-service="whatsapp"]`)))
	waitJS("the latest state", fmt.Sprintf(`document.body.dataset.version === "%d"`, version))
	const card = `#incidents article.incident[data-service="whatsapp"]`
	heading := text(`#inc-h-whatsapp`)
	dir := evalJS[string](t, bctx, `getComputedStyle(document.querySelector('#inc-h-whatsapp bdi')).direction`)
	sev := text(card + ` .badge`)
	figures := text(card + ` .figures`)
	curve := evalJS[int](t, bctx, `document.querySelector('`+card+` svg.chart polyline.complaints').getAttribute('points').split(' ').length`)
	timeline := evalJS[[]string](t, bctx, `[...document.querySelectorAll('#timeline > li')].map(li => li.innerText.replace(/\s+/g, ' '))`)
	asOf := text(`#asof`)
	marker := evalJS[string](t, bctx, `window.outcryMarker || 'reloaded'`)
	if marker != "same page" {
		t.Errorf("the page was reloaded (marker %q)", marker)
	}
	if heading != "واتساب" || dir != "rtl" {
		t.Errorf("heading %q, direction %q; want واتساب, rtl", heading, dir)
	}
	if !strings.EqualFold(sev, "critical") || !strings.Contains(figures, "×143") || !strings.Contains(figures, "1,080") {
		t.Errorf("evidence: severity %q, figures %q", sev, figures)
	}
	if curve < 60 {
		t.Errorf("chart has %d points", curve)
	}
	if len(timeline) != 6 || !strings.HasPrefix(timeline[0], "Updated 07:24:30Z واتساب · critical") ||
		!strings.Contains(timeline[2], "with واتساب") || !strings.HasPrefix(timeline[4], "Resolved 06:44:00Z Instagram") {
		t.Errorf("timeline = %q", timeline)
	}
	if !strings.Contains(asOf, "as of 07:25:20Z event time") {
		t.Errorf("as-of %q", asOf)
	}
	mu.Lock()
	if len(jsErrors) > 0 {
		t.Errorf("JavaScript errors: %q", jsErrors)
	}
	mu.Unlock()

	// A row opened by the analyst stays open, and keeps the focus, across live updates.
	do("open the X row", chromedp.Click(chromedp.CSS(`#svc-x summary`)))
	sy.run(10*time.Second, out)
	_, version = h.snapshot()
	waitJS("the next update", fmt.Sprintf(`document.body.dataset.version === "%d"`, version))
	if ok := evalJS[bool](t, bctx, `document.querySelector('#svc-x details').open && document.activeElement === document.querySelector('#svc-x summary') && !!document.querySelector('#svc-x svg.chart')`); !ok {
		t.Errorf("the opened row did not survive an update")
	}

	png, err := chromedp.Run(bctx, chromedp.FullScreenshot(100))
	if err != nil {
		t.Fatalf("screenshot: %v", err)
	}
	dir = os.Getenv("OUTCRY_ARTIFACTS")
	if dir == "" {
		dir = t.TempDir()
	} else if err := os.MkdirAll(dir, 0o755); err != nil {
		t.Fatal(err)
	}
	path := filepath.Join(dir, "outcry-page.png")
	if err := os.WriteFile(path, png, 0o644); err != nil {
		t.Fatal(err)
	}
	t.Logf("screenshot: %s (%d bytes)", path, len(png))
}

func evalJS[T any](t *testing.T, ctx context.Context, expr string) T {
	t.Helper()
	v, err := chromedp.Run(ctx, chromedp.Evaluate[T](expr))
	if err != nil {
		t.Fatalf("%s: %v", expr, err)
	}
	return v
}

// TestServicePagesInChromium: with more services than a page holds, the page shows
// the first page and how many there are, pages forward and back, and searches by
// name through /api/services, while the state keeps streaming.
func TestServicePagesInChromium(t *testing.T) {
	bctx, closeBrowser := headless(t, chromedp.WindowSize(1280, 1000))
	defer closeBrowser()
	const n = 120
	declared := make([]Service, n)
	for i := range declared {
		declared[i] = Service{Name: fmt.Sprintf("svc%03d", i), Display: fmt.Sprintf("Service %03d", i)}
	}
	h := NewHub(declared, zap.NewNop())
	for _, s := range declared {
		h.Observe(s.Name, verdict(t0, 3, 1, 0.4))
	}
	srv := httptest.NewServer(h.Handler())
	defer srv.Close()
	defer h.Close()

	waitJS := func(what, expr string) {
		t.Helper()
		if _, err := chromedp.Run(bctx, chromedp.Poll[bool](expr, chromedp.WithPollingTimeout(10*time.Second))); err != nil {
			rows := evalJS[[]string](t, bctx, `[...document.querySelectorAll('#services > li')].map(li => li.dataset.n || li.id)`)
			t.Fatalf("waiting for %s: %v (range %q, rows %v)", what, err, evalJS[string](t, bctx, `document.querySelector('#svc-range').textContent`), rows)
		}
	}
	page := func(rng, first, last string) string {
		return fmt.Sprintf(`document.querySelector('#svc-range').textContent === %q && document.querySelector('#services > li:first-child').id === %q && document.querySelector('#services > li:last-child').id === %q`, rng, "svc-"+first, "svc-"+last)
	}
	if err := chromedp.Do(bctx, chromedp.Navigate(srv.URL+"/"), chromedp.WaitVisible(chromedp.CSS(`#conn.conn-live`))); err != nil {
		t.Fatal(err)
	}
	waitJS("the first page", page("1–50 of 120", "svc000", "svc049"))
	if _, err := chromedp.Run(bctx, chromedp.Click(chromedp.CSS(`#svc-next`))); err != nil {
		t.Fatal(err)
	}
	waitJS("the second page", page("51–100 of 120", "svc050", "svc099"))
	// A live update while on the second page keeps it.
	h.Observe("svc001", verdict(t0.Add(10*time.Second), 3, 1, 0.4))
	_, version := h.snapshot()
	waitJS("the next state", fmt.Sprintf(`document.body.dataset.version === "%d"`, version))
	waitJS("the second page after an update", page("51–100 of 120", "svc050", "svc099"))
	if _, err := chromedp.Run(bctx, chromedp.Click(chromedp.CSS(`#svc-next`))); err != nil {
		t.Fatal(err)
	}
	waitJS("the last page", page("101–120 of 120", "svc100", "svc119")+` && document.querySelector('#svc-next').disabled`)
	if _, err := chromedp.Run(bctx, chromedp.SendKeys(chromedp.CSS(`#svc-q`), "service 11")); err != nil {
		t.Fatal(err)
	}
	waitJS("the search", page("1–10 of 10", "svc110", "svc119"))
	if _, err := chromedp.Run(bctx, chromedp.SendKeys(chromedp.CSS(`#svc-q`), "x")); err != nil {
		t.Fatal(err)
	}
	waitJS("a search that finds nothing", `document.querySelector('#svc-range').textContent === 'No service matches “service 11x”.' && document.querySelectorAll('#services > li').length === 0`)
}
