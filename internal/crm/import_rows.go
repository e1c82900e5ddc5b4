package crm

import (
	"errors"
	"strconv"
	"strings"
	"unicode/utf8"

	"github.com/danielgtaylor/huma/v2"

	"github.com/kite-crm/kite/internal/crm/csvx"
	"github.com/kite-crm/kite/internal/platform/httpx"
)

// importColumns says which column of the file feeds each field.
type importColumns struct {
	index  map[string]int // standard field -> column
	custom []customColumn
}

type customColumn struct {
	def    CustomField
	column int
}

// planColumns resolves a stored mapping (column name -> field) against the
// header; columns or fields that no longer exist are left out.
func planColumns(header []string, mapping map[string]string, defs map[string]CustomField) importColumns {
	cols := importColumns{index: map[string]int{}}
	for i, name := range header {
		field, ok := mapping[name]
		if !ok {
			continue
		}
		if key, custom := strings.CutPrefix(field, customFieldPrefix); custom {
			if def, ok := defs[key]; ok {
				cols.custom = append(cols.custom, customColumn{def: def, column: i})
			}
			continue
		}
		cols.index[field] = i
	}
	return cols
}

// importRow is a good row turned into a contact's values: only its
// non-empty cells are set, so an update leaves other fields alone.
type importRow struct {
	number  int
	fields  []string
	in      ContactInput
	contact Contact // in applied to an empty contact: normalized values and keys
	company string
	tags    []string
	custom  map[string]any
	// nameless rows only update a contact they match; alone they are rejected.
	nameless bool
}

// rejectedRow is a row that cannot be imported, and why.
type rejectedRow struct {
	number  int
	message string
	fields  []string
}

// prepareRow validates one row of the file the way the API validates a
// contact; owners maps members' emails to their ids.
func (cols importColumns) prepareRow(row csvx.Row, owners map[string]string) (importRow, *rejectedRow) {
	reject := func(msg string) (importRow, *rejectedRow) {
		return importRow{}, &rejectedRow{number: row.Number, message: msg, fields: row.Fields}
	}
	if row.Err != nil {
		return reject(row.Err.Error())
	}
	cell := func(field string) *string {
		i, ok := cols.index[field]
		if !ok {
			return nil
		}
		if v := strings.TrimSpace(row.Fields[i]); v != "" {
			return &v
		}
		return nil
	}
	p := importRow{number: row.Number, fields: row.Fields, in: ContactInput{FirstName: cell(importFirstName), LastName: cell(importLastName),
		Email: cell(importEmail), Phone: cell(importPhone), TelegramUsername: cell(importTelegram), Title: cell(importTitle)}}
	if full := cell(importName); full != nil {
		first, last, _ := strings.Cut(*full, " ")
		last = strings.TrimSpace(last)
		if p.in.FirstName == nil {
			p.in.FirstName = &first
		}
		if p.in.LastName == nil && last != "" {
			p.in.LastName = &last
		}
	}
	if owner := cell(importOwner); owner != nil {
		id, ok := owners[strings.ToLower(*owner)]
		if !ok {
			return reject("owner: No member of this organization has the email " + *owner + ".")
		}
		p.in.OwnerID = &id
	}
	if company := cell(importCompany); company != nil {
		if utf8.RuneCountInString(*company) > 200 || !utf8.ValidString(*company) {
			return reject("company: A company name has at most 200 characters.")
		}
		p.company = *company
	}
	if tags := cell(importTags); tags != nil {
		clean, err := cleanTagNames(strings.FieldsFunc(*tags, func(r rune) bool { return r == ',' || r == ';' }))
		if err != nil {
			return reject(problemMessage(err))
		}
		p.tags = clean
	}
	custom, err := cols.customValues(row.Fields)
	if err != nil {
		return reject(problemMessage(err))
	}
	p.custom = custom
	// A row without name or email can still update the contact it matches
	// by phone or Telegram; its other values are checked all the same.
	in := p.in
	p.nameless = in.FirstName == nil && in.LastName == nil && in.Email == nil
	if p.nameless {
		placeholder := "-"
		in.FirstName = &placeholder
	}
	if _, err := in.apply(&p.contact); err != nil {
		return reject(problemMessage(err))
	}
	if p.nameless {
		p.contact.FirstName = ""
	}
	return p, nil
}

// customValues reads the custom field cells, converting text to each
// field's type and checking it as the API does.
func (cols importColumns) customValues(fields []string) (map[string]any, error) {
	var out map[string]any
	for _, c := range cols.custom {
		text := strings.TrimSpace(fields[c.column])
		if text == "" {
			continue
		}
		raw, err := customCellValue(c.def.Type, text)
		if err == nil {
			raw, err = checkFieldValue(c.def, raw)
		}
		if err != nil {
			return nil, invalidField("custom_fields."+c.def.Key, err.Error())
		}
		if out == nil {
			out = map[string]any{}
		}
		out[c.def.Key] = raw
	}
	return out, nil
}

// customCellValue turns a cell into the JSON value a field type takes.
func customCellValue(typ, text string) (any, error) {
	switch typ {
	case "number":
		n, err := strconv.ParseFloat(text, 64)
		if err != nil {
			return nil, inputError("Expected a number.")
		}
		return n, nil
	case "checkbox":
		switch strings.ToLower(text) {
		case "true", "yes", "y", "1", "x", "on":
			return true, nil
		case "false", "no", "n", "0", "off":
			return false, nil
		}
		return nil, inputError("Expected yes or no.")
	}
	return text, nil
}

// problemMessage writes a validation error for a person reading the
// rejected rows: "email: This is not a valid email address."
func problemMessage(err error) string {
	var p *httpx.Problem
	if errors.As(err, &p) && len(p.Errors) > 0 {
		return fieldMessage(p.Errors[0])
	}
	return err.Error()
}

func fieldMessage(d *huma.ErrorDetail) string {
	return strings.TrimPrefix(d.Location, "body.") + ": " + d.Message
}
