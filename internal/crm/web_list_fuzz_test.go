package crm

import (
	"net/url"
	"slices"
	"strings"
	"testing"
	"time"
	"unicode/utf8"
)

// FuzzListPageQuery feeds arbitrary list URLs through the page's query
// parsing and filter planning: never a panic; what the plan keeps is what
// the service accepts (search text within bounds, custom filters on
// defined fields, a sort the list knows or a 4xx); the rebuilt URL stays
// on the list.
func FuzzListPageQuery(f *testing.F) {
	for _, seed := range []string{
		"", "q=ann&tag=vip&sort=-created_at", "sort=name&cursor=eyJzIjoibmFtZSJ9", "cf=segment:SMB&cf=seats:12",
		"cf_key=segment&cf_value=Enterprise", "created_after=2026-03-31&created_before=2026-02-30", "updated_after=yesterday",
		"owner_id=u1&company_id=%00", "cols=email,cf.segment,nope", "q=" + strings.Repeat("é", 300), "%zz=1&sort=--name",
	} {
		f.Add(seed)
	}
	defs := []CustomField{
		{Key: "segment", Label: "Segment", Type: "select", Options: []string{"SMB", "Enterprise"}},
		{Key: "seats", Label: "Seats", Type: "number"},
	}
	members := people{names: map[string]string{"u1": "Ann"}}
	f.Fuzz(func(t *testing.T, raw string) {
		values, _ := url.ParseQuery(raw)
		q := parseViewQuery(values)
		for _, kind := range []recordKind{contactKind, companyKind} {
			p := q.plan(kind, time.UTC, members, defs)
			if n := utf8.RuneCountInString(p.Filter.Q); n > 200 {
				t.Fatalf("kept a search of %d characters", n)
			}
			for _, cf := range p.Filter.Custom {
				key, _, _ := strings.Cut(cf, ":")
				if !slices.ContainsFunc(defs, func(d CustomField) bool { return d.Key == key }) {
					t.Fatalf("kept a filter on the unknown field %q", key)
				}
			}
			if _, err := contactSorts.parse(p.Filter.Sort); err != nil {
				mustBe4xx(t, err)
			}
			if to := q.url(kind.Path, nil); to != kind.Path && !strings.HasPrefix(to, kind.Path+"?") {
				t.Fatalf("rebuilt URL %q leaves %s", to, kind.Path)
			}
		}
	})
}
