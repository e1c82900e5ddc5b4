package csvx

import (
	"bytes"
	"errors"
	"fmt"
	"io"
)

// fieldCursor walks the lines of the record being parsed.
type fieldCursor struct {
	line    int    // index of the current line among the record's lines
	lineEnd int    // where the current line ends in Reader.raw
	body    []byte // the current line without its terminator
	pos     int    // next byte to read in body
}

// recordEnd says how much of the loaded lines a record used: its first lines
// lines, which end at byte bytes of Reader.raw.
type recordEnd struct {
	lines int
	bytes int
}

// endOfLine is the end of a record that stops with the cursor's current line.
func (c *fieldCursor) endOfLine() recordEnd {
	return recordEnd{lines: c.line + 1, bytes: c.lineEnd}
}

// readRecord reads the next record, skipping blank lines before it, and returns
// the line it starts on. The error is io.EOF at the end of the file, or a read error.
func (r *Reader) readRecord() (int, []string, *RowError, error) {
	if err := r.loadFirstLine(); err != nil {
		return 0, nil, nil, err
	}
	line := r.pos.Line
	fields, rowErr, err := r.parseLoaded()
	return line, fields, rowErr, err
}

// loadFirstLine skips blank lines and loads the first line of the next record.
func (r *Reader) loadFirstLine() error {
	for {
		line, err := r.lines.next()
		if err != nil {
			return err
		}
		r.appendLine(line)
		if !isBlankLine(line) {
			return nil
		}
		r.consume(recordEnd{lines: 1, bytes: len(r.raw)})
	}
}

// loadNextLine adds the next physical line to the record; false at the end of the file.
func (r *Reader) loadNextLine() (bool, error) {
	line, err := r.lines.next()
	if errors.Is(err, io.EOF) {
		return false, nil
	}
	if err != nil {
		return false, err
	}
	r.appendLine(line)
	return true, nil
}

func (r *Reader) appendLine(line physicalLine) {
	if line.skipped {
		r.skippedTail = line.size
		return
	}
	r.raw = append(r.raw, line.text...)
	r.rawLines++
}

// consume ends the current record where end says: those lines count as read, and
// the lines loaded after them are handed back to be read again.
func (r *Reader) consume(end recordEnd) {
	r.pos.Line += end.lines
	r.pos.Offset += int64(end.bytes)
	if end.bytes < len(r.raw) || r.skippedTail > 0 {
		r.lines.handBack(r.raw[end.bytes:], r.skippedTail)
	}
	r.raw, r.rawLines, r.skippedTail = r.raw[:0], 0, 0
}

// consumeSkippedLine ends a record that is a single line too long to keep.
func (r *Reader) consumeSkippedLine() {
	r.pos.Line++
	r.pos.Offset += r.skippedTail
	r.skippedTail = 0
}

// parseLoaded parses the record whose first line is loaded, loading more lines
// while a quoted field runs on, and consumes the lines the record used.
func (r *Reader) parseLoaded() ([]string, *RowError, error) {
	if r.rawLines == 0 { // the first line was too long to keep
		r.consumeSkippedLine()
		return nil, &RowError{Err: ErrRecordTooLong}, nil
	}
	end, rowErr, err := r.parseFields()
	if err != nil {
		return nil, nil, err
	}
	r.consume(end)
	if rowErr != nil {
		return nil, rowErr, nil
	}
	fields, rowErr := r.fieldStrings()
	return fields, rowErr, nil
}

// parseFields splits the loaded record into r.content and r.fieldEnds and says
// how many of the loaded lines belong to it.
func (r *Reader) parseFields() (recordEnd, *RowError, error) {
	r.content, r.fieldEnds = r.content[:0], r.fieldEnds[:0]
	c := fieldCursor{lineEnd: len(r.raw), body: lineBody(r.raw)}
	for column := 1; ; column++ {
		if column > MaxFields {
			return c.endOfLine(), &RowError{Err: ErrTooManyFields}, nil
		}
		if c.pos < len(c.body) && c.body[c.pos] == '"' {
			more, end, rowErr, err := r.parseQuotedField(&c, column)
			if rowErr != nil || err != nil || !more {
				return end, rowErr, err
			}
			continue
		}
		more, rowErr := r.parseBareField(&c, column)
		if rowErr != nil || !more {
			return c.endOfLine(), rowErr, nil
		}
	}
}

// parseBareField reads a field that does not start with a quote; more reports a
// separator after it.
func (r *Reader) parseBareField(c *fieldCursor, column int) (more bool, rowErr *RowError) {
	rest := c.body[c.pos:]
	end := bytes.IndexByte(rest, r.sep)
	more = end >= 0
	if !more {
		end = len(rest)
	}
	if bytes.IndexByte(rest[:end], '"') >= 0 {
		return false, &RowError{Column: column, Err: ErrBareQuote}
	}
	r.content = append(r.content, rest[:end]...)
	r.fieldEnds = append(r.fieldEnds, len(r.content))
	c.pos += end + 1
	return more, nil
}

// parseQuotedField reads a field that starts with a quote, loading more lines
// while it runs on; more reports a separator after it. A malformed quoted field
// ends the record at the end of the line the field starts on, so that the lines
// after it are read again as records of their own.
func (r *Reader) parseQuotedField(c *fieldCursor, column int) (more bool, end recordEnd, rowErr *RowError, err error) {
	fieldStart := c.endOfLine()
	malformed := func(problem error) (bool, recordEnd, *RowError, error) {
		return false, fieldStart, &RowError{Column: column, Err: problem}, nil
	}
	c.pos++ // the opening quote
	for {
		quote := bytes.IndexByte(c.body[c.pos:], '"')
		if quote < 0 {
			r.content = append(append(r.content, c.body[c.pos:]...), '\n')
			loaded, err := r.loadNextLine()
			switch {
			case err != nil:
				return false, recordEnd{}, nil, err
			case !loaded:
				return malformed(ErrUnclosedQuote)
			case r.skippedTail > 0 || len(r.raw) > MaxRecordBytes:
				return malformed(fmt.Errorf(`%w: a quoted field runs on past it (missing "?)`, ErrRecordTooLong))
			}
			c.line++
			c.body, c.pos = lineBody(r.raw[c.lineEnd:]), 0
			c.lineEnd = len(r.raw)
			continue
		}
		r.content = append(r.content, c.body[c.pos:c.pos+quote]...)
		c.pos += quote + 1
		if c.pos < len(c.body) && c.body[c.pos] == '"' { // a doubled quote
			r.content = append(r.content, '"')
			c.pos++
			continue
		}
		break // the closing quote
	}
	r.fieldEnds = append(r.fieldEnds, len(r.content))
	switch {
	case c.pos == len(c.body):
		return false, c.endOfLine(), nil, nil
	case c.body[c.pos] == r.sep:
		c.pos++
		return true, c.endOfLine(), nil, nil
	default:
		return malformed(ErrTextAfterQuote)
	}
}

// fieldStrings turns the parsed record into strings (one allocation for the
// text, one for the slice), rejecting fields over MaxFieldBytes.
func (r *Reader) fieldStrings() ([]string, *RowError) {
	start := 0
	for i, end := range r.fieldEnds {
		if end-start > MaxFieldBytes {
			return nil, &RowError{Column: i + 1, Err: ErrFieldTooLong}
		}
		start = end
	}
	text := string(r.content)
	fields := make([]string, len(r.fieldEnds))
	start = 0
	for i, end := range r.fieldEnds {
		fields[i] = text[start:end]
		start = end
	}
	return fields, nil
}
