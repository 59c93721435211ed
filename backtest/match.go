package backtest

import (
	"bufio"
	"encoding/json"
	"errors"
	"fmt"
	"io"

	"github.com/outcry-dev/outcry/match"
	"github.com/outcry-dev/outcry/post"
)

// matchResult is one output line of `outcry match`: the outage, recovery and past
// matches of one post.
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

// Match matches every line of in and writes one result line per input line to out.
func Match(m *match.Matcher, in io.Reader, out io.Writer) error {
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
