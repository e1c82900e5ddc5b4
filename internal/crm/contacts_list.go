package crm

import (
	"context"
	"strings"
	"time"

	"github.com/kite-crm/kite/internal/platform/db"
	"github.com/kite-crm/kite/internal/platform/httpx"
)

// ContactFilter narrows and orders the contacts list.
type ContactFilter struct {
	Q             string
	Tag           string
	CompanyID     string
	OwnerID       string
	Custom        []string // "key:value" custom field filters
	CreatedAfter  *time.Time
	CreatedBefore *time.Time
	UpdatedAfter  *time.Time
	Sort          string
	Cursor        string
	Limit         int
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
	if f.Tag != "" {
		q.Join("JOIN contact_tags AS ct ON ct.contact_id = contact.id").
			Join("JOIN tags AS t ON t.id = ct.tag_id").
			Where("t.org_id = ?", orgID).Where("t.name_key = ?", strings.ToLower(strings.TrimSpace(f.Tag)))
	}
	if f.CompanyID != "" {
		q.Where("contact.company_id = ?", f.CompanyID)
	}
	if f.OwnerID != "" {
		q.Where("contact.owner_id = ?", f.OwnerID)
	}
	if f.CreatedAfter != nil {
		q.Where("contact.created_at > ?", f.CreatedAfter.UTC())
	}
	if f.CreatedBefore != nil {
		q.Where("contact.created_at < ?", f.CreatedBefore.UTC())
	}
	if f.UpdatedAfter != nil {
		q.Where("contact.updated_at > ?", f.UpdatedAfter.UTC())
	}
	if tokens := SearchTokens(f.Q); len(tokens) > 0 {
		contactSearch.match(s.db.Kind, q, tokens)
	}
	if err := s.customFilter(ctx, q, orgID, SubjectContact, "contact", f.Custom); err != nil {
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
	if err := s.loadContactTags(ctx, list); err != nil {
		return nil, "", err
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
	if s.db.Kind == db.Postgres {
		contactSearch.match(s.db.Kind, query, tokens)
	}
	contactSearch.rank(s.db.Kind, query, tokens)
	if err := query.Scan(ctx); err != nil {
		return nil, err
	}
	if err := s.loadContactTags(ctx, list); err != nil {
		return nil, err
	}
	for i := range list {
		list[i] = decodeContact(list[i])
	}
	return list, nil
}
