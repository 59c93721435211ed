package match

import "testing"

// Copies of one text are one wording however they spell the service's name, its
// case and punctuation; people's own words, and posts too short to tell writers
// apart, are not.
func TestWording(t *testing.T) {
	m := NewMatcher(DefaultRules())
	for _, tc := range []struct {
		name string
		a, b string
		same bool // one wording
		none bool // a (and b) too short for a wording
	}{
		{"a headline reposted", "WhatsApp down for millions of users worldwide", "RT @bbc: WhatsApp DOWN for millions of users worldwide!! https://bbc.in/x", true, false},
		{"the name spelled another way", "IG down again, none of my messages send since this morning", "instagram is down again... none of my messages send since this morning", false, false},
		{"a template with the name varied", "Instagram down again, none of my messages send since this morning", "IG down again, none of my messages send since this morning!", true, false},
		{"a Russian template, two spellings", "вотсап опять не работает, сообщения не отправляются с утра", "WhatsApp опять не работает, сообщения не отправляются с утра", true, false},
		{"a hashtag or the name", "#instagramdown none of my messages send since this morning", "instagram down none of my messages send since this morning", true, false},
		{"short posts have none", "#whatsappdown", "is whatsapp down for anyone", false, true},
		{"two people's own words", "whatsapp wont send my voice notes since this morning", "whatsapp keeps crashing when I open a group chat", false, false},
		{"a pasted message in Chinese", "微信又崩了，所有消息都发不出去，大家也是吗", "WeChat又崩了，所有消息都发不出去，大家也是吗", true, false},
		{"a short Chinese post", "微信崩了", "微信崩了", false, true},
		{"numbers differ", "error 459 when I log in to whatsapp web today", "error 486 when I log in to whatsapp web today", false, false},
	} {
		t.Run(tc.name, func(t *testing.T) {
			wa, wb := wordingOf(t, m, tc.a), wordingOf(t, m, tc.b)
			if tc.none {
				if wa != 0 || wb != 0 {
					t.Errorf("wordings %x and %x, want none", wa, wb)
				}
				return
			}
			if wa == 0 || wb == 0 {
				t.Fatalf("wordings %x and %x, want both", wa, wb)
			}
			if got := wa == wb; got != tc.same {
				t.Errorf("one wording: %v, want %v", got, tc.same)
			}
		})
	}
}

// wordingOf is the wording of text's complaint (failing the test when it is none).
func wordingOf(t *testing.T, m *Matcher, text string) uint64 {
	t.Helper()
	for _, mt := range m.Match(nil, text) {
		if mt.Kind == Outage {
			return mt.Wording
		}
	}
	t.Fatalf("%q: no complaint", text)
	return 0
}

// BenchmarkWording is the cost of a complaint's wording, read after the decision,
// beside BenchmarkMatch's per-post cost.
func BenchmarkWording(b *testing.B) {
	m := NewMatcher(DefaultRules())
	text := "RT @bbc: WhatsApp down for millions of users worldwide, messages not sending https://bbc.in/x"
	sc := m.pool.Get().(*scratch)
	defer m.pool.Put(sc)
	if !m.prepare(sc, text) {
		b.Fatal("no service named")
	}
	for b.Loop() {
		m.wording(sc)
	}
}
