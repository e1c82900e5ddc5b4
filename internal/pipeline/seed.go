package pipeline

import (
	"context"
	"errors"
	"fmt"
	"math/rand/v2"
	"slices"
	"strings"
	"time"

	"github.com/uptrace/bun"

	"github.com/kite-crm/kite/internal/platform/db"
)

// Seeding fills an organization with open deals for benchmarks and demos,
// fast: many rows per statement, no domain event per deal (seeded deals
// are not activity anyone did), and the stage totals computed once at the
// end from the deals themselves rather than kept in step row by row.

// SeedOptions size the data.
type SeedOptions struct {
	// Pipelines is how many pipelines the deals spread over, the org's
	// default one included; the others are added with the default stages.
	Pipelines int
	// Deals is how many open deals to add.
	Deals int
	// Batch is deals per transaction, written 1000 rows a statement;
	// default 5000. Most of a deal's indexes take keys in random order, so
	// each transaction rewrites most of their pages: fewer, larger ones
	// write less (batches of 5000 seed 50,000 deals in about half the time
	// batches of 1000 take on SQLite).
	Batch int
	// Seed makes the data repeatable.
	Seed uint64
}

// SeedResult says what Seed made.
type SeedResult struct {
	// PipelineIDs are the pipelines holding the seeded deals, the default first.
	PipelineIDs []string
	Deals       int
}

// seedSpan is how far back seeded deals were created.
const seedSpan = 180 * 24 * time.Hour

// maxSeedPipelines keeps seeded pipelines within what one listing shows.
const maxSeedPipelines = 100

var (
	seedPipelineNames = []string{"Enterprise", "Renewals", "Partners", "Expansion", "Public sector"}
	seedDealWords     = strings.Fields(`North Blue Apex Bright Urban Nordic Summit Harbor Clear Prime Green Solid Vector
		Lumen Atlas Cedar Delta Echo Falcon Granite Horizon Iris`)
	seedDealProducts = []string{"Annual plan", "Pilot", "Onboarding", "Support renewal", "Seat expansion",
		"Integration", "Training", "Hardware refresh", "Data migration", "Premium support"}
)

// Seed adds o.Pipelines-1 pipelines with the default stages to an org and
// spreads o.Deals open deals evenly over the open stages of those and the
// default pipeline, each at the bottom of its column, linked to some of the
// org's contacts, companies and members. progress, when set, is called
// after every batch of deals.
func (s *Service) Seed(ctx context.Context, orgID string, o SeedOptions, progress func(done, total int)) (SeedResult, error) {
	var res SeedResult
	if o.Deals < 0 || o.Pipelines < 0 || o.Pipelines > maxSeedPipelines {
		return res, fmt.Errorf("seed: want 0 or more deals and at most %d pipelines", maxSeedPipelines)
	}
	if o.Batch <= 0 {
		o.Batch = 5000
	}
	organization, err := s.orgs.Get(ctx, orgID)
	if err != nil {
		return res, err
	}
	pipelines, err := s.seedPipelines(ctx, orgID, max(o.Pipelines, 1))
	if err != nil {
		return res, err
	}
	var open []Stage
	for _, p := range pipelines {
		res.PipelineIDs = append(res.PipelineIDs, p.ID)
		for _, st := range p.Stages {
			if st.Kind == KindOpen {
				open = append(open, st)
			}
		}
	}
	if o.Deals == 0 {
		return res, nil
	}
	if len(open) == 0 {
		return res, errors.New("seed: the pipelines have no open stage")
	}
	links, err := s.seedLinks(ctx, orgID)
	if err != nil {
		return res, err
	}
	// Ranks continue below the cards a column holds already, so a seed into
	// a used pipeline keeps every (stage, position) unique.
	next, err := s.bottomRanks(ctx, open)
	if err != nil {
		return res, err
	}
	rng := rand.New(rand.NewPCG(o.Seed, 0x6465616c))
	now := s.now().UTC()
	for done := 0; done < o.Deals; {
		n := min(o.Batch, o.Deals-done)
		deals := make([]Deal, n)
		history := make([]StageMove, n)
		for i := range deals {
			st := open[(done+i)%len(open)]
			next[st.ID] += rankStep
			// Deals arrive in the order they were created, as they do in use.
			created := now.Add(-seedSpan + seedSpan/time.Duration(o.Deals)*time.Duration(done+i)).Truncate(time.Microsecond)
			deals[i] = seedDeal(rng, links, organization.DefaultCurrency, st, next[st.ID], done+i+1, created, now)
			history[i] = StageMove{ID: db.NewID(), OrgID: orgID, DealID: deals[i].ID, ToStageID: st.ID, ToStageName: st.Name,
				Actor: "system", At: deals[i].CreatedAt}
		}
		err := s.db.Tx(ctx, func(ctx context.Context, tx bun.Tx) error {
			if err := insertRows(ctx, tx, deals); err != nil {
				return err
			}
			return insertRows(ctx, tx, history)
		})
		if err != nil {
			return res, fmt.Errorf("seed: deals %d–%d: %w", done+1, done+n, err)
		}
		done += n
		res.Deals = done
		if progress != nil {
			progress(done, o.Deals)
		}
	}
	if err := s.rebuildTotals(ctx, orgID, open); err != nil {
		return res, fmt.Errorf("seed: stage totals: %w", err)
	}
	return res, nil
}

// seedPipelines returns the org's default pipeline followed by n-1 new ones
// with the default stages, made in one transaction.
func (s *Service) seedPipelines(ctx context.Context, orgID string, n int) ([]Pipeline, error) {
	def, err := s.DefaultPipeline(ctx, orgID)
	if err != nil {
		return nil, err
	}
	out := []Pipeline{def}
	err = s.db.Tx(ctx, func(ctx context.Context, tx bun.Tx) error {
		out = out[:1] // a retried transaction starts over
		for i := 1; i < n; i++ {
			name := fmt.Sprintf("Pipeline %d", i+1)
			if i-1 < len(seedPipelineNames) {
				name = seedPipelineNames[i-1]
			}
			p, err := s.insertPipeline(ctx, tx, orgID, "system", name, false, defaultStages)
			if err != nil {
				return err
			}
			out = append(out, p)
		}
		return nil
	})
	return out, err
}

// seedLinks are the records seeded deals point at: a bounded sample of the
// org's contacts (with their companies), its companies and its members.
type seedLinks struct {
	contacts []struct {
		ID        string  `bun:"id"`
		CompanyID *string `bun:"company_id"`
	}
	companies, members []string
}

func (s *Service) seedLinks(ctx context.Context, orgID string) (seedLinks, error) {
	var l seedLinks
	err := s.db.Read.NewSelect().Table("contacts").Column("id", "company_id").Where("org_id = ?", orgID).
		OrderExpr("created_at DESC, id DESC").Limit(5000).Scan(ctx, &l.contacts)
	if err != nil {
		return l, err
	}
	err = s.db.Read.NewSelect().Table("companies").Column("id").Where("org_id = ?", orgID).
		OrderExpr("created_at DESC, id DESC").Limit(2000).Scan(ctx, &l.companies)
	if err != nil {
		return l, err
	}
	err = s.db.Read.NewSelect().Table("memberships").Column("user_id").Where("org_id = ?", orgID).
		OrderExpr("user_id").Limit(200).Scan(ctx, &l.members)
	return l, err
}

// bottomRanks is the highest rank in each stage (0 for an empty one).
func (s *Service) bottomRanks(ctx context.Context, stages []Stage) (map[string]float64, error) {
	ids := make([]string, len(stages))
	for i, st := range stages {
		ids[i] = st.ID
	}
	var rows []struct {
		StageID string  `bun:"stage_id"`
		Max     float64 `bun:"max_position"`
	}
	err := s.db.Read.NewSelect().Model((*Deal)(nil)).ColumnExpr("stage_id, MAX(position) AS max_position").
		Where("stage_id IN (?)", bun.In(ids)).GroupExpr("stage_id").Scan(ctx, &rows)
	out := make(map[string]float64, len(stages))
	for _, r := range rows {
		out[r.StageID] = r.Max
	}
	return out, err
}

// seedDeal is the num-th seeded deal, open in stage st at rank pos.
func seedDeal(rng *rand.Rand, l seedLinks, currency string, st Stage, pos float64, num int, created, now time.Time) Deal {
	entered := created.Add(time.Duration(rng.Int64N(int64(now.Sub(created)/time.Second)+1)) * time.Second)
	d := Deal{ID: db.NewID(), OrgID: st.OrgID, Currency: currency, PipelineID: st.PipelineID, StageID: st.ID, Status: KindOpen,
		Title:      fmt.Sprintf("%s %s #%d", pick(rng, seedDealWords), pick(rng, seedDealProducts), num),
		ValueMinor: int64(500+rng.IntN(250_000)) * pow10(minorDigits(currency)),
		Position:   pos, StageEnteredAt: entered, CreatedAt: created, UpdatedAt: entered}
	if len(l.contacts) > 0 && rng.IntN(10) < 7 {
		c := l.contacts[rng.IntN(len(l.contacts))]
		d.ContactID, d.CompanyID = &c.ID, c.CompanyID
	}
	if d.CompanyID == nil && len(l.companies) > 0 && rng.IntN(2) == 0 {
		d.CompanyID = &l.companies[rng.IntN(len(l.companies))]
	}
	if len(l.members) > 0 && rng.IntN(10) < 8 {
		d.OwnerID = &l.members[rng.IntN(len(l.members))]
	}
	if rng.IntN(10) < 6 {
		day := now.AddDate(0, 0, 1+rng.IntN(120)).Format(time.DateOnly)
		d.ExpectedCloseDate = &day
	}
	return d
}

func pick(rng *rand.Rand, from []string) string { return from[rng.IntN(len(from))] }

func pow10(n int) int64 {
	p := int64(1)
	for range n {
		p *= 10
	}
	return p
}

// rowsPerInsert bounds one statement's text (bun inlines the values).
const rowsPerInsert = 1000

// insertRows adds rows with multi-row INSERTs sent as plain text: with no
// arguments pgx uses the simple protocol and does not keep each large,
// never-repeated statement in its per-connection cache.
func insertRows[T any](ctx context.Context, tx bun.Tx, rows []T) error {
	for part := range slices.Chunk(rows, rowsPerInsert) {
		if _, err := tx.ExecContext(ctx, tx.NewInsert().Model(&part).String()); err != nil {
			return err
		}
	}
	return nil
}

// rebuildTotals sets the totals of stages to what their deals add up to,
// then, on PostgreSQL, refreshes the planner's statistics: a benchmark run
// right after seeding would otherwise be planned for near-empty tables
// until autovacuum analyzes them.
func (s *Service) rebuildTotals(ctx context.Context, orgID string, stages []Stage) error {
	ids := make([]string, len(stages))
	for i, st := range stages {
		ids[i] = st.ID
	}
	err := s.db.Tx(ctx, func(ctx context.Context, tx bun.Tx) error {
		if _, err := tx.NewDelete().Model((*stageTotal)(nil)).Where("stage_id IN (?)", bun.In(ids)).Exec(ctx); err != nil {
			return err
		}
		_, err := tx.NewRaw(`INSERT INTO stage_totals (stage_id, currency, deals, value_minor)
			SELECT stage_id, currency, COUNT(*), SUM(value_minor) FROM deals
			WHERE org_id = ? AND stage_id IN (?) GROUP BY stage_id, currency`, orgID, bun.In(ids)).Exec(ctx)
		return err
	})
	if err != nil || s.db.Kind != db.Postgres {
		return err
	}
	_, err = s.db.ExecContext(ctx, "ANALYZE deals, deal_stage_history, stage_totals")
	return err
}
