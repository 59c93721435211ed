package store

import (
	"fmt"
	"testing"
	"time"

	"github.com/outcry-dev/outcry/counts"
)

// benchEntry is a busy bucket's entry: five samples with text, the maps, authors.
func benchEntry(b *testing.B) string {
	d := counts.NewBatch(10 * time.Second)
	t0 := time.Date(2026, 1, 5, 0, 0, 0, 0, time.UTC)
	for i := range 40 {
		d.Complain("whatsapp", t0, counts.Complaint{Author: fmt.Sprint("user", i), Country: "IN", Lang: "hi",
			PostID: fmt.Sprint("17000000000", i), Problems: []string{"messages"}, Wording: uint64(i),
			Text: "व्हाट्सएप फिर से बंद है, मैसेज नहीं जा रहे #whatsappdown", Source: "bluesky"})
	}
	for _, delta := range d.Buckets {
		js, err := deltaJSON(delta)
		if err != nil {
			b.Fatal(err)
		}
		return js
	}
	b.Fatal("no bucket")
	return ""
}

// BenchmarkParseEntry is what reading one service's bucket costs Outcry (the
// evaluator reads every service with posts in every closed bucket).
func BenchmarkParseEntry(b *testing.B) {
	js := benchEntry(b)
	b.SetBytes(int64(len(js)))
	b.ReportAllocs()
	for b.Loop() {
		if _, err := parseEntry(js); err != nil {
			b.Fatal(err)
		}
	}
}
