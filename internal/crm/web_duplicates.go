package crm

import (
	"net/http"
	"net/url"
	"time"

	"github.com/kite-crm/kite/internal/org"
	"github.com/kite-crm/kite/internal/web"
)

// duplicatesPath lists the possible duplicate contacts.
const duplicatesPath = "/contacts/duplicates"

type duplicatesView struct {
	Groups   []DuplicateGroup
	WorksAt  map[string]string // company id -> name
	CanMerge bool
	Loc      *time.Location
}

func (s *Service) duplicatesPage(w http.ResponseWriter, r *http.Request, c *org.WebCtx) {
	groups, err := s.Duplicates(r.Context(), c.Org.ID)
	if err != nil {
		web.ServerError(w, r, s.log, err)
		return
	}
	var all []Contact
	for _, g := range groups {
		all = append(all, g.Contacts...)
	}
	worksAt, err := s.companyNames(r.Context(), c.Org.ID, companyIDs(all))
	if err != nil {
		web.ServerError(w, r, s.log, err)
		return
	}
	v := duplicatesView{Groups: groups, WorksAt: worksAt, CanMerge: c.Can(org.CRMWrite), Loc: c.Loc}
	s.orgs.Render(w, r, http.StatusOK, duplicatesPage(c.Page("Possible duplicates", "contacts"), v))
}

// duplicateReason says what the contacts of a group share.
func duplicateReason(g DuplicateGroup) string {
	switch g.Reason {
	case "phone":
		return "Same phone number"
	case "telegram_username":
		return "Same Telegram username"
	case "email":
		return "Same email address"
	}
	return "Alike"
}

// mergeHref is the page that merges other into survivor.
func mergeHref(survivorID, otherID string) string {
	return "/contacts/" + survivorID + "/merge?" + url.Values{"with": {otherID}}.Encode()
}
