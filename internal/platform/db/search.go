package db

import "strings"

// Full-text search differs by database: FTS5 on SQLite, tsvector + GIN on
// PostgreSQL. Callers fold their text and their query tokens the same way;
// these build the query side, each token matched as a prefix and quoted so
// that no token is read as query syntax.

// FTSQuery is an FTS5 MATCH argument ANDing a prefix match per token.
func FTSQuery(tokens []string) string {
	parts := make([]string, len(tokens))
	for i, tok := range tokens {
		parts[i] = `"` + strings.ReplaceAll(tok, `"`, `""`) + `"*`
	}
	return strings.Join(parts, " AND ")
}

// TSQuery is a PostgreSQL tsquery expression ANDing a prefix lexeme per
// token, with one placeholder per token, and the tokens as its arguments.
func TSQuery(tokens []string) (string, []any) {
	parts := make([]string, len(tokens))
	args := make([]any, len(tokens))
	for i, tok := range tokens {
		parts[i] = "to_tsquery('simple', quote_literal(?) || ':*')"
		args[i] = tok
	}
	return strings.Join(parts, " && "), args
}
