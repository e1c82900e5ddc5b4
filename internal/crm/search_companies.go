package crm

import "context"

// SearchCompanies returns the companies best matching q, most relevant
// first: every token of q as a prefix of a word of the name, domain,
// industry or phone, accents and case ignored (as SearchContacts).
func (s *Service) SearchCompanies(ctx context.Context, orgID, q string, limit int) ([]Company, error) {
	return rankedSearch(ctx, s, companySearch, SubjectCompany, orgID, q, limit, decodeCompany)
}
