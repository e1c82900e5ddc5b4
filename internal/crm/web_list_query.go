package crm

import (
	"fmt"
	"net/url"
	"slices"
	"strconv"
	"strings"
	"time"
	"unicode/utf8"
)

// viewQuery is a list page's view as its URL states it: filters, sort,
// chosen columns and the page cursor. Everything lives in the URL so a view
// can be bookmarked and shared.
type viewQuery struct {
	Q           string
	Tag         string
	OwnerID     string
	CompanyID   string   // contacts only
	Custom      []string // "key:value"
	CreatedFrom string   // dates as typed: 2026-03-31 (or RFC 3339)
	CreatedTo   string
	UpdatedFrom string
	UpdatedTo   string
	Sort        string
	Cursor      string
	Cols        []string // nil: the default columns
}

// parseViewQuery reads a list URL. The custom-field pair of the filter
// form (cf_key, cf_value) joins the repeatable cf=key:value parameters.
func parseViewQuery(v url.Values) viewQuery {
	q := viewQuery{
		Q: strings.TrimSpace(v.Get("q")), Tag: strings.TrimSpace(v.Get("tag")), OwnerID: v.Get("owner_id"),
		CompanyID: v.Get("company_id"), CreatedFrom: v.Get("created_after"), CreatedTo: v.Get("created_before"),
		UpdatedFrom: v.Get("updated_after"), UpdatedTo: v.Get("updated_before"), Sort: v.Get("sort"), Cursor: v.Get("cursor"),
	}
	for _, cf := range append(v["cf"], customPair(v)) {
		if cf != "" && !slices.Contains(q.Custom, cf) {
			q.Custom = append(q.Custom, cf)
		}
	}
	if cols, ok := v["cols"]; ok {
		q.Cols = []string{}
		for _, c := range cols {
			q.Cols = append(q.Cols, strings.Split(c, ",")...)
		}
	}
	return q
}

func customPair(v url.Values) string {
	key := strings.TrimSpace(v.Get("cf_key"))
	if key == "" {
		return ""
	}
	return key + ":" + strings.TrimSpace(v.Get("cf_value"))
}

// Filtered reports whether any filter narrows the list (sorting and
// columns do not).
func (q viewQuery) Filtered() bool {
	return q.Q != "" || q.Tag != "" || q.OwnerID != "" || q.CompanyID != "" || len(q.Custom) > 0 ||
		q.CreatedFrom != "" || q.CreatedTo != "" || q.UpdatedFrom != "" || q.UpdatedTo != ""
}

// values is the canonical URL query of the view, without the cursor.
func (q viewQuery) values() url.Values {
	v := url.Values{}
	set := func(k, val string) {
		if val != "" {
			v.Set(k, val)
		}
	}
	set("q", q.Q)
	set("tag", q.Tag)
	set("owner_id", q.OwnerID)
	set("company_id", q.CompanyID)
	set("created_after", q.CreatedFrom)
	set("created_before", q.CreatedTo)
	set("updated_after", q.UpdatedFrom)
	set("updated_before", q.UpdatedTo)
	for _, cf := range q.Custom {
		v.Add("cf", cf)
	}
	set("sort", q.Sort)
	if q.Cols != nil {
		v.Set("cols", strings.Join(q.Cols, ","))
	}
	return v
}

// url is path with the view's query after edit changed it.
func (q viewQuery) url(path string, edit func(url.Values)) string {
	v := q.values()
	if edit != nil {
		edit(v)
	}
	if len(v) == 0 {
		return path
	}
	return path + "?" + v.Encode()
}

// filterPlan is a viewQuery checked and turned into the service's filter,
// with a message for each part of the URL that could not be used.
type filterPlan struct {
	Filter   RecordFilter
	Problems []string
}

// dateBound reads a date filter: a day (in loc) or an RFC 3339 moment.
// endOfDay makes a day include itself as an upper bound.
func dateBound(raw string, loc *time.Location, endOfDay bool) (*time.Time, error) {
	if raw == "" {
		return nil, nil
	}
	if t, err := time.Parse(time.RFC3339, raw); err == nil {
		return &t, nil
	}
	d, err := time.ParseInLocation(time.DateOnly, raw, loc)
	if err != nil {
		return nil, err
	}
	if endOfDay {
		d = d.AddDate(0, 0, 1)
	} else {
		// The service's bounds are exclusive; a day includes its first moment.
		d = d.Add(-time.Microsecond)
	}
	return &d, nil
}

// plan checks the query against the org (members, custom fields, sort
// names) and builds the filter. Unusable parts are left out and
// explained, so a stale bookmark still opens.
func (q viewQuery) plan(kind recordKind, loc *time.Location, members people, defs []CustomField) filterPlan {
	p := filterPlan{Filter: RecordFilter{Sort: q.Sort, Cursor: q.Cursor, Limit: listPageSize}}
	if utf8.RuneCountInString(q.Q) > 200 {
		p.Problems = append(p.Problems, "The search text is longer than 200 characters; it was ignored.")
	} else {
		p.Filter.Q = q.Q
	}
	if utf8.RuneCountInString(q.Tag) > maxTagLen {
		p.Problems = append(p.Problems, "No tag has a name that long; the tag filter was ignored.")
	} else {
		p.Filter.Tag = q.Tag
	}
	if q.OwnerID != "" && !members.isMember(q.OwnerID) {
		p.Problems = append(p.Problems, "The owner in the link is not a member of this organization; the owner filter was ignored.")
	} else {
		p.Filter.OwnerID = q.OwnerID
	}
	for _, d := range []struct {
		raw, label string
		dst        **time.Time
		endOfDay   bool
	}{
		{q.CreatedFrom, "Created from", &p.Filter.CreatedAfter, false},
		{q.CreatedTo, "Created to", &p.Filter.CreatedBefore, true},
		{q.UpdatedFrom, "Updated from", &p.Filter.UpdatedAfter, false},
		{q.UpdatedTo, "Updated to", &p.Filter.UpdatedBefore, true},
	} {
		t, err := dateBound(d.raw, loc, d.endOfDay)
		if err != nil {
			p.Problems = append(p.Problems, fmt.Sprintf("%s %q is not a date like 2026-03-31; it was ignored.", d.label, d.raw))
			continue
		}
		*d.dst = t
	}
	for _, cf := range q.Custom {
		if msg := checkCustomFilter(cf, kind.Noun, defs); msg != "" {
			p.Problems = append(p.Problems, msg)
			continue
		}
		p.Filter.Custom = append(p.Filter.Custom, cf)
	}
	if q.Sort != "" && !slices.Contains(kind.sortKeys(), strings.TrimPrefix(q.Sort, "-")) {
		p.Problems = append(p.Problems, fmt.Sprintf("The list cannot be sorted by %q; it is sorted newest first.", q.Sort))
		p.Filter.Sort = ""
		p.Filter.Cursor = ""
	}
	return p
}

// checkCustomFilter explains why a key:value custom field filter cannot be
// used, or returns "".
func checkCustomFilter(cf, noun string, defs []CustomField) string {
	key, value, _ := strings.Cut(cf, ":")
	i := slices.IndexFunc(defs, func(d CustomField) bool { return d.Key == key })
	if i < 0 {
		return fmt.Sprintf("There is no custom field %q for %ss; that filter was ignored.", key, noun)
	}
	d := defs[i]
	switch d.Type {
	case "number":
		if _, err := strconv.ParseFloat(value, 64); err != nil {
			return fmt.Sprintf("%s takes a number, not %q; that filter was ignored.", d.Label, value)
		}
	case "checkbox":
		if value != "true" && value != "false" {
			return fmt.Sprintf("%s takes true or false, not %q; that filter was ignored.", d.Label, value)
		}
	}
	return ""
}
