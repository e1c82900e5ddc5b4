package csvx

import (
	"errors"
	"io"
	"reflect"
	"strings"
	"testing"
)

// readAll reads a whole file and fails the test on anything but rows and io.EOF.
func readAll(t *testing.T, input string) (*Reader, []Row) {
	t.Helper()
	r, err := NewReader(strings.NewReader(input))
	if err != nil {
		t.Fatalf("NewReader: %v", err)
	}
	return r, readRows(t, r)
}

func readRows(t *testing.T, r *Reader) []Row {
	t.Helper()
	var rows []Row
	for {
		row, err := r.Next()
		if errors.Is(err, io.EOF) {
			return rows
		}
		if err != nil {
			t.Fatalf("Next: %v", err)
		}
		rows = append(rows, row)
		if len(rows) > 1_000_000 {
			t.Fatal("reader does not stop")
		}
	}
}

// want is the part of a Row a test cares about.
type want struct {
	line, number int
	fields       []string
	err          error // a sentinel, or nil for a good row
}

func checkRows(t *testing.T, rows []Row, wants []want) {
	t.Helper()
	if len(rows) != len(wants) {
		t.Fatalf("got %d rows, want %d: %+v", len(rows), len(wants), rows)
	}
	for i, w := range wants {
		got := rows[i]
		if got.Line != w.line || got.Number != w.number {
			t.Errorf("row %d: line %d number %d, want line %d number %d", i, got.Line, got.Number, w.line, w.number)
		}
		if w.err == nil && got.Err != nil {
			t.Errorf("row %d: unexpected error %v", i, got.Err)
		}
		if w.err != nil && !errors.Is(got.Err, w.err) {
			t.Errorf("row %d: error %v, want %v", i, got.Err, w.err)
		}
		if !reflect.DeepEqual(got.Fields, w.fields) {
			t.Errorf("row %d: fields %q, want %q", i, got.Fields, w.fields)
		}
	}
}

func TestNewReaderDetectsSeparatorAndStripsBOM(t *testing.T) {
	tests := []struct {
		name   string
		input  string
		sep    rune
		header []string
		row    []string
	}{
		{"comma", "name,email\nAnn,ann@x.io\n", ',', []string{"name", "email"}, []string{"Ann", "ann@x.io"}},
		{"comma with BOM", "\uFEFFname,email\nAnn,ann@x.io\n", ',', []string{"name", "email"}, []string{"Ann", "ann@x.io"}},
		{"semicolon with BOM", "\uFEFFname;email;note\nAnn;ann@x.io;a,b\n", ';', []string{"name", "email", "note"}, []string{"Ann", "ann@x.io", "a,b"}},
		{"tab", "name\temail\nAnn\tann@x.io\n", '\t', []string{"name", "email"}, []string{"Ann", "ann@x.io"}},
		{"tie goes to comma", "a;b,c\n1;2,3\n", ',', []string{"a;b", "c"}, []string{"1;2", "3"}},
		{"quoted separators do not count", "\"a,b,c\";d;e\n1;2;3\n", ';', []string{"a,b,c", "d", "e"}, []string{"1", "2", "3"}},
		{"single column", "email\nann@x.io\n", ',', []string{"email"}, []string{"ann@x.io"}},
		{"names trimmed", " name , e-mail \nAnn,ann@x.io\n", ',', []string{"name", "e-mail"}, []string{"Ann", "ann@x.io"}},
		{"blank lines before header", "\n\r\nname,email\nAnn,ann@x.io\n", ',', []string{"name", "email"}, []string{"Ann", "ann@x.io"}},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			r, rows := readAll(t, tt.input)
			if r.Separator() != tt.sep {
				t.Errorf("separator %q, want %q", r.Separator(), tt.sep)
			}
			if !reflect.DeepEqual(r.Header(), tt.header) {
				t.Errorf("header %q, want %q", r.Header(), tt.header)
			}
			if len(rows) != 1 || rows[0].Err != nil || !reflect.DeepEqual(rows[0].Fields, tt.row) {
				t.Errorf("rows %+v, want one good row %q", rows, tt.row)
			}
		})
	}
}

func TestNewReaderRejectsBadHeaders(t *testing.T) {
	tests := []struct {
		name   string
		input  string
		err    error
		column int
	}{
		{"empty file", "", ErrEmpty, 0},
		{"only a BOM", "\uFEFF", ErrEmpty, 0},
		{"only blank lines", "\n\r\n\n", ErrEmpty, 0},
		{"empty name", "name,,email\n", ErrEmptyHeaderName, 2},
		{"blank name", "name, ,email\n", ErrEmptyHeaderName, 2},
		{"trailing separator", "name,email,\n", ErrEmptyHeaderName, 3},
		{"duplicate ignoring case", "name,Email,phone,email\n", ErrDuplicateHeaderName, 4},
		{"broken quote", "name,\"email\n", ErrUnclosedQuote, 2},
		{"not UTF-8", "name,\xff\xfe\n", ErrNotUTF8, 2},
		{"UTF-16", "\xff\xfen\x00a\x00\n\x00", ErrNotUTF8, 1},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			r, err := NewReader(strings.NewReader(tt.input))
			if !errors.Is(err, tt.err) {
				t.Fatalf("err %v, want %v (reader %v)", err, tt.err, r)
			}
			var headerErr *HeaderError
			if tt.column > 0 && (!errors.As(err, &headerErr) || headerErr.Column != tt.column) {
				t.Errorf("err %#v, want a HeaderError on column %d", err, tt.column)
			}
		})
	}
}

func TestQuotedFieldsLineEndingsAndLineNumbers(t *testing.T) {
	header := "name,note,email\r\n"
	input := header +
		"Ann,\"line one\r\nline two, with comma\",ann@x.io\r\n" + // lines 2-3, CRLF inside becomes LF
		"\"Bob \"\"The Builder\"\"\",\"\",bob@x.io\n" + // line 4, LF
		"\n" + // line 5, blank: skipped
		"\"Cy\",\"a\nb\nc\",cy@x.io" // lines 6-8, no final line break
	_, rows := readAll(t, input)
	checkRows(t, rows, []want{
		{line: 2, number: 1, fields: []string{"Ann", "line one\nline two, with comma", "ann@x.io"}},
		{line: 4, number: 2, fields: []string{`Bob "The Builder"`, "", "bob@x.io"}},
		{line: 6, number: 3, fields: []string{"Cy", "a\nb\nc", "cy@x.io"}},
	})
}

func TestLoneCarriageReturnAtEndOfFileIsALineEnd(t *testing.T) {
	_, rows := readAll(t, "a,b\n1,x\r2\r")
	checkRows(t, rows, []want{{line: 2, number: 1, fields: []string{"1", "x\r2"}}})
}

func TestWrongFieldCountIsRecordedAndReadingGoesOn(t *testing.T) {
	_, rows := readAll(t, "name,email\nAnn,ann@x.io\nBob\nCy,cy@x.io,extra\nDee,dee@x.io\n")
	checkRows(t, rows, []want{
		{line: 2, number: 1, fields: []string{"Ann", "ann@x.io"}},
		{line: 3, number: 2, fields: []string{"Bob"}, err: ErrFieldCount},
		{line: 4, number: 3, fields: []string{"Cy", "cy@x.io", "extra"}, err: ErrFieldCount},
		{line: 5, number: 4, fields: []string{"Dee", "dee@x.io"}},
	})
	if msg := rows[1].Err.Error(); msg != "wrong number of fields: 1, want 2" {
		t.Errorf("message %q", msg)
	}
}

func TestBrokenQuotesDoNotSwallowTheRowsBelow(t *testing.T) {
	good := []want{
		{line: 3, number: 2, fields: []string{"Bob", "bob@x.io"}},
		{line: 4, number: 3, fields: []string{"Cy", "cy@x.io"}},
	}
	tests := []struct {
		name   string
		broken string
		err    error
		column int
		rest   string
		good   []want
	}{
		{"never closed", "\"Ann,ann@x.io\n", ErrUnclosedQuote, 1, "Bob,bob@x.io\nCy,cy@x.io\n", good},
		{"closed by a later quote", "Ann,\"ann@x.io\n", ErrTextAfterQuote, 2, "Bob,bob@x.io\n\"Cy\",cy@x.io\n", good},
		{"text after closing quote", "\"Ann\" Lee,ann@x.io\n", ErrTextAfterQuote, 1, "Bob,bob@x.io\nCy,cy@x.io\n", good},
		{"bare quote", "Ann \"Lee\",ann@x.io\n", ErrBareQuote, 1, "Bob,bob@x.io\nCy,cy@x.io\n", good},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			_, rows := readAll(t, "name,email\n"+tt.broken+tt.rest)
			checkRows(t, rows, append([]want{{line: 2, number: 1, err: tt.err}}, tt.good...))
			var rowErr *RowError
			if !errors.As(rows[0].Err, &rowErr) || rowErr.Column != tt.column {
				t.Errorf("error %#v, want a RowError on field %d", rows[0].Err, tt.column)
			}
		})
	}
}

func TestBrokenQuoteInsideAMultiLineRecordKeepsLaterLines(t *testing.T) {
	// The second field spans lines 2-3 correctly; the third opens a quote that is
	// never closed, so the record ends with line 3 and line 4 is read again.
	_, rows := readAll(t, "a,b,c\n1,\"x\ny\",\"z\n2,p,q\n")
	checkRows(t, rows, []want{
		{line: 2, number: 1, err: ErrUnclosedQuote},
		{line: 4, number: 2, fields: []string{"2", "p", "q"}},
	})
}

func TestInvalidUTF8IsARowError(t *testing.T) {
	_, rows := readAll(t, "name,city\nAnn,K\xf6ln\nBob,Berlin\n")
	checkRows(t, rows, []want{
		{line: 2, number: 1, fields: []string{"Ann", "K\uFFFDln"}, err: ErrNotUTF8},
		{line: 3, number: 2, fields: []string{"Bob", "Berlin"}},
	})
	if msg := rows[0].Err.Error(); msg != "field 2: broken encoding (not UTF-8)" {
		t.Errorf("message %q", msg)
	}
}

func TestOversizedFieldsAndRowsAreRowErrors(t *testing.T) {
	bigField := strings.Repeat("x", MaxFieldBytes+1)
	hugeLine := strings.Repeat("y", 3*MaxRecordBytes)
	longQuoted := "\"" + strings.Repeat(strings.Repeat("z", 999)+"\n", MaxRecordBytes/1000+10) + "\""
	input := "a,b\n" +
		"1," + strings.Repeat("x", MaxFieldBytes) + "\n" + // exactly the limit: fine
		"2," + bigField + "\n" +
		"3," + hugeLine + "\n" +
		"4,ok\n" +
		longQuoted + ",w\n" +
		"5,ok\n"
	_, rows := readAll(t, input)
	if len(rows) < 5 {
		t.Fatalf("got %d rows: %+v", len(rows), rows)
	}
	checkRows(t, rows[:4], []want{
		{line: 2, number: 1, fields: []string{"1", strings.Repeat("x", MaxFieldBytes)}},
		{line: 3, number: 2, err: ErrFieldTooLong},
		{line: 4, number: 3, err: ErrRecordTooLong},
		{line: 5, number: 4, fields: []string{"4", "ok"}},
	})
	if !errors.Is(rows[4].Err, ErrRecordTooLong) || rows[4].Line != 6 {
		t.Errorf("run-on quoted field: %+v", rows[4])
	}
	last := rows[len(rows)-1]
	if last.Err != nil || !reflect.DeepEqual(last.Fields, []string{"5", "ok"}) {
		t.Errorf("last row %+v, want the good row after the oversized ones", last)
	}
}

func TestTooManyFieldsIsARowError(t *testing.T) {
	_, rows := readAll(t, "a,b\n"+strings.Repeat(",", MaxFields)+"\n1,2\n")
	checkRows(t, rows, []want{
		{line: 2, number: 1, err: ErrTooManyFields},
		{line: 3, number: 2, fields: []string{"1", "2"}},
	})
}

// contactFile has a multi-line record and a bad row, so that a resume must get
// line numbers and offsets right across both.
const contactFile = "\uFEFFname;note;email\r\n" +
	"Ann;\"two\r\nlines\";ann@x.io\r\n" +
	"Bob;;bob@x.io\r\n" +
	"\"Cy;broken\r\n" +
	"Dee;\"a;b\";dee@x.io\r\n" +
	"\r\n" +
	"Eve;;eve@x.io\r\n"

func TestOffsetIsWhereTheNextRecordStarts(t *testing.T) {
	r, err := NewReader(strings.NewReader(contactFile))
	if err != nil {
		t.Fatal(err)
	}
	starts := []string{"Ann;", "Bob;", "\"Cy;", "Dee;", "\r\nEve;"}
	if r.Offset() != int64(strings.Index(contactFile, starts[0])) {
		t.Errorf("after header: offset %d", r.Offset())
	}
	for i := range starts {
		if _, err := r.Next(); err != nil {
			t.Fatal(err)
		}
		wantOffset := len(contactFile)
		if i+1 < len(starts) {
			wantOffset = strings.Index(contactFile, starts[i+1])
		}
		if r.Offset() != int64(wantOffset) {
			t.Errorf("after row %d: offset %d, want %d", i+1, r.Offset(), wantOffset)
		}
	}
	if _, err := r.Next(); !errors.Is(err, io.EOF) {
		t.Errorf("after the last row: %v, want io.EOF", err)
	}
}

func TestResumeContinuesWithTheSameRows(t *testing.T) {
	r, all := readAll(t, contactFile)
	if len(all) != 5 || all[2].Err == nil {
		t.Fatalf("unexpected rows %+v", all)
	}
	first, err := NewReader(strings.NewReader(contactFile))
	if err != nil {
		t.Fatal(err)
	}
	for range 3 {
		if _, err := first.Next(); err != nil {
			t.Fatal(err)
		}
	}
	saved := first.Position()
	if saved.Number != 4 || saved.Line != 6 {
		t.Fatalf("position %+v, want row 4 on line 6", saved)
	}

	resumed := Resume(strings.NewReader(contactFile[saved.Offset:]), r.Header(), r.Separator(), saved)
	rest := readRows(t, resumed)
	if !reflect.DeepEqual(rest, all[3:]) {
		t.Errorf("resumed rows %+v, want %+v", rest, all[3:])
	}
	if resumed.Offset() != int64(len(contactFile)) {
		t.Errorf("resumed offset %d, want the file size %d", resumed.Offset(), len(contactFile))
	}

	at := NewReaderAt(strings.NewReader(contactFile[saved.Offset:]), r.Header(), r.Separator(), saved.Line, saved.Number)
	if rest := readRows(t, at); !reflect.DeepEqual(rest, all[3:]) {
		t.Errorf("NewReaderAt rows %+v, want %+v", rest, all[3:])
	}
	if want := int64(len(contactFile)) - saved.Offset; at.Offset() != want {
		t.Errorf("NewReaderAt offset %d, want %d (counted from the resume point)", at.Offset(), want)
	}
}

func TestResumeRejectsImpossibleArguments(t *testing.T) {
	header := []string{"a"}
	tests := []struct {
		name string
		r    *Reader
		err  error
	}{
		{"pipe separator", NewReaderAt(strings.NewReader("1\n"), header, '|', 2, 1), ErrSeparator},
		{"line 1 is the header", NewReaderAt(strings.NewReader("1\n"), header, ',', 1, 1), ErrPosition},
		{"row 0", NewReaderAt(strings.NewReader("1\n"), header, ',', 2, 0), ErrPosition},
		{"negative offset", Resume(strings.NewReader("1\n"), header, ',', Position{Offset: -1, Line: 2, Number: 1}), ErrPosition},
	}
	for _, tt := range tests {
		if _, err := tt.r.Next(); !errors.Is(err, tt.err) {
			t.Errorf("%s: %v, want %v", tt.name, err, tt.err)
		}
	}
}

// failingReader returns its data, then fails.
type failingReader struct {
	data string
	err  error
}

func (f *failingReader) Read(p []byte) (int, error) {
	if f.data == "" {
		return 0, f.err
	}
	n := copy(p, f.data)
	f.data = f.data[n:]
	return n, nil
}

func TestReadErrorsStopTheReader(t *testing.T) {
	broken := errors.New("disk gone")
	r, err := NewReader(&failingReader{data: "a,b\n1,2\n3,\"multi\n", err: broken})
	if err != nil {
		t.Fatal(err)
	}
	if row, err := r.Next(); err != nil || row.Err != nil {
		t.Fatalf("first row %+v, %v", row, err)
	}
	for range 2 {
		if _, err := r.Next(); !errors.Is(err, broken) {
			t.Fatalf("got %v, want the read error every time", err)
		}
	}
	if _, err := NewReader(&failingReader{err: broken}); !errors.Is(err, broken) {
		t.Errorf("NewReader on a failing file: %v", err)
	}
}
