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

// TestCorpus measures outage precision and recall on the hand-written
// labelled corpus, per language, and fails below 0.95 / 0.90 overall.
func TestCorpus(t *testing.T) {
	f, err := os.Open("testdata/corpus.jsonl")
	if err != nil {
		t.Fatal(err)
	}
	defer f.Close()
	type post struct {
		lang     string
		outage   map[string]bool
		recovery map[string]bool
	}
	posts := map[string]*post{}
	var order []string
	sc := bufio.NewScanner(f)
	negatives := 0
	for n := 1; sc.Scan(); n++ {
		var c corpusPost
		if err := json.Unmarshal(sc.Bytes(), &c); err != nil {
			t.Fatalf("corpus line %d: %v", n, err)
		}
		p := posts[c.Text]
		if p == nil {
			p = &post{lang: c.Lang, outage: map[string]bool{}, recovery: map[string]bool{}}
			posts[c.Text] = p
			order = append(order, c.Text)
		}
		switch c.Kind {
		case "outage":
			p.outage[*c.Service] = true
		case "recovery":
			p.recovery[*c.Service] = true
		case "negative":
			negatives++
		default:
			t.Fatalf("corpus line %d: kind %q", n, c.Kind)
		}
	}
	if len(order) < 1500 || negatives*3 < len(order) {
		t.Errorf("corpus has %d posts, %d negatives: want ≥ 1500, a third negative", len(order), negatives)
	}
	m := NewMatcher(DefaultRules())
	per := map[string]*prCount{}
	var total prCount
	var misses []string
	for _, text := range order {
		p := posts[text]
		c := per[p.lang]
		if c == nil {
			c = &prCount{}
			per[p.lang] = c
		}
		got := map[string]Kind{}
		for _, mt := range m.Match(nil, text) {
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
				misses = append(misses, "FP "+p.lang+" "+s+": "+text)
			}
		}
		for s := range p.outage {
			if got[s] != Outage {
				c.fn++
				total.fn++
				misses = append(misses, "FN "+p.lang+" "+s+": "+text)
			}
		}
		for s := range p.recovery {
			c.rec++
			total.rec++
			if got[s] == Recovery {
				c.recOK++
				total.recOK++
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
	if testing.Verbose() {
		for _, s := range misses {
			t.Log(s)
		}
	}
	if total.precision() < 0.95 || total.recall() < 0.90 {
		t.Errorf("outage precision %.3f, recall %.3f: want ≥ 0.95 and ≥ 0.90", total.precision(), total.recall())
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
