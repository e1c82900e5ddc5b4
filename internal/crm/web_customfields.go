package crm

import (
	"net/http"
	"strings"

	"github.com/kite-crm/kite/internal/org"
	"github.com/kite-crm/kite/internal/web"
)

// customFieldsPath is the settings tab of custom fields.
const customFieldsPath = "/settings/custom-fields"

// customFieldForm is what the add and edit forms hold, as typed.
type customFieldForm struct {
	Object, Label, Key, Type string
	Options                  string // one choice per line
}

func readCustomFieldForm(r *http.Request) customFieldForm {
	return customFieldForm{Object: r.PostFormValue("object"), Label: r.PostFormValue("label"), Key: strings.TrimSpace(r.PostFormValue("key")),
		Type: r.PostFormValue("type"), Options: r.PostFormValue("options")}
}

// options are the form's choices for a select field, and nil for other
// types: text left in the hidden choices box of another type is ignored.
func (f customFieldForm) options(typ string) *[]string {
	if typ != "select" {
		return nil
	}
	lines := strings.Split(strings.ReplaceAll(f.Options, "\r", ""), "\n")
	return &lines
}

// customFieldSection is the fields of one object.
type customFieldSection struct {
	Object, Title, Noun string
	Fields              []CustomField
}

type customFieldsView struct {
	Sections []customFieldSection
	CanEdit  bool
	Form     customFieldForm
	Errors   web.FormErrors
}

type customFieldEditView struct {
	Field  CustomField
	Form   customFieldForm
	Errors web.FormErrors
}

// fieldTypeOptions names the field types for people, in fieldTypes order.
var fieldTypeOptions = []web.Option{
	{Value: "text", Label: "Text"}, {Value: "number", Label: "Number"}, {Value: "date", Label: "Date"},
	{Value: "select", Label: "Choice list"}, {Value: "checkbox", Label: "Checkbox"}, {Value: "url", Label: "Web address (URL)"},
}

var fieldObjectOptions = []web.Option{{Value: SubjectContact, Label: "Contacts"}, {Value: SubjectCompany, Label: "Companies"}}

func fieldTypeLabel(typ string) string {
	for _, o := range fieldTypeOptions {
		if o.Value == typ {
			return o.Label
		}
	}
	return typ
}

// objectNoun is "contact" or "company" for a field's object.
func objectNoun(object string) string {
	if object == SubjectCompany {
		return "company"
	}
	return "contact"
}

func (s *Service) customFieldsView(r *http.Request, c *org.WebCtx) (customFieldsView, error) {
	all, err := s.CustomFields(r.Context(), c.Org.ID, "")
	if err != nil {
		return customFieldsView{}, err
	}
	v := customFieldsView{CanEdit: c.Can(org.OrgWrite), Form: customFieldForm{Object: SubjectContact, Type: "text"},
		Sections: []customFieldSection{
			{Object: SubjectContact, Title: "Contact fields", Noun: "contact"},
			{Object: SubjectCompany, Title: "Company fields", Noun: "company"},
		}}
	for _, f := range all {
		for i := range v.Sections {
			if v.Sections[i].Object == f.Object {
				v.Sections[i].Fields = append(v.Sections[i].Fields, f)
			}
		}
	}
	return v, nil
}

func (s *Service) customFieldsPage(w http.ResponseWriter, r *http.Request, c *org.WebCtx) {
	v, err := s.customFieldsView(r, c)
	if err != nil {
		web.ServerError(w, r, s.log, err)
		return
	}
	s.orgs.Render(w, r, http.StatusOK, customFieldsPage(c.Page("Custom fields", "settings"), v))
}

func (s *Service) createCustomFieldSubmit(w http.ResponseWriter, r *http.Request, c *org.WebCtx) {
	form := readCustomFieldForm(r)
	f, err := s.CreateCustomField(r.Context(), c.Actor, CustomFieldInput{Object: form.Object, Label: &form.Label, Key: form.Key,
		Type: form.Type, Options: form.options(form.Type)})
	if err == nil {
		org.Done(w, r, customFieldsPath+"#"+f.Object+"-fields", "Added the "+objectNoun(f.Object)+" field "+f.Label+".")
		return
	}
	v, verr := s.customFieldsView(r, c)
	if verr != nil {
		web.ServerError(w, r, s.log, verr)
		return
	}
	v.Form = form
	if !s.orgs.FormErrors(w, r, err, &v.Errors, nil) {
		return
	}
	// A taken key is a conflict of the whole request; it belongs next to the key.
	if v.Errors.Status == http.StatusConflict && v.Errors.Message != "" {
		msg := v.Errors.Message
		v.Errors = web.FormErrors{Status: http.StatusConflict}
		v.Errors.Set("key", msg)
	}
	s.orgs.Render(w, r, v.Errors.StatusOr(http.StatusUnprocessableEntity), customFieldsPage(c.Page("Custom fields", "settings"), v))
}

// customFieldOf loads the field named by the path for a page; false means
// it already answered: 404 for a field not in the org, 500 for a failure.
func (s *Service) customFieldOf(w http.ResponseWriter, r *http.Request, c *org.WebCtx) (CustomField, bool) {
	all, err := s.CustomFields(r.Context(), c.Org.ID, "")
	if err != nil {
		web.ServerError(w, r, s.log, err)
		return CustomField{}, false
	}
	for _, f := range all {
		if f.ID == r.PathValue("id") {
			return f, true
		}
	}
	s.orgs.NotFound(w, r, c)
	return CustomField{}, false
}

func (s *Service) editCustomFieldPage(w http.ResponseWriter, r *http.Request, c *org.WebCtx) {
	f, ok := s.customFieldOf(w, r, c)
	if !ok {
		return
	}
	v := customFieldEditView{Field: f, Form: customFieldForm{Label: f.Label, Options: strings.Join(f.Options, "\n")}}
	s.orgs.Render(w, r, http.StatusOK, customFieldEditPage(c.Page("Edit "+f.Label, "settings"), v))
}

func (s *Service) updateCustomFieldSubmit(w http.ResponseWriter, r *http.Request, c *org.WebCtx) {
	f, ok := s.customFieldOf(w, r, c)
	if !ok {
		return
	}
	form := readCustomFieldForm(r)
	updated, err := s.UpdateCustomField(r.Context(), c.Actor, f.ID, CustomFieldInput{Label: &form.Label, Options: form.options(f.Type)})
	if err == nil {
		org.Done(w, r, customFieldsPath+"#"+f.Object+"-fields", "Saved the field "+updated.Label+".")
		return
	}
	v := customFieldEditView{Field: f, Form: form}
	if !s.orgs.FormErrors(w, r, err, &v.Errors, nil) {
		return
	}
	s.orgs.Render(w, r, v.Errors.StatusOr(http.StatusUnprocessableEntity), customFieldEditPage(c.Page("Edit "+f.Label, "settings"), v))
}

func (s *Service) removeCustomFieldSubmit(w http.ResponseWriter, r *http.Request, c *org.WebCtx) {
	f, ok := s.customFieldOf(w, r, c)
	if !ok {
		return
	}
	if err := s.DeleteCustomField(r.Context(), c.Actor, f.ID); err != nil {
		s.orgs.Failed(w, r, c, customFieldsPath, err)
		return
	}
	org.Done(w, r, customFieldsPath+"#"+f.Object+"-fields", "Removed the field "+f.Label+" and its values.")
}
