package crm

import (
	"context"
	"net/http"
	"net/url"
	"strings"

	"github.com/kite-crm/kite/internal/org"
	"github.com/kite-crm/kite/internal/web"
)

// globalSearchPath is the full results page; the top bar's search box
// (internal/web's layout) asks globalSearchPath+"/suggest" as one types.
const globalSearchPath = "/search"

// How many records of each kind the suggestions and the results page show.
const (
	suggestLimit = 5
	resultsLimit = 25
)

// searchHit is one record found, as the search lists draw it.
type searchHit struct {
	ID, Href, Name, Detail string
}

// searchResults are the contacts and companies found for a query.
type searchResults struct {
	Q                   string
	Contacts, Companies []searchHit
}

func (r searchResults) Empty() bool { return len(r.Contacts) == 0 && len(r.Companies) == 0 }

// AllHref is the full results page of the query.
func (r searchResults) AllHref() string {
	return globalSearchPath + "?" + url.Values{"q": {r.Q}}.Encode()
}

// searchFor runs both searches; a query without words finds nothing.
func (s *Service) searchFor(ctx context.Context, orgID, q string, limit int) (searchResults, error) {
	out := searchResults{Q: strings.TrimSpace(q)}
	contacts, err := s.SearchContacts(ctx, orgID, out.Q, limit)
	if err != nil {
		return out, err
	}
	companies, err := s.SearchCompanies(ctx, orgID, out.Q, limit)
	if err != nil {
		return out, err
	}
	worksAt, err := s.companyNames(ctx, orgID, companyIDs(contacts))
	if err != nil {
		return out, err
	}
	for _, c := range contacts {
		out.Contacts = append(out.Contacts, searchHit{ID: c.ID, Href: "/contacts/" + c.ID, Name: contactName(c),
			Detail: joinNonEmpty(" · ", roleAt(c.Title, worksAt[c.CompanyID]), contactReach(c))})
	}
	for _, c := range companies {
		out.Companies = append(out.Companies, searchHit{ID: c.ID, Href: "/companies/" + c.ID, Name: c.Name,
			Detail: joinNonEmpty(" · ", c.Domain, c.Industry)})
	}
	return out, nil
}

// globalSearchSuggest answers the top bar's as-you-type request with the
// options of its listbox (nothing for an empty query, which closes it).
func (s *Service) globalSearchSuggest(w http.ResponseWriter, r *http.Request, c *org.WebCtx) {
	q := r.URL.Query().Get("q")
	if len(SearchTokens(q)) == 0 {
		web.NoStore(w)
		w.WriteHeader(http.StatusOK)
		return
	}
	res, err := s.searchFor(r.Context(), c.Org.ID, q, suggestLimit)
	if err != nil {
		web.ServerError(w, r, s.log, err)
		return
	}
	s.orgs.Render(w, r, http.StatusOK, searchSuggestions(res))
}

func (s *Service) globalSearchPage(w http.ResponseWriter, r *http.Request, c *org.WebCtx) {
	res, err := s.searchFor(r.Context(), c.Org.ID, r.URL.Query().Get("q"), resultsLimit)
	if err != nil {
		web.ServerError(w, r, s.log, err)
		return
	}
	title := "Search"
	if res.Q != "" {
		title = "Search: " + res.Q
	}
	s.orgs.Render(w, r, http.StatusOK, searchPage(c.Page(title, ""), res))
}

// companyIDs are the companies contacts work at.
func companyIDs(contacts []Contact) []string {
	ids := make([]string, 0, len(contacts))
	for _, c := range contacts {
		ids = append(ids, c.CompanyID)
	}
	return ids
}

// contactReach is how to reach a contact: email, phone or Telegram.
func contactReach(c Contact) string {
	switch {
	case c.Email != "":
		return c.Email
	case c.Phone != "":
		return c.Phone
	}
	return telegramHandle(c.TelegramUsername)
}

// roleAt writes "CTO at Acme", or whichever half is known.
func roleAt(title, company string) string {
	if title != "" && company != "" {
		return title + " at " + company
	}
	return title + company
}

func joinNonEmpty(sep string, parts ...string) string {
	var kept []string
	for _, p := range parts {
		if p != "" {
			kept = append(kept, p)
		}
	}
	return strings.Join(kept, sep)
}
