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

// Copies of one wording are one voice whoever posts them; a post too short to
// have one is its author's own.
func ExampleVoice() {
	const headline = 0x5eed // match.Match.Wording of "BREAKING: WhatsApp down for millions of users worldwide"
	a := counts.Voice("ana", headline)
	b := counts.Voice("bo", headline)
	c := counts.Voice("cy", 0) // "whatsapp down?"
	fmt.Println(a == b, a, c)
	// Output:
	// true t:ir1 a:cy
}
