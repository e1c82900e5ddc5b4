package db

import "github.com/google/uuid"

// NewID returns a new UUIDv7 string: unique, and ordered by creation time so
// that ID order is insertion order and B-tree inserts stay local.
func NewID() string {
	return uuid.Must(uuid.NewV7()).String()
}

// ValidID reports whether s is a well-formed UUID, so that handlers can answer
// a malformed ID with "not found" before asking the database.
func ValidID(s string) bool {
	return len(s) == 36 && uuid.Validate(s) == nil
}
