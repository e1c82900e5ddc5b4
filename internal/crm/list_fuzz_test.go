package crm

import (
	"database/sql"
	"errors"
	"testing"
	"unicode/utf8"

	"github.com/uptrace/bun"
	"github.com/uptrace/bun/dialect/sqlitedialect"
	_ "modernc.org/sqlite"

	"github.com/kite-crm/kite/internal/platform/httpx"
)

// FuzzSortAndCursor feeds arbitrary sort and cursor parameters through
// parsing and query building: never a panic, and every refusal is a 4xx
// problem naming the parameter.
func FuzzSortAndCursor(f *testing.F) {
	good := contactSorts
	order, _ := good.parse("name")
	f.Add("name", order.next([]string{"Lee", "Ann"}, "0193"))
	f.Add("-created_at", httpx.EncodeCursor(pageCursor{Sort: "-created_at", Values: []string{"2026-01-02T03:04:05Z"}, ID: "x"}))
	f.Add("-created_at", httpx.EncodeCursor(pageCursor{Sort: "-created_at", Values: []string{"not a time"}, ID: "x"}))
	f.Add("shoe_size", "")
	f.Add("--name", "!!!")
	f.Add("", "eyJzIjoibmFtZSJ9")
	sqlDB, _ := sql.Open("sqlite", ":memory:")
	defer sqlDB.Close()
	bdb := bun.NewDB(sqlDB, sqlitedialect.New())
	f.Fuzz(func(t *testing.T, sort, cursor string) {
		for _, fields := range []sortFields{contactSorts, companySorts} {
			o, err := fields.parse(sort)
			if err != nil {
				mustBe4xx(t, err)
				continue
			}
			q := bdb.NewSelect().Model((*Contact)(nil))
			if err := o.apply(q, sortOn{alias: "contact", id: "id"}, cursor); err != nil {
				mustBe4xx(t, err)
				continue
			}
			if s := q.String(); !utf8.ValidString(s) && utf8.ValidString(cursor) {
				t.Fatalf("query is not valid text: %q", s)
			}
		}
	})
}

func mustBe4xx(t *testing.T, err error) {
	t.Helper()
	var p *httpx.Problem
	if !errors.As(err, &p) || p.Status < 400 || p.Status >= 500 {
		t.Fatalf("error %v is not a 4xx problem", err)
	}
}
