package cli

import (
	"errors"
	"fmt"

	"github.com/spf13/cobra"
	"github.com/spf13/pflag"
	"go.uber.org/zap"

	"github.com/outcry-dev/outcry/alert/webhook"
	"github.com/outcry-dev/outcry/app"
)

// WebhookFlags say where to POST every alert event, and the HMAC key to sign it with.
type WebhookFlags struct{ url, secret, secretFile string }

// Register adds --webhook-url, --webhook-secret and --webhook-secret-file to f.
func (w *WebhookFlags) Register(f *pflag.FlagSet) {
	f.StringVar(&w.url, "webhook-url", "", "also POST every alert event (CloudEvents JSON, HMAC-signed) to this URL")
	f.StringVar(&w.secret, "webhook-secret", "", "HMAC-SHA256 key for the X-Outcry-Signature header (prefer OUTCRY_WEBHOOK_SECRET or --webhook-secret-file)")
	f.StringVar(&w.secretFile, "webhook-secret-file", "", "file holding the webhook HMAC key")
}

// Sink returns the webhook sink the flags describe, or nil when no URL is given.
func (w *WebhookFlags) Sink(cmd *cobra.Command, log *zap.Logger) (*webhook.Sink, error) {
	if w.url == "" {
		return nil, nil
	}
	key, err := secret(w.secret, w.secretFile, FlagName(cmd, "webhook-secret-file"))
	if err != nil {
		return nil, err
	}
	s, err := webhook.New(webhook.Config{URL: w.url, Secret: []byte(key)}, nil, log)
	if err != nil {
		return nil, fmt.Errorf("%s: %w", FlagName(cmd, "webhook-url"), err)
	}
	return s, nil
}

// optionFlags names the flag of each app option, for errors.
var optionFlags = map[string]string{
	"BatchSize": "batch-size", "MaxPostBytes": "max-post-bytes", "Lateness": "lateness", "MaxAge": "max-age",
	"Idle": "idle", "ShutdownTimeout": "shutdown-timeout", "Kafka.SessionTimeout": "session-timeout",
	"AlertmanagerResend": "alertmanager-resend", "Alertmanagers": "alertmanager-url", "MetricServices": "metric-services",
}

// OptionError turns an app.FieldError into an error naming the flag and what it allows.
func OptionError(cmd *cobra.Command, err error) error {
	var fe *app.FieldError
	if errors.As(err, &fe) && optionFlags[fe.Field] != "" {
		return fmt.Errorf("%s %s", FlagName(cmd, optionFlags[fe.Field]), fe.Msg)
	}
	return err
}
