package match_test

import (
	"testing"

	"github.com/outcry-dev/outcry/internal/matchbench"
	"github.com/outcry-dev/outcry/match"
)

// BenchmarkMatchMix: the realistic firehose mix (see package matchbench)
// at about 50 services (the default rules) and at 4,000 services.
func BenchmarkMatchMix(b *testing.B) {
	corpus := matchbench.Corpus(4096, 1)
	large, err := matchbench.LargeRules(matchbench.LargeServices)
	if err != nil {
		b.Fatal(err)
	}
	for _, bc := range []struct {
		name  string
		rules *match.Rules
	}{{"40", match.DefaultRules()}, {"4000", large}} {
		m := match.NewMatcher(bc.rules)
		b.Run(bc.name, func(b *testing.B) {
			var dst []match.Match
			b.ReportAllocs()
			for i := 0; b.Loop(); i++ {
				dst = m.Match(dst[:0], corpus[i%len(corpus)])
			}
		})
	}
}

// BenchmarkRegexpBaseline: one case-insensitive alternation regexp over the
// default rules' aliases, on the same mix.
func BenchmarkRegexpBaseline(b *testing.B) {
	corpus := matchbench.Corpus(4096, 1)
	re := matchbench.Baseline(match.DefaultRules())
	n := 0
	for i := 0; b.Loop(); i++ {
		if re.MatchString(corpus[i%len(corpus)]) {
			n++
		}
	}
}

// BenchmarkMatchMixParts splits the mix (default rules): the posts that name no
// service, which most of a firehose is and which should leave after the
// prefilter, and the posts that name one (chatter and complaints).
func BenchmarkMatchMixParts(b *testing.B) {
	m := match.NewMatcher(match.DefaultRules())
	var none, named []string
	for _, t := range matchbench.Corpus(8192, 1) {
		if len(m.Match(nil, t)) == 0 {
			none = append(none, t)
		} else {
			named = append(named, t)
		}
	}
	for _, part := range []struct {
		name  string
		posts []string
	}{{"none", none}, {"named", named}} {
		b.Run(part.name, func(b *testing.B) {
			var dst []match.Match
			for i := 0; b.Loop(); i++ {
				dst = m.Match(dst[:0], part.posts[i%len(part.posts)])
			}
		})
	}
}
