package crm

import "net/http"

// registerAdminPages adds the pages of custom fields settings, possible duplicates and merge, global search.
func (s *Service) registerAdminPages(mux *http.ServeMux) {}
