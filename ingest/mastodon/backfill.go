package mastodon

import (
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"net/http"
	"net/url"
	"slices"
	"strconv"
	"strings"
	"time"

	"go.uber.org/zap"

	"github.com/outcry-dev/outcry/ingest"
	"github.com/outcry-dev/outcry/post"
)

const (
	pageLimit = 40 // the most statuses Mastodon returns in a page
	// maxPages caps a backfill at 800 statuses. While it pages, the live stream waits
	// (the server buffers it) and every page is a request against the token's rate
	// limit (300 in 5 minutes); after a long outage the statuses of the present matter
	// more to outage detection than the rest of the past, which is given up (and said).
	maxPages = 20
	// maxPageBytes bounds a page read whole: 40 statuses are a few hundred kilobytes.
	maxPageBytes = 16 << 20
	// maxFailures: backfills from the same cursor that failed in a row (the server
	// erring, the REST API down) before the stream goes live without one, so that a
	// broken timeline cannot hold the live stream back for ever.
	maxFailures = 3
)

// timelineURL is the REST timeline holding the statuses the streaming endpoint u
// streams, on the same server.
func timelineURL(u *url.URL) (*url.URL, error) {
	const streaming = "/api/v1/streaming"
	i := strings.Index(u.Path, streaming)
	if i < 0 {
		return nil, fmt.Errorf("endpoint %s: want a streaming URL (…/api/v1/streaming/public, /public/local or /hashtag?tag=…)", u.Redacted())
	}
	prefix, channel := u.Path[:i], strings.Trim(u.Path[i+len(streaming):], "/")
	in, q := u.Query(), url.Values{}
	var path string
	switch channel {
	case "public", "public/local", "public/remote":
		path = "/api/v1/timelines/public"
		if c, ok := strings.CutPrefix(channel, "public/"); ok {
			q.Set(c, "true")
		}
	case "hashtag", "hashtag/local":
		tag := strings.TrimPrefix(strings.TrimSpace(in.Get("tag")), "#")
		if tag == "" {
			return nil, fmt.Errorf("endpoint %s: a hashtag stream needs ?tag=", u.Redacted())
		}
		path = "/api/v1/timelines/tag/" + url.PathEscape(tag)
		if channel == "hashtag/local" {
			q.Set("local", "true")
		}
	default:
		return nil, fmt.Errorf("endpoint %s: want a public or hashtag stream (…/api/v1/streaming/public, /public/local, /public/remote, /hashtag?tag=…)", u.Redacted())
	}
	if m := in.Get("only_media"); m == "true" || m == "1" {
		q.Set("only_media", "true")
	}
	return url.Parse(u.Scheme + "://" + u.Host + prefix + path + "?" + q.Encode())
}

// backfill reads the statuses after a cursor from the REST timeline, a page at a time,
// oldest first: Mastodon returns the page of statuses just after min_id, newest first.
type backfill struct {
	s     *Source
	url   *url.URL  // the timeline, without limit and min_id
	from  int64     // the cursor it started from
	minID uint64    // the next page's
	until time.Time // caught up once a status is this recent (the live stream has the rest)
	pages int
	queue []ingest.Event
	done  bool
}

// next returns the next status missed; ok is false once caught up.
func (b *backfill) next(ctx context.Context) (ev ingest.Event, ok bool, err error) {
	for len(b.queue) == 0 {
		if b.done {
			return ingest.Event{}, false, nil
		}
		err := b.page(ctx)
		if err == nil {
			b.s.backfillOK()
			continue
		}
		if ctx.Err() != nil {
			return ingest.Event{}, false, ctx.Err()
		}
		var he *httpError
		if errors.As(err, &he) && he.Code >= 400 && he.Code < 500 && he.Code != http.StatusRequestTimeout && he.Code != http.StatusTooManyRequests {
			// Asking again will not help (no such tag, an endpoint on a streaming-only
			// host, a timeline closed to this token): live only.
			b.s.log().Warn("cannot read the missed statuses from the REST timeline; going live without them",
				zap.String("timeline", b.url.Path), zap.Time("since", time.UnixMicro(b.from)), zap.Error(err))
			b.done = true
			continue
		}
		b.s.backfillFailed(b.from)
		return ingest.Event{}, false, fmt.Errorf("read the statuses missed since %s from %s: %w",
			time.UnixMicro(b.from).UTC().Format(time.RFC3339), b.url.Path, err)
	}
	ev = b.queue[0]
	b.queue[0] = ingest.Event{}
	b.queue = b.queue[1:]
	return ev, true, nil
}

// page reads the page after minID into the queue, oldest first.
func (b *backfill) page(ctx context.Context) error {
	u := *b.url
	q := u.Query()
	q.Set("limit", strconv.Itoa(pageLimit))
	q.Set("min_id", strconv.FormatUint(b.minID, 10))
	u.RawQuery = q.Encode()
	rctx, cancel := context.WithTimeout(ctx, 2*connectTimeout)
	defer cancel()
	req, err := b.s.request(rctx, u.String(), "application/json")
	if err != nil {
		return err
	}
	resp, err := b.s.client().Do(req)
	if err != nil {
		return err
	}
	defer resp.Body.Close()
	if err := b.s.statusError(resp); err != nil {
		return err
	}
	body, err := io.ReadAll(io.LimitReader(resp.Body, maxPageBytes+1))
	if err != nil {
		return fmt.Errorf("read a page: %w", err)
	}
	if len(body) > maxPageBytes {
		return fmt.Errorf("a page of more than %d bytes", maxPageBytes)
	}
	var raw []json.RawMessage
	if err := json.Unmarshal(body, &raw); err != nil {
		return fmt.Errorf("a page that is not an array of statuses: %w", err)
	}
	b.pages++
	if len(raw) == 0 {
		b.done = true
		return nil
	}
	type item struct {
		ev ingest.Event
		id uint64
	}
	items := make([]item, 0, len(raw))
	var newest uint64
	for _, r := range raw {
		if len(r) > b.s.maxEvent() {
			items = append(items, item{ev: bad(r[:b.s.maxEvent()], post.ReasonOversized,
				fmt.Sprintf("a status of more than %d bytes in a timeline page (its head is kept)", b.s.maxEvent()))})
			continue
		}
		ev, id := parse("update", r)
		v, _ := strconv.ParseUint(id, 10, 64)
		newest = max(newest, v)
		items = append(items, item{ev, v})
	}
	slices.SortStableFunc(items, func(x, y item) int {
		switch {
		case x.id < y.id:
			return -1
		case x.id > y.id:
			return 1
		}
		return 0
	})
	for _, it := range items {
		b.queue = append(b.queue, it.ev)
	}
	switch t, ok := idTime(strconv.FormatUint(newest, 10)); {
	case newest <= b.minID:
		// Ids that are not snowflakes, or a server ignoring min_id: no next page.
		b.s.log().Warn("the REST timeline does not page by min_id; the missed statuses are read from its first page only",
			zap.String("timeline", b.url.Path))
		b.done = true
	case ok && !t.Before(b.until):
		b.done = true
	case b.pages >= maxPages:
		b.s.log().Warn("the backfill stopped at its cap; statuses missed after these are not read",
			zap.String("timeline", b.url.Path), zap.Int("pages", b.pages), zap.Time("since", time.UnixMicro(b.from)),
			zap.Time("until", t))
		b.done = true
	}
	b.minID = max(b.minID, newest)
	return nil
}

// giveUpBackfill says whether the backfills from cursor failed maxFailures times in a
// row: this one is skipped (and the count starts again).
func (s *Source) giveUpBackfill(cursor int64) bool {
	s.mu.Lock()
	defer s.mu.Unlock()
	if s.failed < maxFailures || s.failedFrom != cursor {
		return false
	}
	s.failed = 0
	s.log().Warn("the REST timeline failed every backfill from this cursor; going live without the missed statuses",
		zap.Int("attempts", maxFailures), zap.Time("since", time.UnixMicro(cursor)))
	return true
}

func (s *Source) backfillFailed(from int64) {
	s.mu.Lock()
	defer s.mu.Unlock()
	if s.failedFrom != from {
		s.failedFrom, s.failed = from, 0
	}
	s.failed++
}

func (s *Source) backfillOK() {
	s.mu.Lock()
	defer s.mu.Unlock()
	s.failed = 0
}
