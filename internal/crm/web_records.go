package crm

import (
	"net/http"
	"net/url"
	"strconv"
	"strings"

	"github.com/kite-crm/kite/internal/org"
	"github.com/kite-crm/kite/internal/web"
)

// registerRecordPages adds the pages of contacts and companies: lists, detail pages, forms, notes, bulk actions.
func (s *Service) registerRecordPages(mux *http.ServeMux) {
	in := s.orgs.InOrg
	mux.HandleFunc("GET /contacts", in(org.CRMRead, s.contactsPage))
	mux.HandleFunc("GET /contacts/new", in(org.CRMWrite, s.newContactPage))
	mux.HandleFunc("POST /contacts", in(org.CRMWrite, s.createContactSubmit))
	mux.HandleFunc("POST /contacts/bulk", in(org.CRMWrite, s.bulkSubmit(contactKind, s.BulkContacts)))
	mux.HandleFunc("GET /contacts/{id}", in(org.CRMRead, s.contactPage))
	mux.HandleFunc("POST /contacts/{id}", in(org.CRMWrite, s.updateContactSubmit))
	mux.HandleFunc("POST /contacts/{id}/delete", in(org.CRMWrite, s.deleteContactSubmit))
	mux.HandleFunc("POST /contacts/{id}/notes", in(org.CRMWrite, s.addContactNoteSubmit))

	mux.HandleFunc("GET /companies", in(org.CRMRead, s.companiesPage))
	mux.HandleFunc("GET /companies/options", in(org.CRMRead, s.companyOptionsFragment))
	mux.HandleFunc("GET /companies/new", in(org.CRMWrite, s.newCompanyPage))
	mux.HandleFunc("POST /companies", in(org.CRMWrite, s.createCompanySubmit))
	mux.HandleFunc("POST /companies/bulk", in(org.CRMWrite, s.bulkSubmit(companyKind, s.BulkCompanies)))
	mux.HandleFunc("GET /companies/{id}", in(org.CRMRead, s.companyPage))
	mux.HandleFunc("POST /companies/{id}", in(org.CRMWrite, s.updateCompanySubmit))
	mux.HandleFunc("POST /companies/{id}/delete", in(org.CRMWrite, s.deleteCompanySubmit))
	mux.HandleFunc("POST /companies/{id}/notes", in(org.CRMWrite, s.addCompanyNoteSubmit))

	mux.HandleFunc("POST /notes/{id}", in(org.CRMWrite, s.editNoteSubmit))
	mux.HandleFunc("POST /notes/{id}/delete", in(org.CRMWrite, s.deleteNoteSubmit))
}

// formField is one field of a record: an input on a form, a value on a
// read-only page. Name is the form name, which is also where the
// service's problems point ("email", "custom_fields.size").
type formField struct {
	Name      string
	Label     string
	Kind      string // text, email, tel, url, number, date, select, checkbox, company, tags
	Value     string
	Display   string // read-only text; Value when empty
	Href      string // read-only link
	Options   []web.Option
	Help      string
	Error     string
	Hint      string // placeholder of an empty input
	Required  bool
	MaxLength int
	Company   companyPick // Kind "company"
}

// InputID is the control's id: names with dots make awkward selectors.
func (f formField) InputID(prefix string) string {
	return prefix + strings.ReplaceAll(f.Name, ".", "-")
}

// Shown is the read-only text of the field.
func (f formField) Shown() string {
	if f.Display != "" {
		return f.Display
	}
	return f.Value
}

// withErrors puts the messages of a refused form next to their fields.
func withErrors(fields []formField, errs web.FormErrors) []formField {
	for i := range fields {
		fields[i].Error = errs.Field(fields[i].Name)
		fields[i].Company.Error = fields[i].Error
	}
	return fields
}

// posted is the value a form sent for a field, nil when the form has no
// such field (so a form of one field changes only that one). The last
// value wins: a checkbox sends "false" from a hidden input, then "true".
func posted(form url.Values, name string) *string {
	vs, ok := form[name]
	if !ok || len(vs) == 0 {
		return nil
	}
	v := vs[len(vs)-1]
	return &v
}

// postedTags reads a comma-separated tags field.
func postedTags(form url.Values) *[]string {
	raw := posted(form, "tags")
	if raw == nil {
		return nil
	}
	tags := []string{}
	for _, t := range strings.Split(*raw, ",") {
		if t = strings.TrimSpace(t); t != "" {
			tags = append(tags, t)
		}
	}
	return &tags
}

// customPrefix starts the form names of custom fields.
const customPrefix = "custom_fields."

// postedCustom reads the custom fields a form sent, typed as the service
// expects them; an empty value clears the field. Numbers that do not read
// as numbers are refused here, next to their field.
func postedCustom(form url.Values, defs []CustomField, errs *web.FormErrors) map[string]any {
	out := map[string]any{}
	for _, d := range defs {
		raw := posted(form, customPrefix+d.Key)
		if raw == nil {
			continue
		}
		v := strings.TrimSpace(*raw)
		switch {
		case d.Type == "checkbox":
			out[d.Key] = v == "true"
		case v == "":
			out[d.Key] = nil
		case d.Type == "number":
			n, err := strconv.ParseFloat(v, 64)
			if err != nil {
				errs.Set(customPrefix+d.Key, "Enter a number, such as 42 or 3.5.")
				continue
			}
			out[d.Key] = n
		default:
			out[d.Key] = v
		}
	}
	if len(out) == 0 {
		return nil
	}
	return out
}

// draftCustom is a record's custom values with what a refused form sent
// on top, so the form shows what the person typed.
func draftCustom(stored map[string]any, form url.Values, defs []CustomField) map[string]any {
	out := map[string]any{}
	for k, v := range stored {
		out[k] = v
	}
	for _, d := range defs {
		if raw := posted(form, customPrefix+d.Key); raw != nil {
			if d.Type == "checkbox" {
				out[d.Key] = *raw == "true"
			} else {
				out[d.Key] = *raw
			}
		}
	}
	return out
}

// customFields are the inputs of an org's custom fields, by type.
func customFields(defs []CustomField, values map[string]any) []formField {
	out := make([]formField, 0, len(defs))
	for _, d := range defs {
		f := formField{Name: customPrefix + d.Key, Label: d.Label, Kind: d.Type, Value: customText(values[d.Key])}
		switch d.Type {
		case "select":
			f.Options = []web.Option{{Value: "", Label: "—"}}
			for _, o := range d.Options {
				f.Options = append(f.Options, web.Option{Value: o, Label: o})
			}
		case "url":
			f.Href = web.SafeHTTPURL(f.Value)
		case "checkbox":
			f.Value = strconv.FormatBool(values[d.Key] == true)
			f.Display = customText(values[d.Key] == true)
		case "text":
			f.MaxLength = 1000
		}
		out = append(out, f)
	}
	return out
}

// tagsField is the comma-separated tags input.
func tagsField(tags []string) formField {
	return formField{Name: "tags", Label: "Tags", Kind: "tags", Value: strings.Join(tags, ", "),
		Help: "Separate tags with commas. New tags are created as you use them."}
}

// ownerField picks an owner among the org's members.
func ownerField(ownerID string, members people) formField {
	return formField{Name: "owner_id", Label: "Owner", Kind: "select", Value: ownerID, Display: members.name(ownerID),
		Options: members.ownerOptions("No owner")}
}

// recordMissing answers for a record that is not in the org (404), or a
// failure of the server.
func (s *Service) recordMissing(w http.ResponseWriter, r *http.Request, c *org.WebCtx, err error) {
	if fe, ok := web.ProblemErrors(err, nil); ok && fe.Status == http.StatusNotFound {
		s.orgs.NotFound(w, r, c)
		return
	}
	web.ServerError(w, r, s.log, err)
}

// failed ends a refused post that returns to another page: a record that
// is not in the org is the 404 page, anything else a toast on back.
func (s *Service) failed(w http.ResponseWriter, r *http.Request, c *org.WebCtx, back string, err error) {
	if fe, ok := web.ProblemErrors(err, nil); ok && fe.Status == http.StatusNotFound {
		s.orgs.NotFound(w, r, c)
		return
	}
	s.orgs.Failed(w, r, c, back, err)
}

// inputType is the HTML input type of a text-like field. Numbers use a
// text input with a decimal keyboard: a number input would drop what it
// cannot parse instead of letting the server explain.
func (f formField) inputType() string {
	switch f.Kind {
	case "email", "tel", "url", "date":
		return f.Kind
	}
	return "text"
}

func (f formField) inputMode() string {
	if f.Kind == "number" {
		return "decimal"
	}
	return ""
}

// picker is the company picker of a "company" field, its ids prefixed.
func (f formField) picker(prefix string) companyPick {
	p := f.Company
	p.ID = prefix + p.ID
	p.Error = f.Error
	return p
}

// describedBy links a text area to its help and error texts.
func (f formField) describedBy(prefix string) string {
	ids := f.InputID(prefix) + "-help"
	if f.Error != "" {
		ids += " " + f.InputID(prefix) + "-error"
	}
	return ids
}
