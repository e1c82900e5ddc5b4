package org

import (
	"net/http"
	"time"

	"github.com/kite-crm/kite/internal/web"
)

type apiKeysView struct {
	OrgName     string
	Keys        []APIKey
	Creators    map[string]string // creator id -> name
	CanManage   bool
	RoleOptions []web.Option
	Name, Role  string
	Errors      web.FormErrors
	Created     *CreatedAPIKey // the key just made, shown once
	Now         time.Time
	Loc         *time.Location
}

// keyRoleOptions are the roles a key may get: at most its creator's.
func keyRoleOptions(role Role) []web.Option {
	var out []web.Option
	for _, r := range Roles {
		if role.AtLeast(r) {
			out = append(out, web.Option{Value: string(r), Label: roleLabel(r)})
		}
	}
	return out
}

func (s *Service) apiKeysView(r *http.Request, c *WebCtx) (apiKeysView, error) {
	keys, err := s.APIKeys(r.Context(), c.Org.ID)
	if err != nil {
		return apiKeysView{}, err
	}
	v := apiKeysView{OrgName: c.Org.Name, Keys: keys, Creators: map[string]string{}, CanManage: c.Can(APIKeysWrite),
		RoleOptions: keyRoleOptions(c.Org.Role), Role: string(Member), Now: c.Now, Loc: c.Loc}
	var ids []string
	for _, k := range keys {
		ids = append(ids, k.CreatedBy)
	}
	users, err := s.identity.UsersByID(r.Context(), ids)
	if err != nil {
		return apiKeysView{}, err
	}
	for id, u := range users {
		v.Creators[id] = u.Name
	}
	return v, nil
}

func (s *Service) apiKeysPage(w http.ResponseWriter, r *http.Request, c *WebCtx) {
	v, err := s.apiKeysView(r, c)
	if err != nil {
		web.ServerError(w, r, s.log, err)
		return
	}
	s.Render(w, r, http.StatusOK, apiKeysPage(c.Page("API keys", "settings"), c, v))
}

func (s *Service) createAPIKeySubmit(w http.ResponseWriter, r *http.Request, c *WebCtx) {
	name, role := r.PostFormValue("name"), Role(r.PostFormValue("role"))
	k, err := s.CreateAPIKey(r.Context(), c.Actor, name, role)
	v, verr := s.apiKeysView(r, c)
	if verr != nil {
		web.ServerError(w, r, s.log, verr)
		return
	}
	if err != nil {
		v.Name, v.Role = name, string(role)
		if !s.FormErrors(w, r, err, &v.Errors, nil) {
			return
		}
		s.Render(w, r, v.Errors.StatusOr(http.StatusUnprocessableEntity), apiKeysPage(c.Page("API keys", "settings"), c, v))
		return
	}
	// The key is shown on this answer only: it is not kept anywhere, and
	// the page is not cached (a reload asks to send the form again).
	v.Created = &k
	s.Render(w, r, http.StatusCreated, apiKeysPage(c.Page("API keys", "settings"), c, v))
}

func (s *Service) revokeAPIKeySubmit(w http.ResponseWriter, r *http.Request, c *WebCtx) {
	if err := s.RevokeAPIKey(r.Context(), c.Actor, r.PathValue("id")); err != nil {
		s.Failed(w, r, c, "/settings/api-keys", err)
		return
	}
	Done(w, r, "/settings/api-keys", "The API key was revoked. Programs using it are refused from now on.")
}
