package crm

import (
	"context"
	"net/http"
	"net/url"

	"github.com/kite-crm/kite/internal/org"
	"github.com/kite-crm/kite/internal/web"
)

// The write side of the contact and company pages, shared: a kind supplies
// how a posted form becomes its service call, these run the flow around
// it (validation next to the fields, 404 for another org's record).

// formSaver sends a posted form to the service; it may refuse values
// itself (a number that is not one) through errs before calling it.
type formSaver func(ctx context.Context, a org.Actor, form url.Values, defs []CustomField, errs *web.FormErrors) (id string, err error)

// saveForm parses the form and runs save; false means the answer was
// already written (a failure of the server).
func (s *Service) saveForm(w http.ResponseWriter, r *http.Request, c *org.WebCtx, kind recordKind, save formSaver) (string, web.FormErrors, bool) {
	var errs web.FormErrors
	if err := r.ParseForm(); err != nil {
		errs.Message = "The form could not be read; try again."
		errs.Status = http.StatusBadRequest
		return "", errs, true
	}
	defs, err := s.CustomFields(r.Context(), c.Org.ID, kind.Subject)
	if err != nil {
		web.ServerError(w, r, s.log, err)
		return "", errs, false
	}
	id, err := save(r.Context(), c.Actor, r.PostForm, defs, &errs)
	if errs.Any() || err == nil {
		return id, errs, true
	}
	return id, errs, s.orgs.FormErrors(w, r, err, &errs, nil)
}

// createSubmit adds a record from the "new" form and opens its page; a
// refused form comes back with its messages (422, or 409 for a taken email).
func (s *Service) createSubmit(w http.ResponseWriter, r *http.Request, c *org.WebCtx, kind recordKind, save formSaver, showForm detailShower) {
	id, errs, ok := s.saveForm(w, r, c, kind, save)
	switch {
	case !ok:
	case !errs.Any():
		org.Done(w, r, kind.Path+"/"+id, "The "+kind.Noun+" was added.")
	default:
		showForm(w, r, c, errs)
	}
}

// updateSubmit saves the fields a detail page's form sent (one field, the
// tags or the custom fields) and comes back to the page.
func (s *Service) updateSubmit(w http.ResponseWriter, r *http.Request, c *org.WebCtx, kind recordKind, save formSaver, show detailShower) {
	_, errs, ok := s.saveForm(w, r, c, kind, save)
	switch {
	case !ok:
	case !errs.Any():
		org.Done(w, r, kind.Path+"/"+r.PathValue("id"), "Saved.")
	case errs.Status == http.StatusNotFound:
		s.orgs.NotFound(w, r, c)
	default:
		show(w, r, c, errs)
	}
}

// deleteSubmit removes a record and goes back to its list.
func (s *Service) deleteSubmit(w http.ResponseWriter, r *http.Request, c *org.WebCtx, kind recordKind, remove func(context.Context, org.Actor, string) error) {
	id := r.PathValue("id")
	if err := remove(r.Context(), c.Actor, id); err != nil {
		s.failed(w, r, c, kind.Path+"/"+id, err)
		return
	}
	org.Done(w, r, kind.Path, "The "+kind.Noun+" was deleted.")
}

// draftFunc builds what a detail page shows of a record, given the org's
// members and custom fields, with a refused form's values on top.
type draftFunc func(ctx context.Context, members people, defs []CustomField, form url.Values) (recordDraft, error)

// renderDetail draws a detail page (status 200, or the refused form's).
func (s *Service) renderDetail(w http.ResponseWriter, r *http.Request, c *org.WebCtx, kind recordKind, errs web.FormErrors, draft draftFunc) {
	ctx := r.Context()
	r.ParseForm()
	members, defs, err := s.peopleAndFields(ctx, c.Org.ID, kind.Subject)
	if err != nil {
		web.ServerError(w, r, s.log, err)
		return
	}
	d, err := draft(ctx, members, defs, r.PostForm)
	if err != nil {
		s.recordMissing(w, r, c, err)
		return
	}
	v, err := s.detailView(r, c, kind, d, errs, members, defs)
	if err != nil {
		web.ServerError(w, r, s.log, err)
		return
	}
	p := c.Page(d.Name, kind.Plural)
	p.Scripts = []string{web.AssetRecord}
	s.orgs.Render(w, r, errs.StatusOr(http.StatusOK), recordPage(p, v))
}

// formView is the page of a new record.
type formView struct {
	Kind   recordKind
	Fields []formField
	Errors web.FormErrors
}

// renderNewForm draws the "new" form with the draft's values.
func (s *Service) renderNewForm(w http.ResponseWriter, r *http.Request, c *org.WebCtx, kind recordKind, errs web.FormErrors, draft draftFunc) {
	ctx := r.Context()
	r.ParseForm()
	members, defs, err := s.peopleAndFields(ctx, c.Org.ID, kind.Subject)
	if err != nil {
		web.ServerError(w, r, s.log, err)
		return
	}
	d, err := draft(ctx, members, defs, r.PostForm)
	if err != nil {
		web.ServerError(w, r, s.log, err)
		return
	}
	fields := append(d.Fields, tagsField(d.Tags))
	fields = append(fields, customFields(defs, d.Custom)...)
	v := formView{Kind: kind, Fields: withErrors(fields, errs), Errors: errs}
	s.orgs.Render(w, r, errs.StatusOr(http.StatusOK), recordFormPage(c.Page("New "+kind.Noun, kind.Plural), v))
}
