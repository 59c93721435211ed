package matchbench

import (
	"testing"

	"github.com/outcry-dev/outcry/match"
)

// TestManyServices: a rules file of 20,000 services (more than the 16,384 allowed
// before) loads, and names its last service; the sizes of issue 19 (50,000) are
// measured by `outcry bench`, not here (about 6 s to load).
func TestManyServices(t *testing.T) {
	if testing.Short() {
		t.Skip("loads 20,000 services")
	}
	rs, err := LargeRules(20000)
	if err != nil {
		t.Fatal(err)
	}
	svcs := rs.Services()
	if len(svcs) != 20000 {
		t.Fatalf("%d services, want 20000", len(svcs))
	}
	last := svcs[len(svcs)-1]
	aliases := rs.Aliases(last.Name)
	m := match.NewMatcher(rs)
	got := m.Match(nil, aliases[0]+" is down for everyone, can't log in")
	if len(got) != 1 || got[0].Service != last.Name || got[0].Kind != match.Outage {
		t.Errorf("the last service (%s, %q): %v", last.Name, aliases[0], got)
	}
}
