package suite

import (
	"fmt"
	"maps"
	"slices"
	"strings"
	"testing"

	"github.com/outcry-dev/outcry/match"
	"github.com/outcry-dev/outcry/scenario/suitetext"
)

// TestMatcherOnTemplates reads every template of the suite's texts, filled with
// each service's brand spelling and with the language's own names for it, and
// reports per language how the matcher reads each class: outage recall, and
// how often the other classes are read as a complaint. The tuning half's
// misses are logged with -v; the held-out half prints totals only (see
// package suitetext: nobody tuning reads it).
func TestMatcherOnTemplates(t *testing.T) {
	for w := 1; w <= suitetext.Writers; w++ {
		t.Run(fmt.Sprint("writer ", w), func(t *testing.T) { matcherOnTemplates(t, w) })
	}
}

func matcherOnTemplates(t *testing.T, writer int) {
	m := match.NewMatcher(match.DefaultRules())
	services := slices.Sorted(maps.Keys(brand))
	for _, half := range []suitetext.Half{suitetext.Tuning, suitetext.Heldout} {
		texts, err := suitetext.LoadWriter(writer, half)
		if err != nil {
			t.Fatal(err)
		}
		var b, misses strings.Builder
		fmt.Fprintf(&b, "\nwriter %d, %s half: lang, outage recall, then the share read as outage of recovery, past, chatter, other_outage\n", writer, half)
		var all, allN [5]int
		for _, lang := range texts.Languages() {
			var got, n [5]int // per class: read as outage, total
			classes := []string{suitetext.Outage, suitetext.Recovery, suitetext.Past, suitetext.Chatter, suitetext.OtherOutage}
			for ci, class := range classes {
				for ti, tpl := range texts.Templates(lang, class) {
					svc := services[ti%len(services)]
					forms := []string{brand[svc][0]}
					if names := texts.Names(lang, svc); len(names) > 0 {
						forms = append(forms, names[ti%len(names)])
					}
					for _, name := range forms {
						text := suitetext.Fill{Service: name, Other: elsewhere, Handle: handle[svc], Code: "503", City: "Lagos"}.Fill(tpl)
						kind := match.Mention
						for _, mt := range m.Match(nil, text) {
							if mt.Service == svc {
								kind = mt.Kind
							}
						}
						n[ci]++
						if kind == match.Outage {
							got[ci]++
						}
						if miss := (ci == 0) != (kind == match.Outage); miss && half == suitetext.Tuning {
							fmt.Fprintf(&misses, "%s %s %s read as %s: %s\n", lang, class, svc, kind, text)
						}
					}
				}
			}
			for i := range got {
				all[i] += got[i]
				allN[i] += n[i]
			}
			if half == suitetext.Tuning {
				fmt.Fprintf(&b, "%-8s %s\n", lang, shares(got, n))
			}
		}
		fmt.Fprintf(&b, "%-8s %s\n", "all", shares(all, allN))
		t.Log(b.String())
		if testing.Verbose() && half == suitetext.Tuning {
			t.Log("\n" + misses.String())
		}
	}
}

// shares formats, per class, the share read as an outage.
func shares(got, n [5]int) string {
	var b strings.Builder
	for i := range got {
		if n[i] == 0 {
			b.WriteString("  -   ")
			continue
		}
		fmt.Fprintf(&b, "%.2f  ", float64(got[i])/float64(n[i]))
	}
	return b.String()
}
