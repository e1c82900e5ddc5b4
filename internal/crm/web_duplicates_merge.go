package crm

import (
	"context"
	"net/http"
	"strings"

	"github.com/kite-crm/kite/internal/org"
	"github.com/kite-crm/kite/internal/web"
)

// mergeRow is one field of the merge page: the survivor's value, the
// other's, and whether the person chooses between them (both have one and
// they differ; otherwise nothing is lost and there is nothing to choose).
type mergeRow struct {
	Name       string // the form field and MergeInput.Take name
	Label      string
	Keep, Take string // the survivor's and the other's value, for people
	Choose     bool
	TakeChosen bool // the other's value was picked
}

type mergeView struct {
	Survivor, Other Contact
	Rows            []mergeRow
	Tags            []string // both contacts' tags, all kept
	Errors          web.FormErrors
}

var mergeFieldLabels = map[string]string{
	"first_name": "First name", "last_name": "Last name", "email": "Email", "phone": "Phone",
	"telegram_username": "Telegram", "title": "Job title", "company_id": "Company", "owner_id": "Owner",
}

// mergeView lays the two contacts side by side, field by field.
func (s *Service) mergeView(ctx context.Context, orgID string, survivor, other Contact) (mergeView, error) {
	v := mergeView{Survivor: survivor, Other: other, Tags: unionTags(survivor.Tags, other.Tags)}
	members, err := s.people(ctx, orgID)
	if err != nil {
		return v, err
	}
	companies, err := s.companyNames(ctx, orgID, []string{survivor.CompanyID, other.CompanyID})
	if err != nil {
		return v, err
	}
	defs, err := s.CustomFields(ctx, orgID, SubjectContact)
	if err != nil {
		return v, err
	}
	keep, take := mergeableValues(survivor), mergeableValues(other)
	for _, f := range mergeableFields {
		show := asIs
		switch f {
		case "company_id":
			show = func(id string) string { return companies[id] }
		case "owner_id":
			show = members.name
		case "telegram_username":
			show = telegramHandle
		}
		v.addRow(f, mergeFieldLabels[f], keep[f], take[f], show)
	}
	for _, d := range defs {
		v.addRow(customTakePrefix+d.Key, d.Label, customText(survivor.CustomFields[d.Key]), customText(other.CustomFields[d.Key]), asIs)
	}
	return v, nil
}

// addRow adds a field that either contact has.
func (v *mergeView) addRow(name, label, keep, take string, show func(string) string) {
	if keep == "" && take == "" {
		return
	}
	v.Rows = append(v.Rows, mergeRow{Name: name, Label: label, Keep: show(keep), Take: show(take), Choose: keep != "" && take != "" && keep != take})
}

// chooseFrom marks the values the form picked from the other contact and
// returns them as MergeInput.Take.
func (v *mergeView) chooseFrom(r *http.Request) []string {
	var take []string
	for i, row := range v.Rows {
		if row.Choose && r.PostFormValue(row.Name) == "take" {
			v.Rows[i].TakeChosen = true
			take = append(take, row.Name)
		}
	}
	return take
}

func mergeableValues(c Contact) map[string]string {
	return map[string]string{"first_name": c.FirstName, "last_name": c.LastName, "email": c.Email, "phone": c.Phone,
		"telegram_username": c.TelegramUsername, "title": c.Title, "company_id": c.CompanyID, "owner_id": c.OwnerID}
}

func asIs(value string) string { return value }

func unionTags(a, b []string) []string {
	out := append([]string{}, a...)
	for _, t := range b {
		dup := false
		for _, have := range out {
			dup = dup || strings.EqualFold(have, t)
		}
		if !dup {
			out = append(out, t)
		}
	}
	return out
}

// mergePair loads the survivor (the path's contact) and the other; false
// means the page already answered 404: a missing contact, another org's,
// or a contact paired with itself.
func (s *Service) mergePair(w http.ResponseWriter, r *http.Request, c *org.WebCtx, otherID string) (Contact, Contact, bool) {
	survivor, err := s.Contact(r.Context(), c.Org.ID, r.PathValue("id"))
	if err != nil {
		s.recordMissing(w, r, c, err)
		return Contact{}, Contact{}, false
	}
	other, err := s.Contact(r.Context(), c.Org.ID, otherID)
	if err == nil && other.ID == survivor.ID {
		err = errContactNotFound
	}
	if err != nil {
		s.recordMissing(w, r, c, err)
		return Contact{}, Contact{}, false
	}
	return survivor, other, true
}

func (s *Service) mergePage(w http.ResponseWriter, r *http.Request, c *org.WebCtx) {
	survivor, other, ok := s.mergePair(w, r, c, r.URL.Query().Get("with"))
	if !ok {
		return
	}
	v, err := s.mergeView(r.Context(), c.Org.ID, survivor, other)
	if err != nil {
		web.ServerError(w, r, s.log, err)
		return
	}
	s.orgs.Render(w, r, http.StatusOK, mergePage(c.Page("Merge contacts", "contacts"), v))
}

func (s *Service) mergeSubmit(w http.ResponseWriter, r *http.Request, c *org.WebCtx) {
	survivor, other, ok := s.mergePair(w, r, c, r.PostFormValue("with"))
	if !ok {
		return
	}
	v, err := s.mergeView(r.Context(), c.Org.ID, survivor, other)
	if err != nil {
		web.ServerError(w, r, s.log, err)
		return
	}
	take := v.chooseFrom(r)
	merged, err := s.MergeContacts(r.Context(), c.Actor, survivor.ID, MergeInput{OtherID: other.ID, Take: take})
	if err == nil {
		org.Done(w, r, "/contacts/"+merged.ID, "Merged "+contactName(other)+" into "+contactName(merged)+".")
		return
	}
	if !s.orgs.FormErrors(w, r, err, &v.Errors, nil) {
		return
	}
	s.orgs.Render(w, r, v.Errors.StatusOr(http.StatusUnprocessableEntity), mergePage(c.Page("Merge contacts", "contacts"), v))
}
