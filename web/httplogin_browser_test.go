package web

import (
	"testing"

	"github.com/chromedp/chromedp"
)

// TestLoginInChromium: in a real browser, the login form's style passes its CSP, a
// wrong token shows the error, and the right one leads to the live page, whose
// EventSource then works with the session cookie alone.
func TestLoginInChromium(t *testing.T) {
	bctx, closeBrowser := headless(t)
	defer closeBrowser()
	srv, _, _ := authServer(t, false)

	if err := chromedp.Do(bctx, chromedp.Navigate(srv.URL+"/"), chromedp.WaitVisible(chromedp.CSS(`#token`))); err != nil {
		t.Fatalf("load the login form: %v", err)
	}
	// The form's style sets a white background: a CSP that blocked it would leave none.
	if bg, err := chromedp.Run(bctx, chromedp.Evaluate[string](`getComputedStyle(document.querySelector('form')).backgroundColor`)); err != nil || bg != "rgb(255, 255, 255)" {
		t.Errorf("form background %q (%v): the style was blocked", bg, err)
	}
	if err := chromedp.Do(bctx, chromedp.SendKeys(chromedp.CSS(`#token`), "wrong"), chromedp.Submit(chromedp.CSS(`form`)),
		chromedp.WaitVisible(chromedp.CSS(`.error`))); err != nil {
		t.Fatalf("a wrong token: %v", err)
	}
	if err := chromedp.Do(bctx, chromedp.SendKeys(chromedp.CSS(`#token`), testToken), chromedp.Submit(chromedp.CSS(`form`)),
		chromedp.WaitVisible(chromedp.CSS(`#conn.conn-live`))); err != nil {
		t.Fatalf("log in and see the page live: %v", err)
	}
	// HttpOnly: the page's scripts cannot read the session.
	if c, err := chromedp.Run(bctx, chromedp.Evaluate[string](`document.cookie`)); err != nil || c != "" {
		t.Errorf("document.cookie = %q (%v)", c, err)
	}
}
