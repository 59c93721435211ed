package post

import (
	"strings"
	"testing"
	"time"
)

// FuzzParseTime: parseTime is time.Parse(time.RFC3339Nano, ·), fast path or not.
func FuzzParseTime(f *testing.F) {
	for _, s := range []string{"2022-10-25T07:21:03Z", "2024-02-29T23:59:59Z", "2023-02-29T00:00:00Z", "2022-13-01T00:00:00Z",
		"2022-10-25T24:00:00Z", "2022-10-25T07:60:03Z", "2022-10-25T07:21:60Z", "0000-01-01T00:00:00Z", "2022-10-25t07:21:03z",
		"2022-10-25T07:21:03.5Z", "2022-10-25T07:21:03+02:00", "2022-1a-25T07:21:03Z", "2022-10-00T07:21:03Z", "2022-04-31T07:21:03Z"} {
		f.Add(s)
	}
	f.Fuzz(func(t *testing.T, s string) {
		got, err := parseTime(s)
		want, werr := time.Parse(time.RFC3339Nano, s)
		if (err == nil) != (werr == nil) || err != nil && err.Error() != werr.Error() || !got.Equal(want) || err == nil && got.UTC() != want.UTC() {
			t.Fatalf("%q: %v %v, time.Parse %v %v", s, got, err, want, werr)
		}
	})
}

// FuzzBlank: blank(s) is strings.TrimSpace(s) == "".
func FuzzBlank(f *testing.F) {
	for _, s := range []string{"", " ", "\t\n\v\f\r ", "\u0085\u00a0\u2003", " x ", "\u00a0واتساب", "\xff", " \x1c"} {
		f.Add(s)
	}
	f.Fuzz(func(t *testing.T, s string) {
		if got, want := blank(s), strings.TrimSpace(s) == ""; got != want {
			t.Fatalf("blank(%q) = %v, want %v", s, got, want)
		}
	})
}
