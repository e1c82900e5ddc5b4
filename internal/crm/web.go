package crm

import "net/http"

// The CRM's browser pages. They stand on the organization's page footing
// (org.Service.InOrg, WebCtx.Page, Render, Done, Failed, FormErrors) and
// call the same service functions as the JSON API, so a rule holds in
// both places by construction.

// RegisterWeb adds the CRM pages to mux.
func (s *Service) RegisterWeb(mux *http.ServeMux) {
	s.registerRecordPages(mux)
	s.registerImportPages(mux)
	s.registerAdminPages(mux)
}
