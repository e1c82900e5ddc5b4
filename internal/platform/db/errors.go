package db

import (
	"database/sql"
	"errors"

	"github.com/jackc/pgx/v5/pgconn"
	"modernc.org/sqlite"
	sqlite3 "modernc.org/sqlite/lib"
)

// Errors that stores return instead of driver errors.
var (
	// ErrNotFound: no such row in this organization.
	ErrNotFound = errors.New("not found")
	// ErrConflict: the write breaks a unique or referential rule.
	ErrConflict = errors.New("conflict")
)

// MapError turns driver errors into ErrNotFound or ErrConflict (wrapping the
// original for logs); other errors pass through unchanged.
func MapError(err error) error {
	switch {
	case err == nil:
		return nil
	case errors.Is(err, sql.ErrNoRows):
		return errors.Join(ErrNotFound, err)
	case isConstraint(err):
		return errors.Join(ErrConflict, err)
	}
	return err
}

func isConstraint(err error) bool {
	var pg *pgconn.PgError
	if errors.As(err, &pg) {
		// Class 23: integrity constraint violation, except not-null (a bug, not a conflict).
		return len(pg.Code) == 5 && pg.Code[:2] == "23" && pg.Code != "23502"
	}
	var se *sqlite.Error
	if errors.As(err, &se) {
		switch se.Code() {
		case sqlite3.SQLITE_CONSTRAINT_UNIQUE, sqlite3.SQLITE_CONSTRAINT_PRIMARYKEY,
			sqlite3.SQLITE_CONSTRAINT_FOREIGNKEY, sqlite3.SQLITE_CONSTRAINT_CHECK:
			return true
		}
	}
	return false
}

// retryable reports errors after which the whole transaction may simply run
// again: serialization failures and deadlocks on PostgreSQL, busy/locked on SQLite.
func retryable(err error) bool {
	var re *retryError
	if errors.As(err, &re) {
		return true
	}
	var pg *pgconn.PgError
	if errors.As(err, &pg) {
		return pg.Code == "40001" || pg.Code == "40P01"
	}
	var se *sqlite.Error
	if errors.As(err, &se) {
		primary := se.Code() & 0xff
		return primary == sqlite3.SQLITE_BUSY || primary == sqlite3.SQLITE_LOCKED
	}
	return false
}

// Retry marks err as a race the transaction lost to another one that
// committed first (two moves picking the same free rank): running it again
// sees the winner's write. Tx retries it like a serialization failure; if
// every attempt loses, Tx returns err mapped.
func Retry(err error) error { return &retryError{err: err} }

type retryError struct{ err error }

func (e *retryError) Error() string { return e.err.Error() }
func (e *retryError) Unwrap() error { return e.err }
