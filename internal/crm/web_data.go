package crm

import (
	"context"

	"github.com/uptrace/bun"

	"github.com/kite-crm/kite/internal/platform/db"
	"github.com/kite-crm/kite/internal/web"
)

// Reads the pages need beside the service's own: names of the records and
// people a page mentions, each in one query per page, never one per row.

// companyNames returns the names of the org's companies with these ids;
// unknown ids are absent.
func (s *Service) companyNames(ctx context.Context, orgID string, ids []string) (map[string]string, error) {
	out := map[string]string{}
	valid := make([]string, 0, len(ids))
	for _, id := range ids {
		if id != "" && db.ValidID(id) {
			valid = append(valid, id)
		}
	}
	if len(valid) == 0 {
		return out, nil
	}
	var rows []struct {
		ID   string `bun:"id"`
		Name string `bun:"name"`
	}
	err := s.db.Read.NewSelect().Model((*Company)(nil)).Column("id", "name").
		Where("org_id = ?", orgID).Where("id IN (?)", bun.In(valid)).Scan(ctx, &rows)
	for _, r := range rows {
		out[r.ID] = r.Name
	}
	return out, err
}

// people are the members of an org, for owner pickers and for naming the
// authors of notes and changes.
type people struct {
	names   map[string]string // user id -> name
	options []web.Option      // by name
}

func (s *Service) people(ctx context.Context, orgID string) (people, error) {
	members, err := s.orgs.Members(ctx, orgID)
	if err != nil {
		return people{}, err
	}
	p := people{names: make(map[string]string, len(members))}
	for _, m := range members {
		name := m.Name
		if name == "" {
			name = m.Email
		}
		p.names[m.UserID] = name
		p.options = append(p.options, web.Option{Value: m.UserID, Label: name})
	}
	return p, nil
}

// name of a member, or of someone who left the organization.
func (p people) name(userID string) string {
	if userID == "" {
		return ""
	}
	if n, ok := p.names[userID]; ok {
		return n
	}
	return "A former member"
}

// isMember reports whether userID is a member of the org.
func (p people) isMember(userID string) bool {
	_, ok := p.names[userID]
	return ok
}

// ownerOptions are the choices of an owner select: nobody, then members.
func (p people) ownerOptions(none string) []web.Option {
	return append([]web.Option{{Value: "", Label: none}}, p.options...)
}

// companyPickerSize bounds the companies a picker lists at once: an org
// may have 100,000, so the picker searches instead of listing them all.
const companyPickerSize = 20

// companyChoices are companies matching q by name, for a picker.
func (s *Service) companyChoices(ctx context.Context, orgID, q string) ([]Company, error) {
	list, _, err := s.ListCompanies(ctx, orgID, CompanyFilter{Q: q, Sort: "name", Limit: companyPickerSize})
	return list, err
}

// peopleAndFields are what most CRM pages need of the org: its members
// and the custom fields of one kind of record.
func (s *Service) peopleAndFields(ctx context.Context, orgID, subject string) (people, []CustomField, error) {
	members, err := s.people(ctx, orgID)
	if err != nil {
		return people{}, nil, err
	}
	defs, err := s.CustomFields(ctx, orgID, subject)
	return members, defs, err
}
