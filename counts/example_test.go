package counts_test

import (
	"fmt"

	"github.com/outcry-dev/outcry/counts"
)

// An alert names the countries with the largest shares of complaints.
func ExampleTop() {
	shares := counts.Shares(map[string]int64{"BR": 50, "IN": 30, "ID": 30, "DE": 5}, 10)
	fmt.Println(counts.Top(shares, 3))
	fmt.Println(counts.Top(nil, 3))
	// Output:
	// [BR ID IN]
	// []
}
