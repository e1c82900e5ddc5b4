package db

import "fmt"

// The few SQL fragments that differ between SQLite and PostgreSQL live here,
// so that the rest of Kite writes one portable query.

// LastJSONArrayElem is an SQL expression for the last string of an array
// column: a native text[] on PostgreSQL, a JSON array on SQLite.
func (k Kind) LastJSONArrayElem(col string) string {
	if k == Postgres {
		return fmt.Sprintf("%[1]s[array_length(%[1]s, 1)]", col)
	}
	return fmt.Sprintf("json_extract(%s, '$[#-1]')", col)
}

// AsTime is expr (a text value, such as a column of a VALUES list holding
// a time as bun writes it) as a time: PostgreSQL needs the cast, SQLite
// keeps times as that very text.
func (k Kind) AsTime(expr string) string {
	if k == Postgres {
		return "CAST(" + expr + " AS TIMESTAMPTZ)"
	}
	return expr
}
