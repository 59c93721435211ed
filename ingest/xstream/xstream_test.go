package xstream

import (
	"bytes"
	"context"
	"encoding/json"
	"errors"
	"io"
	"net/http"
	"os"
	"strings"
	"testing"
	"time"

	"go.uber.org/zap"

	"github.com/outcry-dev/outcry/ingest"
	"github.com/outcry-dev/outcry/ingest/xstream/xstreamtest"
	"github.com/outcry-dev/outcry/post"
)

// fixtureLines are testdata/stream.jsonl: lines of X's filtered stream written by
// hand from the API v2 documentation (posts in nine languages, one right-to-left,
// two CJK, with includes.users and includes.places, a long post with note_tweet, a
// lang "und", a post with a partial error beside it, one matched only by another
// tool's rule), blank keep-alive lines, an operational disconnect and a line cut
// short.
func fixtureLines(t testing.TB) [][]byte {
	t.Helper()
	b, err := os.ReadFile("testdata/stream.jsonl")
	if err != nil {
		t.Fatal(err)
	}
	return bytes.Split(bytes.TrimSuffix(b, []byte("\n")), []byte("\n"))
}

func fixture(t testing.TB, name string) []byte {
	t.Helper()
	b, err := os.ReadFile("testdata/" + name)
	if err != nil {
		t.Fatal(err)
	}
	return b
}

const longPost = "YouTube has been down for me for the last forty minutes."

func TestParse(t *testing.T) {
	lines := fixtureLines(t)
	type want struct {
		kind, id, author, lang, country, created string
		text                                     string // a prefix of the text, "" for any
		reason, detail                           string // bad and other lines
	}
	wants := []want{
		{kind: "post", id: "x:1997097601234567001", author: "1524735186129014784", lang: "en", created: "2025-12-06T00:00:01Z",
			text: "is whatsapp down for anyone else? stuck on one tick #whatsappdown"},
		{kind: "other"}, // keep-alive
		{kind: "post", id: "x:1997097612345678002", author: "2891046732", lang: "ar", country: "EG", created: "2025-12-06T00:00:02.5Z",
			text: "واتساب لا يعمل عندي منذ نصف ساعة"},
		{kind: "post", id: "x:1997097616543210003", lang: "ja", text: "インスタ落ちてる？タイムラインが全然更新されない"},
		{kind: "post", id: "x:1997097620000000004", lang: "en", created: "2025-12-06T00:00:04.25Z", text: longPost}, // note_tweet
		{kind: "post", id: "x:1997097624000000005", lang: "", text: "YouTube??? 😭😭😭"},                               // und
		{kind: "other"},
		{kind: "post", id: "x:1997097628000000007", lang: "es", country: "MX"},
		{kind: "other", detail: "operational-disconnect: This stream has been disconnected upstream for operational reasons. (UpstreamOperationalDisconnect)"},
		{kind: "post", id: "x:1997097636000000009", lang: "de"},
		{kind: "other"},
		{kind: "bad", reason: post.ReasonInvalidJSON},
		{kind: "post", id: "x:1997097644000000012", lang: "pt", country: "", text: "o twitter caiu de novo?"}, // the place was not found
		{kind: "post", id: "x:1997097648000000013", lang: "hi", text: "यूट्यूब नहीं चल रहा है"},
		{kind: "post", id: "x:1997097652000000014", lang: "en"}, // another tool's rule matched it: Parse does not know
		{kind: "post", id: "x:1997097656000000015", lang: "ko", text: "카톡 또 안 돼요"},
	}
	if len(lines) != len(wants) {
		t.Fatalf("%d lines, %d wants", len(lines), len(wants))
	}
	for i, w := range wants {
		ev := Parse(lines[i])
		if ev.Kind != w.kind {
			t.Errorf("line %d: kind %q, want %q (%s %s)", i+1, ev.Kind, w.kind, ev.Reason, ev.Detail)
			continue
		}
		switch w.kind {
		case ingest.KindBad:
			if ev.Reason != w.reason || !bytes.Equal(ev.Bad, lines[i]) || ev.Detail == "" || ev.Post != nil {
				t.Errorf("line %d: bad %q (%s), want %q with the line", i+1, ev.Reason, ev.Detail, w.reason)
			}
			continue
		case ingest.KindOther:
			if ev.Post != nil || ev.Key != "" || ev.Detail != w.detail {
				t.Errorf("line %d: other with post %v, key %q, detail %q; want detail %q", i+1, ev.Post, ev.Key, ev.Detail, w.detail)
			}
			continue
		}
		p := ev.Post
		if p == nil {
			t.Fatalf("line %d: no post", i+1)
		}
		if p.ID != w.id || p.Source != "x" || p.Lang != w.lang || p.Country != w.country || ev.Key != strings.TrimPrefix(p.ID, "x:") {
			t.Errorf("line %d: id %q source %q lang %q country %q key %q; want %q x %q %q", i+1, p.ID, p.Source, p.Lang, p.Country, ev.Key, w.id, w.lang, w.country)
		}
		if p.Author == "" || (w.author != "" && p.Author != w.author) {
			t.Errorf("line %d: author %q, want %q", i+1, p.Author, w.author)
		}
		if !strings.HasPrefix(p.Text, w.text) {
			t.Errorf("line %d: text %q, want it to start with %q", i+1, p.Text, w.text)
		}
		if w.created != "" && p.CreatedAt.Format(time.RFC3339Nano) != w.created {
			t.Errorf("line %d: created_at %s, want %s", i+1, p.CreatedAt.Format(time.RFC3339Nano), w.created)
		}
		if ev.Cursor != p.CreatedAt.UnixMicro() || !ev.At.Equal(p.CreatedAt) {
			t.Errorf("line %d: cursor %d at %s, want created_at %s", i+1, ev.Cursor, ev.At, p.CreatedAt)
		}
		// What is produced is a canonical post the pipeline decodes back unchanged.
		b, err := json.Marshal(p)
		if err != nil {
			t.Fatal(err)
		}
		back, shape, err := post.Decode(b, 0)
		if err != nil || shape != post.ShapeCanonical || back != *p {
			t.Errorf("line %d: decoded back as %v %+v (%v), want %+v", i+1, shape, back, err, *p)
		}
	}
	// The long post is read whole, from note_tweet, not the 280 characters of text.
	if p := Parse(lines[4]).Post; len([]rune(p.Text)) <= 280 || !strings.HasSuffix(p.Text, "No word from @TeamYouTube yet.") || strings.Contains(p.Text, "t.co") {
		t.Errorf("the long post's text is %q, want note_tweet's", p.Text)
	}
	// The disconnect ends the stream, saying so.
	if _, _, err := parse(lines[8], DefaultMaxLineBytes); err == nil || !strings.Contains(err.Error(), "X ended the stream: operational-disconnect") {
		t.Errorf("the operational disconnect: %v, want an error saying X ended the stream", err)
	}
	for i, l := range lines {
		if _, _, err := parse(l, DefaultMaxLineBytes); err != nil && i != 8 {
			t.Errorf("line %d ends the stream: %v", i+1, err)
		}
	}
}

func TestParseOthers(t *testing.T) {
	created := `"created_at":"2025-12-06T00:00:01.000Z"`
	for _, tc := range []struct {
		name, line, kind, reason string
		end                      bool
		check                    func(*post.Post) bool
	}{
		{"cut short", `{"data":{"id":"1"`, "bad", post.ReasonInvalidJSON, false, nil},
		{"not json", `not json at all`, "bad", post.ReasonInvalidJSON, false, nil},
		{"an array", `[{"data":{}}]`, "bad", post.ReasonInvalidJSON, false, nil},
		{"a number id", `{"data":{"id":17,"text":"hi",` + created + `}}`, "bad", post.ReasonInvalidJSON, false, nil},
		{"no id", `{"data":{"text":"twitter down",` + created + `}}`, "bad", post.ReasonMissingID, false, nil},
		{"no time", `{"data":{"id":"1","text":"twitter down"}}`, "bad", post.ReasonMissingTime, false, nil},
		{"a bad time", `{"data":{"id":"1","text":"twitter down","created_at":"yesterday"}}`, "bad", post.ReasonBadTime, false, nil},
		{"before X", `{"data":{"id":"1","text":"twitter down","created_at":"0000-01-01T00:00:00+01:00"}}`, "bad", post.ReasonBadTime, false, nil},
		{"a huge author", `{"data":{"id":"1","text":"twitter down",` + created + `,"author_id":"` + strings.Repeat("9", 300) + `"}}`, "bad", post.ReasonFieldTooLarge, false, nil},
		{"neither data nor errors", `{"meta":{"sent":"2025-12-06T00:00:00.000Z"}}`, "bad", post.ReasonNotAPost, false, nil},
		{"data null", `{"data":null}`, "bad", post.ReasonNotAPost, false, nil},
		{"no words", `{"data":{"id":"1","text":"  ",` + created + `}}`, "other", "", false, nil},
		{"a keep-alive", "\r", "other", "", false, nil},
		{"another error", `{"errors":[{"title":"Not Found Error","detail":"Could not find tweet.","type":"https://api.twitter.com/2/problems/resource-not-found"}]}`, "other", "", false, nil},
		{"too many connections", `{"errors":[{"title":"ConnectionException","detail":"This stream is currently at the maximum allowed connection limit.","connection_issue":"TooManyConnections","type":"https://api.twitter.com/2/problems/streaming-connection"}]}`, "other", "", true, nil},
		{"a disconnect of another type", `{"errors":[{"title":"operational-disconnect","disconnect_type":"OperationalDisconnect","type":"https://api.x.com/2/problems/operational-disconnect"}]}`, "other", "", true, nil},
		{"media only", `{"data":{"id":"1","text":"https://t.co/abc","lang":"qme",` + created + `}}`, "post", "", false,
			func(p *post.Post) bool { return p.Lang == "" }},
		{"zxx", `{"data":{"id":"1","text":"📉📉","lang":"zxx",` + created + `}}`, "post", "", false, func(p *post.Post) bool { return p.Lang == "" }},
		{"a lower-case country", `{"data":{"id":"1","text":"x down","geo":{"place_id":"p"},` + created + `},"includes":{"places":[{"id":"q","country_code":"FR"},{"id":"p","country_code":"jp"}]}}`, "post", "", false,
			func(p *post.Post) bool { return p.Country == "JP" }},
		{"not a country", `{"data":{"id":"1","text":"x down","geo":{"place_id":"p"},` + created + `},"includes":{"places":[{"id":"p","country_code":"E1"}]}}`, "post", "", false,
			func(p *post.Post) bool { return p.Country == "" }},
		{"an offset", `{"data":{"id":"1","text":"x down","created_at":"2025-12-06T09:00:01+09:00"}}`, "post", "", false,
			func(p *post.Post) bool {
				return p.CreatedAt.Equal(time.Date(2025, 12, 6, 0, 0, 1, 0, time.UTC)) && p.CreatedAt.Location() == time.UTC
			}},
		{"an empty note_tweet", `{"data":{"id":"1","text":"x down","note_tweet":{"text":""},` + created + `}}`, "post", "", false,
			func(p *post.Post) bool { return p.Text == "x down" }},
	} {
		ev, _, end := parse([]byte(tc.line), DefaultMaxLineBytes)
		if ev.Kind != tc.kind || ev.Reason != tc.reason || (end != nil) != tc.end {
			t.Errorf("%s: kind %q reason %q (%s), end %v; want %q %q, end %v", tc.name, ev.Kind, ev.Reason, ev.Detail, end, tc.kind, tc.reason, tc.end)
			continue
		}
		if tc.kind == "bad" && (string(ev.Bad) != tc.line || ev.Post != nil) {
			t.Errorf("%s: bad %q, want the line", tc.name, ev.Bad)
		}
		if tc.check != nil && (ev.Post == nil || !tc.check(ev.Post)) {
			t.Errorf("%s: post %+v", tc.name, ev.Post)
		}
	}
	big := append([]byte(`{"data":{"id":"1","text":"`), bytes.Repeat([]byte("a"), DefaultMaxLineBytes)...)
	if ev := Parse(big); ev.Kind != ingest.KindBad || ev.Reason != post.ReasonOversized || len(ev.Bad) != badBytes {
		t.Errorf("a line of %d bytes: %q %q, %d bytes kept; want oversized, %d kept", len(big), ev.Kind, ev.Reason, len(ev.Bad), badBytes)
	}
}

func FuzzParse(f *testing.F) {
	for _, b := range fixtureLines(f) {
		f.Add(b)
	}
	f.Add([]byte(`{"data":{"id":"1","text":"\u00a0x","created_at":"9999-12-31T23:59:59-01:00"}}`))
	f.Add([]byte(`{"data":{"id":"1","text":"x","created_at":"2006-01-01T00:00:00Z","note_tweet":{"text":"\ud800"}}}`))
	f.Fuzz(func(t *testing.T, b []byte) {
		ev := Parse(b)
		switch ev.Kind {
		case ingest.KindPost:
			p := ev.Post
			if p == nil || ev.Key == "" || strings.TrimSpace(p.Text) == "" || p.CreatedAt.IsZero() || ev.Cursor != p.CreatedAt.UnixMicro() {
				t.Fatalf("a post without key, text or time: %+v", ev)
			}
			// Every post read is one the pipeline reads back unchanged.
			enc, err := json.Marshal(p)
			if err != nil {
				t.Fatalf("marshal %+v: %v", p, err)
			}
			back, shape, err := post.Decode(enc, len(enc))
			if err != nil || shape != post.ShapeCanonical || back != *p {
				t.Fatalf("%q decoded back as %v %+v (%v), want %+v", enc, shape, back, err, *p)
			}
		case ingest.KindBad:
			if ev.Reason == "" || ev.Post != nil || len(ev.Bad) == 0 {
				t.Fatalf("a bad line without reason or line, or with a post: %+v", ev)
			}
		case ingest.KindOther:
			if ev.Post != nil || ev.Key != "" {
				t.Fatalf("another line with a post: %+v", ev)
			}
		default:
			t.Fatalf("kind %q", ev.Kind)
		}
	})
}

// TestStreamLines reads a stream body: keep-alives are skipped, an oversized line is
// dead-lettered (its start), a line is read whatever the buffer's size, and a body
// cut mid-line ends the stream.
func TestStreamLines(t *testing.T) {
	long := `{"data":{"id":"2","text":"` + strings.Repeat("é", 60<<10) + `","created_at":"2025-12-06T00:00:02Z"}}`
	body := "\r\n\r\n" + `{"data":{"id":"1","text":"x down","created_at":"2025-12-06T00:00:01Z"}}` + "\r\n" +
		"\r\n" + strings.Repeat("z", 300<<10) + "\r\n" + long + "\r\n" + `{"data":{"id":"3"`
	st := newStream(io.NopCloser(strings.NewReader(body)), func() {}, 200<<10, time.Minute, nil, zap.NewNop())
	defer st.Close()
	ctx := context.Background()
	ev, err := st.Next(ctx)
	if err != nil || ev.Post == nil || ev.Post.ID != "x:1" {
		t.Fatalf("first: %+v, %v", ev, err)
	}
	ev, err = st.Next(ctx)
	if err != nil || ev.Kind != ingest.KindBad || ev.Reason != post.ReasonOversized || len(ev.Bad) != badBytes || !strings.Contains(ev.Detail, "307200 bytes") {
		t.Fatalf("oversized: %q %q %q, %d bytes, %v", ev.Kind, ev.Reason, ev.Detail, len(ev.Bad), err)
	}
	ev, err = st.Next(ctx)
	if err != nil || ev.Post == nil || ev.Post.ID != "x:2" || len(ev.Post.Text) != 120<<10 {
		t.Fatalf("a line longer than the buffer: %v, %v", ev.Kind, err)
	}
	if _, err = st.Next(ctx); !errors.Is(err, io.ErrUnexpectedEOF) {
		t.Fatalf("a body cut mid-line: %v, want unexpected EOF", err)
	}
}

// TestStreamStalls: a stream without a line for its timeout ends, saying so; keep-
// alives hold it.
func TestStreamStalls(t *testing.T) {
	r, w := io.Pipe()
	st := newStream(r, func() { w.CloseWithError(context.Canceled) }, 0, time.Second, nil, zap.NewNop())
	defer st.Close()
	go func() {
		// 30 keep-alives 50 ms apart: 1.5 s, longer than the timeout.
		tick := time.NewTicker(50 * time.Millisecond)
		defer tick.Stop()
		for range 30 {
			<-tick.C
			if _, err := w.Write([]byte("\r\n")); err != nil {
				return
			}
		}
		w.Write([]byte(`{"data":{"id":"1","text":"x down","created_at":"2025-12-06T00:00:01Z"}}` + "\r\n"))
	}()
	ev, err := st.Next(context.Background())
	if err != nil || ev.Post == nil {
		t.Fatalf("after keep-alives: %+v, %v", ev, err)
	}
	start := time.Now()
	_, err = st.Next(context.Background())
	if err == nil || !strings.Contains(err.Error(), "stalled") {
		t.Fatalf("a silent stream: %v, want it stalled", err)
	}
	if d := time.Since(start); d > 5*time.Second {
		t.Errorf("the stall was noticed after %s", d)
	}
}

func TestStreamURL(t *testing.T) {
	got := streamURL("https://api.x.com", 0)
	want := "https://api.x.com/2/tweets/search/stream?expansions=author_id%2Cgeo.place_id&place.fields=country_code&tweet.fields=created_at%2Clang%2Cauthor_id%2Cgeo%2Centities%2Cnote_tweet&user.fields=username"
	if got != want {
		t.Errorf("streamURL = %s\nwant %s", got, want)
	}
	if got := streamURL("http://127.0.0.1:1", 3); !strings.Contains(got, "?backfill_minutes=3&") {
		t.Errorf("with a backfill: %s", got)
	}
	now := time.Date(2025, 12, 6, 0, 10, 0, 0, time.UTC)
	for _, tc := range []struct {
		cursor time.Time
		want   int
	}{
		{time.Time{}, 0},
		{now.Add(-5 * time.Second), 1},
		{now.Add(-time.Minute), 1},
		{now.Add(-61 * time.Second), 2},
		{now.Add(-4*time.Minute - time.Second), 5},
		{now.Add(-time.Hour), 5}, // X's limit
		{now.Add(time.Minute), 1},
	} {
		c := int64(0)
		if !tc.cursor.IsZero() {
			c = tc.cursor.UnixMicro()
		}
		if got := backfillMinutes(c, now); got != tc.want {
			t.Errorf("backfillMinutes(%s before) = %d, want %d", now.Sub(tc.cursor), got, tc.want)
		}
	}
	for _, tc := range []struct{ in, want string }{
		{"", "https://api.x.com"},
		{"https://api.x.com/", "https://api.x.com"},
		{"http://127.0.0.1:8080", "http://127.0.0.1:8080"},
		{"wss://api.x.com", ""},
		{"https://api.x.com/?token=1", ""},
		{"https://user:pw@api.x.com", ""},
		{"api.x.com", ""},
	} {
		got, err := baseURL(tc.in)
		if got != tc.want || (err != nil) != (tc.want == "") {
			t.Errorf("baseURL(%q) = %q, %v; want %q", tc.in, got, err, tc.want)
		}
	}
}

func TestBackoff(t *testing.T) {
	network := errors.New("read tcp: connection reset by peer")
	http503 := &HTTPError{Status: 503}
	http429 := &HTTPError{Status: 429}
	for _, tc := range []struct {
		err     error
		attempt int
		want    time.Duration
	}{
		{network, 0, 250 * time.Millisecond},
		{network, 1, 250 * time.Millisecond},
		{network, 2, 500 * time.Millisecond},
		{network, 10, 2500 * time.Millisecond},
		{network, 64, 16 * time.Second},
		{network, 1000, 16 * time.Second},
		{nil, 1, 250 * time.Millisecond},
		{http503, 1, 5 * time.Second},
		{http503, 2, 10 * time.Second},
		{http503, 7, 320 * time.Second},
		{http503, 100, 320 * time.Second},
		{&HTTPError{Status: 503, RetryAfter: 10 * time.Minute}, 1, 10 * time.Minute},
		{&HTTPError{Status: 401}, 3, 20 * time.Second},
		{http429, 1, time.Minute},
		{http429, 3, 4 * time.Minute},
		{http429, 5, 16 * time.Minute},
		{http429, 1 << 20, 16 * time.Minute},
		{&HTTPError{Status: 429, RetryAfter: 7 * time.Minute}, 1, 7 * time.Minute},
		{&HTTPError{Status: 429, RetryAfter: 7 * time.Minute}, 4, 8 * time.Minute},
		// wrapped, as Open returns it
		{errors.Join(errors.New("x"), &HTTPError{Status: 429}), 2, 2 * time.Minute},
	} {
		if got := Backoff(tc.err, tc.attempt); got != tc.want {
			t.Errorf("Backoff(%v, %d) = %s, want %s", tc.err, tc.attempt, got, tc.want)
		}
	}
}

func TestRetryAfter(t *testing.T) {
	now := time.Date(2025, 12, 6, 0, 0, 0, 0, time.UTC)
	for _, tc := range []struct {
		status int
		h      map[string]string
		want   time.Duration
	}{
		{429, map[string]string{"x-rate-limit-reset": "1764979290"}, 90 * time.Second},
		{429, map[string]string{"x-rate-limit-reset": "1764979200"}, 0},
		{429, map[string]string{"x-rate-limit-reset": "soon"}, 0},
		{429, map[string]string{"x-rate-limit-reset": "99999999999999"}, 0},
		{503, map[string]string{"x-rate-limit-reset": "1764979290"}, 0}, // not a rate limit
		{503, map[string]string{"Retry-After": "120"}, 2 * time.Minute},
		{429, map[string]string{"Retry-After": "30", "x-rate-limit-reset": "1764979290"}, 30 * time.Second},
		{503, map[string]string{"Retry-After": "Sat, 06 Dec 2025 00:05:00 GMT"}, 5 * time.Minute},
		{503, map[string]string{"Retry-After": "-5"}, 0},
		{429, map[string]string{"Retry-After": "999999999"}, 24 * time.Hour},
		{429, nil, 0},
	} {
		resp := &http.Response{StatusCode: tc.status, Header: http.Header{}}
		for k, v := range tc.h {
			resp.Header.Set(k, v)
		}
		if got := retryAfter(resp, now); got != tc.want {
			t.Errorf("retryAfter(%d, %v) = %s, want %s", tc.status, tc.h, got, tc.want)
		}
	}
}

// TestOpenRefused: X's refusals are HTTPErrors saying what is wrong, with the wait
// X asks for, and never the token (even when X's answer repeats it).
func TestOpenRefused(t *testing.T) {
	const token = "AAAAAAAAAAAAAAAAAAAAAsecret-bearer-token%3Dabc"
	srv := xstreamtest.NewServer(t, xstreamtest.Options{Token: token, Plan: []xstreamtest.Conn{
		{Status: http.StatusTooManyRequests, Reset: 90 * time.Second},
		{Status: http.StatusServiceUnavailable},
		{Status: http.StatusForbidden},
	}})
	ctx := context.Background()

	wrong := &Source{Token: "wrong-" + token}
	_, err := wrong.Open(ctx, srv.URL, 0)
	var he *HTTPError
	if !errors.As(err, &he) || he.Status != 401 || !strings.Contains(err.Error(), "bearer token") || strings.Contains(err.Error(), token) || !strings.Contains(he.Body, "[token]") {
		t.Errorf("a wrong token: %v (body %q), want a 401 naming the bearer token, without it", err, bodyOf(he))
	}

	s := &Source{Token: token, UserAgent: "outcry-test"}
	_, err = s.Open(ctx, srv.URL, 0)
	if !errors.As(err, &he) || he.Status != 429 || he.RetryAfter < 80*time.Second || he.RetryAfter > 100*time.Second ||
		!strings.Contains(err.Error(), "one filtered-stream connection per app") || !strings.Contains(he.Body, "TooManyConnections") {
		t.Errorf("a 429: %v, want HTTP 429 with RetryAfter ≈ 90s", err)
	}
	if d := Backoff(err, 1); d < 80*time.Second {
		t.Errorf("Backoff after a 429 asking 90 s: %s", d)
	}
	_, err = s.Open(ctx, srv.URL, 0)
	if !errors.As(err, &he) || he.Status != 503 || he.RetryAfter != 0 {
		t.Errorf("a 503: %v", err)
	}
	_, err = s.Open(ctx, srv.URL, 0)
	if !errors.As(err, &he) || he.Status != 403 || !strings.Contains(err.Error(), "access level") {
		t.Errorf("a 403: %v, want it to name the access level", err)
	}
	for _, r := range srv.Requests()[1:] {
		if !r.Authorized {
			t.Errorf("%s %s without the bearer token", r.Method, r.Path)
		}
	}
	if _, err := (&Source{}).Open(ctx, srv.URL, 0); err == nil || !strings.Contains(err.Error(), "bearer token") {
		t.Errorf("no token: %v", err)
	}
	if _, err := (&Source{Token: token}).Open(ctx, "http://127.0.0.1:1", 0); err == nil || strings.Contains(err.Error(), token) {
		t.Errorf("nothing listening: %v", err)
	}
}

func bodyOf(he *HTTPError) string {
	if he == nil {
		return ""
	}
	return he.Body
}

func TestHTTPErrorText(t *testing.T) {
	long := strings.Repeat("ü", 600)
	e := &HTTPError{Status: 429, RetryAfter: time.Minute, Body: truncate(long)}
	if !strings.HasPrefix(e.Error(), "HTTP 429 Too Many Requests: rate limited") || !strings.Contains(e.Error(), "wait 1m0s") {
		t.Errorf("Error() = %q", e.Error())
	}
	if len(e.Body) > maxErrorBody+len("…") || !strings.HasSuffix(e.Body, "…") || !json.Valid([]byte(`"`+e.Body+`"`)) {
		t.Errorf("a long body is cut to %d bytes, mid-character or without a mark", len(e.Body))
	}
	for body, want := range map[string]string{
		`{"title":"Unauthorized","type":"about:blank","status":401,"detail":"Unauthorized"}`: "Unauthorized",
		`{"errors":[{"message":"x","title":"Forbidden","detail":"client-not-enrolled"}]}`:    "Forbidden: client-not-enrolled",
		"<html>\n  <body>Bad gateway</body>\n</html>":                                        "<html> <body>Bad gateway</body> </html>",
	} {
		if got := summary([]byte(body)); got != want {
			t.Errorf("summary(%q) = %q, want %q", body, got, want)
		}
	}
}
