package crm

import (
	"context"

	"github.com/kite-crm/kite/internal/platform/db"
	"github.com/kite-crm/kite/internal/platform/httpx"
)

// SearchCompanies returns the companies best matching q, most relevant
// first: every token of q as a prefix of a word of the name, domain,
// industry or phone, accents and case ignored (as SearchContacts).
func (s *Service) SearchCompanies(ctx context.Context, orgID, q string, limit int) ([]Company, error) {
	tokens := SearchTokens(q)
	list := []Company{}
	if len(tokens) == 0 {
		return list, nil
	}
	query := s.db.Read.NewSelect().Model(&list).Where("company.org_id = ?", orgID).Limit(int64(httpx.Limit(limit)))
	s.selectTags(query, SubjectCompany, "company")
	// On SQLite the ranking join already matches; PostgreSQL ranks the rows
	// a separate condition found.
	if s.db.Kind == db.Postgres {
		companySearch.match(s.db.Kind, query, tokens)
	}
	companySearch.rank(s.db.Kind, query, tokens)
	if err := query.Scan(ctx); err != nil {
		return nil, err
	}
	for i := range list {
		list[i] = decodeCompany(list[i])
	}
	return list, nil
}
