package cli

import (
	"os"
	"path/filepath"
	"strings"
	"testing"

	"github.com/spf13/cobra"
)

// TestHTTPTokenFlags: a given but blank token is an error, not "no authentication".
func TestHTTPTokenFlags(t *testing.T) {
	dir := t.TempDir()
	write := func(name, content string) string {
		p := filepath.Join(dir, name)
		if err := os.WriteFile(p, []byte(content), 0o600); err != nil {
			t.Fatal(err)
		}
		return p
	}
	empty, blank, good := write("empty", ""), write("blank", " \n\t\n"), write("good", "  s3cret\n")
	tests := []struct {
		name, token, file string
		want, wantErr     string
	}{
		{"none", "", "", "", ""},
		{"flag", "s3cret", "", "s3cret", ""},
		{"flag with spaces", " s3cret ", "", "s3cret", ""},
		{"blank flag", "  ", "", "", "--http-token is blank"},
		{"file", "", good, "s3cret", ""},
		{"empty file", "", empty, "", "--http-token-file " + empty + ": file is empty; put the bearer token in it"},
		{"blank file", "", blank, "", "--http-token-file " + blank + ": file is empty"},
		{"missing file", "", filepath.Join(dir, "nope"), "", "--http-token-file: open"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			cmd := &cobra.Command{}
			cmd.Flags().String("http-token", "", "")
			cmd.Flags().String("http-token-file", "", "")
			got, err := ReadHTTPToken(cmd, tt.token, tt.file)
			if tt.wantErr != "" {
				if err == nil || !strings.Contains(err.Error(), tt.wantErr) {
					t.Fatalf("error %v, want one containing %q", err, tt.wantErr)
				}
				return
			}
			if err != nil || got != tt.want {
				t.Fatalf("got %q, %v; want %q", got, err, tt.want)
			}
		})
	}
}
