package crm

import (
	"context"
	"net/http"
	"time"

	"github.com/danielgtaylor/huma/v2"

	"github.com/kite-crm/kite/internal/org"
	"github.com/kite-crm/kite/internal/platform/events"
	"github.com/kite-crm/kite/internal/platform/httpx"
)

type listQuery struct {
	Q             string    `query:"q" maxLength:"200" doc:"Full text over name, email, phone, company; each word matches as a prefix"`
	Tag           string    `query:"tag" maxLength:"50"`
	Custom        []string  `query:"cf" maxItems:"10" doc:"Custom field filter key:value, repeatable"`
	OwnerID       string    `query:"owner_id" maxLength:"64"`
	CreatedAfter  time.Time `query:"created_after" doc:"RFC 3339"`
	CreatedBefore time.Time `query:"created_before" doc:"RFC 3339"`
	UpdatedAfter  time.Time `query:"updated_after" doc:"RFC 3339"`
	UpdatedBefore time.Time `query:"updated_before" doc:"RFC 3339"`
	Sort          string    `query:"sort" maxLength:"30" doc:"created_at, updated_at or name; prefix - for descending (default -created_at)"`
	Cursor        string    `query:"cursor" maxLength:"500"`
	Limit         int       `query:"limit" minimum:"0" maximum:"200" doc:"Default 50"`
}

// contactListQuery is listQuery plus the company filter (huma reads
// parameters only from fields declared directly in the input struct).
type contactListQuery struct {
	Q             string    `query:"q" maxLength:"200" doc:"Full text over name, email, phone, company; each word matches as a prefix"`
	Tag           string    `query:"tag" maxLength:"50"`
	Custom        []string  `query:"cf" maxItems:"10" doc:"Custom field filter key:value, repeatable"`
	CompanyID     string    `query:"company_id" maxLength:"64"`
	OwnerID       string    `query:"owner_id" maxLength:"64"`
	CreatedAfter  time.Time `query:"created_after" doc:"RFC 3339"`
	CreatedBefore time.Time `query:"created_before" doc:"RFC 3339"`
	UpdatedAfter  time.Time `query:"updated_after" doc:"RFC 3339"`
	UpdatedBefore time.Time `query:"updated_before" doc:"RFC 3339"`
	Sort          string    `query:"sort" maxLength:"30" doc:"created_at, updated_at or name; prefix - for descending (default -created_at)"`
	Cursor        string    `query:"cursor" maxLength:"500"`
	Limit         int       `query:"limit" minimum:"0" maximum:"200" doc:"Default 50"`
}

func optTime(t time.Time) *time.Time {
	if t.IsZero() {
		return nil
	}
	return &t
}

// RegisterAPI adds the CRM routes of API.md ("CRM").
func (s *Service) RegisterAPI(api huma.API, g *org.Guard) {
	s.registerCompanies(api, g)
	s.registerContacts(api, g)
	s.registerNotes(api, g)
	s.registerTags(api, g)
	s.registerCustomFields(api, g)
	s.registerImports(api, g)
}

func (s *Service) registerCustomFields(api huma.API, g *org.Guard) {
	tag := []string{"Custom fields"}
	huma.Register(api, huma.Operation{OperationID: "list-custom-fields", Method: http.MethodGet, Path: "/custom-fields",
		Summary: "Custom fields of contacts and companies", Tags: tag, Middlewares: g.Need(org.CRMRead)},
		func(ctx context.Context, in *struct {
			Object string `query:"object" enum:"contact,company,"`
		}) (*struct{ Body httpx.Page[CustomField] }, error) {
			list, err := s.CustomFields(ctx, org.ActorOf(ctx).OrgID, in.Object)
			return &struct{ Body httpx.Page[CustomField] }{httpx.NewPage(list, "")}, err
		})
	huma.Register(api, huma.Operation{OperationID: "create-custom-field", Method: http.MethodPost, Path: "/custom-fields",
		Summary: "Define a custom field (admin)", DefaultStatus: http.StatusCreated, Tags: tag, Middlewares: g.Need(org.OrgWrite)},
		func(ctx context.Context, in *struct{ Body CustomFieldInput }) (*struct{ Body CustomField }, error) {
			f, err := s.CreateCustomField(ctx, org.ActorOf(ctx), in.Body)
			return &struct{ Body CustomField }{f}, err
		})
	huma.Register(api, huma.Operation{OperationID: "update-custom-field", Method: http.MethodPatch, Path: "/custom-fields/{id}",
		Summary: "Rename a custom field or change its options (admin)", Tags: tag, Middlewares: g.NeedRecord(org.OrgWrite)},
		func(ctx context.Context, in *struct {
			ID   string `path:"id" maxLength:"64"`
			Body CustomFieldInput
		}) (*struct{ Body CustomField }, error) {
			f, err := s.UpdateCustomField(ctx, org.ActorOf(ctx), in.ID, in.Body)
			return &struct{ Body CustomField }{f}, err
		})
	huma.Register(api, huma.Operation{OperationID: "delete-custom-field", Method: http.MethodDelete, Path: "/custom-fields/{id}",
		Summary: "Remove a custom field (admin)", DefaultStatus: http.StatusNoContent, Tags: tag, Middlewares: g.NeedRecord(org.OrgWrite)},
		func(ctx context.Context, in *httpx.IDPath) (*struct{}, error) {
			return nil, s.DeleteCustomField(ctx, org.ActorOf(ctx), in.ID)
		})
}

func (s *Service) registerContacts(api huma.API, g *org.Guard) {
	tag := []string{"Contacts"}
	huma.Register(api, huma.Operation{OperationID: "list-contacts", Method: http.MethodGet, Path: "/contacts",
		Summary: "List contacts", Tags: tag, Middlewares: g.Need(org.CRMRead)},
		func(ctx context.Context, in *contactListQuery) (*struct{ Body httpx.Page[Contact] }, error) {
			list, next, err := s.ListContacts(ctx, org.ActorOf(ctx).OrgID, ContactFilter{CompanyID: in.CompanyID, RecordFilter: RecordFilter{
				Q: in.Q, Tag: in.Tag, Custom: in.Custom, OwnerID: in.OwnerID, CreatedAfter: optTime(in.CreatedAfter),
				CreatedBefore: optTime(in.CreatedBefore), UpdatedAfter: optTime(in.UpdatedAfter), UpdatedBefore: optTime(in.UpdatedBefore), Sort: in.Sort, Cursor: in.Cursor, Limit: in.Limit}})
			return &struct{ Body httpx.Page[Contact] }{httpx.NewPage(list, next)}, err
		})
	huma.Register(api, huma.Operation{OperationID: "search-contacts", Method: http.MethodGet, Path: "/contacts/search",
		Summary: "Ranked full-text search of contacts", Tags: tag, Middlewares: g.Need(org.CRMRead),
		Description: "Returns the best `limit` matches, most relevant first; `next_cursor` is always null."},
		func(ctx context.Context, in *struct {
			Q     string `query:"q" maxLength:"200" required:"true"`
			Limit int    `query:"limit" minimum:"0" maximum:"200"`
		}) (*struct{ Body httpx.Page[Contact] }, error) {
			list, err := s.SearchContacts(ctx, org.ActorOf(ctx).OrgID, in.Q, in.Limit)
			return &struct{ Body httpx.Page[Contact] }{httpx.NewPage(list, "")}, err
		})
	huma.Register(api, huma.Operation{OperationID: "list-duplicate-contacts", Method: http.MethodGet, Path: "/contacts/duplicates",
		Summary: "Possible duplicate contacts", Tags: tag, Middlewares: g.Need(org.CRMRead),
		Description: "Groups of contacts with the same phone (any format) or Telegram username (any case)."},
		func(ctx context.Context, _ *struct{}) (*struct{ Body httpx.Page[DuplicateGroup] }, error) {
			groups, err := s.Duplicates(ctx, org.ActorOf(ctx).OrgID)
			return &struct{ Body httpx.Page[DuplicateGroup] }{httpx.NewPage(groups, "")}, err
		})
	huma.Register(api, huma.Operation{OperationID: "merge-contacts", Method: http.MethodPost, Path: "/contacts/{id}/merge",
		Summary: "Merge another contact into this one", Tags: tag, Middlewares: g.NeedRecord(org.CRMWrite),
		Description: "Moves the other contact's notes and tags here, takes the chosen fields (and any this contact lacks), then deletes the other."},
		func(ctx context.Context, in *struct {
			ID   string `path:"id" maxLength:"64"`
			Body MergeInput
		}) (*struct{ Body Contact }, error) {
			c, err := s.MergeContacts(ctx, org.ActorOf(ctx), in.ID, in.Body)
			return &struct{ Body Contact }{c}, err
		})
	huma.Register(api, huma.Operation{OperationID: "bulk-contacts", Method: http.MethodPost, Path: "/contacts/bulk",
		Summary: "Tag, untag, reassign or delete many contacts", Tags: tag, Middlewares: g.Need(org.CRMWrite),
		Description: "One transaction; IDs that are unknown or of another organization are skipped, and `affected` counts the rest."},
		func(ctx context.Context, in *struct{ Body BulkInput }) (*struct{ Body BulkResult }, error) {
			r, err := s.BulkContacts(ctx, org.ActorOf(ctx), in.Body)
			return &struct{ Body BulkResult }{r}, err
		})
	huma.Register(api, huma.Operation{OperationID: "create-contact", Method: http.MethodPost, Path: "/contacts",
		Summary: "Create a contact", DefaultStatus: http.StatusCreated, Tags: tag, Middlewares: g.Need(org.CRMWrite)},
		func(ctx context.Context, in *struct{ Body ContactInput }) (*struct{ Body Contact }, error) {
			c, err := s.CreateContact(ctx, org.ActorOf(ctx), in.Body)
			return &struct{ Body Contact }{c}, err
		})
	huma.Register(api, huma.Operation{OperationID: "get-contact", Method: http.MethodGet, Path: "/contacts/{id}",
		Summary: "A contact", Tags: tag, Middlewares: g.Need(org.CRMRead)},
		func(ctx context.Context, in *httpx.IDPath) (*struct{ Body Contact }, error) {
			c, err := s.Contact(ctx, org.ActorOf(ctx).OrgID, in.ID)
			return &struct{ Body Contact }{c}, err
		})
	huma.Register(api, huma.Operation{OperationID: "update-contact", Method: http.MethodPatch, Path: "/contacts/{id}",
		Summary: "Change a contact", Tags: tag, Middlewares: g.NeedRecord(org.CRMWrite)},
		func(ctx context.Context, in *struct {
			ID   string `path:"id" maxLength:"64"`
			Body ContactInput
		}) (*struct{ Body Contact }, error) {
			c, err := s.UpdateContact(ctx, org.ActorOf(ctx), in.ID, in.Body)
			return &struct{ Body Contact }{c}, err
		})
	huma.Register(api, huma.Operation{OperationID: "delete-contact", Method: http.MethodDelete, Path: "/contacts/{id}",
		Summary: "Delete a contact", DefaultStatus: http.StatusNoContent, Tags: tag, Middlewares: g.NeedRecord(org.CRMWrite)},
		func(ctx context.Context, in *httpx.IDPath) (*struct{}, error) {
			return nil, s.DeleteContact(ctx, org.ActorOf(ctx), in.ID)
		})
}

func (s *Service) registerCompanies(api huma.API, g *org.Guard) {
	tag := []string{"Companies"}
	huma.Register(api, huma.Operation{OperationID: "list-companies", Method: http.MethodGet, Path: "/companies",
		Summary: "List companies", Tags: tag, Middlewares: g.Need(org.CRMRead)},
		func(ctx context.Context, in *listQuery) (*struct{ Body httpx.Page[Company] }, error) {
			list, next, err := s.ListCompanies(ctx, org.ActorOf(ctx).OrgID, CompanyFilter{Q: in.Q, Tag: in.Tag, Custom: in.Custom, OwnerID: in.OwnerID,
				CreatedAfter: optTime(in.CreatedAfter), CreatedBefore: optTime(in.CreatedBefore), UpdatedAfter: optTime(in.UpdatedAfter), UpdatedBefore: optTime(in.UpdatedBefore),
				Sort: in.Sort, Cursor: in.Cursor, Limit: in.Limit})
			return &struct{ Body httpx.Page[Company] }{httpx.NewPage(list, next)}, err
		})
	huma.Register(api, huma.Operation{OperationID: "bulk-companies", Method: http.MethodPost, Path: "/companies/bulk",
		Summary: "Tag, untag, reassign or delete many companies", Tags: tag, Middlewares: g.Need(org.CRMWrite),
		Description: "One transaction; IDs that are unknown or of another organization are skipped, and `affected` counts the rest. Deleted companies' contacts stay, unlinked."},
		func(ctx context.Context, in *struct{ Body BulkInput }) (*struct{ Body BulkResult }, error) {
			r, err := s.BulkCompanies(ctx, org.ActorOf(ctx), in.Body)
			return &struct{ Body BulkResult }{r}, err
		})
	huma.Register(api, huma.Operation{OperationID: "create-company", Method: http.MethodPost, Path: "/companies",
		Summary: "Create a company", DefaultStatus: http.StatusCreated, Tags: tag, Middlewares: g.Need(org.CRMWrite)},
		func(ctx context.Context, in *struct{ Body CompanyInput }) (*struct{ Body Company }, error) {
			c, err := s.CreateCompany(ctx, org.ActorOf(ctx), in.Body)
			return &struct{ Body Company }{c}, err
		})
	huma.Register(api, huma.Operation{OperationID: "get-company", Method: http.MethodGet, Path: "/companies/{id}",
		Summary: "A company", Tags: tag, Middlewares: g.Need(org.CRMRead)},
		func(ctx context.Context, in *httpx.IDPath) (*struct{ Body Company }, error) {
			c, err := s.Company(ctx, org.ActorOf(ctx).OrgID, in.ID)
			return &struct{ Body Company }{c}, err
		})
	huma.Register(api, huma.Operation{OperationID: "update-company", Method: http.MethodPatch, Path: "/companies/{id}",
		Summary: "Change a company", Tags: tag, Middlewares: g.NeedRecord(org.CRMWrite)},
		func(ctx context.Context, in *struct {
			ID   string `path:"id" maxLength:"64"`
			Body CompanyInput
		}) (*struct{ Body Company }, error) {
			c, err := s.UpdateCompany(ctx, org.ActorOf(ctx), in.ID, in.Body)
			return &struct{ Body Company }{c}, err
		})
	huma.Register(api, huma.Operation{OperationID: "delete-company", Method: http.MethodDelete, Path: "/companies/{id}",
		Summary: "Delete a company (its contacts stay, unlinked)", DefaultStatus: http.StatusNoContent, Tags: tag,
		Middlewares: g.NeedRecord(org.CRMWrite)},
		func(ctx context.Context, in *httpx.IDPath) (*struct{}, error) {
			return nil, s.DeleteCompany(ctx, org.ActorOf(ctx), in.ID)
		})
}

type noteBody struct {
	Body string `json:"body" maxLength:"20000"`
}

func (s *Service) registerNotes(api huma.API, g *org.Guard) {
	tag := []string{"Notes"}
	for _, subject := range []string{SubjectContact, SubjectCompany} {
		base := "/contacts/{id}/notes"
		if subject == SubjectCompany {
			base = "/companies/{id}/notes"
		}
		huma.Register(api, huma.Operation{OperationID: "list-" + subject + "-notes", Method: http.MethodGet, Path: base,
			Summary: "Notes of a " + subject + ", newest first", Tags: tag, Middlewares: g.Need(org.CRMRead)},
			func(ctx context.Context, in *struct {
				ID     string `path:"id" maxLength:"64"`
				Cursor string `query:"cursor" maxLength:"200"`
				Limit  int    `query:"limit" minimum:"0" maximum:"200"`
			}) (*struct{ Body httpx.Page[Note] }, error) {
				list, next, err := s.Notes(ctx, org.ActorOf(ctx).OrgID, subject, in.ID, in.Cursor, in.Limit)
				return &struct{ Body httpx.Page[Note] }{httpx.NewPage(list, next)}, err
			})
		huma.Register(api, huma.Operation{OperationID: "add-" + subject + "-note", Method: http.MethodPost, Path: base,
			Summary: "Add a note to a " + subject, DefaultStatus: http.StatusCreated, Tags: tag, Middlewares: g.NeedRecord(org.CRMWrite)},
			func(ctx context.Context, in *struct {
				ID   string `path:"id" maxLength:"64"`
				Body noteBody
			}) (*struct{ Body Note }, error) {
				n, err := s.AddNote(ctx, org.ActorOf(ctx), subject, in.ID, in.Body.Body)
				return &struct{ Body Note }{n}, err
			})
	}
	for _, subject := range []string{SubjectContact, SubjectCompany} {
		path := "/contacts/{id}/activity"
		if subject == SubjectCompany {
			path = "/companies/{id}/activity"
		}
		huma.Register(api, huma.Operation{OperationID: "list-" + subject + "-activity", Method: http.MethodGet, Path: path,
			Summary: "Activity timeline of a " + subject, Tags: tag, Middlewares: g.Need(org.CRMRead),
			Description: "Events about the record, newest first: created, changed fields (old and new values), notes, merges."},
			func(ctx context.Context, in *struct {
				ID     string `path:"id" maxLength:"64"`
				Cursor string `query:"cursor" maxLength:"200"`
				Limit  int    `query:"limit" minimum:"0" maximum:"200"`
			}) (*struct{ Body httpx.Page[events.Event] }, error) {
				list, next, err := s.Activity(ctx, org.ActorOf(ctx).OrgID, subject, in.ID, in.Cursor, in.Limit)
				return &struct{ Body httpx.Page[events.Event] }{httpx.NewPage(list, next)}, err
			})
	}
	huma.Register(api, huma.Operation{OperationID: "update-note", Method: http.MethodPatch, Path: "/notes/{id}",
		Summary: "Change a note", Tags: tag, Middlewares: g.NeedRecord(org.CRMWrite)},
		func(ctx context.Context, in *struct {
			ID   string `path:"id" maxLength:"64"`
			Body noteBody
		}) (*struct{ Body Note }, error) {
			n, err := s.UpdateNote(ctx, org.ActorOf(ctx), in.ID, in.Body.Body)
			return &struct{ Body Note }{n}, err
		})
	huma.Register(api, huma.Operation{OperationID: "delete-note", Method: http.MethodDelete, Path: "/notes/{id}",
		Summary: "Delete a note", DefaultStatus: http.StatusNoContent, Tags: tag, Middlewares: g.NeedRecord(org.CRMWrite)},
		func(ctx context.Context, in *httpx.IDPath) (*struct{}, error) {
			return nil, s.DeleteNote(ctx, org.ActorOf(ctx), in.ID)
		})
}

func (s *Service) registerTags(api huma.API, g *org.Guard) {
	tag := []string{"Tags"}
	huma.Register(api, huma.Operation{OperationID: "list-tags", Method: http.MethodGet, Path: "/tags",
		Summary: "The organization's tags", Tags: tag, Middlewares: g.Need(org.CRMRead)},
		func(ctx context.Context, _ *struct{}) (*struct{ Body httpx.Page[Tag] }, error) {
			list, err := s.Tags(ctx, org.ActorOf(ctx).OrgID)
			return &struct{ Body httpx.Page[Tag] }{httpx.NewPage(list, "")}, err
		})
	huma.Register(api, huma.Operation{OperationID: "create-tag", Method: http.MethodPost, Path: "/tags",
		Summary: "Create a tag", DefaultStatus: http.StatusCreated, Tags: tag, Middlewares: g.Need(org.CRMWrite)},
		func(ctx context.Context, in *struct {
			Body struct {
				Name  string `json:"name" maxLength:"50"`
				Color string `json:"color,omitempty" maxLength:"7" doc:"Hex color like #4f46e5"`
			}
		}) (*struct{ Body Tag }, error) {
			t, err := s.CreateTag(ctx, org.ActorOf(ctx), in.Body.Name, in.Body.Color)
			return &struct{ Body Tag }{t}, err
		})
	huma.Register(api, huma.Operation{OperationID: "delete-tag", Method: http.MethodDelete, Path: "/tags/{id}",
		Summary: "Delete a tag everywhere", DefaultStatus: http.StatusNoContent, Tags: tag, Middlewares: g.NeedRecord(org.CRMWrite)},
		func(ctx context.Context, in *httpx.IDPath) (*struct{}, error) {
			return nil, s.DeleteTag(ctx, org.ActorOf(ctx), in.ID)
		})
}
