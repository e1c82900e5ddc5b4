package crm

import "net/http"

// registerRecordPages adds the pages of contacts and companies: lists, detail pages, forms, notes, bulk actions.
func (s *Service) registerRecordPages(mux *http.ServeMux) {}
