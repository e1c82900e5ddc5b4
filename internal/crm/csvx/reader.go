// Package csvx reads CSV files of contacts to import: it streams the file in
// bounded memory and reports a bad row (wrong field count, misplaced quotes,
// broken encoding, oversized fields) with its row and line numbers without
// stopping at it.
//
// The format is RFC 4180 as written by spreadsheets: UTF-8 with or without a byte
// order mark; ',', ';' or tab between fields (detected from the header row);
// fields optionally quoted with '"', a quote inside a quoted field doubled;
// quoted fields may hold separators and line breaks; rows end with LF or CRLF.
// Blank lines are skipped. Other encodings are reported as broken rows, never
// guessed.
package csvx

import (
	"errors"
	"fmt"
	"io"
	"strings"
	"unicode/utf8"
)

// Size limits: a longer field or row is reported as a bad row and its bytes are
// not kept, so memory stays bounded whatever the file holds.
const (
	// MaxFieldBytes is the longest field accepted, in bytes.
	MaxFieldBytes = 64 << 10
	// MaxRecordBytes is the longest row accepted, in bytes of the file.
	MaxRecordBytes = 1 << 20
	// MaxFields is the most fields a row may have. It bounds the memory a row of
	// nothing but separators would take.
	MaxFields = 4096
)

// ErrSeparator is returned by Next of a reader made by NewReaderAt or Resume with
// a separator other than ',', ';' or '\t'.
var ErrSeparator = errors.New("csvx: separator must be ',', ';' or tab")

// ErrPosition is returned by Next of a reader made by NewReaderAt or Resume with
// a line below 2, a row number below 1 or a negative offset.
var ErrPosition = errors.New("csvx: resume position out of range")

// Row is one record of the file after the header.
type Row struct {
	// Line is the 1-based line of the file where the record starts (the header is
	// on line 1 unless blank lines precede it).
	Line int
	// Number is the 1-based position of the record among the data rows, counting
	// bad rows too: the number a person sees when counting rows below the header.
	Number int
	// Fields are the record's values, unquoted. With Err set they are nil, except
	// for ErrFieldCount (the fields as read) and ErrNotUTF8 (the fields with each
	// invalid byte sequence replaced by U+FFFD, safe to show or store).
	Fields []string
	// Err is the problem with this row (a *RowError), nil when the row is good.
	Err error
}

// Position is where a record starts in the file: saved by an import job, it
// lets Resume continue from there after a crash.
type Position struct {
	// Offset is the byte offset in the file.
	Offset int64
	// Line is the 1-based line number at Offset.
	Line int
	// Number is the row number the record at Offset will get.
	Number int
}

// Reader reads rows from a CSV file one at a time. It is not safe for concurrent use.
type Reader struct {
	lines  *lineSource
	sep    byte
	header []string
	pos    Position // where the next record (or blank lines before it) starts
	err    error    // sticky: a read error or a bad resume argument

	// The record being parsed; the buffers are reused from record to record.
	raw         []byte // its physical lines, back to back
	rawLines    int    // how many lines raw holds
	skippedTail int64  // size of a too-long line loaded after raw, 0 if none
	content     []byte // the unquoted values, back to back
	fieldEnds   []int  // where each value ends in content
}

// NewReader reads the header row of a CSV file and returns a reader positioned on
// the first data row. It strips a UTF-8 byte order mark, detects the separator
// (',', ';' or tab: whichever appears most often outside quotes on the header's
// first line; ',' on a tie) and trims spaces around column names. It fails with
// ErrEmpty when there is no header, with a *HeaderError when a column name is
// empty or repeated (ignoring case) or the header row itself is malformed, and
// with the read error when the file cannot be read.
func NewReader(in io.Reader) (*Reader, error) {
	r := newReader(in, nil, ',', Position{Line: 1, Number: 1})
	bom, err := r.lines.skipBOM()
	if err != nil {
		return nil, err
	}
	r.pos.Offset = bom
	header, err := r.readHeader()
	if err != nil {
		return nil, err
	}
	r.header = header
	return r, nil
}

// NewReaderAt returns a reader that continues a file already partly read: in must
// be positioned at the start of a record (a Position.Offset reported by an earlier
// reader), header and sep are the earlier reader's Header and Separator, and
// startLine and startNumber the Position's Line and Number. Offsets it reports
// count from where in was positioned; Resume reports them from the file's start.
func NewReaderAt(in io.Reader, header []string, sep rune, startLine, startNumber int) *Reader {
	return Resume(in, header, sep, Position{Line: startLine, Number: startNumber})
}

// Resume is NewReaderAt taking the whole saved Position, so that Offset and
// Position keep counting from the start of the file and can be saved again.
// in must be positioned at at.Offset. A separator other than ',', ';' or tab, or
// an impossible position, makes every Next fail with ErrSeparator or ErrPosition.
func Resume(in io.Reader, header []string, sep rune, at Position) *Reader {
	r := newReader(in, append([]string(nil), header...), sep, at)
	switch {
	case !isSeparator(sep):
		r.err = ErrSeparator
	case at.Line < 2 || at.Number < 1 || at.Offset < 0:
		r.err = ErrPosition
	}
	return r
}

func newReader(in io.Reader, header []string, sep rune, at Position) *Reader {
	return &Reader{lines: newLineSource(in), sep: byte(sep), header: header, pos: at}
}

// Header returns the column names, trimmed. The caller must not modify the slice.
func (r *Reader) Header() []string { return r.header }

// Separator returns the field separator in use: ',', ';' or '\t'.
func (r *Reader) Separator() rune { return rune(r.sep) }

// Offset returns the bytes of the file consumed so far (the byte order mark
// included), for progress bars: Offset/size. After Next it is exactly where the
// next record, or blank lines before it, starts.
func (r *Reader) Offset() int64 { return r.pos.Offset }

// Position returns where the next record starts: save it to resume later with
// Resume (or NewReaderAt) after seeking the file to its Offset.
func (r *Reader) Position() Position { return r.pos }

// Next returns the next data row. A malformed row is returned with Err set and
// reading goes on after it; a row with a misplaced quote ends at the end of the
// line its faulty field starts on, so that a stray quote does not swallow the rows
// below. At the end of the file Next returns io.EOF; an error reading the file
// is returned as is, and is returned again by every later call.
func (r *Reader) Next() (Row, error) {
	if r.err != nil {
		return Row{}, r.err
	}
	line, fields, rowErr, err := r.readRecord()
	if err != nil {
		if !errors.Is(err, io.EOF) {
			r.err = err
		}
		return Row{}, err
	}
	row := Row{Line: line, Number: r.pos.Number}
	r.pos.Number++
	row.Fields, row.Err = r.checkRow(fields, rowErr)
	return row, nil
}

// checkRow adds the checks that need a whole row: encoding and field count.
func (r *Reader) checkRow(fields []string, rowErr *RowError) ([]string, error) {
	if rowErr != nil {
		return nil, rowErr
	}
	if col := firstInvalidUTF8(fields); col > 0 {
		return replaceInvalidUTF8(fields), &RowError{Column: col, Err: ErrNotUTF8}
	}
	if len(fields) != len(r.header) {
		return fields, &RowError{Err: fmt.Errorf("%w: %d, want %d", ErrFieldCount, len(fields), len(r.header))}
	}
	return fields, nil
}

// readHeader reads the first record, choosing the separator from its first line,
// and validates the column names.
func (r *Reader) readHeader() ([]string, error) {
	err := r.loadFirstLine()
	if errors.Is(err, io.EOF) {
		return nil, ErrEmpty
	}
	if err != nil {
		return nil, err
	}
	r.sep = detectSeparator(lineBody(r.raw))
	fields, rowErr, err := r.parseLoaded()
	if err != nil {
		return nil, err
	}
	if rowErr != nil {
		return nil, &HeaderError{Column: rowErr.Column, Err: rowErr.Err}
	}
	return headerNames(fields)
}

// headerNames trims the column names and rejects empty, repeated or non-UTF-8 ones.
func headerNames(fields []string) ([]string, error) {
	names := make([]string, len(fields))
	firstColumn := make(map[string]int, len(fields))
	for i, field := range fields {
		name := strings.TrimSpace(field)
		column := i + 1
		if !utf8.ValidString(name) {
			return nil, &HeaderError{Column: column, Err: ErrNotUTF8}
		}
		if name == "" {
			return nil, &HeaderError{Column: column, Err: ErrEmptyHeaderName}
		}
		key := strings.ToLower(name)
		if earlier, seen := firstColumn[key]; seen {
			return nil, &HeaderError{Column: column, Name: name,
				Err: fmt.Errorf("%w (same as column %d)", ErrDuplicateHeaderName, earlier)}
		}
		firstColumn[key] = column
		names[i] = name
	}
	return names, nil
}

// detectSeparator picks ',', ';' or tab, whichever occurs most often outside
// quotes in line; ties go to ',' then ';'.
func detectSeparator(line []byte) byte {
	var commas, semicolons, tabs int
	quoted := false
	for _, b := range line {
		switch {
		case b == '"':
			quoted = !quoted
		case quoted:
		case b == ',':
			commas++
		case b == ';':
			semicolons++
		case b == '\t':
			tabs++
		}
	}
	switch {
	case commas >= semicolons && commas >= tabs:
		return ','
	case semicolons >= tabs:
		return ';'
	default:
		return '\t'
	}
}

func isSeparator(sep rune) bool { return sep == ',' || sep == ';' || sep == '\t' }

// firstInvalidUTF8 returns the 1-based index of the first field that is not valid
// UTF-8, or 0.
func firstInvalidUTF8(fields []string) int {
	for i, field := range fields {
		if !utf8.ValidString(field) {
			return i + 1
		}
	}
	return 0
}

func replaceInvalidUTF8(fields []string) []string {
	clean := make([]string, len(fields))
	for i, field := range fields {
		clean[i] = strings.ToValidUTF8(field, "\uFFFD")
	}
	return clean
}
