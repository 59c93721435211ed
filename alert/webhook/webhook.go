// Package webhook delivers alert events over HTTP, for teams without Kafka: each
// incident event is POSTed as a CloudEvent in structured mode (the body is the same
// JSON as on the alerts topic, Content-Type application/cloudevents+json), signed
// with HMAC-SHA256 so receivers can check it came from Outcry.
//
// Headers of each request:
//
//	Content-Type:       application/cloudevents+json
//	X-Outcry-Event-Id:  the CloudEvent id (stable across retries: deduplicate on it)
//	X-Outcry-Signature: sha256=<hex HMAC-SHA256 of the body with the shared secret>
//
// A receiver answers 2xx when it has the event. Network errors, 408, 429 and 5xx are
// retried with exponential back-off (Retry-After is honoured); other statuses are not
// retried. When an event cannot be delivered, Publish returns an error and the
// monitor keeps the event and publishes it again later: delivery is at least once.
package webhook

import (
	"bytes"
	"context"
	"crypto/hmac"
	"crypto/sha256"
	"encoding/hex"
	"errors"
	"fmt"
	"io"
	"math/rand/v2"
	"net/http"
	"net/url"
	"strconv"
	"strings"
	"time"

	"go.uber.org/zap"

	"github.com/outcry-dev/outcry/alert"
	"github.com/outcry-dev/outcry/detect/incident"
	"github.com/outcry-dev/outcry/internal/ctxtime"
)

// Request headers.
const (
	HeaderSignature = "X-Outcry-Signature"
	HeaderEventID   = "X-Outcry-Event-Id"
	signaturePrefix = "sha256="
)

// Defaults of Config.
const (
	DefaultTimeout     = 10 * time.Second
	DefaultMaxAttempts = 5
	DefaultBackoff     = 500 * time.Millisecond
	// maxBackoff caps the exponential back-off and any Retry-After.
	maxBackoff = time.Minute
)

// Config configures a Sink.
type Config struct {
	URL         string        // http or https endpoint receiving the POSTs
	Secret      []byte        // HMAC-SHA256 key; empty sends no signature header
	Timeout     time.Duration // per attempt; default 10s
	MaxAttempts int           // per event and Publish call; default 5
	Backoff     time.Duration // first wait between attempts, doubled each time (with jitter); default 500ms
}

// Sink posts incident events to a webhook. It implements monitor.Publisher.
type Sink struct {
	cfg    Config
	url    string
	client *http.Client
	log    *zap.Logger
	sleep  func(ctx context.Context, d time.Duration) error // replaced in tests
}

// New returns a sink for cfg. client may be nil (http.DefaultClient's transport is
// used); log may be nil.
func New(cfg Config, client *http.Client, log *zap.Logger) (*Sink, error) {
	u, err := url.Parse(cfg.URL)
	if err != nil {
		return nil, fmt.Errorf("webhook URL %q: %w", cfg.URL, err)
	}
	if (u.Scheme != "http" && u.Scheme != "https") || u.Host == "" {
		return nil, fmt.Errorf("webhook URL %q: want http://host/... or https://host/...", cfg.URL)
	}
	if cfg.Timeout < 0 || cfg.MaxAttempts < 0 || cfg.Backoff < 0 {
		return nil, errors.New("webhook: timeout, attempts and back-off must not be negative")
	}
	if cfg.Timeout == 0 {
		cfg.Timeout = DefaultTimeout
	}
	if cfg.MaxAttempts == 0 {
		cfg.MaxAttempts = DefaultMaxAttempts
	}
	if cfg.Backoff == 0 {
		cfg.Backoff = DefaultBackoff
	}
	if client == nil {
		client = &http.Client{}
	}
	if log == nil {
		log = zap.NewNop()
	}
	return &Sink{cfg: cfg, url: u.String(), client: client, log: log.With(zap.String("component", "webhook")), sleep: ctxtime.Sleep}, nil
}

// Publish posts each event in order; it stops at the first event that cannot be
// delivered and returns an error (the events before it were delivered).
func (s *Sink) Publish(ctx context.Context, events []incident.Event) error {
	for _, e := range events {
		body, err := alert.Encode(e)
		if err != nil {
			return err
		}
		if err := s.deliver(ctx, e.ID, body); err != nil {
			return err
		}
	}
	return nil
}

// Sign returns the X-Outcry-Signature value of body: "sha256=" and the hex HMAC.
func Sign(secret, body []byte) string {
	m := hmac.New(sha256.New, secret)
	m.Write(body)
	return signaturePrefix + hex.EncodeToString(m.Sum(nil))
}

// Verify reports whether header (the X-Outcry-Signature value) is the signature of
// body with secret. It compares in constant time.
func Verify(secret, body []byte, header string) bool {
	sig, ok := strings.CutPrefix(strings.TrimSpace(header), signaturePrefix)
	if !ok {
		return false
	}
	got, err := hex.DecodeString(sig)
	if err != nil {
		return false
	}
	m := hmac.New(sha256.New, secret)
	m.Write(body)
	return hmac.Equal(got, m.Sum(nil))
}

// StatusError is a response that is not 2xx.
type StatusError struct {
	Code int
	Body string // the head of the response body
}

func (e *StatusError) Error() string {
	msg := fmt.Sprintf("status %d %s", e.Code, http.StatusText(e.Code))
	if e.Body != "" {
		msg += ": " + e.Body
	}
	return msg
}

// retryable reports whether a status may succeed later.
func retryable(code int) bool {
	return code == http.StatusRequestTimeout || code == http.StatusTooManyRequests || code >= 500
}

func (s *Sink) deliver(ctx context.Context, id string, body []byte) error {
	var last error
	for attempt := 1; attempt <= s.cfg.MaxAttempts; attempt++ {
		if err := ctx.Err(); err != nil {
			return fmt.Errorf("webhook event %s: %w", id, err)
		}
		retryAfter, err := s.post(ctx, id, body)
		if err == nil {
			s.log.Debug("delivered", zap.String("event", id), zap.Int("attempt", attempt))
			return nil
		}
		last = err
		var se *StatusError
		if errors.As(err, &se) && !retryable(se.Code) {
			return fmt.Errorf("webhook event %s to %s: %w (not retried)", id, s.redactedURL(), err)
		}
		if ctx.Err() != nil {
			return fmt.Errorf("webhook event %s: %w", id, ctx.Err())
		}
		if attempt == s.cfg.MaxAttempts {
			break
		}
		wait := s.backoff(attempt)
		if retryAfter > 0 {
			wait = min(retryAfter, maxBackoff)
		}
		s.log.Warn("delivery failed, retrying", zap.String("event", id), zap.Int("attempt", attempt),
			zap.Duration("in", wait), zap.Error(err))
		if err := s.sleep(ctx, wait); err != nil {
			return fmt.Errorf("webhook event %s: %w (after %v)", id, err, last)
		}
	}
	return fmt.Errorf("webhook event %s to %s: %d attempts failed, last: %w", id, s.redactedURL(), s.cfg.MaxAttempts, last)
}

// post makes one attempt; it returns the Retry-After delay the server asked for.
func (s *Sink) post(ctx context.Context, id string, body []byte) (time.Duration, error) {
	ctx, cancel := context.WithTimeout(ctx, s.cfg.Timeout)
	defer cancel()
	req, err := http.NewRequestWithContext(ctx, http.MethodPost, s.url, bytes.NewReader(body))
	if err != nil {
		return 0, err
	}
	req.Header.Set("Content-Type", alert.ContentType)
	req.Header.Set(HeaderEventID, id)
	req.Header.Set("User-Agent", "outcry-webhook")
	if len(s.cfg.Secret) > 0 {
		req.Header.Set(HeaderSignature, Sign(s.cfg.Secret, body))
	}
	resp, err := s.client.Do(req)
	if err != nil {
		return 0, err
	}
	defer resp.Body.Close()
	head, _ := io.ReadAll(io.LimitReader(resp.Body, 512))
	_, _ = io.Copy(io.Discard, io.LimitReader(resp.Body, 64<<10)) // let the connection be reused
	if resp.StatusCode >= 200 && resp.StatusCode < 300 {
		return 0, nil
	}
	return parseRetryAfter(resp.Header.Get("Retry-After"), time.Now()),
		&StatusError{Code: resp.StatusCode, Body: strings.TrimSpace(string(head))}
}

// parseRetryAfter reads a Retry-After header: seconds or an HTTP date.
func parseRetryAfter(v string, now time.Time) time.Duration {
	v = strings.TrimSpace(v)
	if v == "" {
		return 0
	}
	if n, err := strconv.Atoi(v); err == nil && n >= 0 {
		return time.Duration(n) * time.Second
	}
	if t, err := http.ParseTime(v); err == nil && t.After(now) {
		return t.Sub(now)
	}
	return 0
}

// backoff is the wait after a failed attempt: Backoff·2^(attempt−1), capped, with up
// to 20% jitter so that many instances do not retry in step.
func (s *Sink) backoff(attempt int) time.Duration {
	d := s.cfg.Backoff << min(attempt-1, 20)
	if d <= 0 || d > maxBackoff {
		d = maxBackoff
	}
	return d - time.Duration(rand.Int64N(int64(d)/5+1))
}

// redactedURL is the URL without credentials or query (which may hold tokens).
func (s *Sink) redactedURL() string {
	u, err := url.Parse(s.url)
	if err != nil {
		return "webhook"
	}
	u.User, u.RawQuery, u.Fragment = nil, "", ""
	return u.String()
}
