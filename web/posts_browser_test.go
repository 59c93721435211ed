package web

import (
	"net/http/httptest"
	"strings"
	"testing"
	"time"

	"github.com/chromedp/chromedp"
	"go.uber.org/zap"

	"github.com/outcry-dev/outcry/counts"
	"github.com/outcry-dev/outcry/detect/incident"
)

// TestSamplePostsInChromium: an incident's sample posts are shown as text whatever
// they hold (markup and script in a post never run), right-to-left where the text
// is, with a link to the original where the source has one; its countries are
// shaded on the world map, which the page carries itself (no CDN).
func TestSamplePostsInChromium(t *testing.T) {
	bctx, closeBrowser := headless(t)
	defer closeBrowser()
	h := NewHub([]Service{{"whatsapp", "WhatsApp"}, {"x", "X"}}, zap.NewNop())
	srv := httptest.NewServer(h.Handler())
	defer srv.Close()
	defer h.Close()

	start := time.Date(2022, 10, 25, 6, 20, 0, 0, time.UTC)
	onset := start.Add(57 * time.Minute)
	sy := newSynth(h, start, map[string]float64{"whatsapp": 0.6, "x": 0.9})
	sy.run(onset.Sub(start), func(string, time.Time) float64 { return 0 })
	sy.run(3*time.Minute, ramp(onset, time.Hour, map[string]float64{"whatsapp": 40}))
	e := synthEvent(incident.TypeStarted, "whatsapp", onset, onset.Add(3*time.Minute), 1, incident.SeverityMajor, 38, 310)
	hostile := []string{
		`<img src=x onerror="window.__xss=1">whatsapp down`,
		`<script>window.__xss=2</script> is whatsapp down?`,
		`"><svg onload="window.__xss=3"> messages stuck`,
	}
	e.Data.SamplePosts = []counts.SamplePost{
		{ID: "bluesky:at://did:plc:abc/app.bsky.feed.post/3lcaaa0001", Text: hostile[0], Lang: "en", Source: "bluesky"},
		{ID: "x:1850007", Text: hostile[1], Lang: "en", Country: "GB", Source: "x"},
		{ID: "1850023", Text: hostile[2], Source: "other"},
		{ID: "mastodon:javascript:alert(1)", Text: "واتساب لا يعمل عندي منذ الصباح", Lang: "ar", Country: "SA", Source: "mastodon"},
	}
	h.Event(e)

	const posts = `#incidents article.incident[data-service="whatsapp"] section.posts`
	if err := chromedp.Do(bctx, chromedp.Navigate(srv.URL+"/"), chromedp.WaitVisible(chromedp.CSS(posts+" li"))); err != nil {
		t.Fatalf("the sample posts are not shown: %v", err)
	}
	texts := evalJS[[]string](t, bctx, `[...document.querySelectorAll('`+posts+` blockquote')].map(b => b.textContent)`)
	if len(texts) != 4 || texts[0] != hostile[0] || texts[1] != hostile[1] || texts[2] != hostile[2] {
		t.Errorf("shown %q, want the posts' text as written", texts)
	}
	if n := evalJS[int](t, bctx, `document.querySelectorAll('`+posts+` img, `+posts+` script, `+posts+` svg').length`); n != 0 {
		t.Errorf("%d elements made from a post's text", n)
	}
	if ran := evalJS[string](t, bctx, `String(window.__xss)`); ran != "undefined" {
		t.Errorf("a post's script ran (window.__xss = %s)", ran)
	}
	if dir := evalJS[string](t, bctx, `getComputedStyle(document.querySelectorAll('`+posts+` blockquote')[3]).direction`); dir != "rtl" {
		t.Errorf("the Arabic post reads %s, want rtl", dir)
	}
	links := evalJS[[]string](t, bctx, `[...document.querySelectorAll('`+posts+` a')].map(a => a.href)`)
	if len(links) != 2 || links[0] != "https://bsky.app/profile/did:plc:abc/post/3lcaaa0001" || links[1] != "https://x.com/i/status/1850007" {
		t.Errorf("links %q: want the Bluesky and X originals only (no link from an id that is not a URL)", links)
	}
	for _, l := range links {
		if !strings.HasPrefix(l, "https://") {
			t.Errorf("a link %q", l)
		}
	}

	// The countries on the embedded world map: the five of the evidence, India (the
	// largest share) darkest.
	const hits = `#incidents article.incident[data-service="whatsapp"] svg.worldmap path.hit`
	if err := chromedp.Do(bctx, chromedp.WaitVisible(chromedp.CSS(hits))); err != nil {
		t.Fatalf("no world map: %v", err)
	}
	got := evalJS[[]string](t, bctx, `[...document.querySelectorAll('`+hits+`')].map(p => p.dataset.cc + ' ' + p.getAttribute('fill-opacity'))`)
	want := map[string]bool{"BR": true, "EG": true, "GB": true, "IN": true, "SA": true}
	for _, g := range got {
		cc, op, _ := strings.Cut(g, " ")
		if !want[cc] || cc == "IN" && op != "1.00" || cc != "IN" && op >= "1.00" {
			t.Errorf("map: %q", got)
			break
		}
	}
	if len(got) != len(want) {
		t.Errorf("map: %d countries shaded, want %d: %q", len(got), len(want), got)
	}
	if n := evalJS[int](t, bctx, `document.querySelectorAll('#incidents svg.worldmap path').length`); n < 150 {
		t.Errorf("the map has %d countries", n)
	}
}
