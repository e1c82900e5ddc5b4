package crm

import (
	"context"
	"encoding/csv"
	"io"
	"net/http"
	"strconv"
	"strings"

	"github.com/danielgtaylor/huma/v2"

	"github.com/kite-crm/kite/internal/org"
	"github.com/kite-crm/kite/internal/platform/httpx"
)

// ImportUploadPaths are the routes that take a CSV file: the API's and
// the web page's. Their request bodies may reach MaxImportRequestBytes.
var ImportUploadPaths = []string{httpx.APIPrefix + "/contacts/import", importPagePath}

// IsImportUpload reports a request that uploads a CSV file to import.
func IsImportUpload(r *http.Request) bool {
	return r.Method == http.MethodPost && (r.URL.Path == ImportUploadPaths[0] || r.URL.Path == ImportUploadPaths[1])
}

// importForm is the multipart body of POST /contacts/import.
type importForm struct {
	File        huma.FormFile `form:"file" contentType:"text/csv,text/plain,application/octet-stream" required:"true" doc:"The CSV file: UTF-8 (with or without BOM), a header row, ',' or ';' between fields"`
	Mapping     string        `form:"mapping" required:"false" maxLength:"20000" doc:"JSON object of column name -> field: first_name, last_name, name (split into first and last), email, phone, telegram_username, title, company (a name: found or created), tags (split on , or ;), owner (a member's email), or a custom field's key. Unmapped columns are ignored. Without it, the mapping is guessed from the column names."`
	OnDuplicate string        `form:"on_duplicate" required:"false" enum:"skip,update" doc:"What to do with a row whose email, phone or Telegram username matches a contact (or an earlier row): skip it (default), or update that contact with the row's non-empty values (tags are added)."`
}

type importBody struct {
	Body Import
}

func (s *Service) registerImports(api huma.API, g *org.Guard) {
	tag := []string{"Contacts"}
	huma.Register(api, huma.Operation{OperationID: "import-contacts", Method: http.MethodPost, Path: "/contacts/import",
		Summary: "Import contacts from a CSV file", Tags: tag, DefaultStatus: http.StatusAccepted, Middlewares: g.Need(org.CRMWrite),
		MaxBodyBytes: MaxImportRequestBytes,
		Description: "Stores the file (up to 100 MiB) and imports it in the background; poll `GET /imports/{id}`. " +
			"Bad rows are reported with their row number and never stop the others. One `import.started` and one " +
			"`import.finished` event are recorded per import, not one event per contact."},
		func(ctx context.Context, in *struct {
			RawBody huma.MultipartFormFiles[importForm]
		}) (*importBody, error) {
			form := in.RawBody.Data()
			im, err := s.StartImport(ctx, org.ActorOf(ctx), ImportUpload{Filename: form.File.Filename, File: form.File,
				Mapping: form.Mapping, OnDuplicate: form.OnDuplicate})
			return &importBody{im}, err
		})
	huma.Register(api, huma.Operation{OperationID: "list-imports", Method: http.MethodGet, Path: "/imports",
		Summary: "Recent imports, newest first", Tags: tag, Middlewares: g.Need(org.CRMRead)},
		func(ctx context.Context, in *struct {
			Limit int `query:"limit" minimum:"0" maximum:"200"`
		}) (*struct{ Body httpx.Page[Import] }, error) {
			list, err := s.RecentImports(ctx, org.ActorOf(ctx).OrgID, in.Limit)
			return &struct{ Body httpx.Page[Import] }{httpx.NewPage(list, "")}, err
		})
	huma.Register(api, huma.Operation{OperationID: "get-import", Method: http.MethodGet, Path: "/imports/{id}",
		Summary: "An import's progress and counts", Tags: tag, Middlewares: g.Need(org.CRMRead),
		Description: "`errors` lists the first 100 rejected rows; `GET /imports/{id}/rejected.csv` has all of them. " +
			"`total` counts the rows read so far; `progress` is the share of the file read, in percent."},
		func(ctx context.Context, in *httpx.IDPath) (*importBody, error) {
			im, err := s.Import(ctx, org.ActorOf(ctx).OrgID, in.ID)
			return &importBody{im}, err
		})
	huma.Register(api, huma.Operation{OperationID: "get-import-rejected-rows", Method: http.MethodGet, Path: "/imports/{id}/rejected.csv",
		Summary: "The rejected rows of an import, as CSV", Tags: tag, Middlewares: g.Need(org.CRMRead),
		Description: "Columns: row (its number below the header), reason, then the file's own columns as read.",
		Responses:   map[string]*huma.Response{"200": {Description: "CSV", Content: map[string]*huma.MediaType{"text/csv": {}}}}},
		func(ctx context.Context, in *httpx.IDPath) (*huma.StreamResponse, error) {
			orgID := org.ActorOf(ctx).OrgID
			im, err := s.Import(ctx, orgID, in.ID)
			if err != nil {
				return nil, err
			}
			return &huma.StreamResponse{Body: func(hctx huma.Context) {
				hctx.SetHeader("Content-Type", "text/csv; charset=utf-8")
				hctx.SetHeader("Content-Disposition", `attachment; filename="`+rejectedFilename(im)+`"`)
				if err := s.WriteRejectedCSV(ctx, hctx.BodyWriter(), im); err != nil {
					s.log.WarnContext(ctx, "writing rejected rows", "import", im.ID, "err", err)
				}
			}}, nil
		})
}

// rejectedFilename names the rejected-rows download after the upload.
func rejectedFilename(im Import) string {
	base := strings.TrimSuffix(im.Filename, ".csv")
	base = strings.Map(func(r rune) rune {
		if r < 0x20 || r == '"' || r == '\\' || r > 0x7e {
			return '_'
		}
		return r
	}, base)
	if base == "" {
		base = "import"
	}
	return base + "-rejected.csv"
}

// WriteRejectedCSV writes an import's rejected rows as CSV: row number,
// reason, then the file's columns.
func (s *Service) WriteRejectedCSV(ctx context.Context, w io.Writer, im Import) error {
	out := csv.NewWriter(w)
	out.Write(append([]string{"row", "reason"}, im.Header()...))
	err := s.EachRejectedRow(ctx, im.OrgID, im.ID, func(e ImportRowError) error {
		return out.Write(append([]string{strconv.Itoa(e.Row), e.Message}, e.Fields...))
	})
	out.Flush()
	if err != nil {
		return err
	}
	return out.Error()
}
