package pipeline

import (
	"context"
	"errors"
	"strings"
	"unicode/utf8"

	"github.com/uptrace/bun"

	"github.com/kite-crm/kite/internal/org"
	"github.com/kite-crm/kite/internal/platform/db"
)

// defaultStages are the stages of every org's first pipeline (API.md).
var defaultStages = []StageInput{
	{Name: ptr("Lead"), Probability: ptr(10)},
	{Name: ptr("Qualified"), Probability: ptr(25)},
	{Name: ptr("Proposal"), Probability: ptr(50)},
	{Name: ptr("Negotiation"), Probability: ptr(75)},
	{Name: ptr("Won"), Probability: ptr(100), Kind: ptr(KindWon)},
	{Name: ptr("Lost"), Probability: ptr(0), Kind: ptr(KindLost)},
}

func ptr[T any](v T) *T { return &v }

// PipelineInput creates or changes a pipeline; absent fields stay as they are.
type PipelineInput struct {
	Name      *string `json:"name,omitempty" maxLength:"100"`
	IsDefault *bool   `json:"is_default,omitempty" doc:"Make this the org's default pipeline (the old default stops being it)"`
	// Stages are the new pipeline's stages, in order; without them it gets
	// the default stages. Ignored on update: stages have their own routes.
	Stages []StageInput `json:"stages,omitempty" maxItems:"30"`
}

func cleanName(field, name string, max int) (string, error) {
	name = strings.TrimSpace(name)
	switch {
	case name == "":
		return "", invalidField(field, "Give it a name.")
	case utf8.RuneCountInString(name) > max:
		return "", invalidField(field, "At most "+itoa(max)+" characters.")
	}
	return name, nil
}

// createDefault gives an org its default pipeline, in tx.
func (s *Service) createDefault(ctx context.Context, tx bun.Tx, orgID string) (Pipeline, error) {
	return s.insertPipeline(ctx, tx, orgID, "system", "Sales", true, defaultStages)
}

// EnsureDefaults gives every org without a pipeline the default one: the
// orgs created before pipelines existed. Safe on many replicas at once (the
// one-default index turns a race into a no-op).
func (s *Service) EnsureDefaults(ctx context.Context) error {
	var orgIDs []string
	err := s.db.NewSelect().Table("organizations").Column("id").
		Where("NOT EXISTS (SELECT 1 FROM pipelines AS p WHERE p.org_id = organizations.id)").Scan(ctx, &orgIDs)
	if err != nil {
		return err
	}
	for _, id := range orgIDs {
		err := s.db.Tx(ctx, func(ctx context.Context, tx bun.Tx) error {
			_, err := s.createDefault(ctx, tx, id)
			return err
		})
		if err != nil && !isConflict(err) {
			return err
		}
	}
	return nil
}

func isConflict(err error) bool { return err != nil && errors.Is(db.MapError(err), db.ErrConflict) }

func (s *Service) insertPipeline(ctx context.Context, tx bun.Tx, orgID, actor, name string, isDefault bool, stages []StageInput) (Pipeline, error) {
	now := s.now().UTC()
	p := Pipeline{ID: db.NewID(), OrgID: orgID, Name: name, IsDefault: isDefault, CreatedAt: now, UpdatedAt: now}
	if _, err := tx.NewInsert().Model(&p).Exec(ctx); err != nil {
		return p, err
	}
	p.Stages = make([]Stage, len(stages))
	for i, in := range stages {
		st := Stage{ID: db.NewID(), OrgID: orgID, PipelineID: p.ID, Position: i, Kind: KindOpen, CreatedAt: now, UpdatedAt: now}
		if err := in.apply(&st, "stages["+itoa(i)+"]."); err != nil {
			return p, err
		}
		if st.Name == "" {
			return p, invalidField("stages["+itoa(i)+"].name", "Give the stage a name.")
		}
		p.Stages[i] = st
	}
	if err := checkStageKinds(p.Stages); err != nil {
		return p, err
	}
	if _, err := tx.NewInsert().Model(&p.Stages).Exec(ctx); err != nil {
		return p, err
	}
	return p, s.record(ctx, tx, orgID, actor, "pipeline.created", p.ID, map[string]any{"name": p.Name, "is_default": p.IsDefault, "stages": len(p.Stages)})
}

// checkStageKinds keeps a pipeline workable: at least one open stage for new deals.
func checkStageKinds(stages []Stage) error {
	for _, st := range stages {
		if st.Kind == KindOpen {
			return nil
		}
	}
	return invalidField("stages", "A pipeline needs at least one open stage for new deals.")
}

// Pipelines lists the org's pipelines with their stages, the default first.
func (s *Service) Pipelines(ctx context.Context, orgID string) ([]Pipeline, error) {
	out := []Pipeline{}
	if err := s.db.Read.NewSelect().Model(&out).Where("org_id = ?", orgID).OrderExpr("is_default DESC, created_at, id").Limit(200).Scan(ctx); err != nil {
		return nil, err
	}
	if len(out) == 0 {
		return out, nil
	}
	var stages []Stage
	if err := s.db.Read.NewSelect().Model(&stages).Where("org_id = ?", orgID).OrderExpr("pipeline_id, position, id").Scan(ctx); err != nil {
		return nil, err
	}
	byPipeline := map[string][]Stage{}
	for _, st := range stages {
		byPipeline[st.PipelineID] = append(byPipeline[st.PipelineID], st)
	}
	for i := range out {
		out[i].Stages = byPipeline[out[i].ID]
		if out[i].Stages == nil {
			out[i].Stages = []Stage{}
		}
	}
	return out, nil
}

// Pipeline reads one pipeline of the org with its stages.
func (s *Service) Pipeline(ctx context.Context, orgID, id string) (Pipeline, error) {
	return s.pipelineIn(ctx, s.db.Read, orgID, id)
}

func (s *Service) pipelineIn(ctx context.Context, q bun.IDB, orgID, id string) (Pipeline, error) {
	var p Pipeline
	if err := db.LoadInOrg(ctx, q, &p, orgID, id, errPipelineNotFound); err != nil {
		return p, err
	}
	p.Stages = []Stage{}
	err := q.NewSelect().Model(&p.Stages).Where("pipeline_id = ?", p.ID).OrderExpr("position, id").Scan(ctx)
	return p, err
}

// DefaultPipeline is the org's default pipeline.
func (s *Service) DefaultPipeline(ctx context.Context, orgID string) (Pipeline, error) {
	var id string
	err := s.db.Read.NewSelect().Model((*Pipeline)(nil)).Column("id").Where("org_id = ?", orgID).Where("is_default = ?", true).Scan(ctx, &id)
	if err != nil {
		return Pipeline{}, errPipelineNotFound
	}
	return s.Pipeline(ctx, orgID, id)
}

// CreatePipeline adds a pipeline (admin), with the given stages or the default ones.
func (s *Service) CreatePipeline(ctx context.Context, a org.Actor, in PipelineInput) (Pipeline, error) {
	if in.Name == nil {
		return Pipeline{}, invalidField("name", "Give the pipeline a name.")
	}
	name, err := cleanName("name", *in.Name, 100)
	if err != nil {
		return Pipeline{}, err
	}
	stages := in.Stages
	if len(stages) == 0 {
		stages = defaultStages
	}
	var p Pipeline
	err = s.db.Tx(ctx, func(ctx context.Context, tx bun.Tx) error {
		if in.IsDefault != nil && *in.IsDefault {
			if err := s.clearDefault(ctx, tx, a.OrgID); err != nil {
				return err
			}
		}
		var err error
		p, err = s.insertPipeline(ctx, tx, a.OrgID, a.EventActor(), name, in.IsDefault != nil && *in.IsDefault, stages)
		return err
	})
	return p, err
}

func (s *Service) clearDefault(ctx context.Context, tx bun.Tx, orgID string) error {
	_, err := tx.NewUpdate().Model((*Pipeline)(nil)).Set("is_default = ?", false).Where("org_id = ?", orgID).Where("is_default = ?", true).Exec(ctx)
	return err
}

// UpdatePipeline renames a pipeline or makes it the default (admin).
func (s *Service) UpdatePipeline(ctx context.Context, a org.Actor, id string, in PipelineInput) (Pipeline, error) {
	var p Pipeline
	err := s.db.Tx(ctx, func(ctx context.Context, tx bun.Tx) error {
		var err error
		if p, err = s.pipelineIn(ctx, tx, a.OrgID, id); err != nil {
			return err
		}
		if err := a.Allowed(); err != nil {
			return err
		}
		changes := map[string]change{}
		if in.Name != nil {
			name, err := cleanName("name", *in.Name, 100)
			if err != nil {
				return err
			}
			if name != p.Name {
				changes["name"] = change{p.Name, name}
				p.Name = name
			}
		}
		if in.IsDefault != nil && *in.IsDefault != p.IsDefault {
			if !*in.IsDefault {
				return invalidField("is_default", "Every organization has a default pipeline: make another pipeline the default instead.")
			}
			if err := s.clearDefault(ctx, tx, a.OrgID); err != nil {
				return err
			}
			changes["is_default"] = change{false, true}
			p.IsDefault = true
		}
		if len(changes) == 0 {
			return nil
		}
		p.UpdatedAt = s.now().UTC()
		if _, err := tx.NewUpdate().Model(&p).Column("name", "is_default", "updated_at").WherePK().Exec(ctx); err != nil {
			return err
		}
		return s.record(ctx, tx, a.OrgID, a.EventActor(), "pipeline.updated", p.ID, map[string]any{"changes": changes})
	})
	return p, err
}

// DeletePipeline removes an empty pipeline that is not the default (admin).
func (s *Service) DeletePipeline(ctx context.Context, a org.Actor, id string) error {
	return s.db.Tx(ctx, func(ctx context.Context, tx bun.Tx) error {
		var p Pipeline
		if err := db.LoadInOrg(ctx, tx, &p, a.OrgID, id, errPipelineNotFound); err != nil {
			return err
		}
		if err := a.Allowed(); err != nil {
			return err
		}
		if p.IsDefault {
			return conflict("default_pipeline", "This is the default pipeline: make another pipeline the default before deleting it.")
		}
		n, err := tx.NewSelect().Model((*Deal)(nil)).Where("org_id = ?", a.OrgID).Where("pipeline_id = ?", p.ID).Count(ctx)
		if err != nil {
			return err
		}
		if n > 0 {
			return conflict("pipeline_not_empty", "This pipeline still has "+plural(int(n), "deal")+": move or delete them first.")
		}
		if _, err := tx.NewDelete().Model(&p).WherePK().Exec(ctx); err != nil {
			return err
		}
		return s.record(ctx, tx, a.OrgID, a.EventActor(), "pipeline.deleted", p.ID, map[string]any{"name": p.Name})
	})
}

func plural(n int, word string) string {
	if n == 1 {
		return "1 " + word
	}
	return itoa(n) + " " + word + "s"
}
