package crm

import (
	"context"
	"strings"
	"time"

	"github.com/uptrace/bun"

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
	UpdatedBefore *time.Time
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
		// The tag links come first: SQLite keeps a CROSS JOIN's order, so
		// it walks the link's (tag_id, created_at, id) index instead of
		// the whole org; PostgreSQL plans it as any join.
		table, col := linkTable(subject)
		q.ModelTableExpr(table+" AS ct CROSS JOIN "+search.table+" AS "+alias).Where("ct."+col+" = "+alias+".id").
			Where("ct.tag_id = (SELECT id FROM tags WHERE org_id = ? AND name_key = ?)", orgID, strings.ToLower(strings.TrimSpace(f.Tag)))
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
	if f.UpdatedBefore != nil {
		q.Where(alias+".updated_at < ?", f.UpdatedBefore.UTC())
	}
	if tokens := SearchTokens(f.Q); len(tokens) > 0 {
		search.match(s.db.Kind, q, tokens)
	}
	return s.customFilter(ctx, q, orgID, subject, alias, f.Custom)
}

// sortTarget is where a list's order is read from: the record (alias.id),
// or, for the tag filter in creation order, the tag link (ct), whose
// (tag_id, created_at, record id) index yields the page without a sort.
func sortTarget(f RecordFilter, o sortOrder, alias, subject string) sortOn {
	if f.Tag != "" && o.field == "created_at" {
		_, col := linkTable(subject)
		return sortOn{alias: "ct", id: col}
	}
	return sortOn{alias: alias, id: "id"}
}

// ListContacts returns one page of an org's contacts and the cursor of the
// next page ("" at the end).
func (s *Service) ListContacts(ctx context.Context, orgID string, f ContactFilter) ([]Contact, string, error) {
	list := []Contact{}
	q, order, limit, err := s.contactListQuery(ctx, orgID, f, &list)
	if err != nil {
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

// contactListQuery builds the query of one page (limit rows plus one, to
// know whether another page follows) into list.
func (s *Service) contactListQuery(ctx context.Context, orgID string, f ContactFilter, list *[]Contact) (*bun.SelectQuery, sortOrder, int, error) {
	order, err := contactSorts.parse(f.Sort)
	if err != nil {
		return nil, order, 0, err
	}
	limit := httpx.Limit(f.Limit)
	q := s.db.Read.NewSelect().Model(list).Where("contact.org_id = ?", orgID).Limit(int64(limit + 1))
	s.selectTags(q, SubjectContact, "contact")
	if f.CompanyID != "" {
		q.Where("contact.company_id = ?", f.CompanyID)
	}
	if err := s.applyFilter(ctx, q, orgID, SubjectContact, contactSearch, f.RecordFilter); err != nil {
		return nil, order, 0, err
	}
	err = order.apply(q, sortTarget(f.RecordFilter, order, contactSearch.alias, SubjectContact), f.Cursor)
	return q, order, limit, err
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
	return rankedSearch(ctx, s, contactSearch, SubjectContact, orgID, q, limit, decodeContact)
}
