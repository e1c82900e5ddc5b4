package pipeline

import (
	"net/http"

	"github.com/a-h/templ"

	"github.com/kite-crm/kite/internal/crm"
	"github.com/kite-crm/kite/internal/org"
)

// recordDeals is the Deals card of a contact's or company's page: its
// latest deals with their stage, and a link to add one linked to it.
func (s *Service) recordDeals(r *http.Request, c *org.WebCtx, subject, id string) (templ.Component, error) {
	if !c.Can(org.DealsRead) {
		return nil, nil
	}
	f, newHref := DealFilter{Limit: 20}, dealsPath+"/new?contact="+id
	if subject == crm.SubjectCompany {
		f.CompanyID, newHref = id, dealsPath+"/new?company="+id
	} else {
		f.ContactID = id
	}
	cards, _, err := s.ListDeals(r.Context(), c.Org.ID, f)
	if err != nil {
		return nil, err
	}
	names := map[string]string{}
	if len(cards) > 0 {
		pipelines, err := s.Pipelines(r.Context(), c.Org.ID)
		if err != nil {
			return nil, err
		}
		for _, p := range pipelines {
			for _, st := range p.Stages {
				names[st.ID] = st.Name
			}
		}
	}
	return dealsPanel(cards, names, newHref, c.Can(org.DealsWrite)), nil
}
