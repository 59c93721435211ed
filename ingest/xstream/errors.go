package xstream

import (
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"net/http"
	"strconv"
	"strings"
	"time"
)

// HTTPError is X refusing a request: what its back-off guidance needs.
type HTTPError struct {
	Status int
	// RetryAfter is how long X asks to wait: the Retry-After header, or for a 429
	// the time left until x-rate-limit-reset (a unix time); 0 when X says nothing.
	RetryAfter time.Duration
	// Body is the start of X's answer (its problem's title and detail, usually),
	// without the bearer token.
	Body string
}

func (e *HTTPError) Error() string {
	msg := fmt.Sprintf("HTTP %d %s", e.Status, http.StatusText(e.Status))
	switch e.Status {
	case http.StatusUnauthorized:
		msg += ": X refused the bearer token (wrong, revoked, or not the app's bearer token)"
	case http.StatusForbidden:
		msg += ": X refused access (the app's access level may not include the filtered stream, or the app is not in a project)"
	case http.StatusTooManyRequests:
		msg += ": rate limited, or too many connections (X allows one filtered-stream connection per app)"
	}
	if e.RetryAfter > 0 {
		msg += fmt.Sprintf("; X asks to wait %s", e.RetryAfter)
	}
	if e.Body != "" && e.Body != http.StatusText(e.Status) {
		msg += ": " + e.Body
	}
	return msg
}

// maxErrorBody is the most of an error's body kept in HTTPError.Body.
const maxErrorBody = 512

// httpError reads resp's status, headers and the start of its body.
func (s *Source) httpError(resp *http.Response) *HTTPError {
	e := &HTTPError{Status: resp.StatusCode, RetryAfter: retryAfter(resp, time.Now())}
	b, _ := io.ReadAll(io.LimitReader(resp.Body, 16<<10))
	e.Body = s.scrub(summary(b))
	return e
}

// summary is X's problem in an error body (title, detail), or the body's start on
// one line.
func summary(b []byte) string {
	var p struct {
		problem
		Errors []problem `json:"errors"`
	}
	if json.Unmarshal(b, &p) == nil {
		if p.Title != "" || p.Detail != "" {
			return truncate(p.problem.String())
		}
		if len(p.Errors) > 0 {
			return truncate(p.Errors[0].String())
		}
	}
	return truncate(strings.Join(strings.Fields(string(b)), " "))
}

func truncate(s string) string {
	if len(s) <= maxErrorBody {
		return s
	}
	cut := maxErrorBody
	for cut > 0 && s[cut]&0xC0 == 0x80 { // not inside a character
		cut--
	}
	return s[:cut] + "…"
}

// scrub removes the bearer token from text that came from elsewhere.
func (s *Source) scrub(text string) string {
	if s.Token == "" {
		return text
	}
	return strings.ReplaceAll(text, s.Token, "[token]")
}

// retryAfter is the wait X asks for: Retry-After (seconds or an HTTP date), or for a
// 429 x-rate-limit-reset (when the rate-limit window ends, unix seconds). At most a
// day: a reset further away is not believed.
func retryAfter(resp *http.Response, now time.Time) time.Duration {
	var d time.Duration
	if v := resp.Header.Get("Retry-After"); v != "" {
		if secs, err := strconv.ParseInt(v, 10, 64); err == nil {
			d = time.Duration(min(max(secs, 0), 86400)) * time.Second
		} else if t, err := http.ParseTime(v); err == nil {
			d = t.Sub(now)
		}
	} else if v := resp.Header.Get("x-rate-limit-reset"); v != "" && resp.StatusCode == http.StatusTooManyRequests {
		if unix, err := strconv.ParseInt(v, 10, 64); err == nil && unix > 0 && unix < 1<<40 {
			d = time.Unix(unix, 0).Sub(now)
		}
	}
	return min(max(d, 0), 24*time.Hour).Round(time.Second)
}

// Backoff is the wait before reconnect attempt (1, 2, ...) after err, as X's
// guidance for the filtered stream has it:
//
//   - a network error (a refused or dropped connection, a stalled stream, an
//     operational disconnect: anything but an HTTP status): back off linearly,
//     250 ms more each attempt, up to 16 s;
//   - an HTTP error: back off exponentially, from 5 s, doubling, up to 320 s;
//   - HTTP 429 (rate limited, or too many connections): exponentially from one
//     minute, doubling (X adds that each 429 lengthens the time it limits the app),
//     here up to 16 minutes, past the 15-minute rate-limit window;
//
// and never less than the RetryAfter an HTTP error carries. ingest.Run has a
// back-off of its own (jittered, Options.BackoffMin to BackoffMax) and does not call
// this yet.
func Backoff(err error, attempt int) time.Duration {
	attempt = max(attempt, 1)
	var he *HTTPError
	if !errors.As(err, &he) {
		return min(time.Duration(attempt)*250*time.Millisecond, 16*time.Second)
	}
	if he.Status == http.StatusTooManyRequests {
		return max(doubled(time.Minute, attempt, 16*time.Minute), he.RetryAfter)
	}
	return max(doubled(5*time.Second, attempt, 320*time.Second), he.RetryAfter)
}

// doubled is first·2^(attempt-1), at most limit.
func doubled(first time.Duration, attempt int, limit time.Duration) time.Duration {
	d := first
	for i := 1; i < attempt && d < limit; i++ {
		d *= 2
	}
	return min(d, limit)
}

// Backoff implements ingest.Backoffer: X's guidance (the package function Backoff),
// unless FastBackoff is set (tests).
func (s *Source) Backoff(err error, attempt int) time.Duration {
	if s.FastBackoff > 0 {
		return s.FastBackoff
	}
	return Backoff(err, attempt)
}
