package csvx

import (
	"bytes"
	"encoding/csv"
	"errors"
	"io"
	"reflect"
	"strings"
	"testing"
	"unicode/utf8"
)

// FuzzReader feeds arbitrary bytes (seeds in testdata/fuzz/FuzzReader) and checks
// that the reader never panics, numbers rows in order, only passes valid UTF-8
// in good rows, accounts for every byte, resumes exactly from any position it
// reports, and agrees with encoding/csv on files without bad rows.
func FuzzReader(f *testing.F) {
	f.Fuzz(func(t *testing.T, data []byte) {
		r, err := NewReader(bytes.NewReader(data))
		if err != nil {
			var headerErr *HeaderError
			if !errors.Is(err, ErrEmpty) && !errors.As(err, &headerErr) {
				t.Fatalf("NewReader: unexpected error %v", err)
			}
			return
		}
		checkHeader(t, r.Header())
		positions := []Position{r.Position()}
		rows := readFuzzRows(t, r, data, &positions)
		if r.Offset() != int64(len(data)) {
			t.Fatalf("offset at the end %d, want %d", r.Offset(), len(data))
		}
		for _, k := range []int{0, len(rows) / 2, len(rows)} {
			checkResume(t, data, r, positions[k], rows[k:])
		}
		if allGood(rows) {
			checkAgreesWithEncodingCSV(t, data, r, rows)
		}
	})
}

func checkHeader(t *testing.T, header []string) {
	if len(header) == 0 {
		t.Fatal("empty header accepted")
	}
	for _, name := range header {
		if name == "" || name != strings.TrimSpace(name) || !utf8.ValidString(name) {
			t.Fatalf("bad header name %q accepted", name)
		}
	}
}

// readFuzzRows reads every row, checking the invariants of each, and appends the
// position after each row to positions.
func readFuzzRows(t *testing.T, r *Reader, data []byte, positions *[]Position) []Row {
	var rows []Row
	for {
		row, err := r.Next()
		if errors.Is(err, io.EOF) {
			return rows
		}
		if err != nil {
			t.Fatalf("Next: %v", err)
		}
		previous := (*positions)[len(*positions)-1]
		switch {
		case row.Line < 2 || row.Line < previous.Line:
			t.Fatalf("row %d on line %d, after position %+v", row.Number, row.Line, previous)
		case row.Number != len(rows)+1:
			t.Fatalf("row numbered %d, want %d", row.Number, len(rows)+1)
		case r.Offset() <= previous.Offset || r.Offset() > int64(len(data)):
			t.Fatalf("offset %d after %d (size %d)", r.Offset(), previous.Offset, len(data))
		case row.Err == nil && len(row.Fields) != len(r.Header()):
			t.Fatalf("good row with %d fields, header has %d", len(row.Fields), len(r.Header()))
		}
		for _, field := range row.Fields {
			if !utf8.ValidString(field) {
				t.Fatalf("row %d has invalid UTF-8 %q (err %v)", row.Number, field, row.Err)
			}
		}
		rows = append(rows, row)
		*positions = append(*positions, r.Position())
	}
}

func checkResume(t *testing.T, data []byte, r *Reader, at Position, want []Row) {
	resumed := Resume(bytes.NewReader(data[at.Offset:]), r.Header(), r.Separator(), at)
	var got []Row
	for {
		row, err := resumed.Next()
		if errors.Is(err, io.EOF) {
			break
		}
		if err != nil {
			t.Fatalf("resumed Next: %v", err)
		}
		got = append(got, row)
	}
	if (len(got) > 0 || len(want) > 0) && !reflect.DeepEqual(got, want) {
		t.Fatalf("resumed at %+v: got %+v, want %+v", at, got, want)
	}
}

func allGood(rows []Row) bool {
	for _, row := range rows {
		if row.Err != nil {
			return false
		}
	}
	return true
}

func checkAgreesWithEncodingCSV(t *testing.T, data []byte, r *Reader, rows []Row) {
	std := csv.NewReader(bytes.NewReader(bytes.TrimPrefix(data, []byte("\uFEFF"))))
	std.Comma = r.Separator()
	std.FieldsPerRecord = -1
	records, err := std.ReadAll()
	if err != nil {
		t.Fatalf("encoding/csv fails (%v) where every row was read as good", err)
	}
	want := [][]string{r.Header()}
	for _, row := range rows {
		want = append(want, row.Fields)
	}
	for i, name := range records[0] {
		records[0][i] = strings.TrimSpace(name)
	}
	if !reflect.DeepEqual(records, want) {
		t.Fatalf("encoding/csv reads %q, this reader %q", records, want)
	}
}
