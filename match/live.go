package match

import "sync/atomic"

// Check loads the rules file at path and reports whether it is valid. It
// returns the compiled rules, or an error carrying the path whose content
// faults unwrap (errors.As) to *RuleError with the line and column. It is
// what `outcry rules check FILE` runs.
func Check(path string) (*Rules, error) {
	return LoadRules(path)
}

// Stats counts what a rule set holds: services and terms (aliases, context
// aliases and their context terms, outage, recovery, negation, negator,
// symptom-verb, connector, hashtag and problem terms), as written in the file.
func (r *Rules) Stats() (services, terms int) {
	return len(r.services), r.terms
}

// Live holds the current rules and their matcher, and swaps both atomically
// on Reload: Match never blocks and never sees a half-loaded rule set. It is
// safe for concurrent use; a service keeps one Live and calls Reload on
// SIGHUP or when the rules file changes.
type Live struct {
	cur atomic.Pointer[Matcher]
}

// NewLive returns a Live serving r (DefaultRules if r is nil).
func NewLive(r *Rules) *Live {
	l := &Live{}
	l.cur.Store(NewMatcher(r))
	return l
}

// Match matches text against the current rules (see [Matcher.Match]).
func (l *Live) Match(dst []Match, text string) []Match {
	return l.cur.Load().Match(dst, text)
}

// Matcher returns the current matcher.
func (l *Live) Matcher() *Matcher { return l.cur.Load() }

// Rules returns the current rules.
func (l *Live) Rules() *Rules { return l.cur.Load().r }

// Reload loads the rules file at path and, if it is valid, makes it
// current. A bad file leaves the current rules in place and returns the
// error (with the path; content faults unwrap to *RuleError).
func (l *Live) Reload(path string) error {
	r, err := LoadRules(path)
	if err != nil {
		return err
	}
	l.Swap(r)
	return nil
}

// Swap makes r the current rules and returns the previous ones.
func (l *Live) Swap(r *Rules) *Rules {
	if r == nil {
		panic("match: Live.Swap(nil)")
	}
	return l.cur.Swap(NewMatcher(r)).r
}

// Rules returns the rules the matcher uses.
func (m *Matcher) Rules() *Rules { return m.r }
