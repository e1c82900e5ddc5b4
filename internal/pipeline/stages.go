package pipeline

import (
	"context"
	"errors"
	"strconv"

	"github.com/uptrace/bun"

	"github.com/kite-crm/kite/internal/org"
	"github.com/kite-crm/kite/internal/platform/db"
)

func itoa(n int) string { return strconv.Itoa(n) }

// StageInput creates or changes a stage; absent fields stay as they are.
type StageInput struct {
	Name        *string `json:"name,omitempty" maxLength:"60"`
	Position    *int    `json:"position,omitempty" minimum:"0" doc:"0-based place in the pipeline; others shift"`
	Probability *int    `json:"probability,omitempty" minimum:"0" maximum:"100"`
	Kind        *string `json:"kind,omitempty" enum:"open,won,lost"`
}

// apply validates in onto st (prefix names the fields in errors).
func (in StageInput) apply(st *Stage, prefix string) error {
	if in.Name != nil {
		name, err := cleanName(prefix+"name", *in.Name, 60)
		if err != nil {
			return err
		}
		st.Name = name
	}
	if in.Probability != nil {
		if *in.Probability < 0 || *in.Probability > 100 {
			return invalidField(prefix+"probability", "Probability is a percentage from 0 to 100.")
		}
		st.Probability = *in.Probability
	}
	if in.Kind != nil {
		switch *in.Kind {
		case KindOpen, KindWon, KindLost:
			st.Kind = *in.Kind
		default:
			return invalidField(prefix+"kind", "Kind is open, won or lost.")
		}
	}
	return nil
}

// Stages lists a pipeline's stages in order.
func (s *Service) Stages(ctx context.Context, orgID, pipelineID string) ([]Stage, error) {
	p, err := s.Pipeline(ctx, orgID, pipelineID)
	return p.Stages, err
}

// stageFor loads a stage of the org and, locked on PostgreSQL, for a change.
func (s *Service) stageFor(ctx context.Context, tx bun.Tx, orgID, id string) (Stage, error) {
	return s.lockStage(ctx, tx, orgID, id, "UPDATE")
}

// stageToFill reads a stage that a card is placed into, with a shared lock
// on PostgreSQL: moves and new deals into one column run side by side (two
// picking the same rank is settled by the unique index and a retry), while
// changes to the stage itself and a renumbering wait for them.
func (s *Service) stageToFill(ctx context.Context, tx bun.Tx, orgID, id string) (Stage, error) {
	return s.lockStage(ctx, tx, orgID, id, "SHARE")
}

func (s *Service) lockStage(ctx context.Context, tx bun.Tx, orgID, id, mode string) (Stage, error) {
	var st Stage
	if !db.ValidID(id) {
		return st, errStageNotFound
	}
	q := tx.NewSelect().Model(&st).Where("org_id = ?", orgID).Where("id = ?", id)
	if s.db.Kind == db.Postgres {
		q.For(mode)
	}
	err := q.Scan(ctx)
	if err != nil {
		if errors.Is(db.MapError(err), db.ErrNotFound) {
			return st, errStageNotFound
		}
		return st, err
	}
	return st, nil
}

// CreateStage adds a stage to a pipeline (admin), at the end or at position.
func (s *Service) CreateStage(ctx context.Context, a org.Actor, pipelineID string, in StageInput) (Stage, error) {
	now := s.now().UTC()
	st := Stage{ID: db.NewID(), OrgID: a.OrgID, PipelineID: pipelineID, Kind: KindOpen, CreatedAt: now, UpdatedAt: now}
	if err := in.apply(&st, ""); err != nil {
		return st, err
	}
	if st.Name == "" {
		return st, invalidField("name", "Give the stage a name.")
	}
	err := s.db.Tx(ctx, func(ctx context.Context, tx bun.Tx) error {
		p, err := s.pipelineIn(ctx, tx, a.OrgID, pipelineID)
		if err != nil {
			return err
		}
		if err := a.Allowed(); err != nil {
			return err
		}
		if len(p.Stages) >= 30 {
			return conflict("too_many_stages", "A pipeline has at most 30 stages.")
		}
		st.Position = len(p.Stages)
		if in.Position != nil && *in.Position < st.Position {
			st.Position = max(*in.Position, 0)
			if _, err := tx.NewUpdate().Model((*Stage)(nil)).Set("position = position + 1").
				Where("pipeline_id = ?", p.ID).Where("position >= ?", st.Position).Exec(ctx); err != nil {
				return err
			}
		}
		if _, err := tx.NewInsert().Model(&st).Exec(ctx); err != nil {
			return err
		}
		return s.record(ctx, tx, a.OrgID, a.EventActor(), "stage.created", st.ID, stageEvent(st, nil))
	})
	return st, err
}

func stageEvent(st Stage, changes map[string]change) map[string]any {
	ev := map[string]any{"pipeline_id": st.PipelineID, "name": st.Name, "kind": st.Kind, "position": st.Position, "probability": st.Probability}
	if changes != nil {
		ev["changes"] = changes
	}
	return ev
}

// UpdateStage renames a stage, moves it, or changes its probability or
// kind (admin). A new kind changes the status of the deals in it.
func (s *Service) UpdateStage(ctx context.Context, a org.Actor, id string, in StageInput) (Stage, error) {
	var st Stage
	err := s.db.Tx(ctx, func(ctx context.Context, tx bun.Tx) error {
		var err error
		if st, err = s.stageFor(ctx, tx, a.OrgID, id); err != nil {
			return err
		}
		if err := a.Allowed(); err != nil {
			return err
		}
		old := st
		if err := in.apply(&st, ""); err != nil {
			return err
		}
		var siblings []Stage
		if err := tx.NewSelect().Model(&siblings).Where("pipeline_id = ?", st.PipelineID).OrderExpr("position, id").Scan(ctx); err != nil {
			return err
		}
		for i := range siblings {
			if siblings[i].ID == st.ID {
				siblings[i] = st
			}
		}
		if err := checkStageKinds(siblings); err != nil {
			return invalidField("kind", "A pipeline needs at least one open stage for new deals.")
		}
		changes := map[string]change{}
		if st.Name != old.Name {
			changes["name"] = change{old.Name, st.Name}
		}
		if st.Probability != old.Probability {
			changes["probability"] = change{old.Probability, st.Probability}
		}
		if st.Kind != old.Kind {
			changes["kind"] = change{old.Kind, st.Kind}
			if err := s.restatus(ctx, tx, st); err != nil {
				return err
			}
		}
		if in.Position != nil && *in.Position != old.Position {
			ids := make([]string, 0, len(siblings))
			for _, sib := range siblings {
				if sib.ID != st.ID {
					ids = append(ids, sib.ID)
				}
			}
			at := min(max(*in.Position, 0), len(ids))
			ids = append(ids[:at], append([]string{st.ID}, ids[at:]...)...)
			if err := s.writeStageOrder(ctx, tx, ids); err != nil {
				return err
			}
			changes["position"] = change{old.Position, at}
			st.Position = at
		}
		if len(changes) == 0 {
			return nil
		}
		st.UpdatedAt = s.now().UTC()
		if _, err := tx.NewUpdate().Model(&st).Column("name", "probability", "kind", "updated_at").WherePK().Exec(ctx); err != nil {
			return err
		}
		return s.record(ctx, tx, a.OrgID, a.EventActor(), "stage.updated", st.ID, stageEvent(st, changes))
	})
	return st, err
}

// writeStageOrder numbers stages 0..n-1 in the order of ids.
func (s *Service) writeStageOrder(ctx context.Context, tx bun.Tx, ids []string) error {
	for i, id := range ids {
		if _, err := tx.NewUpdate().Model((*Stage)(nil)).Set("position = ?", i).Where("id = ?", id).Exec(ctx); err != nil {
			return err
		}
	}
	return nil
}

// ReorderStages puts a pipeline's stages in the order of ids (admin), all
// of them named exactly once.
func (s *Service) ReorderStages(ctx context.Context, a org.Actor, pipelineID string, ids []string) (Pipeline, error) {
	var p Pipeline
	err := s.db.Tx(ctx, func(ctx context.Context, tx bun.Tx) error {
		var err error
		if p, err = s.pipelineIn(ctx, tx, a.OrgID, pipelineID); err != nil {
			return err
		}
		if err := a.Allowed(); err != nil {
			return err
		}
		known := map[string]bool{}
		for _, st := range p.Stages {
			known[st.ID] = true
		}
		if len(ids) != len(known) {
			return invalidField("stage_ids", "Name every stage of the pipeline exactly once.")
		}
		for _, id := range ids {
			if !known[id] {
				return invalidField("stage_ids", "Name every stage of the pipeline exactly once.")
			}
			delete(known, id)
		}
		if err := s.writeStageOrder(ctx, tx, ids); err != nil {
			return err
		}
		if p, err = s.pipelineIn(ctx, tx, a.OrgID, pipelineID); err != nil {
			return err
		}
		return s.record(ctx, tx, a.OrgID, a.EventActor(), "pipeline.updated", p.ID, map[string]any{"stage_order": ids})
	})
	return p, err
}

// restatus sets the status of a stage's deals after its kind changed.
func (s *Service) restatus(ctx context.Context, tx bun.Tx, st Stage) error {
	q := tx.NewUpdate().Model((*Deal)(nil)).Set("status = ?", st.Kind).Where("stage_id = ?", st.ID)
	if st.Kind == KindOpen {
		q.Set("closed_at = NULL")
	} else {
		q.Set("closed_at = COALESCE(closed_at, ?)", s.now().UTC())
	}
	_, err := q.Exec(ctx)
	return err
}

// DeleteStage removes a stage (admin). A stage with deals is refused (409)
// unless moveTo names another stage of the same pipeline to take them.
func (s *Service) DeleteStage(ctx context.Context, a org.Actor, id, moveTo string) error {
	return s.db.Tx(ctx, func(ctx context.Context, tx bun.Tx) error {
		st, err := s.stageFor(ctx, tx, a.OrgID, id)
		if err != nil {
			return err
		}
		if err := a.Allowed(); err != nil {
			return err
		}
		var siblings []Stage
		if err := tx.NewSelect().Model(&siblings).Where("pipeline_id = ?", st.PipelineID).Where("id <> ?", st.ID).OrderExpr("position, id").Scan(ctx); err != nil {
			return err
		}
		if len(siblings) == 0 {
			return conflict("last_stage", "A pipeline needs at least one stage: this is its last.")
		}
		if checkStageKinds(siblings) != nil {
			return conflict("last_open_stage", "A pipeline needs at least one open stage for new deals: this is its last.")
		}
		n, err := tx.NewSelect().Model((*Deal)(nil)).Where("stage_id = ?", st.ID).Count(ctx)
		if err != nil {
			return err
		}
		moved := 0
		if n > 0 {
			if moveTo == "" {
				return conflict("stage_not_empty", "This stage has "+plural(int(n), "deal")+": choose a stage to move them to.")
			}
			target, err := s.stageFor(ctx, tx, a.OrgID, moveTo)
			if err != nil || target.PipelineID != st.PipelineID || target.ID == st.ID {
				return invalidField("move_to", "Move the deals to another stage of the same pipeline.")
			}
			if moved, err = s.moveAll(ctx, tx, a, st, target); err != nil {
				return err
			}
		}
		if _, err := tx.NewDelete().Model(&st).WherePK().Exec(ctx); err != nil {
			return err
		}
		ids := make([]string, len(siblings))
		for i, sib := range siblings {
			ids[i] = sib.ID
		}
		if err := s.writeStageOrder(ctx, tx, ids); err != nil {
			return err
		}
		ev := stageEvent(st, nil)
		ev["moved_deals"], ev["moved_to"] = moved, moveTo
		return s.record(ctx, tx, a.OrgID, a.EventActor(), "stage.deleted", st.ID, ev)
	})
}
