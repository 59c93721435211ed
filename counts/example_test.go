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

// Copies of a long text are one voice whoever posts them; a short post is its
// author's own.
func ExampleVoice() {
	a := counts.Voice("ana", "BREAKING: WhatsApp down for millions of users worldwide https://t.co/x1")
	b := counts.Voice("bo", "RT @news: breaking — WhatsApp down for millions of users worldwide!")
	c := counts.Voice("cy", "whatsapp down?")
	fmt.Println(a == b, c)
	// Output:
	// true a:cy
}
