package pipeline

import (
	"context"
	"net/http"
	"strconv"
	"strings"
	"time"

	"github.com/kite-crm/kite/internal/platform/db"
	"github.com/kite-crm/kite/internal/platform/httpx"
)

// Card is a deal with the names a board card or a table row shows.
type Card struct {
	Deal
	ContactName string `bun:"contact_name" json:"contact_name"`
	CompanyName string `bun:"company_name" json:"company_name"`
	OwnerName   string `bun:"owner_name" json:"owner_name"`
}

// DealFilter narrows deal lists and boards. Values are decimal strings,
// compared with deals' values in their own currencies.
type DealFilter struct {
	PipelineID, StageID, Status           string
	OwnerID, ContactID, CompanyID, Tag, Q string
	ValueMin, ValueMax                    string
	CloseFrom, CloseTo                    string // YYYY-MM-DD, inclusive
	Sort, Cursor                          string
	Limit                                 int
}

// narrowsBoard reports whether f leaves out some of a column's deals.
func (f DealFilter) narrowsBoard() bool {
	return f.OwnerID != "" || f.Tag != "" || f.ValueMin != "" || f.ValueMax != "" || f.CloseFrom != "" || f.CloseTo != "" || f.Q != ""
}

// cardSelect is the card columns over deals d with its contact, company and owner.
const cardSelect = `SELECT d.*, COALESCE(TRIM(c.first_name || ' ' || c.last_name), '') AS contact_name,
	COALESCE(co.name, '') AS company_name, COALESCE(u.name, '') AS owner_name
	FROM deals AS d
	LEFT JOIN contacts AS c ON c.id = d.contact_id
	LEFT JOIN companies AS co ON co.id = d.company_id
	LEFT JOIN users AS u ON u.id = d.owner_id`

// where is a conjunction of SQL conditions with their arguments.
type where struct {
	conds []string
	args  []any
}

func (w *where) add(cond string, args ...any) {
	w.conds = append(w.conds, cond)
	w.args = append(w.args, args...)
}

func (w *where) sql() string { return strings.Join(w.conds, " AND ") }

func badFilter(param, msg string) error { return httpx.Invalid("query."+param, msg) }

// filterWhere turns the narrowing filters into conditions on d.
func filterWhere(orgID string, f DealFilter) (*where, error) {
	w := &where{}
	w.add("d.org_id = ?", orgID)
	for _, c := range []struct{ col, v, param string }{
		{"pipeline_id", f.PipelineID, "pipeline_id"}, {"stage_id", f.StageID, "stage_id"}, {"owner_id", f.OwnerID, "owner_id"},
		{"contact_id", f.ContactID, "contact_id"}, {"company_id", f.CompanyID, "company_id"},
	} {
		if c.v == "" {
			continue
		}
		if !db.ValidID(c.v) {
			return nil, badFilter(c.param, "Not an id.")
		}
		w.add("d."+c.col+" = ?", c.v)
	}
	switch f.Status {
	case "":
	case KindOpen, KindWon, KindLost:
		w.add("d.status = ?", f.Status)
	default:
		return nil, badFilter("status", "Status is open, won or lost.")
	}
	if t := strings.TrimSpace(f.Tag); t != "" {
		w.add("d.contact_id IN (SELECT ct.contact_id FROM contact_tags AS ct JOIN tags AS t ON t.id = ct.tag_id WHERE t.org_id = ? AND t.name_key = ?)",
			orgID, strings.ToLower(t))
	}
	if q := strings.TrimSpace(f.Q); q != "" {
		w.add("LOWER(d.title) LIKE ? ESCAPE '\\'", "%"+likeEscape(strings.ToLower(q))+"%")
	}
	for _, v := range []struct{ s, op, param string }{{f.ValueMin, ">=", "value_min"}, {f.ValueMax, "<=", "value_max"}} {
		if strings.TrimSpace(v.s) == "" {
			continue
		}
		// Compared in minor units of a two-decimal currency: exact for most.
		minor, err := ParseMoney(v.s, "USD")
		if err != nil {
			return nil, badFilter(v.param, err.Error())
		}
		w.add("d.value_minor "+v.op+" ?", minor)
	}
	for _, v := range []struct{ s, op, param string }{{f.CloseFrom, ">=", "close_from"}, {f.CloseTo, "<=", "close_to"}} {
		if v.s == "" {
			continue
		}
		if _, err := time.Parse(time.DateOnly, v.s); err != nil {
			return nil, badFilter(v.param, "Write the date as YYYY-MM-DD.")
		}
		w.add("d.expected_close_date "+v.op+" ?", v.s)
	}
	return w, nil
}

func likeEscape(s string) string {
	return strings.NewReplacer(`\`, `\\`, `%`, `\%`, `_`, `\_`).Replace(s)
}

// sortKey is the keyset position of a row in a list: its sort value and id.
type sortKey struct {
	V string `json:"v"`
	I string `json:"i"`
}

// dealSorts are the columns a deal list sorts by.
var dealSorts = map[string]string{
	"created_at": "d.created_at", "updated_at": "d.updated_at", "value": "d.value_minor", "title": "d.title",
	"expected_close_date": "COALESCE(d.expected_close_date, '')", "position": "d.position",
}

// ListDeals lists the org's deals with keyset pagination; sort=position
// (with stage_id) walks a board column in order.
func (s *Service) ListDeals(ctx context.Context, orgID string, f DealFilter) ([]Card, string, error) {
	w, err := filterWhere(orgID, f)
	if err != nil {
		return nil, "", err
	}
	field, desc := strings.TrimPrefix(f.Sort, "-"), strings.HasPrefix(f.Sort, "-")
	if f.Sort == "" {
		field, desc = "created_at", true
	}
	col, ok := dealSorts[field]
	if !ok {
		return nil, "", badFilter("sort", "Sort by created_at, updated_at, value, title, expected_close_date or position; prefix - for descending.")
	}
	if field == "position" && f.StageID == "" {
		return nil, "", badFilter("sort", "Sorting by position needs stage_id: positions order one column.")
	}
	var key sortKey
	if ok, err := httpx.DecodeCursor(f.Cursor, &key); err != nil {
		return nil, "", err
	} else if ok {
		v, err := cursorValue(field, key.V)
		if err != nil {
			return nil, "", err
		}
		op := ">"
		if desc {
			op = "<"
		}
		w.add("("+col+" "+op+" ? OR ("+col+" = ? AND d.id "+op+" ?))", v, v, key.I)
	}
	dir := " ASC"
	if desc {
		dir = " DESC"
	}
	n := httpx.Limit(f.Limit)
	q := cardSelect + " WHERE " + w.sql() + " ORDER BY " + col + dir + ", d.id" + dir + " LIMIT " + strconv.Itoa(n+1)
	out := []Card{}
	if err := s.db.Read.NewRaw(q, w.args...).Scan(ctx, &out); err != nil {
		return nil, "", err
	}
	next := ""
	if len(out) > n {
		out = out[:n]
		next = httpx.EncodeCursor(sortKey{V: sortValue(field, out[n-1].Deal), I: out[n-1].ID})
	}
	for i := range out {
		out[i].fill()
	}
	return out, next, nil
}

func sortValue(field string, d Deal) string {
	switch field {
	case "created_at":
		return d.CreatedAt.UTC().Format(time.RFC3339Nano)
	case "updated_at":
		return d.UpdatedAt.UTC().Format(time.RFC3339Nano)
	case "value":
		return strconv.FormatInt(d.ValueMinor, 10)
	case "title":
		return d.Title
	case "expected_close_date":
		return deref(d.ExpectedCloseDate)
	}
	return strconv.FormatFloat(d.Position, 'g', -1, 64)
}

func cursorValue(field, v string) (any, error) {
	bad := httpx.NewProblem(http.StatusBadRequest, "invalid_cursor", "The cursor is not one this server issued; start from the first page.")
	switch field {
	case "created_at", "updated_at":
		t, err := time.Parse(time.RFC3339Nano, v)
		if err != nil {
			return nil, bad
		}
		return t, nil
	case "value":
		n, err := strconv.ParseInt(v, 10, 64)
		if err != nil {
			return nil, bad
		}
		return n, nil
	case "position":
		f, err := strconv.ParseFloat(v, 64)
		if err != nil {
			return nil, bad
		}
		return f, nil
	}
	return v, nil
}
