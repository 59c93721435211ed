// Package suitetext holds the post templates of the generated evaluation streams and
// splits them into a tuning half and a held-out half.
//
// It sits beside the scenario generator, upstream of everything it measures: the
// templates (30 languages) were written by writers who never saw the matcher's
// rules, so that streams built from them measure how Outcry does on text it was not
// tuned on. Writer 1's (texts.json) are the suite's; writer 2's (texts2.json) and
// writer 3's (texts3.json) came later, from other writers with another brief, and
// were fresh material when they came: text neither the rules nor the model were made
// from. Each template belongs to one half for good,
// by a hash of its text: tune on Tuning, report Heldout, and do not read the held-out
// half while tuning.
package suitetext

import (
	_ "embed"
	"encoding/json"
	"fmt"
	"hash/fnv"
	"maps"
	"math/rand/v2"
	"regexp"
	"slices"
	"strings"
)

var (
	//go:embed texts.json
	texts1JSON []byte
	//go:embed texts2.json
	texts2JSON []byte
	//go:embed texts3.json
	texts3JSON []byte
)

// byWriter are the writers' templates, writer 1 first.
var byWriter = [...][]byte{texts1JSON, texts2JSON, texts3JSON}

// Writers is how many writers' templates there are (1 to Writers).
const Writers = len(byWriter)

// Classes of templates.
const (
	Outage      = "outage"       // the service is failing now
	Recovery    = "recovery"     // it works again
	Past        = "past"         // an outage that is over: next day, post-mortems, press
	Chatter     = "chatter"      // the service named without a problem (hard negatives included)
	OtherOutage = "other_outage" // the poster's own connection, or displacement ("{other} is down so I came to {service}")
	Bot         = "bot"          // spam repeating the name with outage words
)

// Classes lists every class, in a fixed order.
var Classes = []string{Outage, Recovery, Past, Chatter, OtherOutage, Bot}

// Half names one half of the templates.
type Half int

const (
	Tuning  Half = iota // what detection and matching may be tuned on
	Heldout             // what is reported; nobody tuning reads it
)

func (h Half) String() string {
	if h == Heldout {
		return "held-out"
	}
	return "tuning"
}

// HalfOf is the half a template belongs to: the parity of the FNV-1a hash of its text.
func HalfOf(template string) Half {
	f := fnv.New32a()
	f.Write([]byte(template))
	return Half(f.Sum32() & 1)
}

// Texts are the templates of one half, by language and class.
type Texts struct {
	half  Half
	langs map[string]*language
}

type language struct {
	classes map[string][]string
	names   map[string][]string // service → how people of this language write it
}

type file struct {
	Version   int                                   `json:"version"`
	Languages map[string]map[string]json.RawMessage `json:"languages"`
}

// placeholder matches every {name} in a template.
var placeholder = regexp.MustCompile(`\{[a-z]+\}`)

// known placeholders.
var known = map[string]bool{"{service}": true, "{other}": true, "{handle}": true, "{code}": true, "{city}": true}

// Load returns the templates of one half of writer 1 (the suite's).
func Load(h Half) (*Texts, error) {
	return LoadWriter(1, h)
}

// LoadWriter returns the templates of one half of a writer, 1 to Writers.
func LoadWriter(w int, h Half) (*Texts, error) {
	if w < 1 || w > Writers {
		return nil, fmt.Errorf("suitetext: writer %d: want 1 to %d", w, Writers)
	}
	return parse(byWriter[w-1], h)
}

func parse(b []byte, h Half) (*Texts, error) {
	var f file
	if err := json.Unmarshal(b, &f); err != nil {
		return nil, fmt.Errorf("suitetext: %w", err)
	}
	if f.Version != 1 {
		return nil, fmt.Errorf("suitetext: version %d, want 1", f.Version)
	}
	t := &Texts{half: h, langs: map[string]*language{}}
	for code, raw := range f.Languages {
		l := &language{classes: map[string][]string{}, names: map[string][]string{}}
		for key, v := range raw {
			if key == "names" {
				if err := json.Unmarshal(v, &l.names); err != nil {
					return nil, fmt.Errorf("suitetext: %s names: %w", code, err)
				}
				continue
			}
			if !slices.Contains(Classes, key) {
				return nil, fmt.Errorf("suitetext: %s: unknown class %q", code, key)
			}
			var all []string
			if err := json.Unmarshal(v, &all); err != nil {
				return nil, fmt.Errorf("suitetext: %s %s: %w", code, key, err)
			}
			for _, s := range all {
				for _, p := range placeholder.FindAllString(s, -1) {
					if !known[p] {
						return nil, fmt.Errorf("suitetext: %s %s: unknown placeholder %s in %q", code, key, p, s)
					}
				}
				if HalfOf(s) == h {
					l.classes[key] = append(l.classes[key], s)
				}
			}
		}
		t.langs[code] = l
	}
	return t, nil
}

// Half says which half t holds.
func (t *Texts) Half() Half { return t.half }

// Languages lists the language codes, sorted.
func (t *Texts) Languages() []string {
	return slices.Sorted(maps.Keys(t.langs))
}

// Count is the number of templates of a language and class in this half.
func (t *Texts) Count(lang, class string) int {
	if l := t.langs[lang]; l != nil {
		return len(l.classes[class])
	}
	return 0
}

// Templates returns the templates of a language and class in this half, unfilled.
func (t *Texts) Templates(lang, class string) []string {
	if l := t.langs[lang]; l != nil {
		return slices.Clone(l.classes[class])
	}
	return nil
}

// Fill fills a template's placeholders.
func (f Fill) Fill(template string) string {
	return strings.NewReplacer("{service}", f.Service, "{other}", f.Other, "{handle}", f.Handle,
		"{code}", f.Code, "{city}", f.City).Replace(template)
}

// Fill is what a template's placeholders become.
type Fill struct {
	Service, Other, Handle, Code, City string
}

// Pick returns a random template of the language and class, filled; false when the
// half has none.
func (t *Texts) Pick(r *rand.Rand, lang, class string, f Fill) (string, bool) {
	l := t.langs[lang]
	if l == nil || len(l.classes[class]) == 0 {
		return "", false
	}
	return f.Fill(l.classes[class][r.IntN(len(l.classes[class]))]), true
}

// Names returns how people writing lang name service (the generator mixes these with
// the brand's own spellings); none when the writer gave none.
func (t *Texts) Names(lang, service string) []string {
	if l := t.langs[lang]; l != nil {
		return l.names[service]
	}
	return nil
}
