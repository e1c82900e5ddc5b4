package crm

import (
	"net/http"
	"time"

	"github.com/kite-crm/kite/internal/org"
	"github.com/kite-crm/kite/internal/web"
)

// Notes on the detail pages: plain text whose web addresses become links.
// Text is always written escaped by templ; only http(s) addresses that
// parse become <a> elements, so a note can never inject markup or a
// javascript: link.

// noteView is a note as the page shows it.
type noteView struct {
	ID     string
	Author string
	Body   string
	Parts  []web.TextPart
	At     time.Time
	Edited bool
}

func noteViews(notes []Note, members people) []noteView {
	out := make([]noteView, len(notes))
	for i, n := range notes {
		out[i] = noteView{ID: n.ID, Author: members.name(n.AuthorID), Body: n.Body, Parts: web.Linkify(n.Body), At: n.CreatedAt,
			Edited: n.UpdatedAt.Sub(n.CreatedAt) > time.Second}
	}
	return out
}

// noteField is the "new note" text area.
func noteField(body, err string) formField {
	return formField{Name: "body", Label: "New note", Kind: "textarea", Value: body, Error: err, MaxLength: maxNoteLen,
		Help: "Plain text. Web addresses (https://…) become links."}
}

// detailShower renders a record's detail page again, with the errors of a
// refused form next to their fields.
type detailShower func(w http.ResponseWriter, r *http.Request, c *org.WebCtx, errs web.FormErrors)

func (s *Service) addContactNoteSubmit(w http.ResponseWriter, r *http.Request, c *org.WebCtx) {
	s.addNoteSubmit(w, r, c, contactKind, s.showContact)
}

func (s *Service) addCompanyNoteSubmit(w http.ResponseWriter, r *http.Request, c *org.WebCtx) {
	s.addNoteSubmit(w, r, c, companyKind, s.showCompany)
}

// addNoteSubmit adds a note; an empty or too long one is refused next to
// the text area.
func (s *Service) addNoteSubmit(w http.ResponseWriter, r *http.Request, c *org.WebCtx, kind recordKind, show detailShower) {
	id := r.PathValue("id")
	_, err := s.AddNote(r.Context(), c.Actor, kind.Subject, id, r.PostFormValue("body"))
	if err == nil {
		org.Done(w, r, kind.Path+"/"+id+"#notes", "Note added.")
		return
	}
	var errs web.FormErrors
	if !s.orgs.FormErrors(w, r, err, &errs, nil) {
		return
	}
	if errs.Status == http.StatusNotFound {
		s.orgs.NotFound(w, r, c)
		return
	}
	show(w, r, c, errs)
}

// noteReturn is the page a note form came from: a contact's, a company's
// or another record's that keeps notes here (a deal's); any local path.
func noteReturn(r *http.Request) string {
	if to := web.SafeNext(r.PostFormValue("return")); to != "" {
		return to
	}
	return contactKind.Path
}

func (s *Service) editNoteSubmit(w http.ResponseWriter, r *http.Request, c *org.WebCtx) {
	back := noteReturn(r)
	if _, err := s.UpdateNote(r.Context(), c.Actor, r.PathValue("id"), r.PostFormValue("body")); err != nil {
		s.failed(w, r, c, back, err)
		return
	}
	org.Done(w, r, back+"#notes", "Note saved.")
}

func (s *Service) deleteNoteSubmit(w http.ResponseWriter, r *http.Request, c *org.WebCtx) {
	back := noteReturn(r)
	if err := s.DeleteNote(r.Context(), c.Actor, r.PathValue("id")); err != nil {
		s.failed(w, r, c, back, err)
		return
	}
	org.Done(w, r, back+"#notes", "Note deleted.")
}
