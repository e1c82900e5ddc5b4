package pipeline

import (
	"context"
	"slices"

	"github.com/prometheus/client_golang/prometheus"

	"github.com/kite-crm/kite/internal/platform/db"
	"github.com/kite-crm/kite/internal/platform/versioned"
)

// Reading a board's first cards is most of what a board costs: one index
// walk per column and three joins per card. A team keeps its board open
// and reloads it far more often than it changes, so each process keeps
// the pipeline, stages and unfiltered cards of its recently read boards,
// with the board's version: the sum of the pipeline's and the org's
// counters in board_versions, which triggers add to in every transaction
// that writes a deal, the pipeline or its stages, or renames or deletes a
// contact or company, or renames a user.
//
// The version is read before the cards. Counters only grow, so a later
// read that finds the same sum proves that nothing was committed between
// the two reads, and the cards, read between them, are still the board.
// Another replica's writes count the same way: the counters are in the
// database, not in memory. Counts and totals are read anew on every
// request: a recount of stage_totals (the seed's) writes no deal.

// boardCacheSize bounds the boards a process keeps (each about 300 cards).
const boardCacheSize = 64

// boardKey names a cached board: another org's request for the pipeline
// id finds nothing.
type boardKey struct{ orgID, pipelineID string }

// cachedBoard is one pipeline with its first cards at a version.
type cachedBoard struct {
	orgID    string
	version  int64
	pipeline Pipeline
	cards    map[string][]Card // by stage id; read-only once stored
	answer   *boardAnswer      // the last encoded answer, if any; read-only
}

type boardCache = versioned.Cache[boardKey, cachedBoard]

func newBoardCache() *boardCache {
	return versioned.New[boardKey, cachedBoard](boardCacheSize, "kite_board_cache_lookups_total",
		"Unfiltered board reads, by whether the cached cards were still the board's (hit) or were read again (miss).")
}

// Collectors returns the pipeline service's Prometheus collectors.
func (s *Service) Collectors() []prometheus.Collector {
	return []prometheus.Collector{s.boards.Collector()}
}

// keepAnswer stores the encoded answer of b, if b is still the cached board.
func (s *Service) keepAnswer(b cachedBoard, a *boardAnswer) {
	s.boards.Update(boardKey{b.orgID, b.pipeline.ID}, b.version, func(now cachedBoard) cachedBoard {
		now.answer = a
		return now
	})
}

// boardVersion is the sum of the counters that every change to the
// pipeline's cards adds to.
func (s *Service) boardVersion(ctx context.Context, orgID, pipelineID string) (int64, error) {
	var v int64
	err := s.db.Read.NewSelect().Table("board_versions").ColumnExpr("COALESCE(SUM(n), 0)").
		Where("scope IN (?, ?)", pipelineID, "names:"+orgID).Scan(ctx, &v)
	return v, err
}

// isFiltered reports whether f leaves out some of the board's cards.
func isFiltered(f DealFilter) bool {
	return f.narrowsBoard() || f.ContactID != "" || f.CompanyID != ""
}

// boardCards is the pipeline with the first cards of every column: from
// the cache when the board's version is the one cached, else read and
// kept. Filtered cards are never cached.
func (s *Service) boardCards(ctx context.Context, orgID, pipelineID string, f DealFilter) (cachedBoard, error) {
	read := func() (cachedBoard, error) {
		p, err := s.Pipeline(ctx, orgID, pipelineID)
		if err != nil {
			return cachedBoard{}, err
		}
		cards, err := s.firstCards(ctx, orgID, p.Stages, f)
		return cachedBoard{orgID: orgID, pipeline: p, cards: cards}, err
	}
	if isFiltered(f) {
		return read()
	}
	if !db.ValidID(pipelineID) {
		return cachedBoard{}, errPipelineNotFound
	}
	v, err := s.boardVersion(ctx, orgID, pipelineID)
	if err != nil {
		return cachedBoard{}, err
	}
	key := boardKey{orgID, pipelineID}
	if b, ok := s.boards.Get(key, v); ok {
		b.pipeline.Stages = slices.Clone(b.pipeline.Stages) // the caller's to change
		return b, nil
	}
	b, err := read()
	if err != nil {
		return b, err
	}
	b.version = v
	s.boards.Put(key, v, b)
	return b, nil
}
