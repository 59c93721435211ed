package app

import (
	"strings"
	"testing"

	"github.com/outcry-dev/outcry/ingest/xstream"
)

// TestXRules: the embedded rules fit Pro's stream rules, without the one- and
// two-letter names that would deliver (and bill) a large share of X; a few services
// fit Basic's five.
func TestXRules(t *testing.T) {
	rules, err := xRules(SourceOptions{})
	if err != nil {
		t.Fatal(err)
	}
	n := 0
	for _, r := range rules {
		n += len(r.Value)
		for _, short := range []string{"(x OR", " OR x OR", " OR wa OR", "(wa OR", " OR tt OR"} {
			if strings.Contains(r.Value, short) {
				t.Errorf("rule %s has a short name (%q): %.80s", r.Tag, short, r.Value)
			}
		}
	}
	t.Logf("the embedded rules: %d stream rules of at most %d bytes (%d bytes in all)", len(rules), xstream.ProMaxLen, n)
	if len(rules) > xstream.ProMaxRules {
		t.Errorf("%d rules, more than Pro's %d", len(rules), xstream.ProMaxRules)
	}
	basic, err := xRules(SourceOptions{XServices: []string{"signal"}, XMaxRules: xstream.BasicMaxRules, XMaxLen: xstream.BasicMaxLen})
	if err != nil || len(basic) == 0 {
		t.Errorf("one service on Basic: %d rules, %v", len(basic), err)
	}
}
