package pipeline

import (
	"context"
	"reflect"
	"testing"

	"github.com/prometheus/client_golang/prometheus/testutil"

	"github.com/kite-crm/kite/internal/crm"
	"github.com/kite-crm/kite/internal/org"
	"github.com/kite-crm/kite/internal/platform/db"
	"github.com/kite-crm/kite/internal/platform/dbtest"
)

// TestBoardCacheFollowsEveryWrite reads a board (filling the cache), makes
// one kind of write that changes a card, and checks that the board read
// next equals one read without the cache. A write whose trigger is missing
// would leave the cached cards in place and fail here.
func TestBoardCacheFollowsEveryWrite(t *testing.T) {
	t.Parallel()
	dbtest.Each(t, func(t *testing.T, d *db.DB) {
		ctx := context.Background()
		s, owner, p := boardFixture(t, d)
		contacts, _, err := s.crm.ListContacts(ctx, owner.OrgID, crm.ContactFilter{RecordFilter: crm.RecordFilter{Limit: 3}})
		if err != nil || len(contacts) < 3 {
			t.Fatalf("contacts: %v (%d)", err, len(contacts))
		}
		var companyID string
		if err := d.NewSelect().Table("companies").Column("id").Where("org_id = ?", owner.OrgID).Limit(1).Scan(ctx, &companyID); err != nil {
			t.Fatal(err)
		}
		var deals []Deal
		for i, title := range []string{"Alpha", "Beta", "Gamma", "Delta"} {
			dl, err := s.CreateDeal(ctx, owner, DealInput{Title: ptr(title), Value: ptr("100.00"),
				ContactID: &contacts[i%3].ID, CompanyID: &companyID, OwnerID: &owner.UserID})
			if err != nil {
				t.Fatal(err)
			}
			deals = append(deals, dl)
		}
		first, second := p.Stages[0], p.Stages[1]

		steps := []struct {
			name  string
			write func() error
		}{
			{"create a deal", func() error {
				_, err := s.CreateDeal(ctx, owner, DealInput{Title: ptr("Epsilon"), ContactID: &contacts[1].ID})
				return err
			}},
			{"rename a deal", func() error {
				_, err := s.UpdateDeal(ctx, owner, deals[0].ID, DealInput{Title: ptr("Alpha II")})
				return err
			}},
			{"move a deal to another stage", func() error {
				_, err := s.Move(ctx, owner, deals[1].ID, MoveInput{StageID: second.ID})
				return err
			}},
			{"reorder a column", func() error {
				_, err := s.Move(ctx, owner, deals[3].ID, MoveInput{StageID: first.ID, Position: ptr(0)})
				return err
			}},
			{"delete a deal", func() error { return s.DeleteDeal(ctx, owner, deals[2].ID) }},
			{"rename a contact", func() error {
				_, err := s.crm.UpdateContact(ctx, owner, contacts[0].ID, crm.ContactInput{FirstName: ptr("Renamed")})
				return err
			}},
			{"rename a company", func() error {
				_, err := s.crm.UpdateCompany(ctx, owner, companyID, crm.CompanyInput{Name: ptr("Renamed Ltd")})
				return err
			}},
			{"rename the owner, outside any service", func() error {
				_, err := d.ExecContext(ctx, "UPDATE users SET name = ? WHERE id = ?", "Renamed Owner", owner.UserID)
				return err
			}},
			{"delete a contact", func() error { return s.crm.DeleteContact(ctx, owner, contacts[1].ID) }},
			{"delete a company", func() error { return s.crm.DeleteCompany(ctx, owner, companyID) }},
			{"rename the pipeline", func() error {
				_, err := s.UpdatePipeline(ctx, owner, p.ID, PipelineInput{Name: ptr("Renamed pipeline")})
				return err
			}},
			{"change a stage's probability", func() error {
				_, err := s.UpdateStage(ctx, owner, second.ID, StageInput{Probability: ptr(55)})
				return err
			}},
			{"add a stage", func() error {
				_, err := s.CreateStage(ctx, owner, p.ID, StageInput{Name: ptr("Added"), Position: ptr(1)})
				return err
			}},
			{"reorder the stages", func() error {
				ids := make([]string, len(p.Stages))
				for i, st := range p.Stages {
					ids[len(ids)-1-i] = st.ID
				}
				now, err := s.Pipeline(ctx, owner.OrgID, p.ID) // with the added stage
				if err != nil {
					return err
				}
				for _, st := range now.Stages {
					if st.Name == "Added" {
						ids = append(ids, st.ID)
					}
				}
				_, err = s.ReorderStages(ctx, owner, p.ID, ids)
				return err
			}},
			{"delete a stage, moving its deals", func() error { return s.DeleteStage(ctx, owner, first.ID, second.ID) }},
		}
		for _, step := range steps {
			before, err := s.Board(ctx, owner.OrgID, p.ID, DealFilter{})
			if err != nil {
				t.Fatal(err)
			}
			if !s.boards.Has(boardKey{owner.OrgID, p.ID}, mustVersion(t, s, owner.OrgID, p.ID)) {
				t.Fatalf("before %s: the board read was not cached", step.name)
			}
			if err := step.write(); err != nil {
				t.Fatalf("%s: %v", step.name, err)
			}
			got, err := s.Board(ctx, owner.OrgID, p.ID, DealFilter{})
			if err != nil {
				t.Fatal(err)
			}
			s.boards.Clear() // the next read goes to the database
			want, err := s.Board(ctx, owner.OrgID, p.ID, DealFilter{})
			if err != nil {
				t.Fatal(err)
			}
			if reflect.DeepEqual(before, want) {
				t.Fatalf("%s: the board did not change; the step tests nothing", step.name)
			}
			if !reflect.DeepEqual(got, want) {
				t.Errorf("after %s the cached board differs from the database:\n got %+v\nwant %+v", step.name, got, want)
			}
		}

		// Every step but the first began with a board the last one cached.
		if hits := testutil.ToFloat64(s.boards.Lookups("hit")); hits != float64(len(steps)-1) {
			t.Errorf("the cache counted %v hits, want %d", hits, len(steps)-1)
		}

		// A deleted pipeline's board is gone, cached or not.
		other, err := s.CreatePipeline(ctx, owner, PipelineInput{Name: ptr("Short-lived")})
		if err != nil {
			t.Fatal(err)
		}
		if _, err := s.Board(ctx, owner.OrgID, other.ID, DealFilter{}); err != nil {
			t.Fatal(err)
		}
		if err := s.DeletePipeline(ctx, owner, other.ID); err != nil {
			t.Fatal(err)
		}
		if _, err := s.Board(ctx, owner.OrgID, other.ID, DealFilter{}); err != errPipelineNotFound {
			t.Fatalf("the board of a deleted pipeline: %v, want not found", err)
		}
	})
}

// boardFixture is a test service with its org's default pipeline.
func boardFixture(t *testing.T, d *db.DB) (*Service, org.Actor, Pipeline) {
	t.Helper()
	s, owner := newTestService(t, d)
	p, err := s.DefaultPipeline(context.Background(), owner.OrgID)
	if err != nil {
		t.Fatal(err)
	}
	return s, owner, p
}

func mustVersion(t *testing.T, s *Service, orgID, pipelineID string) int64 {
	t.Helper()
	v, err := s.boardVersion(context.Background(), orgID, pipelineID)
	if err != nil {
		t.Fatal(err)
	}
	return v
}
