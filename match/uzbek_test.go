package match

import (
	"slices"
	"testing"
)

func TestUzCyrillic(t *testing.T) {
	for _, tc := range []struct {
		in   string
		want []string
	}{
		{"yotibdi", []string{"ётибди"}},
		{"ishlamayapti", []string{"ишламаяпти"}},
		{"bo'lmayapti", []string{"бўлмаяпти", "булмаяпти"}},
		{"hali ham", []string{"ҳали ҳам", "хали хам"}},
		{"xabarlar ketmayapti", []string{"хабарлар кетмаяпти"}},
		{"ertaga", []string{"эртага"}},
		{"qayta o'rnatdim", []string{"қайта ўрнатдим", "кайта урнатдим"}},
		{"ётибди", nil}, // already Cyrillic
		{"error 503", nil},
	} {
		if got := uzCyrillic(tc.in); !slices.Equal(got, tc.want) {
			t.Errorf("uzCyrillic(%q) = %q, want %q", tc.in, got, tc.want)
		}
	}
}

// TestUzPresent: an Uzbek verb denied now ("ochilmayapti") is also said in the
// plain present ("ochilmaydi"), in both scripts; the poster's own missing
// signal is theirs.
func TestUzPresent(t *testing.T) {
	checkMatches(t, rulesOnly(), []matchCase{
		{"telegram ochilmaydi, nima bo'ldi", want{"telegram": Outage}},
		{"Инстаграм юкланмайди", want{"instagram": Outage}},
		{"ikki kundan beri signal yo'q, telegram ochilmaydi", want{"telegram": Mention, "signal": Mention}},
	})
}
