package crm

import (
	"context"
	"database/sql"
	"errors"
	"maps"
	"net/http"
	"net/url"
	"slices"
	"strings"

	"github.com/uptrace/bun"

	"github.com/kite-crm/kite/internal/org"
	"github.com/kite-crm/kite/internal/platform/db"
	"github.com/kite-crm/kite/internal/platform/httpx"
)

// CompanyInput is a new company, or (nil fields left alone) a change.
type CompanyInput struct {
	Name         *string        `json:"name,omitempty" maxLength:"200"`
	Domain       *string        `json:"domain,omitempty" maxLength:"253"`
	Website      *string        `json:"website,omitempty" maxLength:"2048"`
	Industry     *string        `json:"industry,omitempty" maxLength:"100"`
	Size         *string        `json:"size,omitempty" maxLength:"50"`
	Phone        *string        `json:"phone,omitempty" maxLength:"50"`
	Address      *string        `json:"address,omitempty" maxLength:"500"`
	OwnerID      *string        `json:"owner_id,omitempty" maxLength:"64"`
	Tags         *[]string      `json:"tags,omitempty" maxItems:"50"`
	CustomFields map[string]any `json:"custom_fields,omitempty"`
}

var errCompanyNotFound = httpx.NewProblem(http.StatusNotFound, "not_found", "No such company.")

func (in CompanyInput) apply(c *Company) (map[string]change, error) {
	changed := map[string]change{}
	fields := []struct {
		name  string
		dst   *string
		v     *string
		max   int
		clean func(string) (string, error)
	}{
		{"name", &c.Name, in.Name, 200, nil},
		{"domain", &c.Domain, in.Domain, 253, cleanDomain},
		{"website", &c.Website, in.Website, 2048, cleanWebsite},
		{"industry", &c.Industry, in.Industry, 100, nil},
		{"size", &c.Size, in.Size, 50, nil},
		{"phone", &c.Phone, in.Phone, 50, func(v string) (string, error) { p, _ := NormalizePhone(v, ""); return p, nil }},
		{"address", &c.Address, in.Address, 500, nil},
		{"owner_id", &c.OwnerID, in.OwnerID, 64, nil},
	}
	for _, f := range fields {
		if f.v == nil {
			continue
		}
		v := strings.TrimSpace(*f.v)
		if len([]rune(v)) > f.max {
			return nil, invalidField(f.name, "Too long.")
		}
		if f.clean != nil {
			var err error
			if v, err = f.clean(v); err != nil {
				return nil, invalidField(f.name, err.Error())
			}
		}
		if v != *f.dst {
			changed[f.name] = change{Old: *f.dst, New: v}
			*f.dst = v
		}
	}
	if c.Name == "" {
		return nil, invalidField("name", "Give the company a name.")
	}
	return changed, nil
}

type inputError string

func (e inputError) Error() string { return string(e) }

func cleanDomain(v string) (string, error) {
	v = strings.TrimSuffix(strings.ToLower(v), ".")
	if v == "" {
		return "", nil
	}
	if strings.ContainsAny(v, " /:@") || !strings.Contains(v, ".") {
		return "", inputError("Use a domain such as example.com.")
	}
	return v, nil
}

func cleanWebsite(v string) (string, error) {
	if v == "" {
		return "", nil
	}
	if !strings.Contains(v, "://") {
		v = "https://" + v
	}
	u, err := url.Parse(v)
	if err != nil || (u.Scheme != "http" && u.Scheme != "https") || u.Host == "" {
		return "", inputError("Use a web address such as https://example.com.")
	}
	return u.String(), nil
}

func companySearchText(c Company) string {
	return FoldForSearch(strings.Join([]string{c.Name, c.Domain, c.Industry, c.Phone}, " "))
}

// CreateCompany adds a company.
func (s *Service) CreateCompany(ctx context.Context, a org.Actor, in CompanyInput) (Company, error) {
	now := s.now().UTC()
	c := Company{ID: db.NewID(), OrgID: a.OrgID, CustomFieldsText: "{}", CreatedAt: now, UpdatedAt: now}
	if _, err := in.apply(&c); err != nil {
		return Company{}, err
	}
	if err := s.checkOwner(ctx, a.OrgID, c.OwnerID); err != nil {
		return Company{}, err
	}
	c.SearchText = companySearchText(c)
	err := s.db.Tx(ctx, func(ctx context.Context, tx bun.Tx) error {
		var err error
		if c.CustomFieldsText, _, err = s.applyCustomValues(ctx, tx, a.OrgID, SubjectCompany, "{}", in.CustomFields); err != nil {
			return err
		}
		if _, err := tx.NewInsert().Model(&c).Exec(ctx); err != nil {
			return err
		}
		if in.Tags != nil {
			if c.Tags, err = s.setTags(ctx, tx, a.OrgID, SubjectCompany, c.ID, c.CreatedAt, *in.Tags); err != nil {
				return err
			}
		}
		return s.record(ctx, tx, a, "company.created", c.ID, map[string]string{"name": c.Name, "domain": c.Domain})
	})
	if err != nil {
		return Company{}, err
	}
	return decodeCompany(c), nil
}

// Company returns one company with its tags.
func (s *Service) Company(ctx context.Context, orgID, id string) (Company, error) {
	var c Company
	if !db.ValidID(id) {
		return c, errCompanyNotFound
	}
	q := s.db.Read.NewSelect().Model(&c).Where("company.org_id = ?", orgID).Where("company.id = ?", id)
	s.selectTags(q, SubjectCompany, "company")
	if err := q.Scan(ctx); err != nil {
		if errors.Is(err, sql.ErrNoRows) {
			return c, errCompanyNotFound
		}
		return c, err
	}
	return decodeCompany(c), nil
}

// UpdateCompany changes the given fields; contacts' search text follows a
// new name.
func (s *Service) UpdateCompany(ctx context.Context, a org.Actor, id string, in CompanyInput) (Company, error) {
	var out Company
	err := s.db.Tx(ctx, func(ctx context.Context, tx bun.Tx) error {
		c, err := forWrite[Company](ctx, tx, a, id, errCompanyNotFound)
		if err != nil {
			return err
		}
		out, err = s.updateCompanyInTx(ctx, tx, a, c, in)
		return err
	})
	if err != nil {
		return Company{}, err
	}
	return decodeCompany(out), nil
}

// updateCompanyInTx applies in to a loaded company inside tx.
func (s *Service) updateCompanyInTx(ctx context.Context, tx bun.Tx, a org.Actor, c Company, in CompanyInput) (Company, error) {
	changed, err := in.apply(&c)
	if err != nil {
		return c, err
	}
	if err := s.checkOwner(ctx, a.OrgID, c.OwnerID); err != nil {
		return c, err
	}
	var custom map[string]change
	if c.CustomFieldsText, custom, err = s.applyCustomValues(ctx, tx, a.OrgID, SubjectCompany, c.CustomFieldsText, in.CustomFields); err != nil {
		return c, err
	}
	maps.Copy(changed, custom)
	if in.Tags != nil {
		old := s.tagsOf(ctx, tx, SubjectCompany, c.ID)
		if c.Tags, err = s.setTags(ctx, tx, a.OrgID, SubjectCompany, c.ID, c.CreatedAt, *in.Tags); err != nil {
			return c, err
		}
		if !slices.Equal(old, c.Tags) {
			changed["tags"] = change{Old: old, New: c.Tags}
		}
	} else {
		c.Tags = s.tagsOf(ctx, tx, SubjectCompany, c.ID)
	}
	if len(changed) == 0 {
		return c, nil
	}
	c.UpdatedAt = s.now().UTC()
	c.SearchText = companySearchText(c)
	if _, err := tx.NewUpdate().Model(&c).ExcludeColumn("id", "org_id", "created_at").WherePK().Exec(ctx); err != nil {
		return c, err
	}
	if _, renamed := changed["name"]; renamed {
		if err := s.refreshContactSearch(ctx, tx, a.OrgID, c.ID); err != nil {
			return c, err
		}
	}
	return c, s.record(ctx, tx, a, "company.updated", c.ID, map[string]any{"changes": changed})
}

// refreshContactSearch recomputes the search text of a company's contacts
// (they are found by the company's name).
func (s *Service) refreshContactSearch(ctx context.Context, tx bun.Tx, orgID, companyID string) error {
	var company Company
	if err := tx.NewSelect().Model(&company).Where("org_id = ?", orgID).Where("id = ?", companyID).Scan(ctx); err != nil {
		return err
	}
	return s.setContactsCompanyName(ctx, tx, orgID, companyID, company.Name)
}

// setContactsCompanyName rewrites the search text of a company's contacts
// with the company name given ("" when the company goes away).
func (s *Service) setContactsCompanyName(ctx context.Context, tx bun.Tx, orgID, companyID, name string) error {
	var list []Contact
	if err := tx.NewSelect().Model(&list).Where("org_id = ?", orgID).Where("company_id = ?", companyID).Scan(ctx); err != nil {
		return err
	}
	for _, c := range list {
		if _, err := tx.NewUpdate().Model((*Contact)(nil)).Set("search_text = ?", contactSearchText(c, name)).
			Where("id = ?", c.ID).Exec(ctx); err != nil {
			return err
		}
	}
	return nil
}

// DeleteCompany removes a company; its contacts stay, unlinked.
func (s *Service) DeleteCompany(ctx context.Context, a org.Actor, id string) error {
	return s.db.Tx(ctx, func(ctx context.Context, tx bun.Tx) error {
		c, err := forWrite[Company](ctx, tx, a, id, errCompanyNotFound)
		if err != nil {
			return err
		}
		return s.deleteCompanyInTx(ctx, tx, a, c)
	})
}

func (s *Service) deleteCompanyInTx(ctx context.Context, tx bun.Tx, a org.Actor, c Company) error {
	if _, err := tx.NewDelete().Model((*Note)(nil)).Where("org_id = ?", a.OrgID).Where("subject_type = ?", SubjectCompany).Where("subject_id = ?", c.ID).Exec(ctx); err != nil {
		return err
	}
	// Its contacts stay, unlinked, and stop being found by its name.
	if err := s.setContactsCompanyName(ctx, tx, a.OrgID, c.ID, ""); err != nil {
		return err
	}
	if _, err := tx.NewDelete().Model((*Company)(nil)).Where("org_id = ?", a.OrgID).Where("id = ?", c.ID).Exec(ctx); err != nil {
		return err
	}
	return s.record(ctx, tx, a, "company.deleted", c.ID, map[string]string{"name": c.Name})
}

// CompanyFilter narrows and orders the companies list.
type CompanyFilter = RecordFilter

// ListCompanies returns one page of an org's companies and the next cursor.
func (s *Service) ListCompanies(ctx context.Context, orgID string, f CompanyFilter) ([]Company, string, error) {
	order, err := companySorts.parse(f.Sort)
	if err != nil {
		return nil, "", err
	}
	limit := httpx.Limit(f.Limit)
	list := []Company{}
	q := s.db.Read.NewSelect().Model(&list).Where("company.org_id = ?", orgID).Limit(int64(limit + 1))
	s.selectTags(q, SubjectCompany, "company")
	if err := s.applyFilter(ctx, q, orgID, SubjectCompany, companySearch, f); err != nil {
		return nil, "", err
	}
	if err := order.apply(q, sortTarget(f, order, companySearch.alias, SubjectCompany), f.Cursor); err != nil {
		return nil, "", err
	}
	if err := q.Scan(ctx); err != nil {
		return nil, "", err
	}
	next := ""
	if len(list) > limit {
		list = list[:limit]
		last := list[limit-1]
		vals := []string{timeValue(last.CreatedAt)}
		switch order.field {
		case "updated_at":
			vals = []string{timeValue(last.UpdatedAt)}
		case "name":
			vals = []string{last.Name}
		}
		next = order.next(vals, last.ID)
	}
	for i := range list {
		list[i] = decodeCompany(list[i])
	}
	return list, next, nil
}

func decodeCompany(c Company) Company {
	c.CustomFields = decodeCustomValues(c.CustomFieldsText)
	if c.Tags == nil {
		c.Tags = splitTags(c.TagList)
	}
	return c
}
