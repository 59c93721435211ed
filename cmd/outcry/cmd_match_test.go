package main

import (
	"bytes"
	"context"
	"encoding/json"
	"errors"
	"os"
	"path/filepath"
	"strings"
	"testing"

	"github.com/outcry-dev/outcry/internal/cli"
)

// runCmd runs the outcry command line with args and stdin; it returns stdout.
func runCmd(t *testing.T, stdin string, args ...string) (string, error) {
	t.Helper()
	root := newRoot()
	root.SetArgs(args)
	var out bytes.Buffer
	root.SetIn(strings.NewReader(stdin))
	root.SetOut(&out)
	root.SetErr(&bytes.Buffer{})
	err := root.ExecuteContext(context.Background())
	return out.String(), err
}

func TestMatchCommand(t *testing.T) {
	huge := `{"id":"big","text":"` + strings.Repeat("a", 300<<10) + `","created_at":"2022-10-25T07:21:03Z"}`
	in := strings.Join([]string{
		`{"id":"1850001","text":"is #whatsappdown for anyone else? messages stuck on one tick","created_at":"2022-10-25T07:21:03Z"}`,
		`{"id":"2","text":"new AI stickers on WhatsApp!","created_at":"2022-10-25T07:21:03Z"}`,
		`not json`,
		`{"data":{"id":"1584756636692512768","text":"واتساب رجع","created_at":"2022-10-25T08:51:00.000Z","author_id":"9"}}`,
		huge,
		`{"id":"3","text":"nice weather","created_at":"2022-10-25T07:21:03Z"}`,
		`{"id":"4","text":"Instagram and Facebook are down, can't log in","created_at":"2022-10-25T07:21:03Z"}`,
	}, "\n") // no trailing newline: the last line still counts
	out, err := runCmd(t, in, "match")
	if err != nil {
		t.Fatal(err)
	}
	lines := strings.Split(strings.TrimSuffix(out, "\n"), "\n")
	want := []string{
		`{"id":"1850001","matches":[{"service":"whatsapp","kind":"outage","problems":["messages"]}]}`,
		`{"id":"2","matches":[]}`,
		`{"line":3,"error":"invalid_json:`,
		`{"id":"1584756636692512768","matches":[{"service":"whatsapp","kind":"recovery","problems":[]}]}`,
		`{"line":5,"error":"oversized:`,
		`{"id":"3","matches":[]}`,
		`{"id":"4","matches":[{"service":"facebook","kind":"outage","problems":["login"]},{"service":"instagram","kind":"outage","problems":["login"]}]}`,
	}
	if len(lines) != len(want) {
		t.Fatalf("got %d lines, want %d:\n%s", len(lines), len(want), out)
	}
	for i, w := range want {
		if !strings.HasPrefix(lines[i], w) {
			t.Errorf("line %d:\n got %s\nwant %s", i+1, lines[i], w)
		}
		if !json.Valid([]byte(lines[i])) {
			t.Errorf("line %d is not JSON: %s", i+1, lines[i])
		}
	}
}

func TestMatchCommandRulesFlag(t *testing.T) {
	dir := t.TempDir()
	good := filepath.Join(dir, "r.yaml")
	os.WriteFile(good, []byte("version: 1\noutage_terms: [kaputt]\nservices:\n  - name: acme\n    aliases: [acme]\n"), 0o644)
	out, err := runCmd(t, `{"id":"1","text":"acme ist kaputt","created_at":"2022-10-25T07:21:03Z"}`+"\n", "match", "--rules", good)
	if err != nil || out != `{"id":"1","matches":[{"service":"acme","kind":"outage","problems":[]}]}`+"\n" {
		t.Errorf("out %q err %v", out, err)
	}
	bad := filepath.Join(dir, "bad.yaml")
	os.WriteFile(bad, []byte("version: 1\nservices: []\nfoo: 1\n"), 0o644)
	if _, err := runCmd(t, "", "match", "--rules", bad); err == nil || !strings.Contains(err.Error(), "line 3, column 1") {
		t.Errorf("bad rules: %v", err)
	}
}

func TestRulesCheckCommand(t *testing.T) {
	dir := t.TempDir()
	good := filepath.Join(dir, "good.yaml")
	def, err := runCmd(t, "", "rules", "default")
	if err != nil {
		t.Fatal(err)
	}
	os.WriteFile(good, []byte(def), 0o644)
	out, err := runCmd(t, "", "rules", "check", good)
	if err != nil || !strings.HasPrefix(out, "ok: ") || !strings.Contains(out, " services, ") {
		t.Errorf("check good: %q %v", out, err)
	}
	bad := filepath.Join(dir, "bad.yaml")
	os.WriteFile(bad, []byte("version: 1\nservices:\n  - name: a\n    aliasses: [a]\n"), 0o644)
	_, err = runCmd(t, "", "rules", "check", bad)
	var ee cli.ExitError
	if !errors.As(err, &ee) || ee.Code != 1 || err.Error() != bad+`:4:5: unknown key "aliasses"` {
		t.Errorf("check bad: %v", err)
	}
	if _, err := runCmd(t, "", "rules", "check", filepath.Join(dir, "missing.yaml")); err == nil {
		t.Error("check missing file: no error")
	}
}
