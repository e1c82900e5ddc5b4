package bench

import (
	"bytes"
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"math/big"
	"math/rand/v2"
	"net/http"
	"net/url"
	"strings"
	"sync/atomic"
)

// The deal scenarios read and move the deals of a seeded organization
// (`kite seed -deals N`) through the API with its key (-token).

// boardCards is how many cards the board shows per column (API.md).
const boardCards = 50

// reorderClients is how many clients of deals-move reorder the same column.
const reorderClients = 2

// apiStage is a stage as GET /pipelines and the board show it.
type apiStage struct {
	ID   string `json:"id"`
	Name string `json:"name"`
	Kind string `json:"kind"`
}

// apiPipeline is an item of GET /pipelines.
type apiPipeline struct {
	ID     string     `json:"id"`
	Name   string     `json:"name"`
	Stages []apiStage `json:"stages"`
}

// apiBoard is the part of GET /pipelines/{id}/board the scenarios read.
type apiBoard struct {
	Stages []struct {
		Stage  apiStage `json:"stage"`
		Count  int64    `json:"count"`
		Totals []struct {
			Currency string `json:"currency"`
			Value    string `json:"value"`
		} `json:"totals"`
		Deals []apiDeal `json:"deals"`
	} `json:"stages"`
}

// apiDeal is the part of a deal the scenarios read.
type apiDeal struct {
	ID       string  `json:"id"`
	StageID  string  `json:"stage_id"`
	Status   string  `json:"status"`
	Position float64 `json:"position"`
	Value    string  `json:"value"`
	Currency string  `json:"currency"`
}

// pipelinesWithDeals lists the seeded org's pipelines with their boards,
// leaving out those without deals; it fails when none has any.
func pipelinesWithDeals(ctx context.Context, env *Env) ([]apiPipeline, []apiBoard, error) {
	var page struct {
		Items []apiPipeline `json:"items"`
	}
	if err := getJSON(ctx, env, "/api/v1/pipelines", &page); err != nil {
		return nil, nil, err
	}
	var pipelines []apiPipeline
	var boards []apiBoard
	for _, p := range page.Items {
		var b apiBoard
		if err := getJSON(ctx, env, "/api/v1/pipelines/"+url.PathEscape(p.ID)+"/board", &b); err != nil {
			return nil, nil, err
		}
		n := int64(0)
		for _, col := range b.Stages {
			n += col.Count
		}
		if n > 0 {
			pipelines, boards = append(pipelines, p), append(boards, b)
		}
	}
	if len(pipelines) == 0 {
		return nil, nil, errors.New("the organization has no deals (run `kite seed -deals N`)")
	}
	return pipelines, boards, nil
}

// DealsBoard loads the boards of the seeded pipelines in turn.
type DealsBoard struct {
	paths []string
	n     atomic.Int64
}

// NewDealsBoard returns the deals-board scenario.
func NewDealsBoard() *DealsBoard { return &DealsBoard{} }

// Name returns "deals-board".
func (*DealsBoard) Name() string { return "deals-board" }

// Description says what deals-board loads.
func (*DealsBoard) Description() string {
	return "GET /api/v1/pipelines/{id}/board of each seeded pipeline in turn: first 50 cards per stage, counts, totals (needs -token)"
}

// Validate needs the seeded organization's key.
func (*DealsBoard) Validate(env *Env) error { return needToken(env) }

// Setup finds the pipelines that hold deals.
func (s *DealsBoard) Setup(ctx context.Context, env *Env) error {
	pipelines, _, err := pipelinesWithDeals(ctx, env)
	s.paths = nil
	for _, p := range pipelines {
		s.paths = append(s.paths, "/api/v1/pipelines/"+url.PathEscape(p.ID)+"/board")
	}
	return err
}

// Do loads the next pipeline's board and expects 200.
func (s *DealsBoard) Do(ctx context.Context, client *http.Client, env *Env) error {
	path := s.paths[int(s.n.Add(1)%int64(len(s.paths)))]
	req, err := http.NewRequestWithContext(ctx, http.MethodGet, env.URL(path), nil)
	if err != nil {
		return err
	}
	req.Header.Set("Authorization", "Bearer "+env.Token)
	return Call(client, req, http.StatusOK)
}

// DealsMove drags cards on the seeded boards with PATCH /deals/{id}/stage.
// Clients 0 and 1 reorder the first cards of one column (the first stage
// of the first pipeline) against each other, by index and by before_id;
// every other client moves open deals between the open stages of one
// pipeline, each client its own share of the deals, so it knows where each
// of them must end up. Check then verifies that no update was lost.
type DealsMove struct {
	pipelines []movePipeline
	hotStage  string
	hotCards  []string // the first cards of the hot column, moved only by the reorderers
	movers    []*mover // by client index - reorderClients
}

// movePipeline is a pipeline as Setup found it.
type movePipeline struct {
	id    string
	name  string
	open  []string // open stage ids
	deals int      // all deals, whatever their status
}

// mover is the state of one client that moves deals between stages. Only
// its own goroutine touches it during the load.
type mover struct {
	pipeline int
	open     []string
	ids      []string
	stage    map[string]string // where each of ids was last put
	unsure   map[string]bool   // ids whose last move failed: the outcome is unknown
	moved    map[string]bool   // ids moved at least once
}

// NewDealsMove returns the deals-move scenario.
func NewDealsMove() *DealsMove { return &DealsMove{} }

// Name returns "deals-move".
func (*DealsMove) Name() string { return "deals-move" }

// Description says what deals-move does and checks.
func (*DealsMove) Description() string {
	return "PATCH /api/v1/deals/{id}/stage: 2 clients reorder one column, the others move deals between open stages; then checks nothing was lost (needs -token)"
}

// Validate needs the seeded organization's key.
func (*DealsMove) Validate(env *Env) error { return needToken(env) }

// Setup reads the pipelines and every deal in them, picks the contested
// column and shares the other open deals out among the moving clients.
func (s *DealsMove) Setup(ctx context.Context, env *Env) error {
	pipelines, boards, err := pipelinesWithDeals(ctx, env)
	if err != nil {
		return err
	}
	s.pipelines, s.hotStage, s.hotCards, s.movers = nil, "", nil, nil
	for _, p := range pipelines {
		mp := movePipeline{id: p.ID, name: p.Name}
		for _, st := range p.Stages {
			if st.Kind == "open" {
				mp.open = append(mp.open, st.ID)
			}
		}
		if len(mp.open) < 2 {
			return fmt.Errorf("pipeline %q needs two open stages to move deals between", p.Name)
		}
		s.pipelines = append(s.pipelines, mp)
	}
	s.hotStage = s.pipelines[0].open[0]
	hot := map[string]bool{}
	for _, col := range boards[0].Stages {
		if col.Stage.ID != s.hotStage {
			continue
		}
		for _, d := range col.Deals {
			s.hotCards = append(s.hotCards, d.ID)
			hot[d.ID] = true
		}
	}
	if len(s.hotCards) < 2 {
		return fmt.Errorf("the first stage of pipeline %q needs at least two deals to reorder", s.pipelines[0].name)
	}
	for i := range max(env.Clients-reorderClients, 0) {
		p := i % len(s.pipelines)
		s.movers = append(s.movers, &mover{pipeline: p, open: s.pipelines[p].open,
			stage: map[string]string{}, unsure: map[string]bool{}, moved: map[string]bool{}})
	}
	for p := range s.pipelines {
		deals, err := listDeals(ctx, env, s.pipelines[p].id)
		if err != nil {
			return err
		}
		s.pipelines[p].deals = len(deals)
		var mine []*mover
		for _, m := range s.movers {
			if m.pipeline == p {
				mine = append(mine, m)
			}
		}
		if len(mine) == 0 {
			continue
		}
		n := 0
		for _, d := range deals {
			if d.Status != "open" || hot[d.ID] {
				continue
			}
			m := mine[n%len(mine)]
			m.ids = append(m.ids, d.ID)
			m.stage[d.ID] = d.StageID
			n++
		}
	}
	for i, m := range s.movers {
		if len(m.ids) == 0 {
			return fmt.Errorf("client %d has no open deal of pipeline %q to move", i+reorderClients, s.pipelines[m.pipeline].name)
		}
	}
	return nil
}

// Do makes one move; which kind depends on the client.
func (s *DealsMove) Do(ctx context.Context, client *http.Client, env *Env) error {
	i := ClientIndex(ctx) - reorderClients
	if i < 0 || i >= len(s.movers) {
		return s.reorder(ctx, client, env)
	}
	m := s.movers[i]
	id := m.ids[rand.IntN(len(m.ids))]
	to := m.open[rand.IntN(len(m.open)-1)]
	if to == m.stage[id] {
		to = m.open[len(m.open)-1] // another stage than its own
	}
	err := moveDeal(ctx, client, env, id, map[string]any{"stage_id": to, "position": rand.IntN(boardCards)})
	if err != nil {
		m.unsure[id] = true
		return err
	}
	m.stage[id] = to
	m.moved[id] = true
	delete(m.unsure, id)
	return nil
}

// reorder moves one of the hot column's first cards within the column, to
// an index among the first 50 or just above another of those cards.
func (s *DealsMove) reorder(ctx context.Context, client *http.Client, env *Env) error {
	k := rand.IntN(len(s.hotCards))
	body := map[string]any{"stage_id": s.hotStage}
	if rand.IntN(2) == 0 {
		body["position"] = rand.IntN(boardCards)
	} else {
		before := (k + 1 + rand.IntN(len(s.hotCards)-1)) % len(s.hotCards)
		body["before_id"] = s.hotCards[before]
	}
	return moveDeal(ctx, client, env, s.hotCards[k], body)
}

// moveDeal sends PATCH /deals/{id}/stage and expects 200.
func moveDeal(ctx context.Context, client *http.Client, env *Env, id string, body map[string]any) error {
	b, err := json.Marshal(body)
	if err != nil {
		return err
	}
	req, err := http.NewRequestWithContext(ctx, http.MethodPatch, env.URL("/api/v1/deals/"+url.PathEscape(id)+"/stage"), bytes.NewReader(b))
	if err != nil {
		return err
	}
	req.Header.Set("Authorization", "Bearer "+env.Token)
	req.Header.Set("Content-Type", "application/json")
	return Call(client, req, http.StatusOK)
}

// maxProblems is how many violations a failed check names.
const maxProblems = 10

// Check reads every deal of the pipelines again and verifies that nothing
// was lost: each pipeline holds as many deals as before, no two deals of a
// stage share a position, every board's per-stage count and total equal
// its deals', each moved deal is in the stage its client last put it, and
// every move succeeded.
func (s *DealsMove) Check(ctx context.Context, env *Env, res *Result) error {
	var problems []string
	report := func(format string, args ...any) {
		problems = append(problems, fmt.Sprintf(format, args...))
	}
	if res.Errors > 0 {
		// A move that cannot place its card (a clash of ranks) fails.
		report("%d of %d moves failed", res.Errors, res.Requests)
	}
	where := map[string]string{}
	checked := 0
	for _, p := range s.pipelines {
		deals, err := listDeals(ctx, env, p.id)
		if err != nil {
			return err
		}
		checked += len(deals)
		if len(deals) != p.deals {
			report("pipeline %q holds %d deals, %d before the load", p.name, len(deals), p.deals)
		}
		var b apiBoard
		if err := getJSON(ctx, env, "/api/v1/pipelines/"+url.PathEscape(p.id)+"/board", &b); err != nil {
			return err
		}
		problems = append(problems, checkColumns(p.name, b, deals)...)
		for _, d := range deals {
			where[d.ID] = d.StageID
		}
	}
	verified, moved := 0, 0
	for _, m := range s.movers {
		moved += len(m.moved)
		for id, want := range m.stage {
			if m.unsure[id] {
				continue
			}
			verified++
			if got := where[id]; got != want {
				report("deal %s is in stage %q, its last move put it in %q", id, got, want)
			}
		}
	}
	res.Metrics = append(res.Metrics,
		Metric{Name: "deals checked", Value: float64(checked)},
		Metric{Name: "deals moved", Value: float64(moved)},
		Metric{Name: "placements verified", Value: float64(verified)},
		Metric{Name: "violations", Value: float64(len(problems))})
	if n := len(problems); n > 0 {
		if n > maxProblems {
			problems = append(problems[:maxProblems], fmt.Sprintf("and %d more", n-maxProblems))
		}
		return fmt.Errorf("%d problems after the load: %s", n, strings.Join(problems, "; "))
	}
	return nil
}

// checkColumns compares a board's columns with the pipeline's deals: the
// counts and totals, and that no two deals of a stage share a position.
func checkColumns(pipeline string, b apiBoard, deals []apiDeal) []string {
	type column struct {
		count     int64
		value     map[string]*big.Rat
		positions map[float64]string
	}
	cols := map[string]*column{}
	var problems []string
	for _, d := range deals {
		c := cols[d.StageID]
		if c == nil {
			c = &column{value: map[string]*big.Rat{}, positions: map[float64]string{}}
			cols[d.StageID] = c
		}
		c.count++
		if other, taken := c.positions[d.Position]; taken {
			problems = append(problems, fmt.Sprintf("deals %s and %s share position %v in stage %s", other, d.ID, d.Position, d.StageID))
		}
		c.positions[d.Position] = d.ID
		v, ok := new(big.Rat).SetString(d.Value)
		if !ok {
			problems = append(problems, fmt.Sprintf("deal %s has the value %q", d.ID, d.Value))
			continue
		}
		if c.value[d.Currency] == nil {
			c.value[d.Currency] = new(big.Rat)
		}
		c.value[d.Currency].Add(c.value[d.Currency], v)
	}
	for _, col := range b.Stages {
		c := cols[col.Stage.ID]
		delete(cols, col.Stage.ID)
		if c == nil {
			c = &column{}
		}
		if col.Count != c.count {
			problems = append(problems, fmt.Sprintf("%s/%s: the board counts %d deals, the stage holds %d", pipeline, col.Stage.Name, col.Count, c.count))
		}
		seen := 0
		for _, t := range col.Totals {
			want, ok := c.value[t.Currency]
			if !ok {
				want = new(big.Rat)
			} else {
				seen++
			}
			if got, valid := new(big.Rat).SetString(t.Value); !valid || got.Cmp(want) != 0 {
				problems = append(problems, fmt.Sprintf("%s/%s: the board totals %s %s, the deals add up to %s", pipeline, col.Stage.Name,
					t.Value, t.Currency, want.FloatString(2)))
			}
		}
		if seen != len(c.value) {
			problems = append(problems, fmt.Sprintf("%s/%s: the board totals %d currencies, the deals have %d", pipeline, col.Stage.Name, seen, len(c.value)))
		}
	}
	for stage, c := range cols {
		problems = append(problems, fmt.Sprintf("%s: %d deals are in stage %s, which is not on the board", pipeline, c.count, stage))
	}
	return problems
}

// listDeals reads every deal of a pipeline, 200 a page.
func listDeals(ctx context.Context, env *Env, pipelineID string) ([]apiDeal, error) {
	var all []apiDeal
	cursor := ""
	for {
		var page struct {
			Items []apiDeal `json:"items"`
			Next  *string   `json:"next_cursor"`
		}
		path := "/api/v1/deals?limit=200&pipeline_id=" + url.QueryEscape(pipelineID) + "&cursor=" + url.QueryEscape(cursor)
		if err := getJSON(ctx, env, path, &page); err != nil {
			return nil, err
		}
		all = append(all, page.Items...)
		if page.Next == nil || *page.Next == "" {
			return all, nil
		}
		cursor = *page.Next
	}
}
