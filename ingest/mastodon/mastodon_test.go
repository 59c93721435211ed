package mastodon

import (
	"bytes"
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"net/http"
	"net/http/httptest"
	"net/url"
	"os"
	"strconv"
	"strings"
	"testing"
	"time"

	"go.uber.org/zap"
	"go.uber.org/zap/zaptest/observer"

	"github.com/outcry-dev/outcry/ingest"
	"github.com/outcry-dev/outcry/ingest/mastodon/mastodontest"
	"github.com/outcry-dev/outcry/post"
)

const testToken = "s3cr3t-T0ken-of-a-test-account"

// sseEvent is one event of a transcript.
type sseEvent struct {
	event string
	data  []byte
}

// transcript is testdata/stream.sse: what Mastodon's streaming server writes for
// /api/v1/streaming/public, written by hand from its documentation (Status entity,
// streaming events): updates in eight languages (Arabic and Hebrew right to left,
// Japanese and Chinese), HTML with links, mentions and hashtags, entities, a null
// language, a content warning, a reblog, a delete, a status.update, heartbeats and a
// malformed data line.
func transcript(t testing.TB) []byte {
	t.Helper()
	b, err := os.ReadFile("testdata/stream.sse")
	if err != nil {
		t.Fatal(err)
	}
	return b
}

// events reads the transcript with the connector's own reader.
func events(t testing.TB) []sseEvent {
	t.Helper()
	r := newSSE(bytes.NewReader(transcript(t)), DefaultMaxEventBytes)
	var out []sseEvent
	for {
		ev, data, long, err := r.next(func() {})
		if err == io.EOF {
			return out
		}
		if err != nil || long {
			t.Fatalf("reading the transcript: %v (long %v)", err, long)
		}
		out = append(out, sseEvent{ev, bytes.Clone(data)})
	}
}

// history is testdata/timeline_public.json: a page of GET /api/v1/timelines/public
// (newest first) of the minute before the transcript.
func history(t testing.TB) [][]byte {
	t.Helper()
	b, err := os.ReadFile("testdata/timeline_public.json")
	if err != nil {
		t.Fatal(err)
	}
	var page []json.RawMessage
	if err := json.Unmarshal(b, &page); err != nil {
		t.Fatal(err)
	}
	out := make([][]byte, len(page))
	for i, s := range page {
		out[i] = s
	}
	return out
}

type want struct {
	kind, reason            string
	uri, author, lang, text string
	created                 string
}

// wantEvents are the transcript's events, read.
var wantEvents = []want{
	{kind: "post", uri: "https://mastodon.social/users/alice/statuses/115669676867585201", author: "alice@mastodon.social", lang: "en",
		text:    "Is Signal down for anyone else? Messages won't send & calls drop. Status page: https://status.signal.org/ #SignalDown",
		created: "2025-12-06T00:00:00.25Z"},
	{kind: "post", author: "omar@mastodon.online", lang: "ar", text: "واتساب لا يعمل عندي منذ نصف ساعة #واتساب_متوقف", created: "2025-12-06T00:00:00.45Z"},
	{kind: "post", uri: "https://misskey.io/notes/a9k3m2x7q1", author: "hana@misskey.io", lang: "ja", text: "LINEが繋がらない…メッセージが送れません\n\nみんなも？", created: "2025-12-06T00:00:01Z"},
	{kind: "delete"},
	// a mention, a line break, a null language
	{kind: "post", author: "sam@mastodon.social", lang: "", text: "@bob is GitHub down for you too? git push hangs\nsince 10 minutes", created: "2025-12-06T00:00:01.75Z"},
	{kind: "other"}, // a reblog
	{kind: "update"},
	{kind: "bad", reason: post.ReasonInvalidJSON},
	// a tag listed but not shown is appended
	{kind: "post", author: "lena@troet.cafe", lang: "de", text: "Instagram lädt seit heute früh keine Stories mehr #instagramdown"},
	{kind: "other"}, // media only
	// a content warning is words of the author's too
	{kind: "post", lang: "es", text: "Caída de servicio\n\nX no me deja iniciar sesión desde hace un rato"},
	{kind: "post", lang: "zh", text: "微信又崩了吗？朋友圈刷不出来 #微信崩了"},
	// #discord is not shown by #DiscordDown
	{kind: "post", author: "kai@hachyderm.io", lang: "en", text: "Discord voice is back for me <3 #DiscordDown #discord"},
	// a remote clock two minutes ahead: dated when this server stored it (its id)
	{kind: "post", lang: "ru", created: "2025-12-06T00:00:05.75Z"},
	{kind: "post", author: "sam@mastodon.social", lang: "he", text: "גם אצלכם ג'ימייל לא נטען? מקבל שגיאה 502"},
}

func TestParse(t *testing.T) {
	evs := events(t)
	if len(evs) != len(wantEvents) {
		t.Fatalf("%d events in the transcript, %d wants", len(evs), len(wantEvents))
	}
	var last int64
	for i, w := range wantEvents {
		ev := Parse(evs[i].event, evs[i].data)
		check(t, fmt.Sprintf("event %d", i), ev, w)
		if ev.Post != nil {
			if ev.Cursor < last {
				t.Errorf("event %d: cursor %d before the last, %d", i, ev.Cursor, last)
			}
			last = ev.Cursor
		}
	}
}

// TestParseTimeline: the statuses of a REST page read as the stream's do.
func TestParseTimeline(t *testing.T) {
	wants := []want{ // newest first, as the page is
		{kind: "post", author: "joao@masto.pt", lang: "pt", text: "O site das Finanças está em baixo outra vez & ninguém diz nada", created: "2025-12-05T23:59:49.7Z"},
		{kind: "other"},
		{kind: "post", author: "noa@tooot.im", lang: "he", text: "האפליקציה של הבנק לא עובדת כבר שעה"},
		{kind: "post", author: "jiwoo@qdon.space", lang: "ko", text: "카카오톡 안 되는 거 나만 그래? #카카오톡장애"},
		{kind: "post", author: "alice@mastodon.social", lang: "en", text: "Slack won't load any channels here, anyone else? https://slack-status.com/"},
	}
	h := history(t)
	if len(h) != len(wants) {
		t.Fatalf("%d statuses, %d wants", len(h), len(wants))
	}
	for i, w := range wants {
		check(t, fmt.Sprintf("status %d", i), Parse("update", h[i]), w)
	}
}

func check(t *testing.T, what string, ev ingest.Event, w want) {
	t.Helper()
	if ev.Kind != w.kind {
		t.Errorf("%s: kind %q (%s %s), want %q", what, ev.Kind, ev.Reason, ev.Detail, w.kind)
		return
	}
	switch w.kind {
	case "bad":
		if ev.Reason != w.reason || len(ev.Bad) == 0 || ev.Detail == "" || ev.Post != nil {
			t.Errorf("%s: bad with reason %q detail %q (%d bytes), want reason %q", what, ev.Reason, ev.Detail, len(ev.Bad), w.reason)
		}
		return
	case "post":
	default:
		if ev.Post != nil || ev.Key != "" || ev.Bad != nil {
			t.Errorf("%s: a %s gave a post %+v (key %q)", what, w.kind, ev.Post, ev.Key)
		}
		return
	}
	p := ev.Post
	if p == nil {
		t.Fatalf("%s: no post", what)
	}
	if !strings.HasPrefix(p.ID, "mastodon:https://") || p.ID != "mastodon:"+ev.Key || p.Source != "mastodon" ||
		!strings.Contains(p.Author, "@") {
		t.Errorf("%s: id %q, key %q, source %q, author %q", what, p.ID, ev.Key, p.Source, p.Author)
	}
	if ev.Cursor != p.CreatedAt.UnixMicro() || !ev.At.Equal(p.CreatedAt) {
		t.Errorf("%s: cursor %d, at %s, want the created_at %s", what, ev.Cursor, ev.At, p.CreatedAt)
	}
	for _, c := range []struct{ name, got, want string }{
		{"uri", ev.Key, w.uri}, {"author", p.Author, w.author}, {"text", p.Text, w.text},
		{"created_at", p.CreatedAt.Format(time.RFC3339Nano), w.created},
	} {
		if c.want != "" && c.got != c.want {
			t.Errorf("%s: %s %q, want %q", what, c.name, c.got, c.want)
		}
	}
	if p.Lang != w.lang {
		t.Errorf("%s: lang %q, want %q", what, p.Lang, w.lang)
	}
	roundTrips(t, what, p)
}

// roundTrips: what is produced is a canonical post the pipeline decodes back unchanged.
func roundTrips(t testing.TB, what string, p *post.Post) {
	t.Helper()
	b, err := json.Marshal(p)
	if err != nil {
		t.Fatal(err)
	}
	back, shape, err := post.Decode(b, 0)
	if err != nil || shape != post.ShapeCanonical || back != *p {
		t.Errorf("%s: decoded back as %v %+v (%v), want %+v", what, shape, back, err, *p)
	}
}

func TestParseBad(t *testing.T) {
	ok := `{"id":"115669676867585201","uri":"https://mastodon.social/users/a/statuses/1","created_at":"2025-12-06T00:00:00.250Z","content":"<p>hi</p>"}`
	for _, tc := range []struct{ data, reason string }{
		{`{"id":"1","created_at":"2025-12-06T00:00:02.750Z","content":"<p>cut`, post.ReasonInvalidJSON},
		{`not json`, post.ReasonInvalidJSON},
		{`  `, post.ReasonEmpty},
		{`"115669676867585201"`, post.ReasonNotObject},
		{`[]`, post.ReasonNotObject},
		{"{\"id\":\"1\",\"content\":\"\xff\"}", post.ReasonInvalidUTF8},
		{`{"id":{},"uri":"x"}`, post.ReasonInvalidJSON},
		{`{"id":"1","content":"<p>hi</p>","uri":"https://a/1"}`, post.ReasonMissingTime},
		{`{"id":"1","content":"<p>hi</p>","uri":"https://a/1","created_at":"yesterday"}`, post.ReasonBadTime},
		{strings.Replace(ok, `"uri":"https://mastodon.social/users/a/statuses/1",`, ``, 1), post.ReasonMissingID},
		{strings.Replace(ok, `/statuses/1"`, `/statuses/`+strings.Repeat("1", 300)+`"`, 1), post.ReasonFieldTooLarge},
		{strings.Replace(ok, `{`, `{"language":"`+strings.Repeat("x", 300)+`",`, 1), post.ReasonFieldTooLarge},
	} {
		ev := Parse("update", []byte(tc.data))
		if ev.Kind != ingest.KindBad || ev.Reason != tc.reason || string(ev.Bad) != tc.data || ev.Post != nil || ev.Detail == "" {
			t.Errorf("Parse(%.60q) = kind %q reason %q (%s), want bad %q", tc.data, ev.Kind, ev.Reason, ev.Detail, tc.reason)
		}
	}
	if ev := Parse("update", []byte(ok)); ev.Kind != ingest.KindPost {
		t.Errorf("the valid status: %+v", ev)
	}
	// A numeric id (a compatible server's) is read as well.
	if ev := Parse("update", []byte(strings.Replace(ok, `"115669676867585201"`, `115669676867585201`, 1))); ev.Kind != ingest.KindPost {
		t.Errorf("a numeric id: %+v", ev)
	}
	// Parse keeps no reference to its data.
	b := []byte("{")
	ev := Parse("update", b)
	b[0] = 'x'
	if string(ev.Bad) != "{" {
		t.Errorf("Bad changed with the data: %q", ev.Bad)
	}
}

func TestParseOtherEvents(t *testing.T) {
	for _, tc := range []struct{ event, data, kind string }{
		{"delete", "115669676867585201", ingest.KindDelete},
		{"status.update", "{not even json", ingest.KindUpdate},
		{"notification", `{"id":"1"}`, ingest.KindOther},
		{"filters_changed", "", ingest.KindOther},
		{"message", `{"id":"1"}`, ingest.KindOther},
	} {
		if ev := Parse(tc.event, []byte(tc.data)); ev.Kind != tc.kind || ev.Post != nil || ev.Bad != nil {
			t.Errorf("Parse(%q, %q) = %+v, want kind %q", tc.event, tc.data, ev, tc.kind)
		}
	}
}

func TestText(t *testing.T) {
	for _, tc := range []struct{ html, want string }{
		{"", ""},
		{"<p></p>", ""},
		{"<p>a</p><p>b</p>", "a\n\nb"},
		{"<p>a<br>b<br/><br />c</p>", "a\nb\n\nc"},
		{"<p>  many   spaces\n and\ta newline </p>", "many spaces and a newline"},
		{`<p><a href="https://example.org/a?b=1&amp;c=2" rel="nofollow noopener" translate="no"><span class="invisible">https://</span><span class="ellipsis">example.org/a?b=1&amp;c</span><span class="invisible">=2</span></a></p>`,
			"https://example.org/a?b=1&c=2"},
		{`<span class="h-card"><a href="https://a.example/@x" class="u-url mention">@<span>x</span></a></span> hi`, "@x hi"},
		{`<a href="https://m.example/tags/Down" class="mention hashtag" rel="tag">#<span>Down</span></a>`, "#Down"},
		{"it&#39;s 1 &lt; 2 &amp;&amp; &quot;x&quot; &gt; y&nbsp;z &#x1F600;", `it's 1 < 2 && "x" > y z 😀`},
		{"a < b and c<3", "a < b and c<3"},
		{"<p>unclosed <b", "unclosed"},
		{"<ul><li>one</li><li>two</li></ul><p>after</p>", "one\ntwo\n\nafter"},
		{"<P>Upper<BR>case</P>", "Upper\ncase"},
		{"<blockquote><p>quoted</p></blockquote>reply", "quoted\n\nreply"},
		{"<!-- comment -->text", "text"},
	} {
		if got := Text(tc.html); got != tc.want {
			t.Errorf("Text(%q) = %q, want %q", tc.html, got, tc.want)
		}
	}
}

func TestWithTags(t *testing.T) {
	for _, tc := range []struct {
		text string
		tags []string
		want string
	}{
		{"is it down #WhatsAppDown", []string{"whatsappdown"}, "is it down #WhatsAppDown"},
		{"is it down", []string{"whatsappdown", "WhatsAppDown", "#outage", " ", "two words"}, "is it down #whatsappdown #outage"},
		{"#caturday", []string{"cat"}, "#caturday #cat"},
		{"#cat.", []string{"cat"}, "#cat."},
		{"#ÜBER ausfall", []string{"über"}, "#ÜBER ausfall"},
	} {
		var tags []tag
		for _, n := range tc.tags {
			tags = append(tags, tag{n})
		}
		if got := withTags(tc.text, tags); got != tc.want {
			t.Errorf("withTags(%q, %q) = %q, want %q", tc.text, tc.tags, got, tc.want)
		}
	}
}

func TestTimelineURL(t *testing.T) {
	for _, tc := range []struct{ endpoint, want string }{
		{"https://mastodon.social/api/v1/streaming/public", "https://mastodon.social/api/v1/timelines/public?"},
		{"https://mastodon.social/api/v1/streaming/public/", "https://mastodon.social/api/v1/timelines/public?"},
		{"https://mastodon.social/api/v1/streaming/public/local", "https://mastodon.social/api/v1/timelines/public?local=true"},
		{"https://mastodon.social/api/v1/streaming/public/remote?only_media=true", "https://mastodon.social/api/v1/timelines/public?only_media=true&remote=true"},
		{"https://mastodon.social/api/v1/streaming/hashtag?tag=whatsappdown", "https://mastodon.social/api/v1/timelines/tag/whatsappdown?"},
		{"https://mastodon.social/api/v1/streaming/hashtag/local?tag=%23caf%C3%A9%20down", "https://mastodon.social/api/v1/timelines/tag/caf%C3%A9%20down?local=true"},
		{"http://127.0.0.1:3000/sub/api/v1/streaming/public", "http://127.0.0.1:3000/sub/api/v1/timelines/public?"},
	} {
		u, err := streamURL(tc.endpoint)
		if err != nil {
			t.Fatal(err)
		}
		got, err := timelineURL(u)
		if err != nil || got.String() != tc.want {
			t.Errorf("timelineURL(%q) = %v, %v; want %q", tc.endpoint, got, err, tc.want)
		}
	}
	for _, tc := range []struct{ endpoint, says string }{
		{"wss://mastodon.social/api/v1/streaming/public", "https://"},
		{"mastodon.social", "https://"},
		{"https://mastodon.social/api/v1/streaming/user", "public or hashtag"},
		{"https://mastodon.social/api/v1/streaming/hashtag", "?tag="},
		{"https://mastodon.social/api/v1/timelines/public", "streaming URL"},
		{"https://mastodon.social/api/v1/streaming/public?access_token=" + testToken, "not in the URL"},
	} {
		_, err := (&Source{Token: testToken}).Open(context.Background(), tc.endpoint, 0)
		if err == nil || !strings.Contains(err.Error(), tc.says) || strings.Contains(err.Error(), testToken) {
			t.Errorf("Open(%q): %v, want an error saying %q (and not the token)", tc.endpoint, err, tc.says)
		}
	}
}

func TestMinID(t *testing.T) {
	evs := events(t)
	var st struct {
		ID        string `json:"id"`
		CreatedAt string `json:"created_at"`
	}
	if err := json.Unmarshal(evs[0].data, &st); err != nil {
		t.Fatal(err)
	}
	id, _ := strconv.ParseUint(st.ID, 10, 64)
	created, _ := time.Parse(time.RFC3339Nano, st.CreatedAt)
	if m := minID(created.UnixMicro()); m != id>>16<<16-1 {
		t.Errorf("minID(created_at) = %d, want just below the first id of its millisecond, %d", m, id>>16<<16)
	}
	if m := minID(created.Add(time.Millisecond).UnixMicro()); m < id {
		t.Errorf("a millisecond after: %d, want past %d", m, id)
	}
	if at, ok := idTime(st.ID); !ok || !at.Equal(created) {
		t.Errorf("idTime(%s) = %s %v, want %s", st.ID, at, ok, created)
	}
	for _, id := range []string{"1", "103270115826048975x", "", "99999999999999999999"} {
		if _, ok := idTime(id); ok {
			t.Errorf("idTime(%q) is a time", id)
		}
	}
	if minID(0) != 0 {
		t.Error("minID(0) != 0")
	}
}

func TestSSE(t *testing.T) {
	in := ":)\r\nevent: update\r\ndata: {\"a\":1}\r\n\r\n" + // CRLF
		":thump\n" +
		"event: delete\ndata:42\n\n" + // no space after the colon
		"event: x\n\n" + // no data: no event
		"data: one\ndata: two\n\n" + // no type: "message"; two data lines
		"event: update\ndata: " + strings.Repeat("a", 100) + "\n\n" + // over max
		":" + strings.Repeat("c", 100) + "\n" + // a long comment is not an event
		"id: 7\nretry: 10\nevent: update\ndata: {}\n\n" +
		"event: update\ndata: cut by the end"
	want := []struct {
		event, data string
		long        bool
	}{
		{"update", `{"a":1}`, false},
		{"delete", "42", false},
		{"message", "one\ntwo", false},
		{"update", strings.Repeat("a", 64), true}, // its head
		{"update", "{}", false},
	}
	r := newSSE(strings.NewReader(in), 64)
	lines := 0
	for i, w := range want {
		ev, data, long, err := r.next(func() { lines++ })
		if err != nil || ev != w.event || string(data) != w.data || long != w.long {
			t.Errorf("event %d: %q %q long %v, %v; want %q %q long %v", i, ev, data, long, err, w.event, w.data, w.long)
		}
	}
	if _, _, _, err := r.next(func() {}); err != io.EOF {
		t.Errorf("after the last event: %v, want EOF (an event cut by the end is not one)", err)
	}
	if lines != 22 {
		t.Errorf("%d lines counted, want 22 (heartbeats keep the stream alive)", lines)
	}
}

// TestOpenRefused: a refusal says what it means, without the token even when the
// server echoes it back.
func TestOpenRefused(t *testing.T) {
	for _, tc := range []struct {
		code int
		says string
	}{
		{http.StatusUnauthorized, "read:statuses"},
		{http.StatusForbidden, "read:statuses"},
		{http.StatusTooManyRequests, "rate-limiting"},
		{http.StatusBadGateway, "502 Bad Gateway"},
	} {
		srv := mastodontest.NewServer(t, transcript(t), mastodontest.Options{Token: testToken}, mastodontest.Conn{Status: tc.code})
		_, err := (&Source{Token: testToken}).Open(context.Background(), srv.URL+"/api/v1/streaming/public", 0)
		if err == nil || !strings.Contains(err.Error(), tc.says) || !strings.Contains(err.Error(), strconv.Itoa(tc.code)) ||
			strings.Contains(err.Error(), testToken) {
			t.Errorf("HTTP %d: %v; want an error saying %q, without the token", tc.code, err, tc.says)
		}
	}
	srv := mastodontest.NewServer(t, transcript(t), mastodontest.Options{Token: testToken})
	_, err := (&Source{}).Open(context.Background(), srv.URL+"/api/v1/streaming/public", 0)
	if err == nil || !strings.Contains(err.Error(), "read:statuses") {
		t.Errorf("no token: %v", err)
	}
	// Not an event stream: a web page where the stream should be.
	html := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		w.Header().Set("Content-Type", "text/html")
		io.WriteString(w, "<html></html>")
	}))
	defer html.Close()
	if _, err := (&Source{Token: testToken}).Open(context.Background(), html.URL+"/api/v1/streaming/public", 0); err == nil ||
		!strings.Contains(err.Error(), "not an event stream") {
		t.Errorf("an HTML page: %v", err)
	}
}

// TestStreamingHost: a server whose instance description names another streaming
// host is streamed from there, with the token; the timeline stays on the server.
func TestStreamingHost(t *testing.T) {
	stream := mastodontest.NewServer(t, transcript(t), mastodontest.Options{Token: testToken}, mastodontest.Conn{Send: -1})
	su, _ := url.Parse(stream.URL)
	server := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		if r.URL.Path != "/api/v2/instance" {
			http.NotFound(w, r)
			return
		}
		fmt.Fprintf(w, `{"domain":"example.social","configuration":{"urls":{"streaming":"ws://%s"}}}`, su.Host)
	}))
	defer server.Close()
	src := &Source{Token: testToken}
	st, err := src.Open(context.Background(), server.URL+"/api/v1/streaming/public", 0)
	if err != nil {
		t.Fatalf("Open: %v", err)
	}
	defer st.Close()
	ev, err := st.Next(context.Background())
	if err != nil || ev.Post == nil {
		t.Fatalf("the first event from the streaming host: %+v, %v", ev, err)
	}
	if bad := stream.BadAuth(); len(bad) > 0 {
		t.Errorf("the streaming host got requests without the token: %q", bad)
	}
	if src.streaming[strings.TrimPrefix(server.URL, "http://")] != su.Host {
		t.Errorf("streaming hosts remembered: %v", src.streaming)
	}
}

// TestIdle: a silent stream ends after Idle; heartbeats keep one alive.
func TestIdle(t *testing.T) {
	quiet := make(chan struct{})
	defer close(quiet)
	srv := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		w.Header().Set("Content-Type", "text/event-stream")
		io.WriteString(w, ":)\n")
		w.(http.Flusher).Flush()
		if r.URL.Query().Get("beat") != "" {
			tick := time.NewTicker(20 * time.Millisecond)
			defer tick.Stop()
			for i := 0; i < 50; i++ { // a second of heartbeats, then an event
				select {
				case <-tick.C:
				case <-r.Context().Done():
					return
				}
				io.WriteString(w, ":thump\n")
				w.(http.Flusher).Flush()
			}
			io.WriteString(w, "event: delete\ndata: 1\n\n")
			w.(http.Flusher).Flush()
		}
		select {
		case <-r.Context().Done():
		case <-quiet:
		}
	}))
	defer srv.Close()
	s := &Source{Token: testToken, Idle: 400 * time.Millisecond}
	st, err := s.Open(context.Background(), srv.URL+"/api/v1/streaming/public", 0)
	if err != nil {
		t.Fatal(err)
	}
	start := time.Now()
	_, err = st.Next(context.Background())
	if err == nil || !strings.Contains(err.Error(), "no event or heartbeat for 400ms") || time.Since(start) > 10*time.Second {
		t.Errorf("a silent stream: %v after %s", err, time.Since(start))
	}
	st.Close()

	st, err = s.Open(context.Background(), srv.URL+"/api/v1/streaming/public?beat=1", 0)
	if err != nil {
		t.Fatal(err)
	}
	defer st.Close()
	if ev, err := st.Next(context.Background()); err != nil || ev.Kind != ingest.KindDelete {
		t.Errorf("a stream of heartbeats: %+v, %v; want the delete after them", ev, err)
	}
	// A Next whose context ends returns at once.
	ctx, cancel := context.WithCancel(context.Background())
	go cancel()
	if _, err := st.Next(ctx); !errors.Is(err, context.Canceled) {
		t.Errorf("a cancelled Next: %v", err)
	}
}

// TestOversized: an event over the limit is dead-lettered with its head, and the
// stream goes on.
func TestOversized(t *testing.T) {
	big := "event: update\ndata: {\"content\":\"" + strings.Repeat("é", 700_000) + "\"}\n\n"
	srv := mastodontest.NewServer(t, []byte(big+"event: delete\ndata: 1\n\n"), mastodontest.Options{Token: testToken})
	st, err := (&Source{Token: testToken}).Open(context.Background(), srv.URL+"/api/v1/streaming/public", 0)
	if err != nil {
		t.Fatal(err)
	}
	defer st.Close()
	ev, err := st.Next(context.Background())
	if err != nil || ev.Kind != ingest.KindBad || ev.Reason != post.ReasonOversized || len(ev.Bad) != DefaultMaxEventBytes {
		t.Errorf("an event of 1.4 MB: kind %q reason %q, %d bytes kept, %v", ev.Kind, ev.Reason, len(ev.Bad), err)
	}
	if ev, err := st.Next(context.Background()); err != nil || ev.Kind != ingest.KindDelete {
		t.Errorf("after it: %+v, %v", ev, err)
	}
}

func cursorOf(t *testing.T, data []byte) int64 {
	t.Helper()
	ev := Parse("update", data)
	if ev.Cursor == 0 {
		t.Fatalf("no cursor in %.80s", data)
	}
	return ev.Cursor
}

// TestBackfill: from a cursor, the statuses after it come from the REST timeline,
// oldest first, paged by min_id, before the stream's.
func TestBackfill(t *testing.T) {
	h := history(t) // newest first: pt, media, he, ko, en
	evs := events(t)
	// Everything of the transcript happened while away: the stream has nothing more.
	srv := mastodontest.NewServer(t, transcript(t), mastodontest.Options{Token: testToken, History: h, PageSize: 2},
		mastodontest.Conn{Skip: 1000, Send: 0})
	cursor := cursorOf(t, h[4]) + 1000 // the millisecond after the oldest: it is not read again
	st, err := (&Source{Token: testToken}).Open(context.Background(), srv.URL+"/api/v1/streaming/public/local", cursor)
	if err != nil {
		t.Fatal(err)
	}
	defer st.Close()
	// What the timeline has after the cursor, oldest first, and the ids.
	var want []ingest.Event
	var ids []string
	add := func(data []byte) {
		ev, id := parse("update", data)
		want, ids = append(want, ev), append(ids, id)
	}
	for i := 3; i >= 0; i-- {
		add(h[i])
	}
	for _, e := range evs {
		if e.event == "update" && Parse(e.event, e.data).Kind != ingest.KindBad {
			add(e.data)
		}
	}
	for i, w := range want {
		ev, err := st.Next(context.Background())
		if err != nil {
			t.Fatalf("event %d: %v", i, err)
		}
		if ev.Kind != w.Kind || ev.Key != w.Key || ev.Cursor != w.Cursor {
			t.Errorf("event %d: %s %q at %d, want %s %q at %d", i, ev.Kind, ev.Key, ev.Cursor, w.Kind, w.Key, w.Cursor)
		}
	}
	// Then the stream, which the server dropped.
	if _, err := st.Next(context.Background()); err == nil {
		t.Error("no error after the backfill, from a dropped stream")
	}
	// Pages of two, each after the newest of the one before, until an empty one.
	wantMin := []string{strconv.FormatUint(minID(cursor), 10)}
	for i := 1; i < len(ids); i += 2 {
		wantMin = append(wantMin, ids[i])
	}
	pages := srv.Pages()
	if len(pages) != len(wantMin) {
		t.Errorf("%d pages asked for, want %d: %q", len(pages), len(wantMin), pages)
	}
	for i, p := range pages[:min(len(pages), len(wantMin))] {
		u, _ := url.Parse(p)
		q := u.Query()
		if u.Path != "/api/v1/timelines/public" || q.Get("local") != "true" || q.Get("limit") != "40" || q.Has("access_token") {
			t.Errorf("page %d: %s", i, p)
		}
		if q.Get("min_id") != wantMin[i] {
			t.Errorf("page %d: min_id %s, want %s", i, q.Get("min_id"), wantMin[i])
		}
	}
	if bad := srv.BadAuth(); len(bad) > 0 {
		t.Errorf("requests without the bearer: %q", bad)
	}
}

// synthetic is a status created at t, with its snowflake id.
func synthetic(at time.Time, n int) []byte {
	id := uint64(at.UnixMilli())<<16 | uint64(n)
	b, _ := json.Marshal(map[string]any{
		"id": strconv.FormatUint(id, 10), "uri": fmt.Sprintf("https://mastodon.example/users/u%d/statuses/%d", n, id),
		"created_at": at.UTC().Format("2006-01-02T15:04:05.000Z"), "language": "en", "content": fmt.Sprintf("<p>status %d</p>", n),
		"reblog": nil, "account": map[string]any{"acct": fmt.Sprintf("u%d", n), "url": fmt.Sprintf("https://mastodon.example/@u%d", n)},
	})
	return b
}

// TestBackfillCap: a long outage is backfilled up to the cap, then the stream is live.
func TestBackfillCap(t *testing.T) {
	t0 := time.Date(2025, 12, 5, 23, 50, 0, 0, time.UTC)
	var h [][]byte
	for i := range 60 {
		h = append(h, synthetic(t0.Add(time.Duration(i)*time.Second), i))
	}
	core, logs := observer.New(zap.WarnLevel)
	srv := mastodontest.NewServer(t, transcript(t), mastodontest.Options{Token: testToken, History: h, PageSize: 2})
	st, err := (&Source{Token: testToken, Log: zap.New(core)}).Open(context.Background(), srv.URL+"/api/v1/streaming/public", t0.UnixMicro())
	if err != nil {
		t.Fatal(err)
	}
	defer st.Close()
	for i := range maxPages * 2 {
		ev, err := st.Next(context.Background())
		if err != nil || ev.Post == nil || ev.Post.Text != fmt.Sprintf("status %d", i) {
			t.Fatalf("event %d: %+v, %v; want status %d", i, ev.Post, err, i)
		}
	}
	ev, err := st.Next(context.Background())
	if err != nil || ev.Post == nil || ev.Key != wantEvents[0].uri {
		t.Errorf("after the cap: %+v, %v; want the stream's first status", ev.Post, err)
	}
	if n := len(srv.Pages()); n != maxPages {
		t.Errorf("%d pages, want %d", n, maxPages)
	}
	if logs.FilterMessageSnippet("cap").Len() != 1 {
		t.Errorf("the cap was not logged: %v", logs.All())
	}
}

// TestBackfillFails: a timeline that fails ends the stream (Run retries from the last
// status read), until the third failure from the same cursor: then the stream goes
// live without it. A timeline that cannot help (404) is skipped at once.
func TestBackfillFails(t *testing.T) {
	core, logs := observer.New(zap.WarnLevel)
	s := &Source{Token: testToken, Log: zap.New(core), Idle: 10 * time.Second}
	srv := mastodontest.NewServer(t, transcript(t), mastodontest.Options{Token: testToken, FailPages: 1000},
		mastodontest.Conn{Send: 0}, mastodontest.Conn{Send: 0}, mastodontest.Conn{Send: 0}, mastodontest.Conn{Send: 1})
	cursor := time.Date(2025, 12, 5, 23, 59, 0, 0, time.UTC).UnixMicro()
	for i := range maxFailures {
		st, err := s.Open(context.Background(), srv.URL+"/api/v1/streaming/hashtag?tag=whatsappdown", cursor)
		if err != nil {
			t.Fatal(err)
		}
		_, err = st.Next(context.Background())
		if err == nil || !strings.Contains(err.Error(), "503") || !strings.Contains(err.Error(), "missed since 2025-12-05T23:59:00Z") {
			t.Errorf("attempt %d: %v, want the timeline's 503", i, err)
		}
		st.Close()
	}
	st, err := s.Open(context.Background(), srv.URL+"/api/v1/streaming/hashtag?tag=whatsappdown", cursor)
	if err != nil {
		t.Fatal(err)
	}
	if ev, err := st.Next(context.Background()); err != nil || ev.Post == nil {
		t.Errorf("after %d failures: %+v, %v; want the live stream", maxFailures, ev, err)
	}
	st.Close()
	pages := srv.Pages()
	if len(pages) != maxFailures || !strings.HasPrefix(pages[0], "/api/v1/timelines/tag/whatsappdown?") {
		t.Errorf("pages %q, want %d of the tag's timeline", pages, maxFailures)
	}
	if logs.FilterMessageSnippet("failed every backfill").Len() != 1 {
		t.Errorf("giving up was not logged: %v", logs.All())
	}

	// A streaming-only host: its REST timeline is not there (404).
	st, err = s.Open(context.Background(), srv.URL+"/streaming/api/v1/streaming/public", cursor)
	if err != nil {
		t.Fatal(err)
	}
	defer st.Close()
	if ev, err := st.Next(context.Background()); err != nil || ev.Post == nil {
		t.Errorf("without a timeline: %+v, %v; want the live stream", ev, err)
	}
	if logs.FilterMessageSnippet("going live without them").Len() != 1 {
		t.Errorf("the skipped backfill was not logged: %v", logs.All())
	}
	for _, e := range logs.All() {
		if strings.Contains(fmt.Sprint(e.Message, e.ContextMap()), testToken) {
			t.Errorf("the token in a log line: %v", e)
		}
	}
}

func FuzzParse(f *testing.F) {
	for _, e := range events(f) {
		f.Add(e.event, e.data)
	}
	for _, s := range history(f) {
		f.Add("update", s)
	}
	f.Add("update", []byte(`{"id":"1","uri":"x","created_at":"2025-12-06T00:00:00Z","content":"<p>a<b","tags":[{"name":"a"}],"account":{"acct":"a","url":"::"}}`))
	f.Add("update", []byte(`{"reblog":{}}`))
	f.Fuzz(func(t *testing.T, event string, data []byte) {
		ev := Parse(event, data)
		switch {
		case ev.Post != nil:
			p := ev.Post
			if ev.Kind != ingest.KindPost || ev.Key == "" || p.ID != "mastodon:"+ev.Key || strings.TrimSpace(p.Text) == "" ||
				p.CreatedAt.IsZero() || ev.Cursor != p.CreatedAt.UnixMicro() || ev.Bad != nil {
				t.Errorf("a post without key, text or time, or with a bad frame: %+v %+v", ev, p)
			}
			roundTrips(t, "fuzz", p)
		case ev.Kind == ingest.KindBad:
			if ev.Reason == "" || ev.Detail == "" || !bytes.Equal(ev.Bad, data) {
				t.Errorf("a bad frame without reason, or not its data: %+v", ev)
			}
		case ev.Key != "" || ev.Bad != nil:
			t.Errorf("a %s event with a key or a bad frame: %+v", ev.Kind, ev)
		}
	})
}
