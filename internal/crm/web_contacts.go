package crm

import (
	"context"
	"net/http"
	"net/url"
	"slices"

	"github.com/kite-crm/kite/internal/org"
	"github.com/kite-crm/kite/internal/web"
)

// contactKind is how the shared record pages show contacts.
var contactKind = recordKind{
	Subject: SubjectContact, Noun: "contact", Plural: "contacts", Title: "Contacts", Path: "/contacts",
	Columns: []listColumn{
		{Key: "email", Label: "Email"}, {Key: "phone", Label: "Phone"}, {Key: "company", Label: "Company"},
		{Key: "title", Label: "Job title"}, {Key: "telegram", Label: "Telegram"}, {Key: "owner", Label: "Owner"},
		{Key: "tags", Label: "Tags"}, {Key: "created_at", Label: "Created", Sort: "created_at"},
		{Key: "updated_at", Label: "Updated", Sort: "updated_at"},
	},
	Defaults: []string{"email", "company", "owner", "tags", "created_at"},
	Actions: []headerAction{
		{Label: "Possible duplicates", Href: "/contacts/duplicates"},
		{Label: "Import", Href: "/contacts/import", Write: true},
		{Label: "New contact", Href: "/contacts/new", Write: true, Primary: true},
	},
	EmptyHelp:  "Add one, or import a CSV from a spreadsheet or another CRM.",
	SearchHint: "Name, email, phone, company",
}

// contactName is what a contact is called on the pages.
func contactName(c Contact) string {
	if n := c.Name(); n != "" {
		return n
	}
	if c.Email != "" {
		return c.Email
	}
	return "Unnamed contact"
}

func (s *Service) contactsPage(w http.ResponseWriter, r *http.Request, c *org.WebCtx) {
	s.serveList(w, r, c, contactKind, s.contactRows)
}

// contactRows lists a page of contacts, with the company filter of the
// URL checked and the companies of the rows named in one query.
func (s *Service) contactRows(ctx context.Context, v *listView, f RecordFilter) ([]listRow, string, error) {
	v.Bulk = true
	filter := ContactFilter{RecordFilter: f}
	if id := v.Query.CompanyID; id != "" {
		if co, err := s.Company(ctx, v.orgID, id); err == nil {
			v.Company, filter.CompanyID = &co, id
		} else if msg := "The company in the link is not one of this organization's; the company filter was ignored."; !slices.Contains(v.Problems, msg) {
			v.Problems = append(v.Problems, msg) // once, though a stale cursor loads the rows twice
		}
	}
	choices, err := s.companyChoices(ctx, v.orgID, "")
	if err != nil {
		return nil, "", err
	}
	v.Companies = choices
	list, next, err := s.ListContacts(ctx, v.orgID, filter)
	if err != nil {
		return nil, "", err
	}
	ids := make([]string, len(list))
	for i, ct := range list {
		ids[i] = ct.CompanyID
	}
	companies, err := s.companyNames(ctx, v.orgID, ids)
	if err != nil {
		return nil, "", err
	}
	rows := make([]listRow, len(list))
	for i, ct := range list {
		rows[i] = newRow(contactKind, ct.ID, contactName(ct), v.Columns, contactCells(ct, companies, v))
	}
	return rows, next, nil
}

func contactCells(ct Contact, companies map[string]string, v *listView) cellFunc {
	return func(key string) listCell {
		switch key {
		case "email":
			return listCell{Text: ct.Email, Href: mailto(ct.Email)}
		case "phone":
			return listCell{Text: ct.Phone}
		case "company":
			if ct.CompanyID == "" {
				return listCell{}
			}
			return listCell{Text: companies[ct.CompanyID], Href: companyKind.Path + "/" + ct.CompanyID}
		case "title":
			return listCell{Text: ct.Title}
		case "telegram":
			return listCell{Text: telegramHandle(ct.TelegramUsername), Href: telegramLink(ct.TelegramUsername)}
		case "owner":
			return listCell{Text: v.members.name(ct.OwnerID)}
		case "tags":
			return listCell{Tags: ct.Tags}
		case "created_at":
			return listCell{Time: ct.CreatedAt}
		case "updated_at":
			return listCell{Time: ct.UpdatedAt}
		}
		return customCell(key, ct.CustomFields, v.Custom)
	}
}

func mailto(email string) string {
	if email == "" {
		return ""
	}
	return "mailto:" + email
}

func telegramHandle(u string) string {
	if u == "" {
		return ""
	}
	return "@" + u
}

// telegramLink opens a chat; usernames are [A-Za-z0-9_] (the service checks).
func telegramLink(u string) string {
	if u == "" {
		return ""
	}
	return "https://t.me/" + u
}

// contactDraft is a contact with what a refused form sent on top.
func contactDraft(ct Contact, form url.Values, defs []CustomField) Contact {
	for name, dst := range map[string]*string{
		"first_name": &ct.FirstName, "last_name": &ct.LastName, "email": &ct.Email, "phone": &ct.Phone,
		"telegram_username": &ct.TelegramUsername, "title": &ct.Title, "company_id": &ct.CompanyID, "owner_id": &ct.OwnerID,
	} {
		if v := posted(form, name); v != nil {
			*dst = *v
		}
	}
	if tags := postedTags(form); tags != nil {
		ct.Tags = *tags
	}
	ct.CustomFields = draftCustom(ct.CustomFields, form, defs)
	return ct
}

// contactFields are a contact's own fields as inputs.
func (s *Service) contactFields(ctx context.Context, orgID string, ct Contact, members people) ([]formField, error) {
	pick, err := s.pickCompany(ctx, orgID, companyPick{ID: "company_id", Name: "company_id", Label: "Company", None: "No company"}, ct.CompanyID)
	if err != nil {
		return nil, err
	}
	company := formField{Name: "company_id", Label: "Company", Kind: "company", Value: ct.CompanyID, Company: pick}
	if pick.Selected != nil {
		company.Display, company.Href = pick.Selected.Name, companyKind.Path+"/"+ct.CompanyID
	}
	return []formField{
		{Name: "first_name", Label: "First name", Kind: "text", Value: ct.FirstName, MaxLength: 100},
		{Name: "last_name", Label: "Last name", Kind: "text", Value: ct.LastName, MaxLength: 100},
		{Name: "email", Label: "Email", Kind: "email", Value: ct.Email, Href: mailto(ct.Email), MaxLength: 254},
		{Name: "phone", Label: "Phone", Kind: "tel", Value: ct.Phone, MaxLength: 50},
		{Name: "telegram_username", Label: "Telegram", Kind: "text", Value: ct.TelegramUsername, MaxLength: 64,
			Display: telegramHandle(ct.TelegramUsername), Href: telegramLink(ct.TelegramUsername)},
		{Name: "title", Label: "Job title", Kind: "text", Value: ct.Title, MaxLength: 200},
		company,
		ownerField(ct.OwnerID, members),
	}, nil
}

// contactInput reads a posted contact form; fields it lacks stay as they are.
func contactInput(form url.Values, defs []CustomField, errs *web.FormErrors) ContactInput {
	return ContactInput{
		FirstName: posted(form, "first_name"), LastName: posted(form, "last_name"), Email: posted(form, "email"),
		Phone: posted(form, "phone"), TelegramUsername: posted(form, "telegram_username"), Title: posted(form, "title"),
		CompanyID: posted(form, "company_id"), OwnerID: posted(form, "owner_id"), Tags: postedTags(form),
		CustomFields: postedCustom(form, defs, errs),
	}
}

// ---------- Detail page ----------

func (s *Service) contactPage(w http.ResponseWriter, r *http.Request, c *org.WebCtx) {
	s.showContact(w, r, c, web.FormErrors{})
}

// showContact draws a contact's page, with a refused form's values and messages.
func (s *Service) showContact(w http.ResponseWriter, r *http.Request, c *org.WebCtx, errs web.FormErrors) {
	s.renderDetail(w, r, c, contactKind, errs, func(ctx context.Context, members people, defs []CustomField, form url.Values) (recordDraft, error) {
		stored, err := s.Contact(ctx, c.Org.ID, r.PathValue("id"))
		if err != nil {
			return recordDraft{}, err
		}
		ct := contactDraft(stored, form, defs)
		fields, err := s.contactFields(ctx, c.Org.ID, ct, members)
		if err != nil {
			return recordDraft{}, err
		}
		return recordDraft{ID: stored.ID, Name: contactName(stored), Subtitle: contactRole(stored, fields), Fields: fields,
			Tags: ct.Tags, Custom: ct.CustomFields, Labels: fieldLabels(fields)}, nil
	})
}

// contactRole is the line under a contact's name: "CTO at Acme".
func contactRole(stored Contact, fields []formField) string {
	company := ""
	for _, f := range fields {
		if f.Name == "company_id" && stored.CompanyID != "" {
			company = f.Display
		}
	}
	switch {
	case company == "":
		return stored.Title
	case stored.Title == "":
		return company
	}
	return stored.Title + " at " + company
}

func (s *Service) updateContactSubmit(w http.ResponseWriter, r *http.Request, c *org.WebCtx) {
	s.updateSubmit(w, r, c, contactKind, func(ctx context.Context, a org.Actor, form url.Values, defs []CustomField, errs *web.FormErrors) (string, error) {
		in := contactInput(form, defs, errs)
		if errs.Any() {
			return "", nil
		}
		ct, err := s.UpdateContact(ctx, a, r.PathValue("id"), in)
		return ct.ID, err
	}, s.showContact)
}

func (s *Service) deleteContactSubmit(w http.ResponseWriter, r *http.Request, c *org.WebCtx) {
	s.deleteSubmit(w, r, c, contactKind, s.DeleteContact)
}

// ---------- New contact ----------

func (s *Service) newContactPage(w http.ResponseWriter, r *http.Request, c *org.WebCtx) {
	s.showNewContact(w, r, c, web.FormErrors{})
}

// showNewContact draws the form of a new contact: owned by the person
// adding it, at the company of the link (from a company's page).
func (s *Service) showNewContact(w http.ResponseWriter, r *http.Request, c *org.WebCtx, errs web.FormErrors) {
	s.renderNewForm(w, r, c, contactKind, errs, func(ctx context.Context, members people, defs []CustomField, form url.Values) (recordDraft, error) {
		ct := Contact{OwnerID: c.Actor.UserID, CompanyID: r.URL.Query().Get("company_id")}
		ct = contactDraft(ct, form, defs)
		fields, err := s.contactFields(ctx, c.Org.ID, ct, members)
		return recordDraft{Fields: fields, Tags: ct.Tags, Custom: ct.CustomFields}, err
	})
}

func (s *Service) createContactSubmit(w http.ResponseWriter, r *http.Request, c *org.WebCtx) {
	s.createSubmit(w, r, c, contactKind, func(ctx context.Context, a org.Actor, form url.Values, defs []CustomField, errs *web.FormErrors) (string, error) {
		in := contactInput(form, defs, errs)
		if errs.Any() {
			return "", nil
		}
		ct, err := s.CreateContact(ctx, a, in)
		return ct.ID, err
	}, s.showNewContact)
}
