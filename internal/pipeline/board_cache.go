package pipeline

import (
	"context"
	"sync"
)

// Reading a board's first cards is most of what a board costs: one index
// walk per column and three joins per card. A team keeps its board open
// and reloads it far more often than it changes, so each process keeps
// the unfiltered cards of its recently read boards, with the board's
// version: the sum of the pipeline's and the org's counters in
// board_versions, which triggers add to in every transaction that writes a
// deal, renames or deletes a contact or company, or renames a user.
//
// The version is read before the cards. Counters only grow, so a later
// read that finds the same sum proves that nothing was committed between
// the two reads, and the cards, read between them, are still the board.
// Another replica's writes count the same way: the counters are in the
// database, not in memory. Counts, totals and the stages themselves are
// read anew on every request.

// boardCacheSize bounds the boards a process keeps (each about 300 cards).
const boardCacheSize = 64

// cachedBoard is one pipeline's first cards at a version.
type cachedBoard struct {
	orgID   string
	version int64
	cards   map[string][]Card // by stage id; read-only once stored
}

type boardCache struct {
	mu     sync.Mutex
	boards map[string]cachedBoard // by pipeline id
}

func (c *boardCache) get(orgID, pipelineID string, version int64) (map[string][]Card, bool) {
	c.mu.Lock()
	defer c.mu.Unlock()
	b, ok := c.boards[pipelineID]
	if !ok || b.orgID != orgID || b.version != version {
		return nil, false
	}
	return b.cards, true
}

func (c *boardCache) put(orgID, pipelineID string, version int64, cards map[string][]Card) {
	c.mu.Lock()
	defer c.mu.Unlock()
	if c.boards == nil {
		c.boards = map[string]cachedBoard{}
	}
	if old, ok := c.boards[pipelineID]; ok && old.orgID == orgID && old.version > version {
		return // a slower reader must not replace a newer board
	}
	if _, ok := c.boards[pipelineID]; !ok && len(c.boards) >= boardCacheSize {
		for id := range c.boards { // any one: boards are cheap to read again
			delete(c.boards, id)
			break
		}
	}
	c.boards[pipelineID] = cachedBoard{orgID: orgID, version: version, cards: cards}
}

// boardVersion is the sum of the counters that every change to the
// pipeline's cards adds to.
func (s *Service) boardVersion(ctx context.Context, orgID, pipelineID string) (int64, error) {
	var v int64
	err := s.db.Read.NewSelect().Table("board_versions").ColumnExpr("COALESCE(SUM(n), 0)").
		Where("scope IN (?, ?)", pipelineID, "names:"+orgID).Scan(ctx, &v)
	return v, err
}

// boardCards is the first cards of every column: from the cache when the
// board's version is the one cached, else read and kept.
func (s *Service) boardCards(ctx context.Context, orgID string, p Pipeline, f DealFilter) (map[string][]Card, error) {
	if f.narrowsBoard() || f.ContactID != "" || f.CompanyID != "" {
		return s.firstCards(ctx, orgID, p.Stages, f)
	}
	v, err := s.boardVersion(ctx, orgID, p.ID)
	if err != nil {
		return nil, err
	}
	if cards, ok := s.boards.get(orgID, p.ID, v); ok {
		return cards, nil
	}
	cards, err := s.firstCards(ctx, orgID, p.Stages, f)
	if err != nil {
		return nil, err
	}
	s.boards.put(orgID, p.ID, v, cards)
	return cards, nil
}
