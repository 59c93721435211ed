package xstream

import (
	"bytes"
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"net/http"
	"net/url"
	"strings"
	"unicode"

	"go.uber.org/zap"
)

// Rule is a filtered-stream rule: what the stream delivers is what one of the app's
// rules matches.
type Rule struct {
	ID    string `json:"id,omitempty"` // X's, once added
	Value string `json:"value"`
	Tag   string `json:"tag,omitempty"`
}

// TagPrefix starts the tag of every rule Outcry owns: the rules sync deletes only
// rules tagged so.
const TagPrefix = "outcry:"

// Access levels' limits on rules as X has documented them: rules per app, and the
// length of a rule. X counts the length in characters; DeriveRules counts bytes,
// which are never fewer. X changes its access levels: check the app's.
const (
	BasicMaxRules = 5
	BasicMaxLen   = 512
	ProMaxRules   = 1000
	ProMaxLen     = 1024
)

// notRetweet ends every rule: a retweet repeats a complaint, it is not another one
// (and costs a read).
const notRetweet = " -is:retweet"

// DeriveRules builds the stream rules that deliver the posts naming the services
// (names, in order; aliases gives a service's aliases): each rule is its services'
// aliases OR-joined, "(a OR b OR "c d") -is:retweet", at most maxLen bytes. Whole
// services, in order, are grouped into as few rules as fit (tag
// "outcry:<first>-<last>", "outcry:<name>" for one); a service too large for one rule
// alone is spread over rules of its own ("outcry:<name> 1/3", ...), the last of
// which the next services may join ("outcry:<name> 3/3-<last>"). It fails, saying
// how many rules were needed, when that is more than maxRules (0: no limit). The
// output depends on its input only.
//
// An alias is quoted when it has a space or a character that is not a letter, a
// digit, a mark or "_" (X then matches it as a phrase); aliases that the same
// rules match already are left out: a repeated alias, and a phrase with a word that
// is an alias by itself ("amazon prime" when "amazon" is one). Aliases with a
// double quote or a backslash are left out (X's quoting of them is not relied on).
//
// Limitations, from X's matching. A keyword matches a whole token of the post (X
// splits tokens at spaces, punctuation and symbols), case aside: "whatsapp" matches
// "WhatsApp" and "#whatsapp", but not the run-together "#whatsappdown". Such
// hashtags are not added: X's hashtag operator matches one exact hashtag, and which
// ones matter is the matcher's business (they would also take rule space). How X
// tokenises scripts without spaces (Japanese, Chinese, Thai) is not documented: an
// alias in one of them may match only where X sees it as a word of its own. The
// aliases are the matcher's normalised forms (case folded, Latin accents and Arabic
// letter variants unified): a post that writes a name with accents, or with
// Persian letters the matcher folds into Arabic ones, may not be delivered,
// depending on how X folds them, which it does not document either.
func DeriveRules(names []string, aliases func(string) []string, maxRules, maxLen int) ([]Rule, error) {
	if maxLen < len(notRetweet)+16 {
		return nil, fmt.Errorf("rules of %d bytes: too short for any alias", maxLen)
	}
	// The aliases of each service, in order, without those already matched.
	terms := make([][]string, len(names))
	seen := map[string]bool{}
	words := map[string]bool{} // aliases that are one unquoted word
	for i, n := range names {
		for _, a := range aliases(n) {
			a = strings.Join(strings.Fields(a), " ")
			if a == "" || seen[a] || strings.ContainsAny(a, `"\`) {
				continue
			}
			seen[a] = true
			if !needsQuotes(a) {
				words[a] = true
			}
			terms[i] = append(terms[i], a)
		}
	}
	for i := range terms {
		kept := terms[i][:0]
		for _, a := range terms[i] {
			if !subsumed(a, words) {
				kept = append(kept, quote(a))
			}
		}
		terms[i] = kept
	}

	var rules []Rule
	var group []string    // the terms of the rule being filled
	first, last := "", "" // the services (or parts) it starts and ends with
	flush := func() {
		if len(group) > 0 {
			tag := TagPrefix + first
			if last != first {
				tag += "-" + last
			}
			rules = append(rules, Rule{Value: value(group), Tag: tag})
		}
		group = nil
	}
	for i, n := range names {
		t := terms[i]
		if len(t) == 0 {
			continue
		}
		if len(group) > 0 && size(group, t...) <= maxLen {
			group = append(group, t...)
			last = n
			continue
		}
		flush()
		if size(t) <= maxLen {
			group, first, last = append([]string(nil), t...), n, n
			continue
		}
		// Too large for one rule: spread over rules of its own, the last of which
		// the next services may join.
		var parts [][]string
		var part []string
		for _, a := range t {
			if size(nil, a) > maxLen {
				return nil, fmt.Errorf("service %s: the alias %q is too long for a rule of %d bytes", n, a, maxLen)
			}
			if len(part) > 0 && size(part, a) > maxLen {
				parts = append(parts, part)
				part = nil
			}
			part = append(part, a)
		}
		parts = append(parts, part)
		for k, p := range parts {
			first = fmt.Sprintf("%s %d/%d", n, k+1, len(parts))
			group, last = p, first
			if k < len(parts)-1 {
				flush()
			}
		}
	}
	flush()
	if maxRules > 0 && len(rules) > maxRules {
		return nil, fmt.Errorf("the %d services need %d rules of at most %d bytes, and the access level allows %d: follow fewer services, or use an access level with more (or longer) rules",
			len(names), len(rules), maxLen, maxRules)
	}
	return rules, nil
}

// value is the rule of terms: "(a OR b) -is:retweet", "a -is:retweet" for one.
func value(terms []string) string {
	if len(terms) == 1 {
		return terms[0] + notRetweet
	}
	return "(" + strings.Join(terms, " OR ") + ")" + notRetweet
}

// size is len(value(terms + more)), without building it.
func size(terms []string, more ...string) int {
	n, k := len(notRetweet), len(terms)+len(more)
	if k > 1 {
		n += len("()") + len(" OR ")*(k-1)
	}
	for _, t := range terms {
		n += len(t)
	}
	for _, t := range more {
		n += len(t)
	}
	return n
}

// needsQuotes says whether a is not one plain word for X: it has a space, or a
// character other than a letter, a digit, a mark or "_" (punctuation, which X's
// operators are made of, and which splits tokens).
func needsQuotes(a string) bool {
	for _, r := range a {
		if !unicode.IsLetter(r) && !unicode.IsDigit(r) && !unicode.IsMark(r) && r != '_' {
			return true
		}
	}
	// "OR" and "AND" are operators; aliases are lower case, but quoting is cheap.
	return a == "OR" || a == "AND"
}

func quote(a string) string {
	if needsQuotes(a) {
		return `"` + a + `"`
	}
	return a
}

// subsumed says whether the phrase a is matched already by one of its words being
// an alias (a keyword): a post with the phrase has the word.
func subsumed(a string, words map[string]bool) bool {
	f := strings.Fields(a)
	if len(f) < 2 {
		return false
	}
	for _, w := range f {
		if words[w] {
			return true
		}
	}
	return false
}

// ensureRules syncs the rules, the first time and after a sync that failed; it
// returns the ids of the app's rules that serve Outcry's (nil when Rules is empty).
func (s *Source) ensureRules(ctx context.Context, base string) (map[string]bool, error) {
	if len(s.Rules) == 0 {
		return nil, nil
	}
	s.mu.Lock()
	defer s.mu.Unlock()
	if s.synced {
		return s.ours, nil
	}
	ours, err := s.syncRules(ctx, base)
	if err != nil {
		return nil, fmt.Errorf("sync the stream rules: %w", err)
	}
	s.synced, s.ours = true, ours
	return ours, nil
}

// rulesPage is GET rules' answer.
type rulesPage struct {
	Data []Rule `json:"data"`
	Meta struct {
		ResultCount int    `json:"result_count"`
		NextToken   string `json:"next_token"`
	} `json:"meta"`
}

// rulesChange is POST rules' answer.
type rulesChange struct {
	Data []Rule `json:"data"`
	Meta struct {
		Summary struct {
			Created    int `json:"created"`
			NotCreated int `json:"not_created"`
			Deleted    int `json:"deleted"`
			NotDeleted int `json:"not_deleted"`
		} `json:"summary"`
	} `json:"meta"`
	Errors []problem `json:"errors"`
}

// addBatch is the most rules added by one request.
const addBatch = 100

// syncRules lists the app's rules, deletes Outcry's that are not wanted and adds the
// wanted ones missing. A wanted value that is already a rule of another tool is not
// added again (X refuses duplicates), and counts as Outcry's.
func (s *Source) syncRules(ctx context.Context, base string) (map[string]bool, error) {
	var have []Rule
	token := ""
	for {
		u := base + rulesPath
		if token != "" {
			u += "?" + url.Values{"pagination_token": {token}}.Encode()
		}
		var page rulesPage
		if err := s.rulesRequest(ctx, http.MethodGet, u, nil, &page); err != nil {
			return nil, fmt.Errorf("list: %w", err)
		}
		have = append(have, page.Data...)
		if page.Meta.NextToken == "" || page.Meta.NextToken == token {
			break
		}
		token = page.Meta.NextToken
	}
	del, add, ours := plan(have, s.Rules)
	if len(del) > 0 {
		var r rulesChange
		body := map[string]any{"delete": map[string][]string{"ids": del}}
		if err := s.rulesRequest(ctx, http.MethodPost, base+rulesPath, body, &r); err != nil {
			return nil, fmt.Errorf("delete %d rules: %w", len(del), err)
		}
		if len(r.Errors) > 0 || r.Meta.Summary.NotDeleted > 0 {
			return nil, fmt.Errorf("delete %d rules: %d not deleted: %s", len(del), r.Meta.Summary.NotDeleted, s.problems(r.Errors))
		}
	}
	for i := 0; i < len(add); i += addBatch {
		batch := add[i:min(i+addBatch, len(add))]
		var r rulesChange
		if err := s.rulesRequest(ctx, http.MethodPost, base+rulesPath, map[string][]Rule{"add": batch}, &r); err != nil {
			return nil, fmt.Errorf("add %d rules: %w", len(batch), err)
		}
		for _, d := range r.Data {
			ours[d.ID] = true
		}
		var refused []problem
		for _, p := range r.Errors {
			if p.Title == "DuplicateRule" || strings.HasSuffix(p.Type, "/duplicate-rules") {
				if p.ID != "" {
					ours[p.ID] = true // there already: Outcry's too
				}
				continue
			}
			refused = append(refused, p)
		}
		if len(refused) > 0 {
			return nil, fmt.Errorf("add %d rules: X refused %d: %s", len(batch), len(refused), s.problems(refused))
		}
	}
	others := 0
	for _, h := range have {
		if !strings.HasPrefix(h.Tag, TagPrefix) {
			others++
		}
	}
	s.log().Info("stream rules synced", zap.String("source", "x"), zap.Int("wanted", len(s.Rules)),
		zap.Int("added", len(add)), zap.Int("deleted", len(del)), zap.Int("other_tools_rules", others))
	return ours, nil
}

// plan says which of the app's rules to delete (Outcry's that are not wanted), which
// wanted rules to add (those whose value is no rule yet), and which rules serve
// Outcry's (those whose value is wanted, whatever their tag).
func plan(have, want []Rule) (del []string, add []Rule, ours map[string]bool) {
	wanted := map[string]bool{}
	for _, w := range want {
		wanted[w.Value] = true
	}
	there := map[string]bool{}
	ours = map[string]bool{}
	for _, h := range have {
		there[h.Value] = true
		switch {
		case wanted[h.Value]:
			ours[h.ID] = true
		case strings.HasPrefix(h.Tag, TagPrefix):
			del = append(del, h.ID)
		}
	}
	for _, w := range want {
		if !there[w.Value] {
			there[w.Value] = true
			add = append(add, Rule{Value: w.Value, Tag: w.Tag})
		}
	}
	return del, add, ours
}

func (s *Source) problems(ps []problem) string {
	out := make([]string, 0, len(ps))
	for _, p := range ps {
		t := p.String()
		if p.Value != "" {
			t = fmt.Sprintf("rule %q: %s", truncate(p.Value), t)
		}
		out = append(out, t)
		if len(out) == 5 {
			out = append(out, fmt.Sprintf("and %d more", len(ps)-5))
			break
		}
	}
	return s.scrub(strings.Join(out, "; "))
}

// rulesRequest sends a rules request (body as JSON when not nil) and decodes its
// answer into out; a status other than 2xx is an *HTTPError.
func (s *Source) rulesRequest(ctx context.Context, method, u string, body, out any) error {
	ctx, cancel := context.WithTimeout(ctx, requestTimeout)
	defer cancel()
	var rd io.Reader
	if body != nil {
		b, err := json.Marshal(body)
		if err != nil {
			return err
		}
		rd = bytes.NewReader(b)
	}
	req, err := http.NewRequestWithContext(ctx, method, u, rd)
	if err != nil {
		return err
	}
	s.header(req)
	if body != nil {
		req.Header.Set("Content-Type", "application/json")
	}
	resp, err := s.client().Do(req)
	if err != nil {
		return err
	}
	defer resp.Body.Close()
	if resp.StatusCode/100 != 2 {
		return s.httpError(resp)
	}
	b, err := io.ReadAll(io.LimitReader(resp.Body, 16<<20))
	if err != nil {
		return err
	}
	if err := json.Unmarshal(b, out); err != nil {
		return errors.New("unreadable answer: " + s.scrub(summary(b)))
	}
	return nil
}
