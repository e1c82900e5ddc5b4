package pipeline

import (
	"bytes"
	"compress/gzip"
	"context"
	"encoding/json"
	"io"
	"testing"

	"github.com/kite-crm/kite/internal/platform/db"
	"github.com/kite-crm/kite/internal/platform/dbtest"
)

// TestBoardAnswerFollowsTotals checks that a board's encoded answer is
// reused while its counts and totals are unchanged, is encoded again when
// they change without a write to any card (a recount), and always equals
// the board encoded afresh.
func TestBoardAnswerFollowsTotals(t *testing.T) {
	t.Parallel()
	dbtest.Each(t, func(t *testing.T, d *db.DB) {
		ctx := context.Background()
		s, owner, p := boardFixture(t, d)
		if _, err := s.CreateDeal(ctx, owner, DealInput{Title: ptr("Café <Corp>"), Value: ptr("2500.00")}); err != nil {
			t.Fatal(err)
		}
		marshal := func(w io.Writer, v any) error {
			enc := json.NewEncoder(w)
			enc.SetEscapeHTML(false)
			return enc.Encode(v)
		}
		answer := func(f DealFilter, gzipOK bool) ([]byte, bool) {
			t.Helper()
			kept, err := s.BoardAnswer(ctx, owner.OrgID, p.ID, f, marshal)
			if err != nil {
				t.Fatal(err)
			}
			accept := ""
			if gzipOK {
				accept = "gzip"
			}
			out := kept.For(accept)
			return out.Body, out.ContentEncoding == "gzip"
		}
		fresh := func() []byte {
			t.Helper()
			b, err := s.Board(ctx, owner.OrgID, p.ID, DealFilter{})
			if err != nil {
				t.Fatal(err)
			}
			var out bytes.Buffer
			if err := marshal(&out, b); err != nil {
				t.Fatal(err)
			}
			return out.Bytes()
		}

		first, gzipped := answer(DealFilter{}, false)
		if gzipped || !bytes.Equal(first, fresh()) {
			t.Fatalf("the first answer (gzipped %v) differs from the board encoded afresh:\n%s", gzipped, first)
		}
		again, _ := answer(DealFilter{}, false)
		if &again[0] != &first[0] {
			t.Error("an unchanged board was encoded again instead of reused")
		}
		zipped, gzipped := answer(DealFilter{}, true)
		if !gzipped || !bytes.Equal(gunzip(t, zipped), first) {
			t.Fatalf("the gzipped answer (gzipped %v) does not unzip to the JSON one", gzipped)
		}

		// A recount changes a column's totals and writes no card.
		if _, err := d.ExecContext(ctx, "UPDATE stage_totals SET deals = deals + 1, value_minor = value_minor + 100 WHERE stage_id = ?", p.Stages[0].ID); err != nil {
			t.Fatal(err)
		}
		recounted, _ := answer(DealFilter{}, false)
		if bytes.Equal(recounted, first) || !bytes.Equal(recounted, fresh()) {
			t.Fatalf("after a recount the answer is\n%s\nwant\n%s", recounted, fresh())
		}

		// Filtered boards are encoded on every request and left to the
		// response's compression.
		filtered, gzipped := answer(DealFilter{Q: "café"}, true)
		if gzipped || !bytes.Contains(filtered, []byte(`"title":"Café <Corp>"`)) {
			t.Fatalf("filtered answer (gzipped %v): %s", gzipped, filtered)
		}
	})
}

func gunzip(t *testing.T, b []byte) []byte {
	t.Helper()
	r, err := gzip.NewReader(bytes.NewReader(b))
	if err != nil {
		t.Fatal(err)
	}
	out, err := io.ReadAll(r)
	if err != nil {
		t.Fatal(err)
	}
	return out
}
