package crm

import (
	"context"
	"strings"
	"time"

	"github.com/uptrace/bun"

	"github.com/kite-crm/kite/internal/platform/db"
	"github.com/kite-crm/kite/internal/platform/httpx"
)

// RecordFilter is what the contacts and companies lists filter on alike.
type RecordFilter struct {
	Q             string
	Tag           string
	OwnerID       string
	Custom        []string // "key:value" custom field filters
	CreatedAfter  *time.Time
	CreatedBefore *time.Time
	UpdatedAfter  *time.Time
	Sort          string
	Cursor        string
	Limit         int
}

// ContactFilter narrows and orders the contacts list.
type ContactFilter struct {
	RecordFilter
	CompanyID string
}

// applyFilter adds the shared filters to a list query whose model has
// alias (contact | company) and whose records are of subject.
func (s *Service) applyFilter(ctx context.Context, q *bun.SelectQuery, orgID, subject string, search searchTable, f RecordFilter) error {
	alias := search.alias
	if f.Tag != "" {
		table, col := linkTable(subject)
		q.Join("JOIN "+table+" AS ct ON ct."+col+" = "+alias+".id").
			Join("JOIN tags AS t ON t.id = ct.tag_id").
			Where("t.org_id = ?", orgID).Where("t.name_key = ?", strings.ToLower(strings.TrimSpace(f.Tag)))
	}
	if f.OwnerID != "" {
		q.Where(alias+".owner_id = ?", f.OwnerID)
	}
	if f.CreatedAfter != nil {
		q.Where(alias+".created_at > ?", f.CreatedAfter.UTC())
	}
	if f.CreatedBefore != nil {
		q.Where(alias+".created_at < ?", f.CreatedBefore.UTC())
	}
	if f.UpdatedAfter != nil {
		q.Where(alias+".updated_at > ?", f.UpdatedAfter.UTC())
	}
	if tokens := SearchTokens(f.Q); len(tokens) > 0 {
		search.match(s.db.Kind, q, tokens)
	}
	return s.customFilter(ctx, q, orgID, subject, alias, f.Custom)
}

// ListContacts returns one page of an org's contacts and the cursor of the
// next page ("" at the end).
func (s *Service) ListContacts(ctx context.Context, orgID string, f ContactFilter) ([]Contact, string, error) {
	order, err := contactSorts.parse(f.Sort)
	if err != nil {
		return nil, "", err
	}
	limit := httpx.Limit(f.Limit)
	list := []Contact{}
	q := s.db.Read.NewSelect().Model(&list).Where("contact.org_id = ?", orgID).Limit(int64(limit + 1))
	s.selectTags(q, SubjectContact, "contact")
	if f.CompanyID != "" {
		q.Where("contact.company_id = ?", f.CompanyID)
	}
	if err := s.applyFilter(ctx, q, orgID, SubjectContact, contactSearch, f.RecordFilter); err != nil {
		return nil, "", err
	}
	if err := order.apply(q, "contact", f.Cursor); err != nil {
		return nil, "", err
	}
	if err := q.Scan(ctx); err != nil {
		return nil, "", err
	}
	next := ""
	if len(list) > limit {
		list = list[:limit]
		last := list[limit-1]
		next = order.next(contactSortValues(order, last), last.ID)
	}
	for i := range list {
		list[i] = decodeContact(list[i])
	}
	return list, next, nil
}

func contactSortValues(o sortOrder, c Contact) []string {
	switch o.field {
	case "updated_at":
		return []string{timeValue(c.UpdatedAt)}
	case "name":
		return []string{c.LastName, c.FirstName}
	}
	return []string{timeValue(c.CreatedAt)}
}

// SearchContacts returns the best matches for q, most relevant first.
func (s *Service) SearchContacts(ctx context.Context, orgID, q string, limit int) ([]Contact, error) {
	tokens := SearchTokens(q)
	list := []Contact{}
	if len(tokens) == 0 {
		return list, nil
	}
	query := s.db.Read.NewSelect().Model(&list).Where("contact.org_id = ?", orgID).Limit(int64(httpx.Limit(limit)))
	s.selectTags(query, SubjectContact, "contact")
	if s.db.Kind == db.Postgres {
		contactSearch.match(s.db.Kind, query, tokens)
	}
	contactSearch.rank(s.db.Kind, query, tokens)
	if err := query.Scan(ctx); err != nil {
		return nil, err
	}
	for i := range list {
		list[i] = decodeContact(list[i])
	}
	return list, nil
}
