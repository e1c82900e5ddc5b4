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
	totals string // the counts and totals it shows (totalsKey)
	kept   *httpx.Kept
}

// BoardAnswer is the board as the API answers it, encoded by marshal. An
// unfiltered board's answer is kept, gzipped too, with the cached board
// and reused while nothing on it changed; a filtered board's is encoded
// for this request only and left to the response's compression.
func (s *Service) BoardAnswer(ctx context.Context, orgID, pipelineID string, f DealFilter,
	marshal func(io.Writer, any) error) (*httpx.Kept, error) {
	parts, err := s.boardParts(ctx, orgID, pipelineID, f)
	if err != nil {
		return nil, err
	}
	encode := func() ([]byte, error) {
		var b bytes.Buffer
		err := marshal(&b, parts.build())
		return b.Bytes(), err
	}
	if parts.filtered {
		body, err := encode()
		return &httpx.Kept{JSON: body}, err
	}
	key := parts.totalsKey()
	a := parts.cached.answer
	if a == nil || a.totals != key {
		json, err := encode()
		if err != nil {
			return nil, err
		}
		a = &boardAnswer{totals: key, kept: httpx.Keep(json)}
		s.keepAnswer(parts.cached, a)
	}
	return a.kept, nil
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
