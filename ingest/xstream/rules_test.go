package xstream

import (
	"context"
	"encoding/json"
	"io"
	"net/http"
	"net/http/httptest"
	"reflect"
	"strings"
	"sync"
	"testing"

	"github.com/outcry-dev/outcry/match"
)

func TestDeriveRules(t *testing.T) {
	for _, tc := range []struct {
		name     string
		aliases  map[string][]string
		names    []string
		maxRules int
		maxLen   int
		want     []Rule
		err      string
	}{{
		name:  "one rule",
		names: []string{"whatsapp", "x"},
		aliases: map[string][]string{
			"whatsapp": {"whatsapp", "whats app", "wa", "واتس اب", "واتس", "व्हाट्सएप", "wa", "  "},
			"x":        {"twitter", "x.com", "x/twitter", "bird  app", "ツイッター", "@twittersupport", "tweet-ul", "-is:retweet", `say "hi"`, `back\slash`},
		},
		maxLen: ProMaxLen,
		// "واتس اب" is matched by "واتس", quoted and escaped aliases are left out
		want: []Rule{{Tag: "outcry:whatsapp-x", Value: `(whatsapp OR "whats app" OR wa OR واتس OR व्हाट्सएप OR twitter OR "x.com" OR "x/twitter" OR "bird app" OR ツイッター OR "@twittersupport" OR "tweet-ul" OR "-is:retweet") -is:retweet`}},
	}, {
		name:    "whole services, in order",
		names:   []string{"a", "b", "c"},
		aliases: map[string][]string{"a": {"alpha"}, "b": {"bravo", "beta"}, "c": {"charlie"}},
		maxLen:  40,
		want: []Rule{
			{Tag: "outcry:a-b", Value: "(alpha OR bravo OR beta) -is:retweet"}, // 36 bytes; with charlie 47
			{Tag: "outcry:c", Value: "charlie -is:retweet"},
		},
	}, {
		name:    "a service too large for a rule",
		names:   []string{"v", "w", "z"},
		aliases: map[string][]string{"v": {"vee"}, "w": {"aaaaaaaaaa", "bbbbbbbbbb", "cccccccccc", "dddddddddd"}, "z": {"zed"}},
		maxLen:  40,
		want: []Rule{
			{Tag: "outcry:v", Value: "vee -is:retweet"},
			{Tag: "outcry:w 1/2", Value: "(aaaaaaaaaa OR bbbbbbbbbb) -is:retweet"}, // 38 bytes
			{Tag: "outcry:w 2/2", Value: "(cccccccccc OR dddddddddd) -is:retweet"},
			{Tag: "outcry:z", Value: "zed -is:retweet"},
		},
	}, {
		name:    "repeats across services, phrases matched by a word",
		names:   []string{"a", "b", "c"},
		aliases: map[string][]string{"a": {"amazon", "zap"}, "b": {"zap", "amazon prime", "zapzap"}, "c": {"prime video", "the amazon prime app"}},
		maxLen:  ProMaxLen,
		want:    []Rule{{Tag: "outcry:a-c", Value: `(amazon OR zap OR zapzap OR "prime video") -is:retweet`}},
	}, {
		name:    "a service left with nothing",
		names:   []string{"a", "b"},
		aliases: map[string][]string{"a": {"amazon"}, "b": {"amazon prime", "amazon"}},
		maxLen:  ProMaxLen,
		want:    []Rule{{Tag: "outcry:a", Value: "amazon -is:retweet"}},
	}, {
		name:    "the next services join the last part",
		names:   []string{"v", "w", "z"},
		aliases: map[string][]string{"v": {"vee"}, "w": {"aaaaaaaaaa", "bbbbbbbbbb", "cccccccccc", "dddddddddd"}, "z": {"zed"}},
		maxLen:  48,
		want: []Rule{
			{Tag: "outcry:v", Value: "vee -is:retweet"},
			{Tag: "outcry:w 1/2", Value: "(aaaaaaaaaa OR bbbbbbbbbb) -is:retweet"}, // with cccccccccc 52 bytes
			{Tag: "outcry:w 2/2-z", Value: "(cccccccccc OR dddddddddd OR zed) -is:retweet"},
		},
	}, {
		name:     "too many",
		names:    []string{"v", "w", "z"},
		aliases:  map[string][]string{"v": {"vee"}, "w": {"aaaaaaaaaa", "bbbbbbbbbb", "cccccccccc", "dddddddddd"}, "z": {"zed"}},
		maxRules: 3,
		maxLen:   40,
		err:      "the 3 services need 4 rules of at most 40 bytes, and the access level allows 3",
	}, {
		name:    "an alias too long",
		names:   []string{"a"},
		aliases: map[string][]string{"a": {strings.Repeat("a", 30)}},
		maxLen:  40,
		err:     "too long for a rule of 40 bytes",
	}, {
		name:   "rules too short",
		names:  []string{"a"},
		maxLen: 20,
		err:    "too short",
	}, {
		name:   "no services",
		maxLen: BasicMaxLen,
	}} {
		aliases := func(s string) []string { return tc.aliases[s] }
		got, err := DeriveRules(tc.names, aliases, tc.maxRules, tc.maxLen)
		if tc.err != "" {
			if err == nil || !strings.Contains(err.Error(), tc.err) {
				t.Errorf("%s: %v, want an error with %q", tc.name, err, tc.err)
			}
			continue
		}
		if err != nil || !reflect.DeepEqual(got, tc.want) {
			t.Errorf("%s: %v\n%q\nwant\n%q", tc.name, err, got, tc.want)
		}
		for _, r := range got {
			if len(r.Value) > tc.maxLen {
				t.Errorf("%s: a rule of %d bytes, limit %d", tc.name, len(r.Value), tc.maxLen)
			}
		}
	}
}

// terms are the terms of a rule DeriveRules made.
func terms(v string) []string {
	v = strings.TrimSuffix(v, notRetweet)
	if strings.HasPrefix(v, "(") {
		v = strings.TrimSuffix(strings.TrimPrefix(v, "("), ")")
	}
	return strings.Split(v, " OR ")
}

// TestDeriveDefaultRules: the default rules' services in rules of 512 and 1024 bytes
// (Basic and Pro): how many, each within its length, every alias covered, the same
// each time.
func TestDeriveDefaultRules(t *testing.T) {
	r := match.DefaultRules()
	names := r.Names()
	aliases := 0
	for _, n := range names {
		aliases += len(r.Aliases(n))
	}
	for _, maxLen := range []int{BasicMaxLen, ProMaxLen} {
		rules, err := DeriveRules(names, r.Aliases, 0, maxLen)
		if err != nil {
			t.Fatal(err)
		}
		again, _ := DeriveRules(names, r.Aliases, 0, maxLen)
		if !reflect.DeepEqual(rules, again) {
			t.Errorf("%d bytes: two derivations differ", maxLen)
		}
		in := map[string]bool{}
		total := 0
		for _, rule := range rules {
			total += len(rule.Value)
			if len(rule.Value) > maxLen || !strings.HasPrefix(rule.Tag, TagPrefix) || !strings.HasSuffix(rule.Value, notRetweet) {
				t.Errorf("rule %q (%q): %d bytes, limit %d", rule.Tag, rule.Value, len(rule.Value), maxLen)
			}
			if strings.Count(rule.Value, `"`)%2 != 0 {
				t.Errorf("rule %q: unbalanced quotes", rule.Tag)
			}
			for _, term := range terms(rule.Value) {
				in[term] = true
			}
		}
		words := map[string]bool{}
		for w := range in {
			if !strings.HasPrefix(w, `"`) {
				words[w] = true
			}
		}
		for _, n := range names {
			for _, a := range r.Aliases(n) {
				a = strings.Join(strings.Fields(a), " ")
				if a != "" && !in[quote(a)] && !subsumed(a, words) && !strings.ContainsAny(a, `"\`) {
					t.Errorf("%d bytes: the alias %q of %s is in no rule", maxLen, a, n)
				}
			}
		}
		t.Logf("the %d services (%d aliases) of the default rules need %d rules of at most %d bytes (%d bytes in all)",
			len(names), aliases, len(rules), maxLen, total)
	}
	_, err := DeriveRules(names, r.Aliases, BasicMaxRules, BasicMaxLen)
	if err == nil || !strings.Contains(err.Error(), "rules of at most 512 bytes, and the access level allows 5") {
		t.Errorf("the default rules on Basic: %v, want an error saying how many rules they need", err)
	}
}

// fixtureX answers the rules requests with the fixtures of testdata, the rules
// listed over two pages, and checks that the requests are the fixtures' too.
func fixtureX(t *testing.T, token, addResponse string) (*httptest.Server, func() []string) {
	var list rulesPage
	if err := json.Unmarshal(fixture(t, "rules_list_response.json"), &list); err != nil {
		t.Fatal(err)
	}
	var mu sync.Mutex
	var seen []string
	srv := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		body, _ := io.ReadAll(r.Body)
		mu.Lock()
		seen = append(seen, r.Method+" "+r.URL.Path)
		mu.Unlock()
		if r.Header.Get("Authorization") != "Bearer "+token || r.URL.Path != rulesPath {
			http.Error(w, "no", http.StatusUnauthorized)
			return
		}
		sameJSON := func(name string) {
			var got, want any
			if json.Unmarshal(body, &got) != nil || json.Unmarshal(fixture(t, name), &want) != nil || !reflect.DeepEqual(got, want) {
				t.Errorf("%s: sent %s, want the fixture", name, body)
			}
			if r.Header.Get("Content-Type") != "application/json" {
				t.Errorf("%s: content type %q", name, r.Header.Get("Content-Type"))
			}
		}
		switch {
		case r.Method == http.MethodGet && r.URL.Query().Get("pagination_token") == "":
			page := list
			page.Data, page.Meta.NextToken = list.Data[:2], "p2"
			json.NewEncoder(w).Encode(page)
		case r.Method == http.MethodGet:
			page := list
			page.Data = list.Data[2:]
			json.NewEncoder(w).Encode(page)
		case strings.Contains(string(body), `"delete"`):
			sameJSON("rules_delete_request.json")
			w.Write(fixture(t, "rules_delete_response.json"))
		default:
			sameJSON("rules_add_request.json")
			w.WriteHeader(http.StatusCreated)
			w.Write(fixture(t, addResponse))
		}
	}))
	t.Cleanup(srv.Close)
	return srv, func() []string {
		mu.Lock()
		defer mu.Unlock()
		return append([]string(nil), seen...)
	}
}

var wantedRules = []Rule{
	{Value: `(whatsapp OR twitter OR "x.com") -is:retweet`, Tag: "outcry:whatsapp-x"},
	{Value: "(instagram OR insta OR インスタ) -is:retweet", Tag: "outcry:instagram"},
	{Value: `(youtube OR yt OR "you tube") -is:retweet`, Tag: "outcry:youtube"},
}

// TestSyncRules: the sync deletes Outcry's rule that is not wanted, adds the missing
// ones, keeps the wanted one and another tool's, and happens once; a refusal fails
// it, naming the rule, and the next Open tries again.
func TestSyncRules(t *testing.T) {
	const token = "tok-123"
	ctx := context.Background()
	srv, seen := fixtureX(t, token, "rules_add_response.json")
	s := &Source{Token: token, Rules: wantedRules}
	ours, err := s.ensureRules(ctx, srv.URL)
	if err != nil {
		t.Fatal(err)
	}
	want := map[string]bool{"1990000000000000003": true, "1997000000000000102": true, "1997000000000000103": true}
	if !reflect.DeepEqual(ours, want) {
		t.Errorf("Outcry's rules: %v, want %v", ours, want)
	}
	wantSeen := []string{"GET " + rulesPath, "GET " + rulesPath, "POST " + rulesPath, "POST " + rulesPath}
	if got := seen(); !reflect.DeepEqual(got, wantSeen) {
		t.Errorf("requests %q, want %q", got, wantSeen)
	}
	if _, err := s.ensureRules(ctx, srv.URL); err != nil || len(seen()) != 4 {
		t.Errorf("a second Open synced again: %v, %d requests", err, len(seen()))
	}

	srv, seen = fixtureX(t, token, "rules_add_refused_response.json")
	s = &Source{Token: token, Rules: wantedRules}
	_, err = s.ensureRules(ctx, srv.URL)
	if err == nil || !strings.Contains(err.Error(), `X refused 1: rule "(youtube OR yt OR \"you tube\") -is:retweet": UnprocessableEntity: Rules must contain a non-negation term`) {
		t.Errorf("a refused rule: %v", err)
	}
	if _, err := s.ensureRules(ctx, srv.URL); err == nil || len(seen()) != 8 {
		t.Errorf("after a failed sync, Open syncs again: %v, %d requests", err, len(seen()))
	}

	srv, _ = fixtureX(t, token, "rules_add_duplicate_response.json")
	s = &Source{Token: token, Rules: wantedRules}
	ours, err = s.ensureRules(ctx, srv.URL)
	if err != nil || !ours["1990000000000000077"] || !ours["1997000000000000102"] {
		t.Errorf("a rule there already (another tool's with the same value): %v, ours %v", err, ours)
	}

	if ours, err := (&Source{Token: token}).ensureRules(ctx, "http://127.0.0.1:1"); ours != nil || err != nil {
		t.Errorf("no rules: %v, %v; want the app's rules left alone", ours, err)
	}
}

func TestPlan(t *testing.T) {
	have := []Rule{
		{ID: "1", Value: "a", Tag: "weather"},
		{ID: "2", Value: "b", Tag: "outcry:old"},
		{ID: "3", Value: "c", Tag: "outcry:c"},
		{ID: "4", Value: "d", Tag: "someone"}, // wanted: Outcry's too
		{ID: "5", Value: "e", Tag: "outcry:e-renamed"},
	}
	want := []Rule{{Value: "c", Tag: "outcry:c"}, {Value: "d", Tag: "outcry:d"}, {Value: "e", Tag: "outcry:e"}, {Value: "f", Tag: "outcry:f"}, {Value: "f", Tag: "outcry:f"}}
	del, add, ours := plan(have, want)
	if !reflect.DeepEqual(del, []string{"2"}) || !reflect.DeepEqual(add, []Rule{{Value: "f", Tag: "outcry:f"}}) ||
		!reflect.DeepEqual(ours, map[string]bool{"3": true, "4": true, "5": true}) {
		t.Errorf("plan: delete %v, add %v, ours %v", del, add, ours)
	}
}
