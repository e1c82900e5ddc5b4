package crm

import (
	"context"
	"net/http"
	"strconv"
	"strings"

	"github.com/kite-crm/kite/internal/org"
	"github.com/kite-crm/kite/internal/web"
)

// bulkSubmit applies the bulk bar's action to the selected records of
// kind (apply: BulkContacts or BulkCompanies, one transaction) and returns
// to the list view the person was on.
func (s *Service) bulkSubmit(kind recordKind, apply func(context.Context, org.Actor, BulkInput) (BulkResult, error)) org.WebHandler {
	return func(w http.ResponseWriter, r *http.Request, c *org.WebCtx) {
		r.ParseForm()
		back := listReturn(r, kind)
		ids := r.PostForm["ids"]
		if len(ids) == 0 {
			web.SetFlash(w, r, web.ToastError, "Select at least one "+kind.Noun+" first.")
			http.Redirect(w, r, back, http.StatusSeeOther)
			return
		}
		tag := strings.TrimSpace(r.PostFormValue("tag"))
		in := BulkInput{IDs: ids, Action: r.PostFormValue("action"), OwnerID: r.PostFormValue("owner_id")}
		if tag != "" {
			in.Tags = []string{tag}
		}
		res, err := apply(r.Context(), c.Actor, in)
		if err != nil {
			s.orgs.Failed(w, r, c, back, err)
			return
		}
		org.Done(w, r, back, bulkMessage(kind, in.Action, res.Affected, tag))
	}
}

// listReturn is the list view a bulk form came from, or the kind's list.
func listReturn(r *http.Request, kind recordKind) string {
	to := web.SafeNext(r.PostFormValue("return"))
	if to == kind.Path || strings.HasPrefix(to, kind.Path+"?") {
		return to
	}
	return kind.Path
}

// bulkMessage says what a bulk action did.
func bulkMessage(kind recordKind, action string, n int, tag string) string {
	count := strconv.Itoa(n) + " " + kind.Plural
	if n == 1 {
		count = "1 " + kind.Noun
	}
	switch action {
	case "tag":
		return "Tagged " + count + " with “" + tag + "”."
	case "untag":
		return "Removed “" + tag + "” from " + count + "."
	case "set_owner":
		return "Changed the owner of " + count + "."
	}
	return "Deleted " + count + "."
}
