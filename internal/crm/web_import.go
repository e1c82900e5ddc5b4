package crm

import (
	"errors"
	"net/http"
	"strconv"
	"time"

	"github.com/kite-crm/kite/internal/org"
	"github.com/kite-crm/kite/internal/web"
)

// importPagePath is the CSV import page; uploads post to it. Each import
// then has its page under importsPath, as in the JSON API (/imports/{id}).
const (
	importPagePath = "/contacts/import"
	importsPath    = "/imports"
)

// importPreviewRows is how many rows the mapping step shows.
const importPreviewRows = 5

// registerImportPages adds the pages of the CSV import: upload, mapping, progress and the rejected rows.
func (s *Service) registerImportPages(mux *http.ServeMux) {
	mux.HandleFunc("GET "+importPagePath, s.orgs.InOrg(org.CRMWrite, s.importUploadPage))
	mux.HandleFunc("POST "+importPagePath, s.orgs.InOrg(org.CRMWrite, s.importUploadSubmit))
	mux.HandleFunc("GET "+importsPath+"/{id}", s.orgs.InOrg(org.CRMRead, s.importPage))
	mux.HandleFunc("POST "+importsPath+"/{id}/start", s.orgs.InOrg(org.CRMWrite, s.importStartSubmit))
	mux.HandleFunc("GET "+importsPath+"/{id}/progress", s.orgs.InOrg(org.CRMRead, s.importProgressFragment))
	mux.HandleFunc("GET "+importsPath+"/{id}/rejected.csv", s.orgs.InOrg(org.CRMRead, s.importRejectedDownload))
}

// importUploadView is step 1: the file picker and the recent imports.
type importUploadView struct {
	Recent []Import
	Errors web.FormErrors
	Loc    *time.Location
}

func (s *Service) renderUpload(w http.ResponseWriter, r *http.Request, c *org.WebCtx, status int, errs web.FormErrors) {
	recent, err := s.RecentImports(r.Context(), c.Org.ID, 10)
	if err != nil {
		web.ServerError(w, r, s.log, err)
		return
	}
	s.orgs.Render(w, r, status, importUploadPage(c.Page("Import contacts", "contacts"), importUploadView{Recent: recent, Errors: errs, Loc: c.Loc}))
}

func (s *Service) importUploadPage(w http.ResponseWriter, r *http.Request, c *org.WebCtx) {
	s.renderUpload(w, r, c, http.StatusOK, web.FormErrors{})
}

// importUploadSubmit stores the file as a draft and goes on to the
// mapping step. The multipart form spills the file to a temporary file,
// never holding it in memory.
func (s *Service) importUploadSubmit(w http.ResponseWriter, r *http.Request, c *org.WebCtx) {
	var errs web.FormErrors
	if err := r.ParseMultipartForm(64 << 10); err != nil {
		var tooLarge *http.MaxBytesError
		if errors.As(err, &tooLarge) {
			errs.Set("file", errImportTooLarge.Detail)
		} else {
			errs.Set("file", "Choose a CSV file to upload.")
		}
		s.renderUpload(w, r, c, errs.StatusOr(http.StatusUnprocessableEntity), errs)
		return
	}
	file, header, err := r.FormFile("file")
	if err != nil {
		errs.Set("file", "Choose a CSV file to upload.")
		s.renderUpload(w, r, c, http.StatusUnprocessableEntity, errs)
		return
	}
	defer file.Close()
	im, err := s.StartImport(r.Context(), c.Actor, ImportUpload{Filename: header.Filename, File: file, Draft: true})
	if err != nil {
		if s.orgs.FormErrors(w, r, err, &errs, nil) {
			s.renderUpload(w, r, c, errs.StatusOr(http.StatusUnprocessableEntity), errs)
		}
		return
	}
	http.Redirect(w, r, importsPath+"/"+im.ID, http.StatusSeeOther)
}

// importMappingView is step 2: a preview and a field per column.
type importMappingView struct {
	Import      Import
	Header      []string
	Preview     []previewRow
	Choices     []ImportField
	Mapping     map[string]string // column -> field
	OnDuplicate string
	Errors      web.FormErrors
}

// ColumnError is the message next to one column's picker.
func (v importMappingView) ColumnError(column string) string {
	return v.Errors.Field("mapping." + column)
}

// importPage shows the step an import is at: its mapping while a draft,
// its progress after.
func (s *Service) importPage(w http.ResponseWriter, r *http.Request, c *org.WebCtx) {
	im, err := s.Import(r.Context(), c.Org.ID, r.PathValue("id"))
	if err != nil {
		s.orgs.NotFound(w, r, c)
		return
	}
	if im.Status != ImportDraft {
		s.orgs.Render(w, r, http.StatusOK, importProgressPage(c.Page("Import contacts", "contacts"), im))
		return
	}
	if !c.Can(org.CRMWrite) {
		s.orgs.NotFound(w, r, c)
		return
	}
	s.renderMapping(w, r, c, http.StatusOK, im, im.Mapping, im.OnDuplicate, web.FormErrors{})
}

func (s *Service) renderMapping(w http.ResponseWriter, r *http.Request, c *org.WebCtx, status int, im Import, mapping map[string]string, onDup string, errs web.FormErrors) {
	ctx := r.Context()
	preview, err := s.importPreview(ctx, im, importPreviewRows)
	if err != nil {
		web.ServerError(w, r, s.log, err)
		return
	}
	defs, err := s.CustomFields(ctx, c.Org.ID, SubjectContact)
	if err != nil {
		web.ServerError(w, r, s.log, err)
		return
	}
	v := importMappingView{Import: im, Header: im.Header(), Preview: preview, Choices: importFieldChoices(defs),
		Mapping: mapping, OnDuplicate: onDup, Errors: errs}
	s.orgs.Render(w, r, status, importMappingPage(c.Page("Import contacts", "contacts"), v))
}

// importStartSubmit starts a draft with the mapping chosen: field.<n> is
// the field of the n-th column.
func (s *Service) importStartSubmit(w http.ResponseWriter, r *http.Request, c *org.WebCtx) {
	ctx := r.Context()
	im, err := s.Import(ctx, c.Org.ID, r.PathValue("id"))
	if err != nil {
		s.orgs.NotFound(w, r, c)
		return
	}
	chosen := map[string]*string{}
	shown := map[string]string{}
	for i, column := range im.Header() {
		field := r.PostFormValue("field." + strconv.Itoa(i))
		chosen[column], shown[column] = &field, field
	}
	onDup := r.PostFormValue("on_duplicate")
	started, err := s.StartDraft(ctx, c.Actor, im.ID, chosen, onDup)
	if err == nil {
		org.Done(w, r, importsPath+"/"+started.ID, "Import started.")
		return
	}
	if im.Status != ImportDraft {
		s.orgs.Failed(w, r, c, importsPath+"/"+im.ID, err)
		return
	}
	var errs web.FormErrors
	if s.orgs.FormErrors(w, r, err, &errs, nil) {
		s.renderMapping(w, r, c, errs.StatusOr(http.StatusUnprocessableEntity), im, shown, onDup, errs)
	}
}

// importProgressFragment is the progress card alone, which the page polls
// while the import runs.
func (s *Service) importProgressFragment(w http.ResponseWriter, r *http.Request, c *org.WebCtx) {
	im, err := s.Import(r.Context(), c.Org.ID, r.PathValue("id"))
	if err != nil {
		s.orgs.NotFound(w, r, c)
		return
	}
	s.orgs.Render(w, r, http.StatusOK, importProgressCard(im))
}

func (s *Service) importRejectedDownload(w http.ResponseWriter, r *http.Request, c *org.WebCtx) {
	im, err := s.Import(r.Context(), c.Org.ID, r.PathValue("id"))
	if err != nil {
		s.orgs.NotFound(w, r, c)
		return
	}
	w.Header().Set("Content-Type", "text/csv; charset=utf-8")
	w.Header().Set("Content-Disposition", `attachment; filename="`+rejectedFilename(im)+`"`)
	web.NoStore(w)
	if err := s.WriteRejectedCSV(r.Context(), w, im); err != nil {
		s.log.WarnContext(r.Context(), "writing rejected rows", "import", im.ID, "err", err)
	}
}
