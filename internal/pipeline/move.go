package pipeline

import (
	"context"
	"database/sql"
	"errors"
	"math/rand/v2"
	"slices"
	"strings"
	"time"

	"github.com/uptrace/bun"

	"github.com/kite-crm/kite/internal/org"
	"github.com/kite-crm/kite/internal/platform/db"
)

// Positions. A deal's place in its column is a float rank; moving a card
// writes only that card's row, with a rank halfway between its new
// neighbours. On PostgreSQL, moves and new deals take a shared lock on the
// column's stage row and run side by side; when two drop cards into the
// same gap at once they pick the same rank, the unique (stage_id, position)
// index stops the second, and its transaction runs again and sees the
// first. When halving leaves no room between two neighbours, the column is
// renumbered in the same transaction, under an exclusive lock on the stage
// row, so no move computes a rank from numbers about to change. SQLite has
// one writer at a time and needs none of this.
//
// A move writes the stage totals last: those rows are shared by every move
// into or out of a column, and are locked from that write to the commit.

// rankStep is the gap between ranks at the end of a column and after a rebalance.
const rankStep = 1024

// MoveInput says where a deal goes: a stage and, optionally, its place in
// the column, by 0-based index or by the card it lands before or after.
type MoveInput struct {
	StageID    string  `json:"stage_id" maxLength:"64"`
	Position   *int    `json:"position,omitempty" minimum:"0" doc:"0-based index in the target column; default: the bottom"`
	BeforeID   string  `json:"before_id,omitempty" maxLength:"64" doc:"Place the deal just above this deal of the target column"`
	AfterID    string  `json:"after_id,omitempty" maxLength:"64" doc:"Place the deal just below this deal of the target column"`
	LostReason *string `json:"lost_reason,omitempty" maxLength:"500" doc:"Why the deal was lost, when moving to a lost stage"`
}

// Move puts a deal into a stage of its pipeline, at a place in the column.
// The status follows the stage's kind; a change of stage is recorded in the
// history and as deal.stage_changed (and deal.won / deal.lost); a move
// within the column is deal.reordered.
func (s *Service) Move(ctx context.Context, a org.Actor, id string, in MoveInput) (Deal, error) {
	var d Deal
	err := s.db.Tx(ctx, func(ctx context.Context, tx bun.Tx) error {
		var err error
		d, err = s.moveIn(ctx, tx, a, id, in)
		return err
	})
	return d, err
}

// lockedDeal is a deal read for a move, with the name of its stage.
type lockedDeal struct {
	Deal
	FromName string `bun:"from_name"`
}

func (s *Service) moveIn(ctx context.Context, tx bun.Tx, a org.Actor, id string, in MoveInput) (Deal, error) {
	// The column first, then the deal: the order every writer of ranks
	// keeps, so that two moves never wait on each other crosswise. A
	// concurrent move of the same deal has committed once its row is ours.
	target, stageErr := s.stageToFill(ctx, tx, a.OrgID, in.StageID)
	if !db.ValidID(id) {
		return Deal{}, errDealNotFound
	}
	// The stage name comes from a subquery, not a join: when the row was
	// locked by a concurrent move, PostgreSQL re-reads it and recomputes
	// the subquery from its new stage, where a join would drop the row.
	q := `SELECT d.*, (SELECT s.name FROM stages AS s WHERE s.id = d.stage_id) AS from_name FROM deals AS d WHERE d.org_id = ? AND d.id = ?`
	if s.db.Kind == db.Postgres {
		q += " FOR UPDATE"
	}
	var rows []lockedDeal
	if err := tx.NewRaw(q, a.OrgID, id).Scan(ctx, &rows); err != nil {
		return Deal{}, err
	}
	if len(rows) == 0 {
		return Deal{}, errDealNotFound
	}
	d := rows[0].Deal
	if err := a.Allowed(); err != nil {
		return d, err
	}
	if stageErr != nil {
		return d, invalidField("stage_id", "No stage of this organization has this id.")
	}
	if target.PipelineID != d.PipelineID {
		return d, invalidField("stage_id", "This stage belongs to another pipeline: a deal moves between the stages of its own pipeline.")
	}
	sameStage := target.ID == d.StageID
	if sameStage && in.Position == nil && in.BeforeID == "" && in.AfterID == "" && in.LostReason == nil {
		d.fill()
		return d, nil
	}
	from := Stage{ID: d.StageID, Name: rows[0].FromName}
	old := d
	now := s.now().UTC()
	var err error
	if d.Position, err = s.place(ctx, tx, target.ID, d.ID, placeAt{Index: in.Position, Before: in.BeforeID, After: in.AfterID}); err != nil {
		return d, err
	}
	d.StageID, d.Status, d.UpdatedAt = target.ID, target.Kind, now
	if !sameStage {
		d.StageEnteredAt = now
		switch {
		case target.Kind == KindOpen:
			d.ClosedAt = nil
		case old.Status != target.Kind:
			d.ClosedAt = &now
		}
	}
	if target.Kind != KindLost {
		d.LostReason = ""
	} else if in.LostReason != nil {
		d.LostReason = strings.TrimSpace(*in.LostReason)
	}
	if _, err := tx.NewUpdate().Model(&d).Column("stage_id", "status", "position", "stage_entered_at", "closed_at", "lost_reason", "updated_at").
		WherePK().Exec(ctx); err != nil {
		return d, rankRace(err)
	}
	d.fill()
	actor := a.EventActor()
	if sameStage {
		// Its own type: boards follow it, timelines leave it out.
		return d, s.record(ctx, tx, a.OrgID, actor, "deal.reordered", d.ID, dealEvent(d, map[string]change{"position": {old.Position, d.Position}}))
	}
	if err := s.addHistory(ctx, tx, a.OrgID, actor, d.ID, &from, target, now); err != nil {
		return d, err
	}
	ev := dealEvent(d, nil)
	ev["from_stage_id"], ev["from_stage"], ev["to_stage_id"], ev["to_stage"] = from.ID, from.Name, target.ID, target.Name
	if err := s.record(ctx, tx, a.OrgID, actor, "deal.stage_changed", d.ID, ev); err != nil {
		return d, err
	}
	if target.Kind != KindOpen && old.Status != target.Kind {
		won := map[string]any{"pipeline_id": d.PipelineID, "stage_id": d.StageID, "title": d.Title, "value": d.Value, "currency": d.Currency, "lost_reason": d.LostReason}
		if err := s.record(ctx, tx, a.OrgID, actor, "deal."+target.Kind, d.ID, won); err != nil {
			return d, err
		}
	}
	return d, s.addTotals(ctx, tx, totalDelta{from.ID, d.Currency, -1, -d.ValueMinor}, totalDelta{target.ID, d.Currency, 1, d.ValueMinor})
}

// rankRace maps the failure of a write that gave a deal its rank: a unique
// violation means a concurrent move took the same rank first, and the
// transaction runs again to pick another.
func rankRace(err error) error {
	if errors.Is(db.MapError(err), db.ErrConflict) {
		return db.Retry(err)
	}
	return db.MapError(err)
}

// placeAt is where in a column a card goes.
type placeAt struct {
	Index         *int
	Before, After string
}

// place finds a free rank in stage for deal (which may be in it already).
func (s *Service) place(ctx context.Context, tx bun.Tx, stageID, dealID string, at placeAt) (float64, error) {
	for range 2 {
		prev, next, err := s.neighbours(ctx, tx, stageID, dealID, at)
		if err != nil {
			return 0, err
		}
		if pos, ok := between(prev, next); ok {
			return pos, nil
		}
		if err := s.rebalance(ctx, tx, stageID); err != nil {
			return 0, err
		}
	}
	return 0, conflict("no_room", "Could not place the deal: try again.")
}

// between is a rank strictly between prev and next (either may be absent).
func between(prev, next sql.NullFloat64) (float64, bool) {
	var pos float64
	switch {
	case !prev.Valid && !next.Valid:
		return rankStep, true
	case !prev.Valid:
		pos = next.Float64 / 2
		return pos, pos > 0 && pos < next.Float64
	case !next.Valid:
		return prev.Float64 + rankStep, true
	}
	pos = prev.Float64 + (next.Float64-prev.Float64)/2
	return pos, pos > prev.Float64 && pos < next.Float64
}

// neighbours are the ranks the card will sit between, not counting the
// card itself. A before/after card that is no longer in the column (moved
// meanwhile) falls back to the index, then to the bottom.
func (s *Service) neighbours(ctx context.Context, tx bun.Tx, stageID, dealID string, at placeAt) (prev, next sql.NullFloat64, err error) {
	others := func(cols string) *bun.SelectQuery {
		return tx.NewSelect().Model((*Deal)(nil)).ColumnExpr(cols).Where("stage_id = ?", stageID).Where("id <> ?", dealID)
	}
	rankOf := func(id string) (sql.NullFloat64, error) {
		var r sql.NullFloat64
		if id == "" || id == dealID || !db.ValidID(id) {
			return r, nil
		}
		var rows []float64
		err := others("position").Where("id = ?", id).Scan(ctx, &rows)
		if len(rows) == 1 {
			r = sql.NullFloat64{Float64: rows[0], Valid: true}
		}
		return r, err
	}
	if next, err = rankOf(at.Before); err != nil || next.Valid {
		if err == nil {
			err = others("MAX(position)").Where("position < ?", next.Float64).Scan(ctx, &prev)
		}
		return prev, next, err
	}
	if prev, err = rankOf(at.After); err != nil || prev.Valid {
		if err == nil {
			err = others("MIN(position)").Where("position > ?", prev.Float64).Scan(ctx, &next)
		}
		return prev, next, err
	}
	if at.Index != nil {
		var rows []float64
		i := *at.Index
		q := others("position").OrderExpr("position").Limit(2)
		if i > 0 {
			q.Offset(int64(i - 1))
		} else {
			q.Limit(1)
		}
		if err = q.Scan(ctx, &rows); err != nil {
			return prev, next, err
		}
		switch {
		case i == 0 && len(rows) == 1:
			next = sql.NullFloat64{Float64: rows[0], Valid: true}
		case i > 0 && len(rows) == 2:
			prev, next = sql.NullFloat64{Float64: rows[0], Valid: true}, sql.NullFloat64{Float64: rows[1], Valid: true}
		case i > 0 && len(rows) == 1:
			prev = sql.NullFloat64{Float64: rows[0], Valid: true}
		}
		if i == 0 || len(rows) > 0 {
			return prev, next, nil
		}
	}
	err = others("MAX(position)").Scan(ctx, &prev)
	return prev, next, err
}

// rebalance renumbers a column rankStep apart, keeping its order: first
// to negative ranks, then to the new ones, so that no two rows share a
// rank at any moment (the unique index checks row by row).
func (s *Service) rebalance(ctx context.Context, tx bun.Tx, stageID string) error {
	if s.db.Kind == db.Postgres {
		// Exclusive: moves into the column hold it shared until they commit.
		if _, err := tx.ExecContext(ctx, "SELECT id FROM stages WHERE id = ? FOR UPDATE", stageID); err != nil {
			return err
		}
	}
	if _, err := tx.ExecContext(ctx, "UPDATE deals SET position = -position WHERE stage_id = ?", stageID); err != nil {
		return err
	}
	_, err := tx.ExecContext(ctx, `UPDATE deals SET position = r.rn * ? FROM
		(SELECT id, ROW_NUMBER() OVER (ORDER BY position DESC) AS rn FROM deals WHERE stage_id = ?) AS r
		WHERE deals.id = r.id`, rankStep, stageID)
	return err
}

// totalDelta is a change to a stage's count and value in one currency.
type totalDelta struct {
	stage, currency string
	deals, value    int64
}

// totalShards is how many rows hold each stage's totals per currency on
// PostgreSQL. A writer adds to one chosen at random and keeps it locked
// until commit; with several, concurrent moves in one column rarely wait
// for each other. Readers sum the shards.
const totalShards = 8

// addTotals applies deltas to stage_totals, in a fixed order so that two
// transactions never wait on each other's rows crosswise.
func (s *Service) addTotals(ctx context.Context, tx bun.Tx, in ...totalDelta) error {
	// Merged by stage and currency: one statement may not touch a row twice.
	var ds []totalDelta
	for _, d := range in {
		i := slices.IndexFunc(ds, func(e totalDelta) bool { return e.stage == d.stage && e.currency == d.currency })
		if i < 0 {
			ds = append(ds, d)
			continue
		}
		ds[i].deals += d.deals
		ds[i].value += d.value
	}
	slices.SortFunc(ds, func(a, b totalDelta) int {
		return strings.Compare(a.stage+"\x00"+a.currency, b.stage+"\x00"+b.currency)
	})
	shard := 0
	if s.db.Kind == db.Postgres {
		shard = rand.IntN(totalShards)
	}
	var values []string
	var args []any
	for _, d := range ds {
		if d.deals == 0 && d.value == 0 {
			continue
		}
		values = append(values, "(?, ?, ?, ?, ?)")
		args = append(args, d.stage, d.currency, shard, d.deals, d.value)
	}
	if len(values) == 0 {
		return nil
	}
	// One statement for all of them: a move pays for one round trip.
	_, err := tx.ExecContext(ctx, `INSERT INTO stage_totals (stage_id, currency, shard, deals, value_minor) VALUES `+strings.Join(values, ", ")+`
		ON CONFLICT (stage_id, currency, shard) DO UPDATE SET deals = stage_totals.deals + excluded.deals,
		value_minor = stage_totals.value_minor + excluded.value_minor`, args...)
	return err
}

// moveAll moves every deal of one stage to the bottom of another of the
// same pipeline, keeping their order (a stage being deleted).
func (s *Service) moveAll(ctx context.Context, tx bun.Tx, a org.Actor, from, to Stage) (int, error) {
	var ids []string
	if err := tx.NewSelect().Model((*Deal)(nil)).Column("id").Where("stage_id = ?", from.ID).OrderExpr("position").Scan(ctx, &ids); err != nil {
		return 0, err
	}
	if len(ids) == 0 {
		return 0, nil
	}
	var srcMin, dstMax sql.NullFloat64
	if err := tx.NewSelect().Model((*Deal)(nil)).ColumnExpr("MIN(position)").Where("stage_id = ?", from.ID).Scan(ctx, &srcMin); err != nil {
		return 0, err
	}
	if err := tx.NewSelect().Model((*Deal)(nil)).ColumnExpr("MAX(position)").Where("stage_id = ?", to.ID).Scan(ctx, &dstMax); err != nil {
		return 0, err
	}
	now := s.now().UTC()
	q := tx.NewUpdate().Model((*Deal)(nil)).Set("stage_id = ?", to.ID).Set("status = ?", to.Kind).Set("stage_entered_at = ?", now).
		Set("updated_at = ?", now).Set("position = position + ?", dstMax.Float64+rankStep-srcMin.Float64).Where("stage_id = ?", from.ID)
	if to.Kind == KindOpen {
		q.Set("closed_at = NULL").Set("lost_reason = ''")
	} else {
		q.Set("closed_at = CASE WHEN status = ? THEN closed_at ELSE ? END", to.Kind, now)
	}
	if _, err := q.Exec(ctx); err != nil {
		return 0, db.MapError(err)
	}
	var totals []stageTotal
	if err := sumTotals(tx.NewSelect(), []string{from.ID}).Scan(ctx, &totals); err != nil {
		return 0, err
	}
	var ds []totalDelta
	for _, t := range totals {
		ds = append(ds, totalDelta{to.ID, t.Currency, t.Deals, t.ValueMinor}, totalDelta{from.ID, t.Currency, -t.Deals, -t.ValueMinor})
	}
	if err := s.addTotals(ctx, tx, ds...); err != nil {
		return 0, err
	}
	return len(ids), s.historyBatch(ctx, tx, a, ids, from, to, now)
}

func (s *Service) historyBatch(ctx context.Context, tx bun.Tx, a org.Actor, ids []string, from, to Stage, at time.Time) error {
	for chunk := range slices.Chunk(ids, 500) {
		rows := make([]StageMove, len(chunk))
		for i, id := range chunk {
			rows[i] = StageMove{ID: db.NewID(), OrgID: a.OrgID, DealID: id, FromStageID: &from.ID, FromStageName: from.Name,
				ToStageID: to.ID, ToStageName: to.Name, Actor: a.EventActor(), At: at}
		}
		if _, err := tx.NewInsert().Model(&rows).Exec(ctx); err != nil {
			return err
		}
	}
	return nil
}
