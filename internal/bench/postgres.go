package bench

import (
	"context"
	"crypto/rand"
	"encoding/hex"
	"errors"
	"fmt"
	"net/url"
	"time"

	"github.com/jackc/pgx/v5"
)

// dropTimeout bounds dropping the scratch databases, which also happens after Ctrl-C.
const dropTimeout = 30 * time.Second

// scratchPrefix starts the name of every database kitebench creates.
const scratchPrefix = "kitebench_"

// scratchDatabases creates throw-away PostgreSQL databases through an admin URL and drops
// them all at the end.
type scratchDatabases struct {
	adminURL string
	names    []string
}

// newScratchDatabases returns a creator of databases on the server of adminURL.
func newScratchDatabases(adminURL string) *scratchDatabases {
	return &scratchDatabases{adminURL: adminURL}
}

// create makes a new empty database named kitebench_<random> and returns its name and URL:
// the admin URL with the database name replaced.
func (s *scratchDatabases) create(ctx context.Context) (name, dbURL string, err error) {
	if name, err = scratchName(); err != nil {
		return "", "", err
	}
	if dbURL, err = databaseURL(s.adminURL, name); err != nil {
		return "", "", err
	}
	conn, err := pgx.Connect(ctx, s.adminURL)
	if err != nil {
		return "", "", fmt.Errorf("connecting to -database-url: %w", err)
	}
	defer conn.Close(context.WithoutCancel(ctx))
	if _, err := conn.Exec(ctx, "CREATE DATABASE "+pgx.Identifier{name}.Sanitize()); err != nil {
		return "", "", fmt.Errorf("creating database %s: %w", name, err)
	}
	s.names = append(s.names, name)
	return name, dbURL, nil
}

// dropAll drops every database create made, with WITH (FORCE) so leftover connections do not
// block it. It runs on its own deadline, so it still cleans up after ctx was cancelled.
func (s *scratchDatabases) dropAll(ctx context.Context) error {
	if len(s.names) == 0 {
		return nil
	}
	ctx, cancel := context.WithTimeout(context.WithoutCancel(ctx), dropTimeout)
	defer cancel()
	conn, err := pgx.Connect(ctx, s.adminURL)
	if err != nil {
		return fmt.Errorf("connecting to drop %v: %w", s.names, err)
	}
	defer conn.Close(ctx)
	var errs []error
	for _, name := range s.names {
		sql := "DROP DATABASE IF EXISTS " + pgx.Identifier{name}.Sanitize() + " WITH (FORCE)"
		if _, err := conn.Exec(ctx, sql); err != nil {
			errs = append(errs, fmt.Errorf("dropping database %s: %w", name, err))
		}
	}
	s.names = nil
	return errors.Join(errs...)
}

// scratchName returns kitebench_ followed by 16 random hex digits.
func scratchName() (string, error) {
	var b [8]byte
	if _, err := rand.Read(b[:]); err != nil {
		return "", err
	}
	return scratchPrefix + hex.EncodeToString(b[:]), nil
}

// databaseURL returns adminURL pointing at database name instead, keeping host, user,
// password and query parameters.
func databaseURL(adminURL, name string) (string, error) {
	u, err := parsePostgresURL(adminURL)
	if err != nil {
		return "", err
	}
	u.Path, u.RawPath = "/"+name, ""
	return u.String(), nil
}

// parsePostgresURL accepts a postgres:// or postgresql:// URL with a host.
func parsePostgresURL(raw string) (*url.URL, error) {
	u, err := url.Parse(raw)
	if err != nil {
		// The parse error quotes the URL, password included: say less.
		return nil, errors.New("-database-url is not a valid URL")
	}
	if (u.Scheme != "postgres" && u.Scheme != "postgresql") || u.Host == "" {
		return nil, errors.New("-database-url: want postgres://user@host:port/db?sslmode=...")
	}
	return u, nil
}
