package crm

import (
	"context"
	"fmt"
	"maps"
	"net/http"
	"net/url"
	"slices"
	"strconv"
	"strings"
	"time"

	"github.com/kite-crm/kite/internal/org"
	"github.com/kite-crm/kite/internal/web"
)

// The contacts and companies lists are one page built twice: a recordKind
// says what differs (names, columns, how a row reads), everything else —
// filters, sorting, columns, load more, empty states — is shared.

// listPageSize is how many rows a list page (or "load more") adds.
const listPageSize = 50

// recordKind describes one kind of record for the shared pages.
type recordKind struct {
	Subject    string // SubjectContact | SubjectCompany
	Noun       string // "contact"
	Plural     string // "contacts"
	Title      string // "Contacts"
	Path       string // "/contacts"
	Columns    []listColumn
	Defaults   []string // columns shown when the URL chooses none
	Actions    []headerAction
	EmptyHelp  string // what the empty list suggests
	SearchHint string // placeholder of the search box
}

// headerAction is a link in the list's header; Write ones need crm:write.
type headerAction struct {
	Label, Href    string
	Write, Primary bool
}

// sortKeys are the sort names both lists accept (see contactSorts).
func (k recordKind) sortKeys() []string { return []string{"name", "created_at", "updated_at"} }

// listColumn is a column a person may show; Sort names its sort order.
type listColumn struct {
	Key, Label, Sort string
}

// customColumnPrefix marks the column of a custom field: "cf.industry".
const customColumnPrefix = "cf."

// allColumns are the built-in columns and one per custom field.
func (k recordKind) allColumns(defs []CustomField) []listColumn {
	out := slices.Clone(k.Columns)
	for _, d := range defs {
		out = append(out, listColumn{Key: customColumnPrefix + d.Key, Label: d.Label})
	}
	return out
}

// shownColumns are the columns the query chose, in the table's order;
// unknown names are skipped.
func shownColumns(all []listColumn, chosen, defaults []string) []listColumn {
	if chosen == nil {
		chosen = defaults
	}
	var out []listColumn
	for _, c := range all {
		if slices.Contains(chosen, c.Key) {
			out = append(out, c)
		}
	}
	return out
}

// listCell is one cell: text, optionally a link, tags or a time.
type listCell struct {
	Text string
	Href string
	Tags []string
	Time time.Time
}

// listRow is one record of a list; Cells follow the shown columns.
type listRow struct {
	ID, Name, Href string
	Cells          []listCell
}

// cellFunc gives the cell of a column key for one record.
type cellFunc func(key string) listCell

func newRow(kind recordKind, id, name string, cols []listColumn, cell cellFunc) listRow {
	row := listRow{ID: id, Name: name, Href: kind.Path + "/" + id}
	for _, c := range cols {
		row.Cells = append(row.Cells, cell(c.Key))
	}
	return row
}

// customCell shows a custom field's value by its type.
func customCell(key string, values map[string]any, defs []CustomField) listCell {
	k := strings.TrimPrefix(key, customColumnPrefix)
	v, ok := values[k]
	if !ok || v == nil {
		return listCell{}
	}
	i := slices.IndexFunc(defs, func(d CustomField) bool { return d.Key == k })
	if i >= 0 {
		switch defs[i].Type {
		case "url":
			s := fmt.Sprint(v)
			return listCell{Text: s, Href: web.SafeHTTPURL(s)}
		case "checkbox":
			if b, _ := v.(bool); b {
				return listCell{Text: "Yes"}
			}
			return listCell{Text: "No"}
		}
	}
	return listCell{Text: customText(v)}
}

// customText writes a stored custom value for people.
func customText(v any) string {
	switch x := v.(type) {
	case float64:
		return strconv.FormatFloat(x, 'f', -1, 64)
	case bool:
		if x {
			return "Yes"
		}
		return "No"
	case nil:
		return ""
	}
	return fmt.Sprint(v)
}

// listView is everything a list page shows.
type listView struct {
	Kind       recordKind
	Query      viewQuery
	Columns    []listColumn // shown
	AllColumns []listColumn // choosable
	Rows       []listRow
	Next       string // URL of the next rows; "" at the end
	Problems   []string
	CanWrite   bool
	Bulk       bool // rows can be selected for bulk actions
	Tags       []Tag
	Owners     []web.Option
	Custom     []CustomField
	Company    *Company  // the company the list is filtered on (contacts)
	Companies  []Company // first choices of the company filter
	Loc        *time.Location
	orgID      string
	members    people
}

// Here is the URL of the view, for forms that come back to it.
func (v listView) Here() string { return v.Query.url(v.Kind.Path, nil) }

// ClearURL keeps sort and columns, drops every filter.
func (v listView) ClearURL() string {
	return viewQuery{Sort: v.Query.Sort, Cols: v.Query.Cols}.url(v.Kind.Path, nil)
}

// SortURL is the view sorted by col: a second click reverses the order.
// Dates sort newest first on the first click, names A to Z.
func (v listView) SortURL(col listColumn) string {
	next := "-" + col.Sort
	if col.Sort == "name" {
		next = col.Sort
	}
	switch v.currentSort() {
	case col.Sort:
		next = "-" + col.Sort
	case "-" + col.Sort:
		next = col.Sort
	}
	return v.Query.url(v.Kind.Path, func(q url.Values) { q.Set("sort", next) })
}

func (v listView) currentSort() string {
	if v.Query.Sort == "" {
		return "-created_at"
	}
	return v.Query.Sort
}

// AriaSort is the column's aria-sort value, "" when the list is not sorted by it.
func (v listView) AriaSort(col listColumn) string {
	switch v.currentSort() {
	case col.Sort:
		return "ascending"
	case "-" + col.Sort:
		return "descending"
	}
	return ""
}

// NameColumn is the always-shown first column.
func (v listView) NameColumn() listColumn {
	return listColumn{Key: "name", Label: "Name", Sort: "name"}
}

// Width is the number of table columns.
func (v listView) Width() int {
	n := len(v.Columns) + 1
	if v.Bulk {
		n++
	}
	return n
}

// Shows reports whether a column is shown.
func (v listView) Shows(key string) bool {
	return slices.ContainsFunc(v.Columns, func(c listColumn) bool { return c.Key == key })
}

// FirstCustom is the custom filter the form shows; the others ride along
// as hidden fields.
func (v listView) FirstCustom() (key, value string) {
	if len(v.Query.Custom) == 0 {
		return "", ""
	}
	key, value, _ = strings.Cut(v.Query.Custom[0], ":")
	return key, value
}

// CustomOptions are the choices of the custom filter's field.
func (v listView) CustomOptions() []web.Option {
	out := []web.Option{{Value: "", Label: "Any field"}}
	for _, d := range v.Custom {
		out = append(out, web.Option{Value: d.Key, Label: d.Label})
	}
	return out
}

// KeptValues are the query values a form that changes only some must
// carry along (the columns menu carries the filters and sort).
func (v listView) KeptValues(drop ...string) []hiddenField {
	vals := v.Query.values()
	var out []hiddenField
	for _, k := range slices.Sorted(maps.Keys(vals)) {
		if slices.Contains(drop, k) {
			continue
		}
		for _, val := range vals[k] {
			out = append(out, hiddenField{Name: k, Value: val})
		}
	}
	return out
}

// hiddenField is a name and value a form sends unseen.
type hiddenField struct{ Name, Value string }

// rowLoader lists one page of a kind's records as rows.
type rowLoader func(ctx context.Context, v *listView, f RecordFilter) (rows []listRow, next string, err error)

// serveList answers a list page, or only its next rows to htmx's "load
// more". Parts of the URL the list cannot use are explained on the page.
func (s *Service) serveList(w http.ResponseWriter, r *http.Request, c *org.WebCtx, kind recordKind, load rowLoader) {
	ctx := r.Context()
	members, defs, err := s.peopleAndFields(ctx, c.Org.ID, kind.Subject)
	if err != nil {
		web.ServerError(w, r, s.log, err)
		return
	}
	q := parseViewQuery(r.URL.Query())
	all := kind.allColumns(defs)
	v := listView{Kind: kind, Query: q, AllColumns: all, Columns: shownColumns(all, q.Cols, kind.Defaults),
		CanWrite: c.Can(org.CRMWrite), Owners: members.options, Custom: defs, Loc: c.Loc, orgID: c.Org.ID, members: members}
	plan := q.plan(kind, c.Loc, members, defs)
	v.Problems = plan.Problems
	rows, next, err := load(ctx, &v, plan.Filter)
	if fe, ok := web.ProblemErrors(err, nil); ok {
		// A cursor from another sort order, or one that was edited: start over.
		v.Problems = append(v.Problems, problemText(fe))
		plan.Filter.Cursor = ""
		rows, next, err = load(ctx, &v, plan.Filter)
	}
	if err != nil {
		web.ServerError(w, r, s.log, err)
		return
	}
	v.Rows = rows
	if next != "" {
		v.Next = q.url(kind.Path, func(vals url.Values) { vals.Set("cursor", next) })
	}
	if web.IsHTMX(r) {
		s.orgs.Render(w, r, http.StatusOK, listRows(v))
		return
	}
	if v.Tags, err = s.Tags(ctx, c.Org.ID); err != nil {
		web.ServerError(w, r, s.log, err)
		return
	}
	s.orgs.Render(w, r, http.StatusOK, listPage(c.Page(kind.Title, kind.Plural), v))
}

// problemText is the message of a refused request, field messages included.
func problemText(fe web.FormErrors) string {
	if fe.Message != "" {
		return fe.Message
	}
	for _, m := range fe.Fields {
		return m
	}
	return "This link cannot be used."
}
