package pipeline

import (
	"context"
	"testing"
	"time"

	"github.com/uptrace/bun"

	"github.com/kite-crm/kite/internal/crm"
	"github.com/kite-crm/kite/internal/org"
	"github.com/kite-crm/kite/internal/org/orgtest"
	"github.com/kite-crm/kite/internal/platform/db"
	"github.com/kite-crm/kite/internal/platform/dbtest"
)

// newTestService wires the pipeline service over d the way the app does,
// and returns it with the owner of a new organization (which has the
// default pipeline) holding a few CRM records.
func newTestService(t *testing.T, d *db.DB) (*Service, org.Actor) {
	t.Helper()
	kit := orgtest.New(t, d)
	c := crm.NewService(d, kit.Bus, kit.Orgs, nil)
	s := NewService(d, kit.Bus, kit.Orgs, c, nil) // before the sign-up: it adds the default pipeline
	owner := kit.SignUp(t, "owner@seed.example", "Owner", "Seeded")
	if _, _, err := c.Seed(context.Background(), owner.OrgID, crm.SeedOptions{Companies: 5, Contacts: 40}, nil); err != nil {
		t.Fatal(err)
	}
	return s, owner
}

func TestSeedSpreadsOpenDealsAndTheirTotals(t *testing.T) {
	t.Parallel()
	dbtest.Each(t, func(t *testing.T, d *db.DB) {
		ctx := context.Background()
		s, owner := newTestService(t, d)
		var reported []int
		res, err := s.Seed(ctx, owner.OrgID, SeedOptions{Pipelines: 3, Deals: 2500, Batch: 1000}, func(done, total int) {
			if total != 2500 {
				t.Errorf("progress total %d, want 2500", total)
			}
			reported = append(reported, done)
		})
		if err != nil {
			t.Fatal(err)
		}
		if res.Deals != 2500 || len(res.PipelineIDs) != 3 {
			t.Fatalf("result %+v, want 2500 deals over 3 pipelines", res)
		}
		if len(reported) != 3 || reported[2] != 2500 {
			t.Errorf("progress %v, want one call per batch ending at 2500", reported)
		}
		all, err := s.Pipelines(ctx, owner.OrgID)
		if err != nil {
			t.Fatal(err)
		}
		if len(all) != 3 || all[0].ID != res.PipelineIDs[0] || !all[0].IsDefault {
			t.Fatalf("the org has %d pipelines, want the default first and 2 more", len(all))
		}
		for _, p := range all {
			if len(p.Stages) != len(defaultStages) {
				t.Errorf("%s has %d stages, want the default %d", p.Name, len(p.Stages), len(defaultStages))
			}
		}
		checkSeeded(t, s, owner.OrgID, res.PipelineIDs, 2500)
		var linked int
		if err := d.NewSelect().Model((*Deal)(nil)).ColumnExpr("COUNT(*)").Where("org_id = ?", owner.OrgID).
			Where("contact_id IS NOT NULL").Where("owner_id = ?", owner.UserID).Scan(ctx, &linked); err != nil {
			t.Fatal(err)
		}
		if linked == 0 {
			t.Error("no seeded deal has a contact and the owner")
		}
		now := time.Now()
		odd, err := d.NewSelect().Model((*Deal)(nil)).Where("org_id = ?", owner.OrgID).
			WhereGroup(" AND ", func(q *bun.SelectQuery) *bun.SelectQuery {
				return q.Where("created_at < ?", now.Add(-seedSpan-time.Hour)).WhereOr("created_at > ?", now).
					WhereOr("stage_entered_at < created_at").WhereOr("stage_entered_at > ?", now)
			}).Count(ctx)
		if err != nil || odd != 0 {
			t.Errorf("%d seeded deals were created or entered their stage outside the last %s (%v)", odd, seedSpan, err)
		}

		// A second seed into the same pipelines continues each column below
		// its cards (the unique rank index refuses a clash) and totals all.
		res2, err := s.Seed(ctx, owner.OrgID, SeedOptions{Pipelines: 1, Deals: 300, Seed: 7}, nil)
		if err != nil {
			t.Fatal(err)
		}
		if len(res2.PipelineIDs) != 1 || res2.PipelineIDs[0] != res.PipelineIDs[0] {
			t.Fatalf("second seed used %v, want only the default pipeline", res2.PipelineIDs)
		}
		checkSeeded(t, s, owner.OrgID, res.PipelineIDs, 2800)

		// Seeded deals are ordinary deals: a move keeps the totals right.
		board, err := s.Board(ctx, owner.OrgID, res.PipelineIDs[1], DealFilter{})
		if err != nil {
			t.Fatal(err)
		}
		card := board.Columns[0].Deals[0]
		if _, err := s.Move(ctx, owner, card.ID, MoveInput{StageID: board.Columns[2].Stage.ID, Position: ptr(0)}); err != nil {
			t.Fatal(err)
		}
		checkSeeded(t, s, owner.OrgID, res.PipelineIDs, 2800)
	})
}

// checkSeeded verifies the seeded pipelines hold want open deals in open
// stages, that each board's counts and values equal the deals' own, and
// that each column lists its cards by rank.
func checkSeeded(t *testing.T, s *Service, orgID string, pipelineIDs []string, want int) {
	t.Helper()
	ctx := context.Background()
	var real []stageTotal
	err := s.db.NewRaw(`SELECT stage_id, currency, COUNT(*) AS deals, SUM(value_minor) AS value_minor FROM deals
		WHERE org_id = ? AND status = ? GROUP BY stage_id, currency`, orgID, KindOpen).Scan(ctx, &real)
	if err != nil {
		t.Fatal(err)
	}
	byStage := map[string]stageTotal{}
	for _, r := range real {
		if r.Currency != "USD" {
			t.Errorf("stage %s has %s deals, want the org's USD", r.StageID, r.Currency)
		}
		byStage[r.StageID] = r
	}
	total := 0
	for _, id := range pipelineIDs {
		b, err := s.Board(ctx, orgID, id, DealFilter{})
		if err != nil {
			t.Fatal(err)
		}
		for _, col := range b.Columns {
			r := byStage[col.Stage.ID]
			delete(byStage, col.Stage.ID)
			if col.Stage.Kind != KindOpen && col.Count != 0 {
				t.Errorf("closed stage %s holds %d seeded deals", col.Stage.Name, col.Count)
			}
			if col.Count != r.Deals {
				t.Errorf("%s/%s: board counts %d deals, the table has %d", b.Pipeline.Name, col.Stage.Name, col.Count, r.Deals)
			}
			if r.Deals > 0 && (len(col.Totals) != 1 || col.Totals[0].Value != FormatMinor(r.ValueMinor, "USD")) {
				t.Errorf("%s/%s: board totals %+v, the deals add up to %s", b.Pipeline.Name, col.Stage.Name, col.Totals, FormatMinor(r.ValueMinor, "USD"))
			}
			for i := 1; i < len(col.Deals); i++ {
				if col.Deals[i].Position <= col.Deals[i-1].Position {
					t.Errorf("%s/%s: card %d ranks %v after %v", b.Pipeline.Name, col.Stage.Name, i, col.Deals[i].Position, col.Deals[i-1].Position)
					break
				}
			}
			total += int(r.Deals)
		}
	}
	if len(byStage) != 0 {
		t.Errorf("open deals outside the seeded pipelines: %+v", byStage)
	}
	if total != want {
		t.Errorf("the seeded pipelines hold %d open deals, want %d", total, want)
	}
}
