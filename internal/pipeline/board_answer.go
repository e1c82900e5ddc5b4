package pipeline

import (
	"bytes"
	"context"
	"io"
	"strconv"
	"strings"

	"github.com/kite-crm/kite/internal/platform/httpx"
)

// After the cards, encoding the board's ~140 KB of JSON and compressing it
// were most of what a cached board cost. So a cached board also keeps its
// answer, encoded and gzipped, for the counts and totals it was built
// with. Counts and totals are still read on every request (see
// board_cache.go), and the answer is reused only while they are the same.

// boardAnswer is a board encoded as the API sends it.
type boardAnswer struct {
	totals   string // the counts and totals it shows (totalsKey)
	json, gz []byte
}

// BoardJSON is the board as the API answers it: encoded by marshal, and
// gzipped when gzipOK (gzipped tells which). An unfiltered board's answer
// is kept with the cached board and reused while nothing on it changed.
func (s *Service) BoardJSON(ctx context.Context, orgID, pipelineID string, f DealFilter,
	marshal func(io.Writer, any) error, gzipOK bool) (body []byte, gzipped bool, err error) {
	parts, err := s.boardParts(ctx, orgID, pipelineID, f)
	if err != nil {
		return nil, false, err
	}
	encode := func() ([]byte, error) {
		var b bytes.Buffer
		err := marshal(&b, parts.build())
		return b.Bytes(), err
	}
	if parts.filtered {
		body, err := encode()
		return body, false, err // compressed on the way out, if the client takes it
	}
	key := parts.totalsKey()
	a := parts.cached.answer
	if a == nil || a.totals != key {
		json, err := encode()
		if err != nil {
			return nil, false, err
		}
		a = &boardAnswer{totals: key, json: json, gz: httpx.Gzipped(json)}
		s.boards.keepAnswer(parts.cached, a)
	}
	if gzipOK {
		return a.gz, true, nil
	}
	return a.json, false, nil
}

// totalsKey names the counts and totals read for the board's stages.
func (bp boardParts) totalsKey() string {
	var b strings.Builder
	for _, st := range bp.cached.pipeline.Stages {
		for _, t := range bp.counts[st.ID] {
			b.WriteString(st.ID)
			b.WriteByte(' ')
			b.WriteString(t.Currency)
			b.WriteByte(' ')
			b.WriteString(strconv.FormatInt(t.Deals, 10))
			b.WriteByte(' ')
			b.WriteString(strconv.FormatInt(t.ValueMinor, 10))
			b.WriteByte('\n')
		}
	}
	return b.String()
}
