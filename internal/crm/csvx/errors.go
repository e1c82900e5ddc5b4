package csvx

import (
	"errors"
	"fmt"
)

// ErrEmpty is returned by NewReader when the file holds no header row: it is empty,
// or holds only a byte order mark and blank lines.
var ErrEmpty = errors.New("csvx: the file is empty")

// Problems with one row. A Row's Err is a *RowError wrapping one of these, so callers
// can test them with errors.Is; their texts are written to be shown to the person
// who uploaded the file.
var (
	// ErrFieldCount: the row has more or fewer fields than the header has columns.
	ErrFieldCount = errors.New("wrong number of fields")
	// ErrBareQuote: a field that does not start with a quote contains one.
	ErrBareQuote = errors.New(`quote (") inside a field that does not start with a quote`)
	// ErrTextAfterQuote: a quoted field's closing quote is followed by something
	// other than a separator or the end of the line.
	ErrTextAfterQuote = errors.New(`text after the closing quote (") of a field`)
	// ErrUnclosedQuote: a quoted field never ends before the end of the file.
	ErrUnclosedQuote = errors.New(`quoted field is never closed (missing ")`)
	// ErrFieldTooLong: one field is longer than MaxFieldBytes.
	ErrFieldTooLong = fmt.Errorf("field too long (over %d KiB)", MaxFieldBytes>>10)
	// ErrRecordTooLong: the row is longer than MaxRecordBytes.
	ErrRecordTooLong = fmt.Errorf("row too long (over %d MiB)", MaxRecordBytes>>20)
	// ErrTooManyFields: the row has more than MaxFields fields.
	ErrTooManyFields = fmt.Errorf("too many fields (over %d)", MaxFields)
	// ErrNotUTF8: the row's bytes are not valid UTF-8.
	ErrNotUTF8 = errors.New("broken encoding (not UTF-8)")
)

// Problems with the header row, wrapped in a *HeaderError.
var (
	// ErrEmptyHeaderName: a header column has no name (after trimming spaces).
	ErrEmptyHeaderName = errors.New("empty column name")
	// ErrDuplicateHeaderName: two header columns have the same name, ignoring case.
	ErrDuplicateHeaderName = errors.New("duplicate column name")
)

// RowError says what is wrong with one row. The row itself (line and number) is
// given by the Row that carries it.
type RowError struct {
	// Column is the 1-based field the problem was found in, 0 when it concerns
	// the whole row.
	Column int
	// Err is one of the row sentinels above, possibly wrapped with detail.
	Err error
}

// Error describes the problem, naming the field when there is one.
func (e *RowError) Error() string {
	if e.Column > 0 {
		return fmt.Sprintf("field %d: %v", e.Column, e.Err)
	}
	return e.Err.Error()
}

// Unwrap returns the sentinel, for errors.Is.
func (e *RowError) Unwrap() error { return e.Err }

// HeaderError says why the header row cannot be used.
type HeaderError struct {
	// Column is the 1-based column at fault, 0 when the problem is not about one column.
	Column int
	// Name is the column's name as found (trimmed), when there is one.
	Name string
	// Err is ErrEmptyHeaderName, ErrDuplicateHeaderName or one of the row
	// sentinels (a broken header row), possibly wrapped with detail.
	Err error
}

// Error describes the problem, naming the column when there is one.
func (e *HeaderError) Error() string {
	switch {
	case e.Column > 0 && e.Name != "":
		return fmt.Sprintf("csv header, column %d (%q): %v", e.Column, e.Name, e.Err)
	case e.Column > 0:
		return fmt.Sprintf("csv header, column %d: %v", e.Column, e.Err)
	default:
		return fmt.Sprintf("csv header: %v", e.Err)
	}
}

// Unwrap returns the underlying problem, for errors.Is.
func (e *HeaderError) Unwrap() error { return e.Err }
