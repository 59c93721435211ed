package main

import (
	"bufio"
	"encoding/json"
	"errors"
	"fmt"
	"io"

	"github.com/spf13/cobra"

	"github.com/outcry-dev/outcry/match"
	"github.com/outcry-dev/outcry/post"
)

// matchResult is one output line of `outcry match`.
type matchResult struct {
	ID      string        `json:"id"`
	Matches []matchOutput `json:"matches"`
}

type matchOutput struct {
	Service  string     `json:"service"`
	Kind     match.Kind `json:"kind"`
	Problems []string   `json:"problems"`
}

type matchLineError struct {
	Line  int    `json:"line"`
	Error string `json:"error"`
}

func newMatchCmd(_ *globals) *cobra.Command {
	var rulesFile string
	cmd := &cobra.Command{
		Use:   "match",
		Short: "Match posts (JSONL on stdin) against the rules, one result line per post",
		Long: `Match reads posts as JSONL on stdin (canonical posts, X API v2 tweet objects, Bluesky
Jetstream commit events or Mastodon statuses, decoded exactly as the service decodes them)
and writes one JSON line per input line on stdout:

  {"id":"1850001","matches":[{"service":"whatsapp","kind":"outage","problems":["messages"]}]}

Outage, recovery and past matches are listed ("past": talk about an outage that is
over, which never counts as a complaint); brand mentions without outage intent are
not. "matches" is empty when nothing matched. A line that cannot be decoded gives
{"line":N,"error":"..."} and the run goes on. Use it to write and test rules files
(--rules; the embedded default rules otherwise).`,
		Example: `  echo '{"id":"1","text":"is #whatsappdown for anyone else?","created_at":"2022-10-25T07:21:03Z"}' | outcry match
  outcry match --rules my_rules.yaml < posts.jsonl | jq -c 'select(.matches != [])'`,
		Args: cobra.NoArgs,
		RunE: func(cmd *cobra.Command, _ []string) error {
			rules := match.DefaultRules()
			if rulesFile != "" {
				r, err := match.LoadRules(rulesFile)
				if err != nil {
					return err
				}
				rules = r
			}
			return runMatch(match.NewMatcher(rules), cmd.InOrStdin(), cmd.OutOrStdout())
		},
	}
	cmd.Flags().StringVar(&rulesFile, "rules", "", "rules file (YAML); default: the embedded rules")
	return cmd
}

// runMatch matches every line of in and writes one result line per input line to out.
func runMatch(m *match.Matcher, in io.Reader, out io.Writer) error {
	br := bufio.NewReaderSize(in, 1<<20)
	bw := bufio.NewWriterSize(out, 1<<16)
	enc := json.NewEncoder(bw)
	enc.SetEscapeHTML(false)
	var (
		line    []byte
		matches []match.Match
		res     matchResult
	)
	for n := 1; ; n++ {
		var err error
		line, err = readLine(br, line[:0])
		if len(line) == 0 && errors.Is(err, io.EOF) {
			break
		}
		if err != nil && !errors.Is(err, io.EOF) {
			return fmt.Errorf("match: reading stdin: %w", err)
		}
		post, _, derr := post.Decode(line, 0)
		if derr != nil {
			if werr := enc.Encode(matchLineError{Line: n, Error: derr.Error()}); werr != nil {
				return fmt.Errorf("match: writing: %w", werr)
			}
		} else {
			matches = m.Match(matches[:0], post.Text)
			res.ID = post.ID
			res.Matches = res.Matches[:0]
			if res.Matches == nil {
				res.Matches = []matchOutput{}
			}
			for _, mt := range matches {
				if mt.Kind == match.Mention {
					continue
				}
				p := mt.Problems
				if p == nil {
					p = []string{}
				}
				res.Matches = append(res.Matches, matchOutput{Service: mt.Service, Kind: mt.Kind, Problems: p})
			}
			if werr := enc.Encode(&res); werr != nil {
				return fmt.Errorf("match: writing: %w", werr)
			}
		}
		if errors.Is(err, io.EOF) {
			break
		}
	}
	if err := bw.Flush(); err != nil {
		return fmt.Errorf("match: writing: %w", err)
	}
	return nil
}

// readLine appends the next line of br (without its line ending) to buf,
// whatever its length. At the end of input it returns io.EOF, with the
// last line if it had no newline.
func readLine(br *bufio.Reader, buf []byte) ([]byte, error) {
	for {
		chunk, err := br.ReadSlice('\n')
		buf = append(buf, chunk...)
		if errors.Is(err, bufio.ErrBufferFull) {
			continue
		}
		if n := len(buf); n > 0 && buf[n-1] == '\n' {
			buf = buf[:n-1]
			if n := len(buf); n > 0 && buf[n-1] == '\r' {
				buf = buf[:n-1]
			}
		}
		return buf, err
	}
}
