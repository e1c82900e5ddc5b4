// Package db opens Kite's database — embedded SQLite or PostgreSQL — through
// bun, and holds what differs between the two: connection tuning, error
// mapping, retried transactions and schema migrations.
package db

import (
	"context"
	"database/sql"
	"errors"
	"fmt"
	"net/url"
	"os"
	"path/filepath"
	"runtime"
	"slices"
	"strings"
	"time"

	"github.com/jackc/pgx/v5/pgxpool"
	"github.com/jackc/pgx/v5/stdlib"
	"github.com/uptrace/bun"
	"github.com/uptrace/bun/dialect/pgdialect"
	"github.com/uptrace/bun/dialect/sqlitedialect"
	_ "modernc.org/sqlite" // registers the "sqlite" database/sql driver
)

// Kind names a database engine.
type Kind string

// The engines Kite runs on.
const (
	SQLite   Kind = "sqlite"
	Postgres Kind = "postgres"
)

// Label is the engine's name as people write it.
func (k Kind) Label() string {
	if k == Postgres {
		return "PostgreSQL"
	}
	return "SQLite"
}

// DB is an open database. The embedded *bun.DB is the writer: use it for
// writes and transactions. Read is for reads outside a transaction; on SQLite
// it is a separate pool of read-only connections so that readers never wait
// behind the single writer connection, on PostgreSQL it is the same pool.
type DB struct {
	*bun.DB
	Read *bun.DB
	Kind Kind
	// Pool is the pgx pool on PostgreSQL (nil on SQLite); job workers and
	// LISTEN/NOTIFY use it directly.
	Pool *pgxpool.Pool
	// Where says where the data lives — a file path, or host:port/dbname —
	// without credentials.
	Where string
	// writeTurn, on SQLite, hands the one writer connection to waiting
	// transactions in the order they asked (database/sql hands a freed
	// connection to a random waiter, which gives some writes a long tail).
	writeTurn chan struct{}
	// checkpointer, on SQLite, copies the WAL into the database file in
	// the background (checkpoint.go).
	checkpointer *checkpointer
}

// Options say what to open.
type Options struct {
	// URL is a postgres:// URL; empty opens SQLite at Path.
	URL  string
	Path string
	// MaxConns sizes the PostgreSQL pool and the SQLite reader pool; 0
	// takes each engine's default.
	MaxConns int
	// CheckpointEvery is how often SQLite's WAL is checkpointed (0: every
	// 200 ms).
	CheckpointEvery time.Duration
	// longWAL is the WAL length in pages that the checkpointer starts over
	// (0: defaultLongWAL; tests set fewer).
	longWAL int
}

// Open connects and checks the connection; it does not migrate.
func Open(ctx context.Context, o Options) (*DB, error) {
	if o.URL != "" {
		if o.MaxConns < 1 {
			o.MaxConns = 16
		}
		return openPostgres(ctx, o)
	}
	if o.MaxConns < 1 {
		// One reader per CPU: SQLite reads are CPU work in this process,
		// and more readers than cores only contend. With 16 readers on two
		// cores, the deals board served 176 requests/s at p95 254 ms; with
		// two, 265 at 106 ms, and the unread counts 2,316 -> 3,045/s.
		o.MaxConns = max(2, runtime.GOMAXPROCS(0))
	}
	return openSQLite(ctx, o)
}

// sqlitePragmas tune every SQLite connection: WAL lets readers run beside the
// writer, busy_timeout waits instead of failing, synchronous=NORMAL is durable
// across application crashes under WAL.
var sqlitePragmas = []string{"journal_mode(WAL)", "busy_timeout(10000)", "foreign_keys(1)", "synchronous(NORMAL)"}

// sqliteRole is what a connection is for; each has its own settings.
type sqliteRole int

const (
	sqliteWriter sqliteRole = iota
	sqliteReader
	sqliteCheckpointer
)

func sqliteDSN(path string, role sqliteRole) string {
	q := url.Values{}
	for _, p := range sqlitePragmas {
		q.Add("_pragma", p)
	}
	// Page caches (negative: KiB): SQLite's default of 2 MiB sends a
	// million-row table's index pages to the kernel on every insert and
	// lookup. Each connection gets 16 MiB; they fill only as far as the
	// data needs. Not more for the writer: at every commit SQLite walks
	// its cache's whole hash table (pcache1TruncateUnsafe), which at
	// 64 MiB was 5% of a deal move's CPU, while importing 300,000
	// contacts ran as fast with 16 MiB.
	if role != sqliteCheckpointer {
		q.Add("_pragma", "cache_size(-16384)")
	}
	switch role {
	case sqliteReader:
		// Memory-mapped reads: a page comes straight from the kernel's
		// cache instead of a pread and a copy into this connection's own
		// cache, which SQLite drops whenever another connection commits.
		q.Add("_pragma", "mmap_size(1073741824)")
		q.Add("_pragma", "query_only(1)")
	case sqliteWriter:
		// BEGIN IMMEDIATE takes the write lock up front, so a transaction
		// never fails half-way when it upgrades from reading to writing.
		q.Set("_txlock", "immediate")
		// No checkpoint inside a commit: the checkpointer runs them.
		q.Add("_pragma", "wal_autocheckpoint(0)")
	case sqliteCheckpointer:
		q.Add("_pragma", "wal_autocheckpoint(0)")
	}
	return "file:" + path + "?" + q.Encode()
}

func openSQLite(ctx context.Context, o Options) (*DB, error) {
	dir := filepath.Dir(o.Path)
	if st, err := os.Stat(dir); err != nil || !st.IsDir() {
		return nil, fmt.Errorf("sqlite: directory %s does not exist or is unreadable", dir)
	}
	writer, err := sql.Open("sqlite", sqliteDSN(o.Path, sqliteWriter))
	if err != nil {
		return nil, fmt.Errorf("sqlite: %w", err)
	}
	// One writer connection: SQLite allows one writer at a time, so writes
	// queue in the pool instead of failing with "database is locked".
	writer.SetMaxOpenConns(1)
	writer.SetConnMaxIdleTime(0)
	if err := writer.PingContext(ctx); err != nil {
		writer.Close()
		return nil, fmt.Errorf("sqlite: cannot open %s: %w", o.Path, err)
	}
	reader, err := sql.Open("sqlite", sqliteDSN(o.Path, sqliteReader))
	if err != nil {
		writer.Close()
		return nil, fmt.Errorf("sqlite: %w", err)
	}
	reader.SetMaxOpenConns(o.MaxConns)
	reader.SetMaxIdleConns(o.MaxConns)
	d := &DB{
		DB:    bun.NewDB(writer, sqlitedialect.New()),
		Read:  bun.NewDB(reader, sqlitedialect.New()),
		Kind:  SQLite,
		Where: o.Path,
		// Buffered for one: whoever put the token in holds the writer.
		writeTurn: make(chan struct{}, 1),
	}
	if d.checkpointer, err = startCheckpointer(o.Path, o.CheckpointEvery, o.longWAL, writer); err != nil {
		writer.Close()
		reader.Close()
		return nil, err
	}
	return d, nil
}

func openPostgres(ctx context.Context, o Options) (*DB, error) {
	cfg, err := pgxpool.ParseConfig(o.URL)
	if err != nil {
		return nil, errors.New("postgres: KITE_DATABASE_URL cannot be parsed as a PostgreSQL URL")
	}
	cfg.MaxConns = int32(o.MaxConns)
	cfg.MinConns = 1
	cfg.MaxConnIdleTime = 5 * time.Minute
	where := fmt.Sprintf("%s:%d/%s", cfg.ConnConfig.Host, cfg.ConnConfig.Port, cfg.ConnConfig.Database)
	pool, err := pgxpool.NewWithConfig(ctx, cfg)
	if err != nil {
		return nil, fmt.Errorf("postgres: %s: %w", where, err)
	}
	pingCtx, cancel := context.WithTimeout(ctx, 10*time.Second)
	defer cancel()
	if err := pool.Ping(pingCtx); err != nil {
		pool.Close()
		return nil, fmt.Errorf("postgres: cannot connect to %s: %s", where, oneLine(err.Error()))
	}
	sqlDB := stdlib.OpenDBFromPool(pool)
	bdb := bun.NewDB(sqlDB, pgdialect.New())
	return &DB{DB: bdb, Read: bdb, Kind: Postgres, Pool: pool, Where: where}, nil
}

// oneLine folds pgx's multi-line connection errors (one line per address
// tried) into a single line without repeats, for start-up messages.
func oneLine(msg string) string {
	var parts []string
	for _, l := range strings.Split(msg, "\n") {
		if l = strings.TrimSpace(l); l != "" && !slices.Contains(parts, l) {
			parts = append(parts, l)
		}
	}
	return strings.Join(parts, " ")
}

// Close closes every pool.
func (d *DB) Close() error {
	var err error
	if d.checkpointer != nil {
		// First, so that the writer is the last connection: closing it
		// checkpoints what is left and removes the WAL.
		err = d.checkpointer.close()
	}
	err = errors.Join(err, d.DB.Close())
	if d.Read != d.DB {
		err = errors.Join(err, d.Read.Close())
	}
	if d.Pool != nil {
		d.Pool.Close()
	}
	return err
}

// Ping checks that the database answers.
func (d *DB) Ping(ctx context.Context) error {
	return d.Read.PingContext(ctx)
}
