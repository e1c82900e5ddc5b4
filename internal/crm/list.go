package crm

import (
	"fmt"
	"slices"
	"strings"
	"time"

	"github.com/danielgtaylor/huma/v2"
	"github.com/uptrace/bun"

	"github.com/kite-crm/kite/internal/platform/httpx"
)

// Lists are keyset-paginated: the cursor holds the sort values and ID of
// the last row served, and the next page starts strictly after it, using
// an index that ends in (…, id). Never OFFSET, never COUNT(*).

// sortColumn is a column of a sort order and how its cursor value decodes.
type sortColumn struct {
	name   string
	isTime bool
}

// sortOrder is one way to sort a list.
type sortOrder struct {
	field   string // as the client names it
	columns []sortColumn
	desc    bool
}

// sortFields maps the client's sort names to columns, per list.
type sortFields map[string][]sortColumn

var (
	contactSorts = sortFields{
		"created_at": {{"created_at", true}},
		"updated_at": {{"updated_at", true}},
		"name":       {{"last_name", false}, {"first_name", false}},
	}
	companySorts = sortFields{
		"created_at": {{"created_at", true}},
		"updated_at": {{"updated_at", true}},
		"name":       {{"name", false}},
	}
)

// parseSort reads ?sort=field or ?sort=-field; empty means newest first.
func (f sortFields) parse(raw string) (sortOrder, error) {
	if raw == "" {
		raw = "-created_at"
	}
	field, desc := strings.CutPrefix(raw, "-")
	cols, ok := f[field]
	if !ok {
		names := make([]string, 0, len(f))
		for k := range f {
			names = append(names, k)
		}
		return sortOrder{}, invalidQuery("sort", fmt.Sprintf("Cannot sort by %q; sort by one of %s (prefix - for descending).", field, strings.Join(slices.Sorted(slices.Values(names)), ", ")))
	}
	return sortOrder{field: field, columns: cols, desc: desc}, nil
}

// pageCursor is what a cursor carries.
type pageCursor struct {
	Sort   string   `json:"s"`
	Values []string `json:"v"`
	ID     string   `json:"i"`
}

// sortOn names the table alias whose columns order a list, and its id
// column.
type sortOn struct{ alias, id string }

// apply orders q on the columns of on and, given a cursor, starts after
// it. A cursor made for another sort order is refused.
func (o sortOrder) apply(q *bun.SelectQuery, on sortOn, cursor string) error {
	alias := on.alias
	dir := "ASC"
	if o.desc {
		dir = "DESC"
	}
	cols := make([]string, 0, len(o.columns)+1)
	for _, c := range o.columns {
		cols = append(cols, alias+"."+c.name)
		q.OrderExpr(alias + "." + c.name + " " + dir)
	}
	cols = append(cols, alias+"."+on.id)
	q.OrderExpr(alias + "." + on.id + " " + dir)

	var cur pageCursor
	ok, err := httpx.DecodeCursor(cursor, &cur)
	if err != nil || !ok {
		return err
	}
	if cur.Sort != o.key() || len(cur.Values) != len(o.columns) {
		return invalidQuery("cursor", "This cursor belongs to another sort order; start from the first page.")
	}
	args := make([]any, 0, len(cols))
	for i, c := range o.columns {
		if c.isTime {
			t, err := time.Parse(time.RFC3339Nano, cur.Values[i])
			if err != nil {
				return invalidQuery("cursor", "The cursor is not one this server issued.")
			}
			args = append(args, t.UTC())
		} else {
			args = append(args, cur.Values[i])
		}
	}
	args = append(args, cur.ID)
	op := ">"
	if o.desc {
		op = "<"
	}
	marks := strings.TrimSuffix(strings.Repeat("?, ", len(args)), ", ")
	q.Where("("+strings.Join(cols, ", ")+") "+op+" ("+marks+")", args...)
	return nil
}

func (o sortOrder) key() string {
	if o.desc {
		return "-" + o.field
	}
	return o.field
}

// next encodes the cursor after a row, given the row's sort values.
func (o sortOrder) next(values []string, id string) string {
	return httpx.EncodeCursor(pageCursor{Sort: o.key(), Values: values, ID: id})
}

func timeValue(t time.Time) string { return t.UTC().Format(time.RFC3339Nano) }

// invalidQuery is a 422 naming a query parameter.
func invalidQuery(param, msg string) error { return httpx.Invalid("query."+param, msg) }

// invalidField is a 422 naming a body field.
func invalidField(field, msg string) error { return httpx.Invalid("body."+field, msg) }

func fieldDetail(location, msg string) *huma.ErrorDetail {
	return &huma.ErrorDetail{Location: location, Message: msg}
}
