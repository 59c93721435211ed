package xstream

import (
	"fmt"
	"testing"

	"github.com/outcry-dev/outcry/match"
)

func TestScratch(t *testing.T) {
	r := match.DefaultRules()
	tot := 0
	for _, n := range r.Names() {
		a := r.Aliases(n)
		tot += len(a)
		fmt.Printf("%s: %q\n", n, a)
	}
	fmt.Println(len(r.Names()), tot)
}
