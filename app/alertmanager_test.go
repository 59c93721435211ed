package app

import (
	"bytes"
	"encoding/json"
	"net/http"
	"os"
	"slices"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/outcry-dev/outcry/detect/incident"
	"github.com/outcry-dev/outcry/internal/testenv"
	"github.com/outcry-dev/outcry/scenario"
)

// amAlert is what GET /api/v2/alerts says of an alert.
type amAlert struct {
	Labels       map[string]string `json:"labels"`
	Annotations  map[string]string `json:"annotations"`
	StartsAt     time.Time         `json:"startsAt"`
	EndsAt       time.Time         `json:"endsAt"`
	GeneratorURL string            `json:"generatorURL"`
	Status       struct {
		State string `json:"state"`
	} `json:"status"`
}

func getJSON(t *testing.T, url string, v any) {
	t.Helper()
	resp, err := http.Get(url)
	if err != nil {
		t.Fatal(err)
	}
	defer resp.Body.Close()
	if err := json.NewDecoder(resp.Body).Decode(v); err != nil {
		t.Fatalf("GET %s: %v", url, err)
	}
}

// TestAlertmanager: a replayed outage of WhatsApp and Facebook reaches a real
// Alertmanager as two alerts with Outcry's labels, grouped together by their owner,
// and both are resolved there once the incidents resolve.
func TestAlertmanager(t *testing.T) {
	// The deploy/ example, as an operator would start from it: grouped by owner.
	cfg, err := os.ReadFile("../deploy/alertmanager/alertmanager.yml")
	if err != nil {
		t.Fatal(err)
	}
	am := testenv.Alertmanager(t, string(cfg))
	sc := scenario.Fixture("whatsapp", 7)
	fb := sc.Outages[0]
	fb.Service, fb.PeakPerMin = "facebook", 40
	sc.Outages = append(sc.Outages, fb)
	var posts bytes.Buffer
	if _, err := scenario.Write(&posts, sc); err != nil {
		t.Fatal(err)
	}

	var (
		mu     sync.Mutex
		events []incident.Event
	)
	seen := func(typ, service string) bool {
		mu.Lock()
		defer mu.Unlock()
		return slices.ContainsFunc(events, func(e incident.Event) bool { return e.Type == typ && e.Data.Service == service })
	}
	broker := testenv.Kafka(t, 1).ListenAddrs()[0]
	rdb := testenv.RedisClient(t, testenv.Redis(t).Addr)
	startApp(t, broker, rdb, "am", func(o *Options) {
		o.Kafka.PostsTopic = "posts-am"
		o.Alertmanagers = []string{am}
		// Long enough that an alert resolves within the test only when it is said to.
		o.AlertmanagerResend = time.Minute
		o.PageURL = "http://outcry.example:9464/"
		o.OnEvent = func(e incident.Event) {
			mu.Lock()
			events = append(events, e)
			mu.Unlock()
		}
	})
	produce(t, broker, "posts-am", posts.Bytes())
	testenv.Eventually(t, 120*time.Second, "both incidents to start", func() bool {
		return seen(incident.TypeStarted, "whatsapp") && seen(incident.TypeStarted, "facebook")
	})

	// Both alerts, with Outcry's labels, in one group: their owner's.
	var alerts []amAlert
	testenv.Eventually(t, 30*time.Second, "both alerts in Alertmanager", func() bool {
		getJSON(t, am+"/api/v2/alerts", &alerts)
		return len(alerts) >= 2
	})
	byService := map[string]amAlert{}
	for _, a := range alerts {
		if _, twice := byService[a.Labels["service"]]; twice {
			t.Errorf("two alerts for %s: an update must not make a new alert", a.Labels["service"])
		}
		byService[a.Labels["service"]] = a
	}
	for _, svc := range []string{"whatsapp", "facebook"} {
		a, ok := byService[svc]
		l := a.Labels
		if !ok || l["alertname"] != "ServiceOutage" || l["owner"] != "meta" || l["source"] != "outcry" || l["severity"] == "" {
			t.Errorf("%s: alert %+v", svc, a)
			continue
		}
		if !strings.Contains(a.Annotations["summary"], " is down: ") || !strings.Contains(a.Annotations["description"], "Problems: ") ||
			a.GeneratorURL != "http://outcry.example:9464/#incident-"+svc || a.Annotations["runbook_url"] != a.GeneratorURL {
			t.Errorf("%s: annotations %q, generatorURL %q", svc, a.Annotations, a.GeneratorURL)
		}
		if a.StartsAt.Year() != 2024 || a.Status.State != "active" {
			t.Errorf("%s: starts at %s (want the onset's event time), state %q", svc, a.StartsAt, a.Status.State)
		}
	}
	var groups []struct {
		Labels map[string]string `json:"labels"`
		Alerts []amAlert         `json:"alerts"`
	}
	testenv.Eventually(t, 30*time.Second, "one group of Meta's alerts", func() bool {
		getJSON(t, am+"/api/v2/alerts/groups", &groups)
		for _, g := range groups {
			if g.Labels["owner"] == "meta" && len(g.Alerts) == 2 {
				return true
			}
		}
		return false
	})

	// Resolved in Outcry, resolved in Alertmanager (GET /api/v2/alerts lists the
	// alerts that are not).
	testenv.Eventually(t, 120*time.Second, "both incidents to resolve", func() bool {
		return seen(incident.TypeResolved, "whatsapp") && seen(incident.TypeResolved, "facebook")
	})
	testenv.Eventually(t, 30*time.Second, "both alerts resolved in Alertmanager", func() bool {
		getJSON(t, am+"/api/v2/alerts", &alerts)
		for _, a := range alerts {
			if a.Labels["source"] == "outcry" {
				return false
			}
		}
		return true
	})
}
