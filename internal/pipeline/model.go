package pipeline

import (
	"time"

	"github.com/uptrace/bun"
)

// Stage kinds: a deal's status follows the kind of the stage it is in.
const (
	KindOpen = "open"
	KindWon  = "won"
	KindLost = "lost"
)

// Pipeline is an ordered set of stages that deals move through.
type Pipeline struct {
	bun.BaseModel `bun:"table:pipelines"`
	ID            string    `bun:"id,pk" json:"id"`
	OrgID         string    `bun:"org_id" json:"-"`
	Name          string    `bun:"name" json:"name"`
	IsDefault     bool      `bun:"is_default" json:"is_default"`
	CreatedAt     time.Time `bun:"created_at" json:"created_at"`
	UpdatedAt     time.Time `bun:"updated_at" json:"updated_at"`
	Stages        []Stage   `bun:"-" json:"stages"`
}

// Stage is a column of a pipeline.
type Stage struct {
	bun.BaseModel `bun:"table:stages"`
	ID            string    `bun:"id,pk" json:"id"`
	OrgID         string    `bun:"org_id" json:"-"`
	PipelineID    string    `bun:"pipeline_id" json:"pipeline_id"`
	Name          string    `bun:"name" json:"name"`
	Position      int       `bun:"position" json:"position" doc:"0-based order within the pipeline"`
	Probability   int       `bun:"probability" json:"probability" doc:"Chance of winning a deal in this stage, 0-100; weights the forecast"`
	Kind          string    `bun:"kind" json:"kind" enum:"open,won,lost"`
	CreatedAt     time.Time `bun:"created_at" json:"created_at"`
	UpdatedAt     time.Time `bun:"updated_at" json:"updated_at"`
}

// Deal is an opportunity moving through a pipeline. Its value is kept in
// minor units of its currency (cents); the API speaks decimal strings.
type Deal struct {
	bun.BaseModel     `bun:"table:deals"`
	ID                string     `bun:"id,pk" json:"id"`
	OrgID             string     `bun:"org_id" json:"-"`
	Title             string     `bun:"title" json:"title"`
	ValueMinor        int64      `bun:"value_minor" json:"-"`
	Value             string     `bun:"-" json:"value" doc:"Decimal string in the deal's currency, e.g. \"1250.00\""`
	Currency          string     `bun:"currency" json:"currency"`
	PipelineID        string     `bun:"pipeline_id" json:"pipeline_id"`
	StageID           string     `bun:"stage_id" json:"stage_id"`
	Status            string     `bun:"status" json:"status" enum:"open,won,lost"`
	ContactID         *string    `bun:"contact_id" json:"contact_id"`
	CompanyID         *string    `bun:"company_id" json:"company_id"`
	OwnerID           *string    `bun:"owner_id" json:"owner_id"`
	ExpectedCloseDate *string    `bun:"expected_close_date" json:"expected_close_date" doc:"YYYY-MM-DD"`
	LostReason        string     `bun:"lost_reason" json:"lost_reason"`
	Position          float64    `bun:"position" json:"position" doc:"Sort key of the deal within its stage (ascending)"`
	StageEnteredAt    time.Time  `bun:"stage_entered_at" json:"stage_entered_at"`
	CreatedAt         time.Time  `bun:"created_at" json:"created_at"`
	UpdatedAt         time.Time  `bun:"updated_at" json:"updated_at"`
	ClosedAt          *time.Time `bun:"closed_at" json:"closed_at"`
}

// fill sets the API's derived fields.
func (d *Deal) fill() { d.Value = FormatMinor(d.ValueMinor, d.Currency) }

// StageMove is one entry of a deal's stage history.
type StageMove struct {
	bun.BaseModel `bun:"table:deal_stage_history"`
	ID            string    `bun:"id,pk" json:"id"`
	OrgID         string    `bun:"org_id" json:"-"`
	DealID        string    `bun:"deal_id" json:"deal_id"`
	FromStageID   *string   `bun:"from_stage_id" json:"from_stage_id"`
	FromStageName string    `bun:"from_stage_name" json:"from_stage_name"`
	ToStageID     string    `bun:"to_stage_id" json:"to_stage_id"`
	ToStageName   string    `bun:"to_stage_name" json:"to_stage_name"`
	Actor         string    `bun:"actor" json:"actor" doc:"Who moved it: user:<id>, apikey:<id> or system"`
	At            time.Time `bun:"at" json:"at"`
	// Duration is how long the deal stayed in the stage it entered here
	// (until the next move, or until now); filled on read.
	Seconds int64 `bun:"-" json:"seconds_in_stage"`
}

// stageTotal is a stage's count and value in one currency: the sum of its
// shard rows in stage_totals (see addTotals).
type stageTotal struct {
	bun.BaseModel `bun:"table:stage_totals"`
	StageID       string `bun:"stage_id"`
	Currency      string `bun:"currency"`
	Deals         int64  `bun:"deals"`
	ValueMinor    int64  `bun:"value_minor"`
}

// sumTotals selects stage totals summed over their shards, per stage and
// currency, for the stages named.
func sumTotals(q *bun.SelectQuery, stageIDs []string) *bun.SelectQuery {
	return q.Model((*stageTotal)(nil)).Column("stage_id", "currency").
		ColumnExpr("SUM(deals) AS deals, SUM(value_minor) AS value_minor").
		Where("stage_id IN (?)", bun.In(stageIDs)).Group("stage_id", "currency")
}
