package crm

import (
	"context"

	"github.com/uptrace/bun"

	"github.com/kite-crm/kite/internal/platform/db"
	"github.com/kite-crm/kite/internal/platform/httpx"
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

// searchCandidates bounds how many of the org's matches a ranked search
// scores (see rank for which), so a one- or two-letter prefix that matches
// a fifth of a million contacts costs what a rare one does. A longer query narrows
// the matches below the bound and is ranked over all of them. (A variable
// so a test can lower it.)
var searchCandidates = 1000

// match restricts q to rows matching every token as a prefix.
func (t searchTable) match(kind db.Kind, q *bun.SelectQuery, tokens []string) {
	if kind == db.Postgres {
		expr, args := db.TSQuery(tokens)
		q.Where(t.alias+".search_tsv @@ ("+expr+")", args...)
		return
	}
	q.Where(t.alias+".rowid IN (SELECT rowid FROM "+t.table+"_fts WHERE "+t.table+"_fts MATCH ?)", db.FTSQuery(tokens))
}

// rank restricts q (already scoped to orgID) to the org's best limit
// matches among a bounded set of candidates (searchCandidates) and orders
// them by relevance, best first.
//
// On PostgreSQL the candidates are the first matches the GIN index yields
// (an ORDER BY would make the planner walk the org's rows one by one for a
// common prefix, ten times slower); each is scored as it is read, and only
// the best limit are joined back. On SQLite the FTS index holds every org:
// it is walked newest first, each match checked against the org by rowid,
// until the bound; rank (bm25) is computed for those only. CROSS JOINs
// keep SQLite from starting anywhere else.
func (t searchTable) rank(kind db.Kind, q *bun.SelectQuery, orgID string, tokens []string, limit int) {
	if kind == db.Postgres {
		expr, args := db.TSQuery(tokens)
		var inner []any
		inner = append(inner, args...)
		inner = append(inner, orgID)
		inner = append(inner, args...)
		inner = append(inner, searchCandidates, limit)
		q.Join("JOIN (SELECT id, score FROM (SELECT id, ts_rank(search_tsv, "+expr+") AS score FROM "+t.table+
			" WHERE org_id = ? AND search_tsv @@ ("+expr+") LIMIT ?) AS c ORDER BY score DESC, id DESC LIMIT ?) AS m ON m.id = "+t.alias+".id", inner...)
		q.OrderExpr("m.score DESC")
		q.OrderExpr(t.alias + ".id DESC")
		return
	}
	fts := t.table + "_fts"
	q.ModelTableExpr("(SELECT f.rowid AS rid, f.rank AS score FROM "+fts+" AS f CROSS JOIN "+t.table+" AS o ON o.rowid = f.rowid"+
		" WHERE "+fts+" MATCH ? AND o.org_id = ? ORDER BY f.rowid DESC LIMIT ?) AS m CROSS JOIN "+t.table+" AS "+t.alias,
		db.FTSQuery(tokens), orgID, searchCandidates)
	q.Where("m.rid = " + t.alias + ".rowid")
	q.OrderExpr("m.score")
	q.OrderExpr(t.alias + ".id DESC")
}

// rankedSearch returns the org's best matches for q among the records of
// t (Contact or Company), most relevant first, each passed through decode.
func rankedSearch[T any](ctx context.Context, s *Service, t searchTable, subject, orgID, q string, limit int, decode func(T) T) ([]T, error) {
	tokens := SearchTokens(q)
	list := []T{}
	if len(tokens) == 0 {
		return list, nil
	}
	limit = httpx.Limit(limit)
	query := s.db.Read.NewSelect().Model(&list).Where(t.alias+".org_id = ?", orgID).Limit(int64(limit))
	s.selectTags(query, subject, t.alias)
	t.rank(s.db.Kind, query, orgID, tokens, limit)
	if err := query.Scan(ctx); err != nil {
		return nil, err
	}
	for i := range list {
		list[i] = decode(list[i])
	}
	return list, nil
}
