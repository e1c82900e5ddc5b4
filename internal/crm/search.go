package crm

import (
	"strings"

	"github.com/uptrace/bun"

	"github.com/kite-crm/kite/internal/platform/db"
)

// Full-text search differs by database: FTS5 on SQLite, tsvector + GIN on
// PostgreSQL. Both index the folded search text (lowercase, accents
// removed), and queries fold the same way, so "jose" finds "José". Each
// query token matches as a prefix, for as-you-type search.

// searchTable names the FTS5 table and alias of a searchable table.
type searchTable struct {
	table string // contacts | companies
	alias string // the bun alias of the model: contact | company
}

var (
	contactSearch = searchTable{"contacts", "contact"}
	companySearch = searchTable{"companies", "company"}
)

// match restricts q to rows matching every token as a prefix.
func (t searchTable) match(kind db.Kind, q *bun.SelectQuery, tokens []string) {
	if kind == db.Postgres {
		expr, args := tsQuery(tokens)
		q.Where(t.alias+".search_tsv @@ ("+expr+")", args...)
		return
	}
	q.Where(t.alias+".rowid IN (SELECT rowid FROM "+t.table+"_fts WHERE "+t.table+"_fts MATCH ?)", ftsQuery(tokens))
}

// rank orders q by relevance, best first (call after match).
func (t searchTable) rank(kind db.Kind, q *bun.SelectQuery, tokens []string) {
	if kind == db.Postgres {
		expr, args := tsQuery(tokens)
		q.OrderExpr("ts_rank("+t.alias+".search_tsv, "+expr+") DESC", args...)
		q.OrderExpr(t.alias + ".id DESC")
		return
	}
	// bm25() needs the FTS table in the FROM clause.
	q.Join("JOIN "+t.table+"_fts AS fts ON fts.rowid = "+t.alias+".rowid AND "+t.table+"_fts MATCH ?", ftsQuery(tokens))
	q.OrderExpr("bm25(" + t.table + "_fts)")
	q.OrderExpr(t.alias + ".id DESC")
}

// ftsQuery is an FTS5 query: each token quoted (so no token is read as
// syntax) and matched as a prefix.
func ftsQuery(tokens []string) string {
	parts := make([]string, len(tokens))
	for i, tok := range tokens {
		parts[i] = `"` + strings.ReplaceAll(tok, `"`, `""`) + `"*`
	}
	return strings.Join(parts, " AND ")
}

// tsQuery is a tsquery expression ANDing a prefix lexeme per token; each
// token is a quoted literal, so no token is read as operators.
func tsQuery(tokens []string) (string, []any) {
	parts := make([]string, len(tokens))
	args := make([]any, len(tokens))
	for i, tok := range tokens {
		parts[i] = "to_tsquery('simple', quote_literal(?) || ':*')"
		args[i] = tok
	}
	return strings.Join(parts, " && "), args
}
