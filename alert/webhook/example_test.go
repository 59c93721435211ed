package webhook_test

import (
	"fmt"
	"io"
	"net/http"
	"net/http/httptest"
	"strings"

	"github.com/outcry-dev/outcry/alert/webhook"
)

// A receiver checks the signature of the raw body before it trusts the event.
func ExampleVerify() {
	secret := []byte("shared secret")
	handler := http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		body, err := io.ReadAll(io.LimitReader(r.Body, 1<<20))
		if err != nil || !webhook.Verify(secret, body, r.Header.Get(webhook.HeaderSignature)) {
			http.Error(w, "bad signature", http.StatusUnauthorized)
			return
		}
		// deduplicate on r.Header.Get(webhook.HeaderEventID): delivery is at least once
		w.WriteHeader(http.StatusNoContent)
	})

	body := `{"specversion":"1.0","id":"whatsapp-20221025T0717-1","type":"outcry.incident.started"}`
	for _, sig := range []string{webhook.Sign(secret, []byte(body)), webhook.Sign([]byte("guess"), []byte(body))} {
		req := httptest.NewRequest(http.MethodPost, "/outcry", strings.NewReader(body))
		req.Header.Set(webhook.HeaderSignature, sig)
		rec := httptest.NewRecorder()
		handler.ServeHTTP(rec, req)
		fmt.Println(rec.Code)
	}
	// Output:
	// 204
	// 401
}
