package pipeline

import (
	"context"
	"slices"
	"strconv"
	"strings"

	"github.com/kite-crm/kite/internal/platform/httpx"
)

// boardCards is how many cards a column shows before "load more".
const boardCards = 50

// Total is a sum of deal values in one currency, and the same weighted by
// the stage's probability (the forecast).
type Total struct {
	Currency      string `json:"currency"`
	Value         string `json:"value"`
	WeightedValue string `json:"weighted_value"`
	minor         int64
	weighted      int64
}

// Column is a stage on the board: its first cards, count and totals.
type Column struct {
	Stage      Stage   `json:"stage"`
	Count      int64   `json:"count"`
	Totals     []Total `json:"totals"`
	Deals      []Card  `json:"deals"`
	NextCursor *string `json:"next_cursor" doc:"More cards: GET /deals?stage_id=…&sort=position&cursor=…"`
}

// Board is a pipeline's kanban.
type Board struct {
	Pipeline Pipeline `json:"pipeline"`
	Columns  []Column `json:"stages"`
	// Open is the open deals' totals and forecast over the whole pipeline.
	Open []Total `json:"open_totals"`
}

// Board reads a pipeline's columns with their first cards, counts and
// totals (per currency, and weighted by probability). Without filters the
// counts come from stage_totals and the pipeline, its stages and the cards
// may come from the board cache; with them, counts and cards come from the
// filtered deals.
func (s *Service) Board(ctx context.Context, orgID, pipelineID string, f DealFilter) (Board, error) {
	parts, err := s.boardParts(ctx, orgID, pipelineID, f)
	if err != nil {
		return Board{}, err
	}
	return parts.build(), nil
}

// boardParts is what a board is made of.
type boardParts struct {
	cached   cachedBoard // the pipeline and first cards (read anew when filtered)
	counts   map[string][]stageTotal
	filtered bool
}

func (s *Service) boardParts(ctx context.Context, orgID, pipelineID string, f DealFilter) (boardParts, error) {
	f.PipelineID, f.StageID, f.Status = "", "", ""
	cached, err := s.boardCards(ctx, orgID, pipelineID, f)
	if err != nil {
		return boardParts{}, err
	}
	parts := boardParts{cached: cached, filtered: isFiltered(f)}
	if len(cached.pipeline.Stages) > 0 {
		parts.counts, err = s.stageCounts(ctx, orgID, cached.pipeline, f)
	}
	return parts, err
}

func (bp boardParts) build() Board {
	p, cards := bp.cached.pipeline, bp.cached.cards
	b := Board{Pipeline: p, Columns: make([]Column, len(p.Stages)), Open: []Total{}}
	open := map[string]*Total{}
	for i, st := range p.Stages {
		// A copy: the cards may be the cache's, shared with other requests.
		col := Column{Stage: st, Deals: slices.Clone(cards[st.ID][:min(len(cards[st.ID]), boardCards)]), Totals: []Total{}}
		if col.Deals == nil {
			col.Deals = []Card{}
		}
		if len(cards[st.ID]) > boardCards {
			last := col.Deals[boardCards-1]
			next := httpx.EncodeCursor(sortKey{V: sortValue("position", last.Deal), I: last.ID})
			col.NextCursor = &next
		}
		for _, c := range bp.counts[st.ID] {
			col.Count += c.Deals
			t := Total{Currency: c.Currency, minor: c.ValueMinor, weighted: c.ValueMinor * int64(st.Probability) / 100}
			col.Totals = append(col.Totals, t)
			if st.Kind == KindOpen {
				o := open[c.Currency]
				if o == nil {
					o = &Total{Currency: c.Currency}
					open[c.Currency] = o
				}
				o.minor += t.minor
				o.weighted += t.weighted
			}
		}
		for j := range col.Totals {
			col.Totals[j].format()
		}
		b.Columns[i] = col
	}
	for _, t := range open {
		t.format()
		b.Open = append(b.Open, *t)
	}
	sortTotals(b.Open)
	return b
}

func (t *Total) format() {
	t.Value, t.WeightedValue = FormatMinor(t.minor, t.Currency), FormatMinor(t.weighted, t.Currency)
}

func sortTotals(ts []Total) {
	slices.SortFunc(ts, func(a, b Total) int { return strings.Compare(a.Currency, b.Currency) })
}

// firstCards reads the first boardCards+1 cards of every column in one
// query: a UNION ALL of one index walk per stage.
func (s *Service) firstCards(ctx context.Context, orgID string, stages []Stage, f DealFilter) (map[string][]Card, error) {
	var parts []string
	var args []any
	for i, st := range stages {
		g := f
		g.StageID = st.ID
		w, err := filterWhere(orgID, g)
		if err != nil {
			return nil, err
		}
		parts = append(parts, "SELECT * FROM ("+cardSelect+" WHERE "+w.sql()+" ORDER BY d.position LIMIT "+
			strconv.Itoa(boardCards+1)+") AS s"+strconv.Itoa(i))
		args = append(args, w.args...)
	}
	var rows []Card
	if err := s.db.Read.NewRaw(strings.Join(parts, " UNION ALL "), args...).Scan(ctx, &rows); err != nil {
		return nil, err
	}
	out := map[string][]Card{}
	for _, c := range rows {
		c.fill()
		out[c.StageID] = append(out[c.StageID], c)
	}
	return out, nil
}

// stageCounts is each stage's count and value per currency.
func (s *Service) stageCounts(ctx context.Context, orgID string, p Pipeline, f DealFilter) (map[string][]stageTotal, error) {
	var rows []stageTotal
	if !f.narrowsBoard() {
		ids := make([]string, len(p.Stages))
		for i, st := range p.Stages {
			ids[i] = st.ID
		}
		if err := sumTotals(s.db.Read.NewSelect(), ids).Having("SUM(deals) > 0").OrderExpr("stage_id, currency").Scan(ctx, &rows); err != nil {
			return nil, err
		}
	} else {
		f.PipelineID = p.ID
		w, err := filterWhere(orgID, f)
		if err != nil {
			return nil, err
		}
		q := "SELECT d.stage_id, d.currency, COUNT(*) AS deals, SUM(d.value_minor) AS value_minor FROM deals AS d WHERE " + w.sql() +
			" GROUP BY d.stage_id, d.currency ORDER BY d.stage_id, d.currency"
		if err := s.db.Read.NewRaw(q, w.args...).Scan(ctx, &rows); err != nil {
			return nil, err
		}
	}
	out := map[string][]stageTotal{}
	for _, r := range rows {
		out[r.StageID] = append(out[r.StageID], r)
	}
	return out, nil
}

// StageCards is the next page of a column after cursor, with the board's filters.
func (s *Service) StageCards(ctx context.Context, orgID, stageID string, f DealFilter) ([]Card, string, error) {
	f.StageID, f.Sort, f.PipelineID, f.Status = stageID, "position", "", ""
	return s.ListDeals(ctx, orgID, f)
}
