package crm

import (
	"net/http"

	"github.com/kite-crm/kite/internal/org"
)

// registerAdminPages adds the pages of custom fields settings, possible
// duplicates and merge, and global search. Settings are read by every
// member and changed by admins, as in the JSON API.
func (s *Service) registerAdminPages(mux *http.ServeMux) {
	in := s.orgs.InOrg

	mux.HandleFunc("GET "+customFieldsPath, in(org.OrgRead, s.customFieldsPage))
	mux.HandleFunc("POST "+customFieldsPath, in(org.OrgWrite, s.createCustomFieldSubmit))
	mux.HandleFunc("GET "+customFieldsPath+"/{id}", in(org.OrgWrite, s.editCustomFieldPage))
	mux.HandleFunc("POST "+customFieldsPath+"/{id}", in(org.OrgWrite, s.updateCustomFieldSubmit))
	mux.HandleFunc("POST "+customFieldsPath+"/{id}/remove", in(org.OrgWrite, s.removeCustomFieldSubmit))

	mux.HandleFunc("GET "+duplicatesPath, in(org.CRMRead, s.duplicatesPage))
	mux.HandleFunc("GET /contacts/{id}/merge", in(org.CRMWrite, s.mergePage))
	mux.HandleFunc("POST /contacts/{id}/merge", in(org.CRMWrite, s.mergeSubmit))

	mux.HandleFunc("GET "+globalSearchPath, in(org.CRMRead, s.globalSearchPage))
	mux.HandleFunc("GET "+globalSearchPath+"/suggest", in(org.CRMRead, s.globalSearchSuggest))
}
