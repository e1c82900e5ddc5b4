package crm

import (
	"context"
	"encoding/json"
	"errors"
	"io"
	"net/http"
	"time"

	"github.com/uptrace/bun"

	"github.com/kite-crm/kite/internal/crm/csvx"
	"github.com/kite-crm/kite/internal/platform/db"
	"github.com/kite-crm/kite/internal/platform/httpx"
)

// Import statuses. A draft was uploaded through the web page and waits for
// its mapping; the API starts imports queued.
const (
	ImportDraft   = "draft"
	ImportQueued  = "queued"
	ImportRunning = "running"
	ImportDone    = "done"
	ImportFailed  = "failed"
)

// How duplicates of existing contacts (same email, phone or Telegram
// username) are handled.
const (
	DuplicateSkip   = "skip"
	DuplicateUpdate = "update"
)

// MaxImportErrorsShown caps the errors an import's status lists; the
// rejected-rows CSV has them all.
const MaxImportErrorsShown = 100

var errImportNotFound = httpx.NewProblem(http.StatusNotFound, "not_found", "No such import.")

// Import is a CSV import of contacts and its progress.
type Import struct {
	bun.BaseModel `bun:"table:imports"`
	ID            string `bun:"id,pk" json:"id"`
	OrgID         string `bun:"org_id" json:"-"`
	CreatedBy     string `bun:"created_by" json:"-"`
	Actor         string `bun:"actor" json:"-"`
	Status        string `bun:"status" json:"status" enum:"draft,queued,running,done,failed"`
	Filename      string `bun:"filename" json:"filename"`
	Size          int64  `bun:"size" json:"size" doc:"Bytes of the uploaded file"`
	OnDuplicate   string `bun:"on_duplicate" json:"on_duplicate" enum:"skip,update"`
	MappingText   string `bun:"mapping" json:"-"`
	HeaderText    string `bun:"header" json:"-"`
	Separator     string `bun:"separator" json:"-"`
	Total         int    `bun:"rows_total" json:"total" doc:"Rows read so far"`
	Created       int    `bun:"rows_created" json:"created"`
	Updated       int    `bun:"rows_updated" json:"updated"`
	Skipped       int    `bun:"rows_skipped" json:"skipped" doc:"Duplicates left as they were"`
	Failed        int    `bun:"rows_failed" json:"failed" doc:"Rejected rows"`
	ResumeOffset  int64  `bun:"resume_offset" json:"-"`
	ResumeLine    int    `bun:"resume_line" json:"-"`
	ResumeNumber  int    `bun:"resume_number" json:"-"`
	Error         string `bun:"error" json:"error,omitempty" doc:"Why a failed import stopped"`
	// Progress is the share of the file read, 0 to 100.
	Progress   int               `bun:"-" json:"progress"`
	Mapping    map[string]string `bun:"-" json:"mapping" doc:"Column -> field"`
	Errors     []ImportRowError  `bun:"-" json:"errors" doc:"The first 100 rejected rows; GET /imports/{id}/rejected.csv has them all"`
	CreatedAt  time.Time         `bun:"created_at" json:"created_at"`
	UpdatedAt  time.Time         `bun:"updated_at" json:"updated_at"`
	FinishedAt *time.Time        `bun:"finished_at" json:"finished_at"`
}

// Finished reports a done or failed import.
func (im Import) Finished() bool { return im.Status == ImportDone || im.Status == ImportFailed }

// Header is the file's column names.
func (im Import) Header() []string {
	var h []string
	json.Unmarshal([]byte(im.HeaderText), &h)
	return h
}

// decoded fills the JSON-only fields.
func (im Import) decoded() Import {
	im.Mapping = map[string]string{}
	json.Unmarshal([]byte(im.MappingText), &im.Mapping)
	switch {
	case im.Status == ImportDone:
		im.Progress = 100
	case im.Size > 0:
		im.Progress = int(im.ResumeOffset * 100 / im.Size)
	}
	if im.Errors == nil {
		im.Errors = []ImportRowError{}
	}
	return im
}

// ImportRowError is a rejected row: its number below the header and why.
type ImportRowError struct {
	bun.BaseModel `bun:"table:import_errors"`
	ImportID      string   `bun:"import_id,pk" json:"-"`
	Row           int      `bun:"row_number,pk" json:"row"`
	Message       string   `bun:"message" json:"message"`
	FieldsText    string   `bun:"fields" json:"-"`
	Fields        []string `bun:"-" json:"-"`
}

// Import returns an import of the org with its first rejected rows.
func (s *Service) Import(ctx context.Context, orgID, id string) (Import, error) {
	im, err := s.importOf(ctx, s.db.Read, orgID, id)
	if err != nil {
		return im, err
	}
	err = s.db.Read.NewSelect().Model(&im.Errors).Where("import_id = ?", id).Order("row_number").
		Limit(MaxImportErrorsShown).Scan(ctx)
	return im.decoded(), err
}

func (s *Service) importOf(ctx context.Context, q bun.IDB, orgID, id string) (Import, error) {
	var im Import
	if !db.ValidID(id) || q.NewSelect().Model(&im).Where("org_id = ?", orgID).Where("id = ?", id).Scan(ctx) != nil {
		return im, errImportNotFound
	}
	return im, nil
}

// RecentImports lists the org's latest imports, newest first (drafts left).
func (s *Service) RecentImports(ctx context.Context, orgID string, limit int) ([]Import, error) {
	out := []Import{}
	err := s.db.Read.NewSelect().Model(&out).Where("org_id = ?", orgID).Where("status <> ?", ImportDraft).
		OrderExpr("id DESC").Limit(int64(httpx.Limit(limit))).Scan(ctx)
	for i := range out {
		out[i] = out[i].decoded()
	}
	return out, err
}

// rejectedRowsPage is how many rejected rows are read per query while
// writing the rejected-rows CSV.
const rejectedRowsPage = 1000

// EachRejectedRow calls fn with every rejected row of an import in row
// order, reading them page by page so memory stays bounded.
func (s *Service) EachRejectedRow(ctx context.Context, orgID, id string, fn func(ImportRowError) error) error {
	if _, err := s.importOf(ctx, s.db.Read, orgID, id); err != nil {
		return err
	}
	after := 0
	for {
		var page []ImportRowError
		err := s.db.Read.NewSelect().Model(&page).Where("import_id = ?", id).Where("row_number > ?", after).
			Order("row_number").Limit(rejectedRowsPage).Scan(ctx)
		if err != nil {
			return err
		}
		for _, e := range page {
			json.Unmarshal([]byte(e.FieldsText), &e.Fields)
			if err := fn(e); err != nil {
				return err
			}
			after = e.Row
		}
		if len(page) < rejectedRowsPage {
			return nil
		}
	}
}

// previewRow is a row of the file as the mapping step shows it.
type previewRow struct {
	Number  int
	Fields  []string
	Problem string // why the row cannot be read, if it cannot
}

// importPreview reads the first n rows of an import's stored file.
func (s *Service) importPreview(ctx context.Context, im Import, n int) ([]previewRow, error) {
	r, err := csvx.NewReader(newChunkReader(ctx, s.db.Read, im.ID, 0))
	if err != nil {
		return nil, err
	}
	var rows []previewRow
	for len(rows) < n {
		row, err := r.Next()
		if errors.Is(err, io.EOF) {
			break
		}
		if err != nil {
			return nil, err
		}
		p := previewRow{Number: row.Number, Fields: row.Fields}
		if row.Err != nil {
			p.Problem = row.Err.Error()
		}
		rows = append(rows, p)
	}
	return rows, nil
}
