package match

import (
	"bufio"
	"encoding/json"
	"os"
	"sort"
	"strings"
	"testing"
)

// corpusPost is one line of testdata/corpus.jsonl (see gen_corpus.py): a
// post with its language, the service it is about (or null) and what it
// says about it. A post about several services has one line per service.
type corpusPost struct {
	Text    string  `json:"text"`
	Lang    string  `json:"lang"`
	Service *string `json:"service"`
	Kind    string  `json:"kind"` // outage, recovery or negative
}

type prCount struct{ tp, fp, fn, recOK, rec int }

func (c prCount) precision() float64 {
	if c.tp+c.fp == 0 {
		return 1
	}
	return float64(c.tp) / float64(c.tp+c.fp)
}

func (c prCount) recall() float64 {
	if c.tp+c.fn == 0 {
		return 1
	}
	return float64(c.tp) / float64(c.tp+c.fn)
}

// labelled is one post of a labelled corpus with the services it complains about
// and the ones it says are back.
type labelled struct {
	text, lang       string
	outage, recovery map[string]bool
}

// loadLabelled reads a labelled JSONL corpus (corpusPost lines; a post about several
// services has one line per service, a negative has kind "negative" or "none").
func loadLabelled(t *testing.T, path string) (posts []*labelled, negatives int) {
	t.Helper()
	f, err := os.Open(path)
	if err != nil {
		t.Fatal(err)
	}
	defer f.Close()
	byText := map[string]*labelled{}
	sc := bufio.NewScanner(f)
	for n := 1; sc.Scan(); n++ {
		var c corpusPost
		if err := json.Unmarshal(sc.Bytes(), &c); err != nil {
			t.Fatalf("%s line %d: %v", path, n, err)
		}
		p := byText[c.Text]
		if p == nil {
			p = &labelled{text: c.Text, lang: c.Lang, outage: map[string]bool{}, recovery: map[string]bool{}}
			byText[c.Text] = p
			posts = append(posts, p)
		}
		switch c.Kind {
		case "outage":
			p.outage[*c.Service] = true
		case "recovery":
			p.recovery[*c.Service] = true
		case "negative", "none":
			negatives++
		default:
			t.Fatalf("%s line %d: kind %q", path, n, c.Kind)
		}
	}
	if err := sc.Err(); err != nil {
		t.Fatal(err)
	}
	return posts, negatives
}

// scoreLabelled matches every post with the default rules and logs outage precision
// and recall per language (and, with -v and showMisses, each miss); it returns the
// totals.
func scoreLabelled(t *testing.T, posts []*labelled, showMisses bool) prCount {
	t.Helper()
	m := NewMatcher(DefaultRules())
	per := map[string]*prCount{}
	var total prCount
	var misses []string
	for _, p := range posts {
		c := per[p.lang]
		if c == nil {
			c = &prCount{}
			per[p.lang] = c
		}
		got := map[string]Kind{}
		for _, mt := range m.Match(nil, p.text) {
			got[mt.Service] = mt.Kind
		}
		for s, k := range got {
			if k != Outage {
				continue
			}
			if p.outage[s] {
				c.tp++
				total.tp++
			} else {
				c.fp++
				total.fp++
				misses = append(misses, "FP "+p.lang+" "+s+": "+p.text)
			}
		}
		for s := range p.outage {
			if got[s] != Outage {
				c.fn++
				total.fn++
				misses = append(misses, "FN "+p.lang+" "+s+": "+p.text)
			}
		}
		for s := range p.recovery {
			c.rec++
			total.rec++
			if got[s] == Recovery {
				c.recOK++
				total.recOK++
			} else {
				misses = append(misses, "recovery missed "+p.lang+" "+s+": "+p.text)
			}
		}
	}
	langs := make([]string, 0, len(per))
	for l := range per {
		langs = append(langs, l)
	}
	sort.Strings(langs)
	var b strings.Builder
	b.WriteString("\nlang     precision recall  tp  fp  fn  recovery\n")
	row := func(name string, c prCount) {
		b.WriteString(strings.Join([]string{
			pad(name, 8), pad(f3(c.precision()), 9), pad(f3(c.recall()), 6),
			pad(itoa(c.tp), 3), pad(itoa(c.fp), 3), pad(itoa(c.fn), 3), itoa(c.recOK) + "/" + itoa(c.rec),
		}, " ") + "\n")
	}
	for _, l := range langs {
		row(l, *per[l])
	}
	row("all", total)
	t.Log(b.String())
	if showMisses && testing.Verbose() {
		for _, s := range misses {
			t.Log(s)
		}
	}
	return total
}

// TestCorpus measures outage precision and recall on the hand-written
// labelled corpus, per language, and fails below 0.95 / 0.90 overall.
func TestCorpus(t *testing.T) {
	posts, negatives := loadLabelled(t, "testdata/corpus.jsonl")
	if len(posts) < 1500 || negatives*3 < len(posts) {
		t.Errorf("corpus has %d posts, %d negatives: want ≥ 1500, a third negative", len(posts), negatives)
	}
	total := scoreLabelled(t, posts, true)
	if total.precision() < 0.95 || total.recall() < 0.90 {
		t.Errorf("outage precision %.3f, recall %.3f: want ≥ 0.95 and ≥ 0.90", total.precision(), total.recall())
	}
}

// TestHeldOut measures the matcher on posts written independently of the rules
// and of corpus.jsonl, in 13 languages, by three writers briefed differently:
// natural phrasings, long rants, quoted errors, support handles, sarcasm, firehose
// shorthand, and hard negatives (hypotheticals, past outages, the poster's own
// wifi, other senses of the names, complaints about features, bans or prices).
//
// The rules were tuned on testdata/heldout.jsonl and testdata/heldout2.jsonl.
// testdata/heldout3.jsonl was never looked at while tuning, not even its misses:
// it measures how the rules generalise. Keep it that way: look only at its totals.
// When its misses have to be studied, it becomes a tuning set and a new held-out
// set must be written (by someone who has not seen the rules).
func TestHeldOut(t *testing.T) {
	for _, tc := range []struct {
		name, file           string
		minPrecision, minRec float64
		showMisses           bool
	}{
		{"heldout tune", "testdata/heldout.jsonl", 0.95, 0.95, true},
		{"heldout2 tune", "testdata/heldout2.jsonl", 0.95, 0.90, true},
		{"heldout3 held out", "testdata/heldout3.jsonl", 0.92, 0.70, false},
	} {
		t.Run(tc.name, func(t *testing.T) {
			posts, _ := loadLabelled(t, tc.file)
			total := scoreLabelled(t, posts, tc.showMisses)
			if total.precision() < tc.minPrecision || total.recall() < tc.minRec {
				t.Errorf("outage precision %.3f, recall %.3f: want ≥ %.2f and ≥ %.2f",
					total.precision(), total.recall(), tc.minPrecision, tc.minRec)
			}
		})
	}
}

func pad(s string, n int) string {
	for len([]rune(s)) < n {
		s += " "
	}
	return s
}

func f3(x float64) string {
	b, _ := json.Marshal(float64(int(x*1000+0.5)) / 1000)
	return string(b)
}

func itoa(n int) string {
	b, _ := json.Marshal(n)
	return string(b)
}
