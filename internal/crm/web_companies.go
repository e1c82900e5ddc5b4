package crm

import (
	"context"
	"net/http"
	"net/url"

	"github.com/kite-crm/kite/internal/org"
	"github.com/kite-crm/kite/internal/web"
)

// companyKind is how the shared record pages show companies.
var companyKind = recordKind{
	Subject: SubjectCompany, Noun: "company", Plural: "companies", Title: "Companies", Path: "/companies",
	Columns: []listColumn{
		{Key: "domain", Label: "Domain"}, {Key: "website", Label: "Website"}, {Key: "industry", Label: "Industry"},
		{Key: "size", Label: "Size"}, {Key: "phone", Label: "Phone"}, {Key: "address", Label: "Address"},
		{Key: "owner", Label: "Owner"}, {Key: "tags", Label: "Tags"},
		{Key: "created_at", Label: "Created", Sort: "created_at"}, {Key: "updated_at", Label: "Updated", Sort: "updated_at"},
	},
	Defaults: []string{"domain", "industry", "owner", "tags", "created_at"},
	Actions: []headerAction{
		{Label: "New company", Href: "/companies/new", Write: true, Primary: true},
	},
	EmptyHelp:  "Add the companies you sell to; their people are added as contacts.",
	SearchHint: "Name, domain, industry, phone",
}

// relatedContactsSize is how many of its contacts a company's page lists.
const relatedContactsSize = 20

func (s *Service) companiesPage(w http.ResponseWriter, r *http.Request, c *org.WebCtx) {
	s.serveList(w, r, c, companyKind, s.companyRows)
}

func (s *Service) companyRows(ctx context.Context, v *listView, f RecordFilter) ([]listRow, string, error) {
	v.Bulk = true
	list, next, err := s.ListCompanies(ctx, v.orgID, f)
	if err != nil {
		return nil, "", err
	}
	rows := make([]listRow, len(list))
	for i, co := range list {
		rows[i] = newRow(companyKind, co.ID, co.Name, v.Columns, companyCells(co, v))
	}
	return rows, next, nil
}

func companyCells(co Company, v *listView) cellFunc {
	return func(key string) listCell {
		switch key {
		case "domain":
			return listCell{Text: co.Domain}
		case "website":
			return listCell{Text: co.Website, Href: web.SafeHTTPURL(co.Website)}
		case "industry":
			return listCell{Text: co.Industry}
		case "size":
			return listCell{Text: co.Size}
		case "phone":
			return listCell{Text: co.Phone}
		case "address":
			return listCell{Text: co.Address}
		case "owner":
			return listCell{Text: v.members.name(co.OwnerID)}
		case "tags":
			return listCell{Tags: co.Tags}
		case "created_at":
			return listCell{Time: co.CreatedAt}
		case "updated_at":
			return listCell{Time: co.UpdatedAt}
		}
		return customCell(key, co.CustomFields, v.Custom)
	}
}

// companyDraft is a company with what a refused form sent on top.
func companyDraft(co Company, form url.Values, defs []CustomField) Company {
	for name, dst := range map[string]*string{
		"name": &co.Name, "domain": &co.Domain, "website": &co.Website, "industry": &co.Industry, "size": &co.Size,
		"phone": &co.Phone, "address": &co.Address, "owner_id": &co.OwnerID,
	} {
		if v := posted(form, name); v != nil {
			*dst = *v
		}
	}
	if tags := postedTags(form); tags != nil {
		co.Tags = *tags
	}
	co.CustomFields = draftCustom(co.CustomFields, form, defs)
	return co
}

// companyFields are a company's own fields as inputs.
func companyFields(co Company, members people) []formField {
	return []formField{
		{Name: "name", Label: "Name", Kind: "text", Value: co.Name, Required: true, MaxLength: 200},
		{Name: "domain", Label: "Domain", Kind: "text", Value: co.Domain, MaxLength: 253, Help: "Such as example.com."},
		{Name: "website", Label: "Website", Kind: "url", Value: co.Website, Href: web.SafeHTTPURL(co.Website), MaxLength: 2048},
		{Name: "industry", Label: "Industry", Kind: "text", Value: co.Industry, MaxLength: 100},
		{Name: "size", Label: "Size", Kind: "text", Value: co.Size, MaxLength: 50, Help: "Such as 11–50 employees."},
		{Name: "phone", Label: "Phone", Kind: "tel", Value: co.Phone, MaxLength: 50},
		{Name: "address", Label: "Address", Kind: "text", Value: co.Address, MaxLength: 500},
		ownerField(co.OwnerID, members),
	}
}

// companyInput reads a posted company form; fields it lacks stay as they are.
func companyInput(form url.Values, defs []CustomField, errs *web.FormErrors) CompanyInput {
	return CompanyInput{
		Name: posted(form, "name"), Domain: posted(form, "domain"), Website: posted(form, "website"),
		Industry: posted(form, "industry"), Size: posted(form, "size"), Phone: posted(form, "phone"),
		Address: posted(form, "address"), OwnerID: posted(form, "owner_id"), Tags: postedTags(form),
		CustomFields: postedCustom(form, defs, errs),
	}
}

// ---------- Detail page ----------

func (s *Service) companyPage(w http.ResponseWriter, r *http.Request, c *org.WebCtx) {
	s.showCompany(w, r, c, web.FormErrors{})
}

// showCompany draws a company's page with its first contacts.
func (s *Service) showCompany(w http.ResponseWriter, r *http.Request, c *org.WebCtx, errs web.FormErrors) {
	s.renderDetail(w, r, c, companyKind, errs, func(ctx context.Context, members people, defs []CustomField, form url.Values) (recordDraft, error) {
		stored, err := s.Company(ctx, c.Org.ID, r.PathValue("id"))
		if err != nil {
			return recordDraft{}, err
		}
		co := companyDraft(stored, form, defs)
		fields := companyFields(co, members)
		d := recordDraft{ID: stored.ID, Name: stored.Name, Subtitle: stored.Industry, Fields: fields, Tags: co.Tags,
			Custom: co.CustomFields, Labels: fieldLabels(fields)}
		contacts, next, err := s.ListContacts(ctx, c.Org.ID, ContactFilter{CompanyID: stored.ID,
			RecordFilter: RecordFilter{Sort: "name", Limit: relatedContactsSize}})
		if err != nil {
			return recordDraft{}, err
		}
		for _, ct := range contacts {
			d.Related = append(d.Related, relatedRecord{Name: contactName(ct), Href: contactKind.Path + "/" + ct.ID, Sub: ct.Title})
		}
		d.RelatedAll = contactKind.Path + "?" + url.Values{"company_id": {stored.ID}}.Encode()
		d.RelatedMore = next != ""
		d.RelatedNew = contactKind.Path + "/new?" + url.Values{"company_id": {stored.ID}}.Encode()
		return d, nil
	})
}

func (s *Service) updateCompanySubmit(w http.ResponseWriter, r *http.Request, c *org.WebCtx) {
	s.updateSubmit(w, r, c, companyKind, func(ctx context.Context, a org.Actor, form url.Values, defs []CustomField, errs *web.FormErrors) (string, error) {
		in := companyInput(form, defs, errs)
		if errs.Any() {
			return "", nil
		}
		co, err := s.UpdateCompany(ctx, a, r.PathValue("id"), in)
		return co.ID, err
	}, s.showCompany)
}

func (s *Service) deleteCompanySubmit(w http.ResponseWriter, r *http.Request, c *org.WebCtx) {
	s.deleteSubmit(w, r, c, companyKind, s.DeleteCompany)
}

// ---------- New company ----------

func (s *Service) newCompanyPage(w http.ResponseWriter, r *http.Request, c *org.WebCtx) {
	s.showNewCompany(w, r, c, web.FormErrors{})
}

func (s *Service) showNewCompany(w http.ResponseWriter, r *http.Request, c *org.WebCtx, errs web.FormErrors) {
	s.renderNewForm(w, r, c, companyKind, errs, func(ctx context.Context, members people, defs []CustomField, form url.Values) (recordDraft, error) {
		co := companyDraft(Company{OwnerID: c.Actor.UserID}, form, defs)
		return recordDraft{Fields: companyFields(co, members), Tags: co.Tags, Custom: co.CustomFields}, nil
	})
}

func (s *Service) createCompanySubmit(w http.ResponseWriter, r *http.Request, c *org.WebCtx) {
	s.createSubmit(w, r, c, companyKind, func(ctx context.Context, a org.Actor, form url.Values, defs []CustomField, errs *web.FormErrors) (string, error) {
		in := companyInput(form, defs, errs)
		if errs.Any() {
			return "", nil
		}
		co, err := s.CreateCompany(ctx, a, in)
		return co.ID, err
	}, s.showNewCompany)
}
