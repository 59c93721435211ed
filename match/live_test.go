package match

import (
	"errors"
	"fmt"
	"os"
	"path/filepath"
	"strings"
	"sync"
	"testing"
)

func TestLiveReload(t *testing.T) {
	dir := t.TempDir()
	path := filepath.Join(dir, "rules.yaml")
	os.WriteFile(path, []byte("version: 1\noutage_terms: [kaputt]\nservices:\n  - name: acme\n    aliases: [acme]\n"), 0o644)
	l := NewLive(nil)
	if got := l.Match(nil, "whatsapp down"); len(got) != 1 || got[0].Service != "whatsapp" {
		t.Fatalf("default rules: %v", got)
	}
	var wg sync.WaitGroup
	stop := make(chan struct{})
	for g := 0; g < 4; g++ { // matching goes on during reloads
		wg.Add(1)
		go func() {
			defer wg.Done()
			for {
				select {
				case <-stop:
					return
				default:
					l.Match(nil, "acme ist kaputt, whatsapp down")
				}
			}
		}()
	}
	if err := l.Reload(path); err != nil {
		t.Fatal(err)
	}
	if got := l.Match(nil, "acme ist kaputt"); len(got) != 1 || got[0].Service != "acme" || got[0].Kind != Outage {
		t.Errorf("after reload: %v", got)
	}
	old := l.Rules()
	os.WriteFile(path, []byte("version: 1\nservices:\n  - name: acme\n    aliasses: [acme]\n"), 0o644)
	err := l.Reload(path)
	var re *RuleError
	if !errors.As(err, &re) || re.Line != 4 || re.Column != 5 || !strings.Contains(err.Error(), path) {
		t.Errorf("bad reload: %v", err)
	}
	if l.Rules() != old {
		t.Error("a bad file replaced the rules")
	}
	if err := l.Reload(filepath.Join(dir, "missing.yaml")); err == nil || l.Rules() != old {
		t.Errorf("missing file: %v", err)
	}
	if prev := l.Swap(DefaultRules()); prev != old || l.Matcher().Rules() != DefaultRules() {
		t.Error("Swap")
	}
	close(stop)
	wg.Wait()
}

func TestCheckStats(t *testing.T) {
	path := filepath.Join(t.TempDir(), "r.yaml")
	os.WriteFile(path, DefaultRulesYAML(), 0o644)
	r, err := Check(path)
	if err != nil {
		t.Fatal(err)
	}
	svcs, terms := r.Stats()
	if svcs != len(DefaultRules().Services()) || svcs < 40 || terms < 1000 {
		t.Errorf("Stats = %d, %d", svcs, terms)
	}
	if a := r.Aliases("whatsapp"); len(a) < 10 || a[0] != "whatsapp" {
		t.Errorf("Aliases(whatsapp) = %v", a)
	}
	if r.Aliases("nope") != nil {
		t.Error("Aliases of an unknown service")
	}
}

// FuzzParseRules: any input is parsed or refused with a *RuleError, never a panic.
func FuzzParseRules(f *testing.F) {
	f.Add(DefaultRulesYAML())
	f.Add([]byte("version: 1\nservices:\n  - name: a\n    aliases: [aa]\n"))
	f.Add([]byte("version: 1\nservices:\n  - name: a\n    context_aliases:\n      - {alias: b, strict: true, requires_context: [c]}\n"))
	f.Add([]byte("version: 1\npost_negations: {en: [\"remember when\"]}\nproblems: {login: [x]}\nservices: [{name: a, aliases: {ja: [ライン]}}]\n"))
	f.Add([]byte("version: 1\nservices: [\n"))
	f.Add([]byte("&a [*a]"))
	f.Fuzz(func(t *testing.T, data []byte) {
		r, err := ParseRules(data)
		if err != nil {
			var re *RuleError
			if !errors.As(err, &re) || re.Line < 1 || re.Msg == "" {
				t.Fatalf("error %v (%T) is not a *RuleError with a line", err, err)
			}
			return
		}
		if len(r.Services()) == 0 {
			t.Fatal("valid rules without services")
		}
		NewMatcher(r).Match(nil, "whatsapp down #acmedown ライン落ちてる")
	})
}

func ExampleLive() {
	live := NewLive(DefaultRules())
	// In a service: on SIGHUP or when the file changes,
	//   if err := live.Reload(path); err != nil { log it; the old rules stay }
	for _, mt := range live.Match(nil, "instagram not loading, can't log in") {
		fmt.Println(mt.Service, mt.Kind, mt.Problems)
	}
	err := live.Reload("/nonexistent/rules.yaml")
	fmt.Println(err != nil, len(live.Rules().Services()) >= 40)
	// Output:
	// instagram outage [login]
	// true true
}

func ExampleCheck() {
	_, err := Check("testdata/bad_rules.yaml")
	var re *RuleError
	if errors.As(err, &re) {
		fmt.Printf("line %d, column %d: %s\n", re.Line, re.Column, re.Msg)
	}
	// Output:
	// line 5, column 5: unknown key "aliasses"
}
