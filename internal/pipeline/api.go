package pipeline

import (
	"context"
	"net/http"

	"github.com/danielgtaylor/huma/v2"

	"github.com/kite-crm/kite/internal/crm"
	"github.com/kite-crm/kite/internal/org"
	"github.com/kite-crm/kite/internal/platform/events"
	"github.com/kite-crm/kite/internal/platform/httpx"
)

// boardQuery are the board's filters (declared in the input struct
// itself: huma does not read parameters of embedded structs).
type boardQuery struct {
	ID        string `path:"id" maxLength:"64"`
	OwnerID   string `query:"owner_id" maxLength:"64"`
	Tag       string `query:"tag" maxLength:"50" doc:"Deals whose contact has this tag"`
	ValueMin  string `query:"value_min" maxLength:"40"`
	ValueMax  string `query:"value_max" maxLength:"40"`
	CloseFrom string `query:"close_from" maxLength:"10" doc:"Expected close date on or after, YYYY-MM-DD"`
	CloseTo   string `query:"close_to" maxLength:"10" doc:"Expected close date on or before, YYYY-MM-DD"`
	Q         string `query:"q" maxLength:"200" doc:"Words in the title"`
	// Read here because the answer may be one gzipped before.
	AcceptEncoding string `header:"Accept-Encoding" hidden:"true"`
}

func (q boardQuery) filter() DealFilter {
	return DealFilter{OwnerID: q.OwnerID, Tag: q.Tag, ValueMin: q.ValueMin, ValueMax: q.ValueMax, CloseFrom: q.CloseFrom, CloseTo: q.CloseTo, Q: q.Q}
}

// dealListQuery are the deal list's filters (huma reads parameters only
// from fields declared directly in the input struct).
type dealListQuery struct {
	PipelineID string `query:"pipeline_id" maxLength:"64"`
	StageID    string `query:"stage_id" maxLength:"64"`
	Status     string `query:"status" enum:"open,won,lost,"`
	OwnerID    string `query:"owner_id" maxLength:"64"`
	ContactID  string `query:"contact_id" maxLength:"64"`
	CompanyID  string `query:"company_id" maxLength:"64"`
	Tag        string `query:"tag" maxLength:"50" doc:"Deals whose contact has this tag"`
	ValueMin   string `query:"value_min" maxLength:"40"`
	ValueMax   string `query:"value_max" maxLength:"40"`
	CloseFrom  string `query:"close_from" maxLength:"10" doc:"YYYY-MM-DD"`
	CloseTo    string `query:"close_to" maxLength:"10" doc:"YYYY-MM-DD"`
	Q          string `query:"q" maxLength:"200" doc:"Words in the title"`
	Sort       string `query:"sort" maxLength:"30" doc:"created_at, updated_at, value, title, expected_close_date, or position (with stage_id); prefix - for descending (default -created_at)"`
	Cursor     string `query:"cursor" maxLength:"500"`
	Limit      int    `query:"limit" minimum:"0" maximum:"200" doc:"Default 50"`
}

// RegisterAPI adds the routes of API.md ("Pipelines and deals").
func (s *Service) RegisterAPI(api huma.API, g *org.Guard) {
	s.registerPipelines(api, g)
	s.registerStages(api, g)
	s.registerDeals(api, g)
}

func (s *Service) registerPipelines(api huma.API, g *org.Guard) {
	tag := []string{"Pipelines"}
	huma.Register(api, huma.Operation{OperationID: "list-pipelines", Method: http.MethodGet, Path: "/pipelines",
		Summary: "Pipelines with their stages, the default first", Tags: tag, Middlewares: g.Need(org.DealsRead)},
		func(ctx context.Context, _ *struct{}) (*httpx.Body[httpx.Page[Pipeline]], error) {
			list, err := s.Pipelines(ctx, org.ActorOf(ctx).OrgID)
			return &httpx.Body[httpx.Page[Pipeline]]{Body: httpx.NewPage(list, "")}, err
		})
	huma.Register(api, huma.Operation{OperationID: "create-pipeline", Method: http.MethodPost, Path: "/pipelines",
		Summary: "Create a pipeline (admin)", Description: "Without stages it gets the default ones.", DefaultStatus: http.StatusCreated,
		Tags: tag, Middlewares: g.Need(org.OrgWrite)},
		func(ctx context.Context, in *httpx.Body[PipelineInput]) (*httpx.Body[Pipeline], error) {
			p, err := s.CreatePipeline(ctx, org.ActorOf(ctx), in.Body)
			return &httpx.Body[Pipeline]{Body: p}, err
		})
	huma.Register(api, huma.Operation{OperationID: "get-pipeline", Method: http.MethodGet, Path: "/pipelines/{id}",
		Summary: "A pipeline with its stages", Tags: tag, Middlewares: g.Need(org.DealsRead)},
		func(ctx context.Context, in *httpx.IDPath) (*httpx.Body[Pipeline], error) {
			p, err := s.Pipeline(ctx, org.ActorOf(ctx).OrgID, in.ID)
			return &httpx.Body[Pipeline]{Body: p}, err
		})
	huma.Register(api, huma.Operation{OperationID: "update-pipeline", Method: http.MethodPatch, Path: "/pipelines/{id}",
		Summary: "Rename a pipeline or make it the default (admin)", Tags: tag, Middlewares: g.NeedRecord(org.OrgWrite)},
		func(ctx context.Context, in *struct {
			ID   string `path:"id" maxLength:"64"`
			Body PipelineInput
		}) (*httpx.Body[Pipeline], error) {
			p, err := s.UpdatePipeline(ctx, org.ActorOf(ctx), in.ID, in.Body)
			return &httpx.Body[Pipeline]{Body: p}, err
		})
	huma.Register(api, huma.Operation{OperationID: "delete-pipeline", Method: http.MethodDelete, Path: "/pipelines/{id}",
		Summary: "Delete an empty pipeline that is not the default (admin)", DefaultStatus: http.StatusNoContent,
		Tags: tag, Middlewares: g.NeedRecord(org.OrgWrite)},
		func(ctx context.Context, in *httpx.IDPath) (*struct{}, error) {
			return nil, s.DeletePipeline(ctx, org.ActorOf(ctx), in.ID)
		})
	huma.Register(api, huma.Operation{OperationID: "get-board", Method: http.MethodGet, Path: "/pipelines/{id}/board",
		Summary: "The pipeline's kanban: stages with their first 50 deals in order, count and totals",
		Tags:    tag, Middlewares: g.Need(org.DealsRead),
		Responses: httpx.EncodedAs[Board](api, "Board")},
		func(ctx context.Context, in *boardQuery) (*httpx.Encoded, error) {
			kept, err := s.BoardAnswer(ctx, org.ActorOf(ctx).OrgID, in.ID, in.filter(), httpx.MarshalJSON(api))
			if err != nil {
				return nil, err
			}
			return kept.For(in.AcceptEncoding), nil
		})
}

func (s *Service) registerStages(api huma.API, g *org.Guard) {
	tag := []string{"Pipelines"}
	huma.Register(api, huma.Operation{OperationID: "list-stages", Method: http.MethodGet, Path: "/pipelines/{id}/stages",
		Summary: "A pipeline's stages in order", Tags: tag, Middlewares: g.Need(org.DealsRead)},
		func(ctx context.Context, in *httpx.IDPath) (*httpx.Body[httpx.Page[Stage]], error) {
			list, err := s.Stages(ctx, org.ActorOf(ctx).OrgID, in.ID)
			return &httpx.Body[httpx.Page[Stage]]{Body: httpx.NewPage(list, "")}, err
		})
	huma.Register(api, huma.Operation{OperationID: "create-stage", Method: http.MethodPost, Path: "/pipelines/{id}/stages",
		Summary: "Add a stage (admin)", DefaultStatus: http.StatusCreated, Tags: tag, Middlewares: g.NeedRecord(org.OrgWrite)},
		func(ctx context.Context, in *struct {
			ID   string `path:"id" maxLength:"64"`
			Body StageInput
		}) (*httpx.Body[Stage], error) {
			st, err := s.CreateStage(ctx, org.ActorOf(ctx), in.ID, in.Body)
			return &httpx.Body[Stage]{Body: st}, err
		})
	huma.Register(api, huma.Operation{OperationID: "update-stage", Method: http.MethodPatch, Path: "/stages/{id}",
		Summary: "Rename, move or re-weigh a stage, or change its kind (admin)", Tags: tag, Middlewares: g.NeedRecord(org.OrgWrite),
		Description: "A new kind changes the status of the stage's deals."},
		func(ctx context.Context, in *struct {
			ID   string `path:"id" maxLength:"64"`
			Body StageInput
		}) (*httpx.Body[Stage], error) {
			st, err := s.UpdateStage(ctx, org.ActorOf(ctx), in.ID, in.Body)
			return &httpx.Body[Stage]{Body: st}, err
		})
	huma.Register(api, huma.Operation{OperationID: "delete-stage", Method: http.MethodDelete, Path: "/stages/{id}",
		Summary: "Delete a stage (admin)", DefaultStatus: http.StatusNoContent, Tags: tag, Middlewares: g.NeedRecord(org.OrgWrite),
		Description: "A stage with deals is refused (409) unless move_to names another stage of the pipeline to take them. " +
			"The last stage, and the last open stage, cannot be deleted (409)."},
		func(ctx context.Context, in *struct {
			ID     string `path:"id" maxLength:"64"`
			MoveTo string `query:"move_to" maxLength:"64"`
		}) (*struct{}, error) {
			return nil, s.DeleteStage(ctx, org.ActorOf(ctx), in.ID, in.MoveTo)
		})
}

func (s *Service) registerDeals(api huma.API, g *org.Guard) {
	tag := []string{"Deals"}
	huma.Register(api, huma.Operation{OperationID: "list-deals", Method: http.MethodGet, Path: "/deals",
		Summary: "List deals", Tags: tag, Middlewares: g.Need(org.DealsRead)},
		func(ctx context.Context, in *dealListQuery) (*httpx.Body[httpx.Page[Card]], error) {
			list, next, err := s.ListDeals(ctx, org.ActorOf(ctx).OrgID, DealFilter{PipelineID: in.PipelineID, StageID: in.StageID, Status: in.Status,
				OwnerID: in.OwnerID, ContactID: in.ContactID, CompanyID: in.CompanyID, Tag: in.Tag, Q: in.Q, ValueMin: in.ValueMin,
				ValueMax: in.ValueMax, CloseFrom: in.CloseFrom, CloseTo: in.CloseTo, Sort: in.Sort, Cursor: in.Cursor, Limit: in.Limit})
			return &httpx.Body[httpx.Page[Card]]{Body: httpx.NewPage(list, next)}, err
		})
	huma.Register(api, huma.Operation{OperationID: "create-deal", Method: http.MethodPost, Path: "/deals",
		Summary: "Create a deal", Description: "At the bottom of its stage: the stage given, else the first open stage of the pipeline given or of the default.",
		DefaultStatus: http.StatusCreated, Tags: tag, Middlewares: g.Need(org.DealsWrite)},
		func(ctx context.Context, in *httpx.Body[DealInput]) (*httpx.Body[Deal], error) {
			d, err := s.CreateDeal(ctx, org.ActorOf(ctx), in.Body)
			return &httpx.Body[Deal]{Body: d}, err
		})
	huma.Register(api, huma.Operation{OperationID: "get-deal", Method: http.MethodGet, Path: "/deals/{id}",
		Summary: "A deal", Tags: tag, Middlewares: g.Need(org.DealsRead)},
		func(ctx context.Context, in *httpx.IDPath) (*httpx.Body[Deal], error) {
			d, err := s.Deal(ctx, org.ActorOf(ctx).OrgID, in.ID)
			return &httpx.Body[Deal]{Body: d}, err
		})
	huma.Register(api, huma.Operation{OperationID: "update-deal", Method: http.MethodPatch, Path: "/deals/{id}",
		Summary: "Change a deal", Description: "A new stage_id or status moves the deal to the bottom of that stage, as PATCH /deals/{id}/stage does.",
		Tags: tag, Middlewares: g.NeedRecord(org.DealsWrite)},
		func(ctx context.Context, in *struct {
			ID   string `path:"id" maxLength:"64"`
			Body DealInput
		}) (*httpx.Body[Deal], error) {
			d, err := s.UpdateDeal(ctx, org.ActorOf(ctx), in.ID, in.Body)
			return &httpx.Body[Deal]{Body: d}, err
		})
	huma.Register(api, huma.Operation{OperationID: "delete-deal", Method: http.MethodDelete, Path: "/deals/{id}",
		Summary: "Delete a deal", DefaultStatus: http.StatusNoContent, Tags: tag, Middlewares: g.NeedRecord(org.DealsWrite)},
		func(ctx context.Context, in *httpx.IDPath) (*struct{}, error) {
			return nil, s.DeleteDeal(ctx, org.ActorOf(ctx), in.ID)
		})
	huma.Register(api, huma.Operation{OperationID: "move-deal", Method: http.MethodPatch, Path: "/deals/{id}/stage",
		Summary: "Move a deal to a stage of its pipeline, at a place in the column", Tags: tag, Middlewares: g.NeedRecord(org.DealsWrite),
		Description: "The status follows the stage's kind; closed_at is set on entering won/lost and cleared on reopening. " +
			"Place by position (0-based index), before_id or after_id; default the bottom of the column."},
		func(ctx context.Context, in *struct {
			ID   string `path:"id" maxLength:"64"`
			Body MoveInput
		}) (*httpx.Body[Deal], error) {
			d, err := s.Move(ctx, org.ActorOf(ctx), in.ID, in.Body)
			return &httpx.Body[Deal]{Body: d}, err
		})
	huma.Register(api, huma.Operation{OperationID: "deal-history", Method: http.MethodGet, Path: "/deals/{id}/history",
		Summary: "A deal's stage moves, oldest first, with the time spent in each stage", Tags: tag, Middlewares: g.Need(org.DealsRead)},
		func(ctx context.Context, in *httpx.IDPath) (*httpx.Body[httpx.Page[StageMove]], error) {
			list, err := s.History(ctx, org.ActorOf(ctx).OrgID, in.ID)
			return &httpx.Body[httpx.Page[StageMove]]{Body: httpx.NewPage(list, "")}, err
		})
	s.registerDealNotes(api, g)
}

type dealNoteBody struct {
	Body string `json:"body" maxLength:"20000"`
}

// registerDealNotes adds notes and the timeline of a deal, kept by the CRM.
func (s *Service) registerDealNotes(api huma.API, g *org.Guard) {
	tag := []string{"Deals"}
	huma.Register(api, huma.Operation{OperationID: "list-deal-notes", Method: http.MethodGet, Path: "/deals/{id}/notes",
		Summary: "Notes of a deal, newest first", Tags: tag, Middlewares: g.Need(org.DealsRead)},
		func(ctx context.Context, in *struct {
			ID     string `path:"id" maxLength:"64"`
			Cursor string `query:"cursor" maxLength:"200"`
			Limit  int    `query:"limit" minimum:"0" maximum:"200"`
		}) (*httpx.Body[httpx.Page[crm.Note]], error) {
			list, next, err := s.crm.Notes(ctx, org.ActorOf(ctx).OrgID, SubjectDeal, in.ID, in.Cursor, in.Limit)
			return &httpx.Body[httpx.Page[crm.Note]]{Body: httpx.NewPage(list, next)}, err
		})
	huma.Register(api, huma.Operation{OperationID: "add-deal-note", Method: http.MethodPost, Path: "/deals/{id}/notes",
		Summary: "Add a note to a deal", DefaultStatus: http.StatusCreated, Tags: tag, Middlewares: g.NeedRecord(org.DealsWrite)},
		func(ctx context.Context, in *struct {
			ID   string `path:"id" maxLength:"64"`
			Body dealNoteBody
		}) (*httpx.Body[crm.Note], error) {
			n, err := s.crm.AddNote(ctx, org.ActorOf(ctx), SubjectDeal, in.ID, in.Body.Body)
			return &httpx.Body[crm.Note]{Body: n}, err
		})
	huma.Register(api, huma.Operation{OperationID: "list-deal-activity", Method: http.MethodGet, Path: "/deals/{id}/activity",
		Summary: "Activity timeline of a deal, newest first", Tags: tag, Middlewares: g.Need(org.DealsRead)},
		func(ctx context.Context, in *struct {
			ID     string `path:"id" maxLength:"64"`
			Cursor string `query:"cursor" maxLength:"200"`
			Limit  int    `query:"limit" minimum:"0" maximum:"200"`
		}) (*httpx.Body[httpx.Page[events.Event]], error) {
			list, next, err := s.crm.Activity(ctx, org.ActorOf(ctx).OrgID, SubjectDeal, in.ID, in.Cursor, in.Limit)
			return &httpx.Body[httpx.Page[events.Event]]{Body: httpx.NewPage(list, next)}, err
		})
}
