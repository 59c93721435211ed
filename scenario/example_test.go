package scenario_test

import (
	"fmt"
	"io"

	"github.com/outcry-dev/outcry/scenario"
)

func ExampleWrite() {
	st, err := scenario.Write(io.Discard, scenario.Fixture("whatsapp", 1))
	if err != nil {
		panic(err)
	}
	fmt.Printf("%+v\n", st)
	// Output: {Lines:8241 Posts:8241 Complaints:1581 Recovery:66 Chatter:3945 Unrelated:2649 Bad:0}
}
