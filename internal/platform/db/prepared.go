package db

import (
	"context"
	"database/sql"
	"errors"
	"strconv"
	"sync"
	"sync/atomic"
	"time"

	"github.com/uptrace/bun"
)

// bun writes every argument into a query's text, so the database parses
// each query it runs anew. For the reads every request makes (its
// session, its user, its membership) that parse was a fifth of the CPU a
// small API request costs on SQLite. A Prepared read keeps one text with
// placeholders, which each connection prepares once and then only binds.

// Prepared is a read query with placeholders for its arguments, prepared
// on first use on each connection of the read pool: on SQLite through a
// database/sql statement, on PostgreSQL by pgx's own statement cache,
// which knows the text again (a database/sql statement there is prepared
// again whenever database/sql hands the pool connection back, and halved
// the unread reads per second). It is safe for concurrent use.
//
// Its arguments are strings and numbers: the driver, not bun, writes
// them, and SQLite's driver would write a time in another form than
// bun's, which compares wrongly with stored times.
type Prepared struct {
	read *bun.DB
	kind Kind
	text string
	// stmt is the SQLite statement, prepared on first use under mu.
	stmt atomic.Pointer[sql.Stmt]
	mu   sync.Mutex
}

// Params hands out the placeholders of a Prepared query's arguments, in
// the order the arguments will be passed.
type Params struct {
	kind Kind
	n    int
}

// Next is the placeholder of the next argument: ? on SQLite, $n on
// PostgreSQL.
func (p *Params) Next() bun.Safe {
	p.n++
	if p.kind == Postgres {
		return bun.Safe("$" + strconv.Itoa(p.n))
	}
	return bun.Safe("?")
}

// PrepareRead builds a read query once: build gets the Params whose Next
// stands for each argument, and returns the query on d.Read. Its text is
// fixed here; arguments are bound at each Scan.
func (d *DB) PrepareRead(build func(q *bun.SelectQuery, p *Params) *bun.SelectQuery) *Prepared {
	return &Prepared{read: d.Read, kind: d.Kind, text: build(d.Read.NewSelect(), &Params{kind: d.Kind}).String()}
}

// Scan runs the query with args and scans its first row into dest, as
// bun's Scan does (a model, or one value per column); no row is
// sql.ErrNoRows.
func (p *Prepared) Scan(ctx context.Context, dest any, args ...any) error {
	rows, err := p.query(ctx, args)
	if err != nil {
		return err
	}
	defer rows.Close()
	if !rows.Next() {
		if err := rows.Err(); err != nil {
			return err
		}
		return sql.ErrNoRows
	}
	if err := p.read.ScanRow(ctx, rows, dest); err != nil {
		return err
	}
	return rows.Close()
}

// ScanAll runs the query with args and scans every row into dest, a
// pointer to a slice.
func (p *Prepared) ScanAll(ctx context.Context, dest any, args ...any) error {
	rows, err := p.query(ctx, args)
	if err != nil {
		return err
	}
	return p.read.ScanRows(ctx, rows, dest)
}

// Rows runs the query with args, for a caller that scans the rows itself
// (cheaper than a model for many rows) and closes them.
func (p *Prepared) Rows(ctx context.Context, args ...any) (*sql.Rows, error) {
	return p.query(ctx, args)
}

func (p *Prepared) query(ctx context.Context, args []any) (*sql.Rows, error) {
	for _, a := range args {
		if _, ok := a.(time.Time); ok {
			return nil, errors.New("db: a prepared read takes no time arguments")
		}
	}
	if p.kind == Postgres {
		return p.read.DB.QueryContext(ctx, p.text, args...)
	}
	stmt, err := p.prepared(ctx)
	if err != nil {
		return nil, err
	}
	return stmt.QueryContext(ctx, args...)
}

// prepared returns the statement, preparing it the first time; a failure
// is not kept, so the next call tries again.
func (p *Prepared) prepared(ctx context.Context) (*sql.Stmt, error) {
	if stmt := p.stmt.Load(); stmt != nil {
		return stmt, nil
	}
	p.mu.Lock()
	defer p.mu.Unlock()
	if stmt := p.stmt.Load(); stmt != nil {
		return stmt, nil
	}
	stmt, err := p.read.DB.PrepareContext(ctx, p.text)
	if err != nil {
		return nil, err
	}
	p.stmt.Store(stmt)
	return stmt, nil
}

// String is the query's text.
func (p *Prepared) String() string { return p.text }
