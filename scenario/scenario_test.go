package scenario

import (
	"bufio"
	"bytes"
	"encoding/json"
	"io"
	"regexp"
	"strings"
	"testing"
	"time"
	"unicode/utf8"
)

func write(t testing.TB, cfg Config) ([]byte, Stats) {
	t.Helper()
	var buf bytes.Buffer
	st, err := Write(&buf, cfg)
	if err != nil {
		t.Fatalf("Write: %v", err)
	}
	return buf.Bytes(), st
}

func lines(b []byte) [][]byte {
	b = bytes.TrimSuffix(b, []byte("\n"))
	return bytes.Split(b, []byte("\n"))
}

type canon struct {
	ID        *string `json:"id"`
	Text      *string `json:"text"`
	Author    string  `json:"author"`
	CreatedAt *string `json:"created_at"`
	Lang      string  `json:"lang"`
	Country   string  `json:"country"`
	Source    string  `json:"source"`
}

// decodeGood returns the post on a line, or ok=false when the line is bad.
func decodeGood(line []byte) (canon, bool) {
	var p canon
	if !utf8.Valid(line) || json.Unmarshal(line, &p) != nil {
		return p, false
	}
	if p.ID == nil || p.Text == nil || p.CreatedAt == nil {
		return p, false
	}
	return p, true
}

func TestDeterministic(t *testing.T) {
	for _, cfg := range []Config{WhatsApp20221025(), Fixture("whatsapp", 7)} {
		a, _ := write(t, cfg)
		b, _ := write(t, cfg)
		if !bytes.Equal(a, b) {
			t.Fatal("same config, different output")
		}
		cfg.Seed++
		c, _ := write(t, cfg)
		if bytes.Equal(a, c) {
			t.Fatal("different seed, same output")
		}
	}
}

var (
	reID     = regexp.MustCompile(`^[0-9]+$`)
	reAuthor = regexp.MustCompile(`^u[0-9]+$`)
	langs    = map[string]bool{"en": true, "ar": true, "es": true, "pt": true, "de": true, "hi": true, "hi-Latn": true, "id": true, "tr": true}
)

func TestGoodLines(t *testing.T) {
	cfg := WhatsApp20221025()
	out, st := write(t, cfg)
	ids := map[string]bool{}
	good, bad, withCountry := 0, 0, 0
	for i, line := range lines(out) {
		p, ok := decodeGood(line)
		if !ok {
			bad++
			continue
		}
		good++
		if !reID.MatchString(*p.ID) || ids[*p.ID] {
			t.Fatalf("line %d: bad or duplicate id %q", i, *p.ID)
		}
		ids[*p.ID] = true
		ts, err := time.Parse(time.RFC3339, *p.CreatedAt)
		if err != nil || ts.UTC().Format(time.RFC3339) != *p.CreatedAt || !strings.HasSuffix(*p.CreatedAt, "Z") {
			t.Fatalf("line %d: created_at %q not RFC 3339 UTC seconds", i, *p.CreatedAt)
		}
		if ts.Before(cfg.Start) || !ts.Before(cfg.End) {
			t.Fatalf("line %d: created_at %s outside [%s, %s)", i, ts, cfg.Start, cfg.End)
		}
		if *p.Text == "" || !reAuthor.MatchString(p.Author) || !langs[p.Lang] || p.Source == "" {
			t.Fatalf("line %d: incomplete post %s", i, line)
		}
		if p.Country != "" {
			withCountry++
		}
	}
	if good != st.Posts || bad != st.Bad || bad != cfg.BadLines {
		t.Fatalf("good %d bad %d, stats %+v", good, bad, st)
	}
	if share := float64(withCountry) / float64(good); share < 0.55 || share > 0.65 {
		t.Errorf("country on %.2f of posts, want about 0.6", share)
	}
}

func TestBadLines(t *testing.T) {
	cfg := Fixture("x", 2)
	cfg.BadLines = 10
	out, st := write(t, cfg)
	kinds := map[string]int{}
	for _, line := range lines(out) {
		if _, ok := decodeGood(line); ok {
			continue
		}
		switch {
		case !utf8.Valid(line):
			kinds["utf8"]++
		case !json.Valid(line):
			kinds["json"]++
		case line[0] == '[':
			kinds["array"]++
		case !bytes.Contains(line, []byte(`"text"`)):
			kinds["no text"]++
		case !bytes.Contains(line, []byte(`"created_at"`)):
			kinds["no created_at"]++
		default:
			t.Errorf("unexpected bad line %s", line)
		}
	}
	if len(kinds) != 5 || st.Bad != 10 {
		t.Fatalf("bad lines by kind %v, stats %+v", kinds, st)
	}
}

func TestStatsAddUp(t *testing.T) {
	for _, cfg := range []Config{WhatsApp20221025(), Fixture("telegram", 3)} {
		out, st := write(t, cfg)
		n := bytes.Count(out, []byte("\n"))
		if st.Lines != n || st.Lines != st.Posts+st.Bad ||
			st.Posts != st.Complaints+st.Recovery+st.Chatter+st.Unrelated {
			t.Fatalf("stats %+v do not add up to %d lines", st, n)
		}
		if st.Complaints == 0 || st.Recovery == 0 || st.Chatter == 0 || st.Unrelated == 0 {
			t.Fatalf("a kind is missing: %+v", st)
		}
	}
}

func TestSizes(t *testing.T) {
	_, st := write(t, WhatsApp20221025())
	if st.Posts < 36000 || st.Posts > 44000 {
		t.Errorf("WhatsApp20221025: %d posts, want about 40k", st.Posts)
	}
	_, st = write(t, Fixture("whatsapp", 1))
	if st.Posts < 7000 || st.Posts > 9000 || st.Bad != 0 {
		t.Errorf("Fixture: %+v, want about 8k posts and no bad lines", st)
	}
}

// TestLateness: no line is delivered more than 60 s after a line with a later created_at.
func TestLateness(t *testing.T) {
	out, _ := write(t, WhatsApp20221025())
	var maxSeen time.Time
	late := 0
	for i, line := range lines(out) {
		p, ok := decodeGood(line)
		if !ok {
			continue
		}
		ts, _ := time.Parse(time.RFC3339, *p.CreatedAt)
		if ts.Before(maxSeen) {
			late++
			if maxSeen.Sub(ts) > maxLateness {
				t.Fatalf("line %d: created_at %s delivered after %s", i, ts, maxSeen)
			}
		}
		if ts.After(maxSeen) {
			maxSeen = ts
		}
	}
	if late == 0 {
		t.Fatal("no late posts")
	}
	cfg := WhatsApp20221025()
	cfg.LateShare = -1
	out, _ = write(t, cfg)
	prev := ""
	for _, line := range lines(out) {
		if p, ok := decodeGood(line); ok {
			if *p.CreatedAt < prev {
				t.Fatal("LateShare<0 still delivers out of order")
			}
			prev = *p.CreatedAt
		}
	}
}

func perMinute(posts []post, service string, ks ...kind) map[int64]int {
	m := map[int64]int{}
	for _, p := range posts {
		if p.service != service {
			continue
		}
		for _, k := range ks {
			if p.kind == k {
				m[p.t/int64(time.Minute)]++
			}
		}
	}
	return m
}

func meanRate(m map[int64]int, from, to time.Time) float64 {
	n := 0
	for t := from; t.Before(to); t = t.Add(time.Minute) {
		n += m[t.UnixNano()/int64(time.Minute)]
	}
	return float64(n) / to.Sub(from).Minutes()
}

func TestOutageShape(t *testing.T) {
	for _, cfg := range []Config{WhatsApp20221025(), Fixture("whatsapp", 1), Fixture("x", 5)} {
		posts, err := plan(cfg)
		if err != nil {
			t.Fatal(err)
		}
		o := cfg.Outages[0]
		c := perMinute(posts, o.Service, kindComplaint, kindAmbient)
		before := meanRate(c, o.Onset.Add(-time.Hour), o.Onset.Add(-30*time.Minute))
		during := meanRate(c, o.Onset.Add(o.Peak), o.Recovery)
		after := meanRate(c, o.Recovery.Add(30*time.Minute), o.Recovery.Add(40*time.Minute))
		t.Logf("%s: complaints/min before %.2f, during %.1f, after %.2f", o.Service, before, during, after)
		if during < 0.8*o.PeakPerMin || during > 1.2*o.PeakPerMin {
			t.Errorf("%s: %.1f complaints/min during the outage, want about %.0f", o.Service, during, o.PeakPerMin)
		}
		if before > 1 || during < 50*max(before, cfg.AmbientPerMin) {
			t.Errorf("%s: %.2f complaints/min an hour before, not near ambient %.2f", o.Service, before, cfg.AmbientPerMin)
		}
		if !o.Recovery.Add(40*time.Minute).After(cfg.End) && after > 1 {
			t.Errorf("%s: %.2f complaints/min 30 min after recovery", o.Service, after)
		}
		// The ramp rises: the first minute is well below the peak.
		if first := meanRate(c, o.Onset, o.Onset.Add(time.Minute)); first > 0.5*o.PeakPerMin {
			t.Errorf("%s: %.0f complaints in the first minute, no ramp", o.Service, first)
		}
		r := perMinute(posts, o.Service, kindRecovery)
		if meanRate(r, o.Onset, o.Recovery) != 0 || meanRate(r, o.Recovery, o.Recovery.Add(15*time.Minute)) == 0 {
			t.Errorf("%s: recovery posts not after recovery", o.Service)
		}
	}
}

// Complaints name their service and a symptom, in the languages asked for.
func TestComplaintContent(t *testing.T) {
	posts, err := plan(WhatsApp20221025())
	if err != nil {
		t.Fatal(err)
	}
	g := &gen{}
	names := map[string][]string{}
	for s := range services {
		si := g.svc(s)
		for _, ns := range si.names {
			for _, n := range ns {
				names[s] = append(names[s], strings.ToLower(n))
			}
		}
		names[s] = append(names[s], strings.ToLower(si.tag))
	}
	byLang := map[string]int{}
	byProblem := map[string]int{}
	countries := map[string]int{}
	n := 0
	for _, p := range posts {
		if p.kind != kindComplaint && p.kind != kindAmbient && p.kind != kindRecovery {
			continue
		}
		text := strings.ToLower(p.text)
		found := false
		for _, nm := range names[p.service] {
			if strings.Contains(text, nm) {
				found = true
				break
			}
		}
		if !found {
			t.Fatalf("%s post %q does not name %s", p.lang, p.text, p.service)
		}
		if p.kind == kindComplaint && p.service == "whatsapp" {
			n++
			byLang[p.lang]++
			byProblem[p.problem]++
			if p.country != "" {
				countries[p.country]++
			}
		}
	}
	want := map[string]float64{"en": 0.30, "ar": 0.15, "id": 0.12, "hi-Latn": 0.12, "hi": 0.07, "de": 0.06, "pt": 0.06, "es": 0.06, "tr": 0.06}
	for l, w := range want {
		if got := float64(byLang[l]) / float64(n); got < w*0.6 || got > w*1.4 {
			t.Errorf("lang %s: %.3f of complaints, want about %.2f", l, got, w)
		}
	}
	if got := float64(byProblem["messages"]) / float64(n); got < 0.5 || got > 0.6 {
		t.Errorf("messages: %.2f of complaints, want about 0.55", got)
	}
	if countries["IN"] <= countries["ID"] || countries["ID"] <= countries["SA"] || countries["SA"] <= countries["BR"] {
		t.Errorf("country order off: %v", countries)
	}
}

func TestOtherService(t *testing.T) {
	posts, err := plan(Fixture("netflix", 3))
	if err != nil {
		t.Fatal(err)
	}
	n := 0
	for _, p := range posts {
		if p.kind == kindComplaint {
			n++
			if !strings.Contains(strings.ToLower(p.text), "netflix") {
				t.Fatalf("complaint %q does not name netflix", p.text)
			}
		}
	}
	if n < 500 {
		t.Fatalf("only %d netflix complaints", n)
	}
}

func TestConfigErrors(t *testing.T) {
	cfg := Fixture("whatsapp", 1)
	cases := map[string]func(*Config){
		"no start":     func(c *Config) { c.Start = time.Time{} },
		"end first":    func(c *Config) { c.End = c.Start },
		"no service":   func(c *Config) { c.Outages[0].Service = "" },
		"recover soon": func(c *Config) { c.Outages[0].Recovery = c.Outages[0].Onset.Add(-time.Minute) },
	}
	for name, f := range cases {
		c := cfg
		c.Outages = append([]Outage(nil), cfg.Outages...)
		f(&c)
		if _, err := Write(io.Discard, c); err == nil {
			t.Errorf("%s: no error", name)
		}
	}
}

func TestDefaults(t *testing.T) {
	start := time.Date(2024, 1, 1, 9, 0, 0, 0, time.UTC)
	out, st := write(t, Config{Seed: 1, Start: start, End: start.Add(30 * time.Minute)})
	// 6 services × 6 chatter + 30 unrelated + 0.9 ambient ≈ 67/min.
	if st.Posts < 1700 || st.Posts > 2300 || st.Bad != 0 {
		t.Fatalf("defaults: %+v", st)
	}
	sc := bufio.NewScanner(bytes.NewReader(out))
	for sc.Scan() {
		if _, ok := decodeGood(sc.Bytes()); !ok {
			t.Fatalf("bad line %s", sc.Bytes())
		}
	}
}

func TestAppendJSONString(t *testing.T) {
	for _, s := range []string{"plain", `q"uo\te`, "new\nline\ttab\x01", "واتساب لا يعمل", "a\u2028b", "emoji 😮‍💨", "bad \xff byte"} {
		b := appendJSONString(nil, s)
		var got string
		if !utf8.Valid(b) || json.Unmarshal(b, &got) != nil {
			t.Fatalf("%q: invalid JSON %s", s, b)
		}
		if want := strings.ToValidUTF8(s, "\uFFFD"); got != want {
			t.Fatalf("%q: round trip gave %q", s, got)
		}
	}
}

type failWriter struct{ n int }

func (f *failWriter) Write(p []byte) (int, error) {
	if f.n -= len(p); f.n < 0 {
		return 0, io.ErrShortWrite
	}
	return len(p), nil
}

func TestWriteError(t *testing.T) {
	if _, err := Write(&failWriter{n: 100 << 10}, Fixture("whatsapp", 1)); err == nil {
		t.Fatal("write error not returned")
	}
}

func BenchmarkWriteWhatsApp20221025(b *testing.B) {
	cfg := WhatsApp20221025()
	b.ReportAllocs()
	for b.Loop() {
		st, err := Write(io.Discard, cfg)
		if err != nil {
			b.Fatal(err)
		}
		b.ReportMetric(float64(st.Posts), "posts/op")
	}
}
