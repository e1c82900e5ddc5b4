package crm

import (
	"context"
	"encoding/json"
	"net/http"
	"slices"
	"strings"

	"github.com/kite-crm/kite/internal/org"
	"github.com/kite-crm/kite/internal/web"
)

// companyPick is one company picker: the select's id and name, its label,
// what "none" reads, the current company and the choices listed.
type companyPick struct {
	ID, Name, Label string
	None            string
	Selected        *Company
	Choices         []Company
	Query           string // what the person searched for
	First           string // a search picks its first match
	Error           string
}

func (f companyPick) listed(id string) bool {
	return slices.ContainsFunc(f.Choices, func(c Company) bool { return c.ID == id })
}

func (f companyPick) isSelected(id string) bool {
	if f.First != "" {
		return id == f.First
	}
	return f.Selected != nil && f.Selected.ID == id
}

// requestValues are what the search sends besides its text: how to name
// "none" and which company is chosen now.
func (f companyPick) requestValues() string {
	vals := map[string]string{"none": f.None}
	if f.Selected != nil {
		vals["selected"] = f.Selected.ID
	}
	b, _ := json.Marshal(vals)
	return string(b)
}

// companyOptionsFragment answers a picker's search with its new options.
func (s *Service) companyOptionsFragment(w http.ResponseWriter, r *http.Request, c *org.WebCtx) {
	ctx := r.Context()
	q := r.URL.Query()
	f := companyPick{None: q.Get("none"), Query: strings.TrimSpace(q.Get("q"))}
	if f.None == "" || len(f.None) > 40 {
		f.None = "No company"
	}
	if id := q.Get("selected"); id != "" {
		if co, err := s.Company(ctx, c.Org.ID, id); err == nil {
			f.Selected = &co
		}
	}
	choices, err := s.companyChoices(ctx, c.Org.ID, f.Query)
	if err != nil {
		web.ServerError(w, r, s.log, err)
		return
	}
	f.Choices = choices
	if f.Query != "" && len(choices) > 0 {
		f.First = choices[0].ID
	}
	s.orgs.Render(w, r, http.StatusOK, companyOptions(f))
}

// pickCompany is a picker with the current company (when id names one of
// the org's) and the first companies by name to choose from.
func (s *Service) pickCompany(ctx context.Context, orgID string, f companyPick, id string) (companyPick, error) {
	if id != "" {
		if co, err := s.Company(ctx, orgID, id); err == nil {
			f.Selected = &co
		}
	}
	choices, err := s.companyChoices(ctx, orgID, "")
	f.Choices = choices
	return f, err
}
