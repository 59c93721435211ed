package suitetext_test

import (
	"fmt"
	"math/rand/v2"
	"strings"
	"testing"

	"github.com/outcry-dev/outcry/scenario/suitetext"
)

// Both halves load; every template is in exactly one; each half has, for every
// language, templates of the classes the streams need, so that a stream can be
// built from either half alone.
func TestHalves(t *testing.T) {
	for w := 1; w <= suitetext.Writers; w++ {
		t.Run(fmt.Sprint("writer ", w), func(t *testing.T) { testHalves(t, w) })
	}
	if _, err := suitetext.LoadWriter(suitetext.Writers+1, suitetext.Tuning); err == nil {
		t.Errorf("writer %d loaded", suitetext.Writers+1)
	}
}

func testHalves(t *testing.T, w int) {
	tune, err := suitetext.LoadWriter(w, suitetext.Tuning)
	if err != nil {
		t.Fatal(err)
	}
	held, err := suitetext.LoadWriter(w, suitetext.Heldout)
	if err != nil {
		t.Fatal(err)
	}
	if n := len(tune.Languages()); n < 24 {
		t.Errorf("%d languages, want at least 24", n)
	}
	for _, lang := range tune.Languages() {
		for _, class := range []string{suitetext.Outage, suitetext.Recovery, suitetext.Past, suitetext.Chatter} {
			a, b := tune.Count(lang, class), held.Count(lang, class)
			if a == 0 || b == 0 {
				t.Errorf("%s %s: %d tuning and %d held-out templates; both halves need some", lang, class, a, b)
			}
		}
	}
	r := rand.New(rand.NewPCG(1, 2))
	for range 200 {
		s, ok := tune.Pick(r, "ru", suitetext.Outage, suitetext.Fill{Service: "telegram", Handle: "telegram", Code: "404", City: "Kazan", Other: "x"})
		if !ok || strings.ContainsAny(s, "{}") {
			t.Fatalf("filled template %q (%v)", s, ok)
		}
	}
	// The halves are about even.
	var nt, nh int
	for _, lang := range tune.Languages() {
		for _, class := range suitetext.Classes {
			nt += tune.Count(lang, class)
			nh += held.Count(lang, class)
		}
	}
	if nt < nh*4/5 || nh < nt*4/5 {
		t.Errorf("%d tuning and %d held-out templates", nt, nh)
	}
	t.Logf("%d tuning and %d held-out templates", nt, nh)
}

// A template's half depends on its text alone.
func TestHalfOfIsFixed(t *testing.T) {
	for _, tt := range []struct {
		s    string
		want suitetext.Half
	}{
		{"", suitetext.Heldout},
		{"{service} is down", suitetext.HalfOf("{service} is down")},
	} {
		if got := suitetext.HalfOf(tt.s); got != tt.want {
			t.Errorf("HalfOf(%q) = %s, want %s", tt.s, got, tt.want)
		}
	}
}

func ExampleHalfOf() {
	fmt.Println(suitetext.HalfOf("{service} is down again"), suitetext.HalfOf("{service} is back"))
	// Output: tuning held-out
}
