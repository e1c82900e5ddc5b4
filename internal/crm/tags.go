package crm

import (
	"context"
	"errors"
	"net/http"
	"slices"
	"strings"
	"time"
	"unicode"
	"unicode/utf8"

	"github.com/uptrace/bun"

	"github.com/kite-crm/kite/internal/org"
	"github.com/kite-crm/kite/internal/platform/db"
	"github.com/kite-crm/kite/internal/platform/httpx"
)

// maxTagLen bounds a tag name.
const maxTagLen = 50

var errTagNotFound = httpx.NewProblem(http.StatusNotFound, "not_found", "No such tag.")

// cleanTagNames trims, drops empties and case-insensitive duplicates.
func cleanTagNames(names []string) ([]string, error) {
	seen := map[string]bool{}
	out := []string{}
	for _, n := range names {
		n = strings.Join(strings.Fields(n), " ")
		if n == "" {
			continue
		}
		if utf8.RuneCountInString(n) > maxTagLen {
			return nil, invalidField("tags", "A tag has at most 50 characters.")
		}
		if strings.ContainsFunc(n, unicode.IsControl) {
			return nil, invalidField("tags", "A tag cannot contain control characters.")
		}
		if k := strings.ToLower(n); !seen[k] {
			seen[k] = true
			out = append(out, n)
		}
	}
	slices.SortFunc(out, func(a, b string) int { return strings.Compare(strings.ToLower(a), strings.ToLower(b)) })
	return out, nil
}

// ensureTags returns the org's tags with these names, creating missing ones.
func (s *Service) ensureTags(ctx context.Context, tx bun.Tx, orgID string, names []string) ([]Tag, error) {
	if len(names) == 0 {
		return nil, nil
	}
	keys := make([]string, len(names))
	for i, n := range names {
		keys[i] = strings.ToLower(n)
	}
	now := s.now().UTC()
	rows := make([]Tag, len(names))
	for i, n := range names {
		rows[i] = Tag{ID: db.NewID(), OrgID: orgID, Name: n, NameKey: keys[i], CreatedAt: now}
	}
	if _, err := tx.NewInsert().Model(&rows).On("CONFLICT (org_id, name_key) DO NOTHING").Exec(ctx); err != nil {
		return nil, err
	}
	var tags []Tag
	err := tx.NewSelect().Model(&tags).Where("org_id = ?", orgID).Where("name_key IN (?)", bun.In(keys)).Scan(ctx)
	return tags, err
}

// setTags replaces the tags of a contact or company (created at created);
// returns the names.
func (s *Service) setTags(ctx context.Context, tx bun.Tx, orgID, subject, id string, created time.Time, names []string) ([]string, error) {
	clean, err := cleanTagNames(names)
	if err != nil {
		return nil, err
	}
	tags, err := s.ensureTags(ctx, tx, orgID, clean)
	if err != nil {
		return nil, err
	}
	table, col := linkTable(subject)
	if _, err := tx.NewDelete().TableExpr(table).Where(col+" = ?", id).Exec(ctx); err != nil {
		return nil, err
	}
	if len(tags) > 0 {
		var err error
		if subject == SubjectContact {
			links := make([]contactTag, len(tags))
			for i, t := range tags {
				links[i] = contactTag{TagID: t.ID, ContactID: id, CreatedAt: created}
			}
			_, err = tx.NewInsert().Model(&links).Exec(ctx)
		} else {
			links := make([]companyTag, len(tags))
			for i, t := range tags {
				links[i] = companyTag{TagID: t.ID, CompanyID: id, CreatedAt: created}
			}
			_, err = tx.NewInsert().Model(&links).Exec(ctx)
		}
		if err != nil {
			return nil, err
		}
	}
	out := make([]string, len(tags))
	for i, t := range tags {
		out[i] = t.Name
	}
	slices.SortFunc(out, func(a, b string) int { return strings.Compare(strings.ToLower(a), strings.ToLower(b)) })
	return out, nil
}

func linkTable(subject string) (table, col string) {
	if subject == SubjectContact {
		return "contact_tags", "contact_id"
	}
	return "company_tags", "company_id"
}

// tagsOf lists the tag names of one record.
func (s *Service) tagsOf(ctx context.Context, q bun.IDB, subject, id string) []string {
	m, _ := s.tagNames(ctx, q, subject, []string{id})
	if m[id] == nil {
		return []string{}
	}
	return m[id]
}

// tagNames loads the tag names of many records in one query.
func (s *Service) tagNames(ctx context.Context, q bun.IDB, subject string, ids []string) (map[string][]string, error) {
	out := map[string][]string{}
	if len(ids) == 0 {
		return out, nil
	}
	table, col := linkTable(subject)
	var rows []struct {
		ID   string `bun:"id"`
		Name string `bun:"name"`
	}
	err := q.NewSelect().TableExpr(table+" AS l").Join("JOIN tags AS t ON t.id = l.tag_id").
		ColumnExpr("l."+col+" AS id, t.name").Where("l."+col+" IN (?)", bun.In(ids)).OrderExpr("t.name_key").Scan(ctx, &rows)
	for _, r := range rows {
		out[r.ID] = append(out[r.ID], r.Name)
	}
	return out, err
}

// tagSeparator joins a row's tag names in one column; cleanTagNames keeps
// control characters out of names, so it never occurs inside one.
const tagSeparator = "\x1f"

// selectTags makes a read also select each row's tag names, in name order,
// as the column tag_list: a page is one query instead of two, and the
// lookups run on the contact_tags_contact_id / company_tags_company_id
// indexes row by row. It leaves out search_text, which reads never show
// (so a record read this way must not be written back whole).
func (s *Service) selectTags(q *bun.SelectQuery, subject, alias string) {
	table, col := linkTable(subject)
	agg := "group_concat(tg.name, char(31) ORDER BY tg.name_key)"
	if s.db.Kind == db.Postgres {
		agg = "string_agg(tg.name, chr(31) ORDER BY tg.name_key)"
	}
	q.ExcludeColumn("search_text").ColumnExpr("(SELECT " + agg + " FROM " + table + " AS lt JOIN tags AS tg ON tg.id = lt.tag_id WHERE lt." + col + " = " + alias + ".id) AS tag_list")
}

// splitTags reads the tag_list column of selectTags.
func splitTags(list string) []string {
	if list == "" {
		return []string{}
	}
	return strings.Split(list, tagSeparator)
}

// Tags lists the org's tags by name.
func (s *Service) Tags(ctx context.Context, orgID string) ([]Tag, error) {
	out := []Tag{}
	err := s.db.Read.NewSelect().Model(&out).Where("org_id = ?", orgID).OrderExpr("name_key").Limit(1000).Scan(ctx)
	return out, err
}

// CreateTag adds a tag; an existing name (in any case) is a conflict.
func (s *Service) CreateTag(ctx context.Context, a org.Actor, name, color string) (Tag, error) {
	clean, err := cleanTagNames([]string{name})
	if err != nil {
		return Tag{}, err
	}
	if len(clean) == 0 {
		return Tag{}, invalidField("name", "Give the tag a name.")
	}
	if color != "" && !validColor(color) {
		return Tag{}, invalidField("color", "Use a hex color such as #4f46e5.")
	}
	t := Tag{ID: db.NewID(), OrgID: a.OrgID, Name: clean[0], NameKey: strings.ToLower(clean[0]), Color: color, CreatedAt: s.now().UTC()}
	err = s.db.Tx(ctx, func(ctx context.Context, tx bun.Tx) error {
		if _, err := tx.NewInsert().Model(&t).Exec(ctx); err != nil {
			return err
		}
		return s.record(ctx, tx, a, "tag.created", t.ID, map[string]string{"name": t.Name})
	})
	if errors.Is(err, db.ErrConflict) {
		return Tag{}, httpx.NewProblem(http.StatusConflict, "conflict", "A tag with this name exists.")
	}
	return t, err
}

// DeleteTag removes a tag from everything it labels.
func (s *Service) DeleteTag(ctx context.Context, a org.Actor, id string) error {
	return s.db.Tx(ctx, func(ctx context.Context, tx bun.Tx) error {
		t, err := forWrite[Tag](ctx, tx, a, id, errTagNotFound)
		if err != nil {
			return err
		}
		if _, err := tx.NewDelete().Model((*Tag)(nil)).Where("org_id = ?", a.OrgID).Where("id = ?", id).Exec(ctx); err != nil {
			return err
		}
		return s.record(ctx, tx, a, "tag.deleted", id, map[string]string{"name": t.Name})
	})
}

func validColor(c string) bool {
	if len(c) != 7 || c[0] != '#' {
		return false
	}
	for _, r := range c[1:] {
		if !strings.ContainsRune("0123456789abcdefABCDEF", r) {
			return false
		}
	}
	return true
}
