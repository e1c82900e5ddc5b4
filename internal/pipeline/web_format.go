package pipeline

import (
	"net/url"
	"strconv"
	"strings"
	"time"
	"unicode"

	"github.com/kite-crm/kite/internal/org"
	"github.com/kite-crm/kite/internal/web"
)

// columnView is one column as the board draws it.
type columnView struct {
	Stage    Stage
	Stages   []Stage // the pipeline's, for the card menu
	CanWrite bool
	Now      time.Time
	Return   string
}

// columns pairs the board's columns with what their cards need.
func (v boardView) columns() []struct {
	Col  Column
	View columnView
	More string
} {
	out := make([]struct {
		Col  Column
		View columnView
		More string
	}, len(v.Board.Columns))
	back := v.link(nil)
	for i, col := range v.Board.Columns {
		out[i].Col = col
		out[i].View = columnView{Stage: col.Stage, Stages: v.Pipeline.Stages, CanWrite: v.CanWrite, Now: v.Now, Return: back}
		if col.NextCursor != nil {
			q := filterQuery(v.Filter)
			q.Set("cursor", *col.NextCursor)
			out[i].More = dealsPath + "/columns/" + col.Stage.ID + "?" + q.Encode()
		}
	}
	return out
}

// neighbour is the id of the card before (-1) or after (+1) index i.
func neighbour(cards []Card, i, step int) string {
	if j := i + step; j >= 0 && j < len(cards) {
		return cards[j].ID
	}
	return ""
}

// totalsText writes a column's totals: "12,500.00 USD · 3,000 JPY".
func totalsText(ts []Total, weighted bool) string {
	if len(ts) == 0 {
		return "0"
	}
	parts := make([]string, len(ts))
	for i, t := range ts {
		m := t.minor
		if weighted {
			m = t.weighted
		}
		parts[i] = DisplayMoney(m, t.Currency)
	}
	return strings.Join(parts, " · ")
}

// initials are up to two letters of a name, for an avatar.
func initials(name string) string {
	var out []rune
	for _, w := range strings.Fields(name) {
		for _, r := range w {
			if unicode.IsLetter(r) || unicode.IsDigit(r) {
				out = append(out, unicode.ToUpper(r))
				break
			}
		}
		if len(out) == 2 {
			break
		}
	}
	return string(out)
}

// daysIn says how long a card has been in its stage.
func daysIn(since, now time.Time) string {
	d := int(now.Sub(since).Hours() / 24)
	switch {
	case d < 1:
		return "new in stage"
	case d == 1:
		return "1 day in stage"
	}
	return strconv.Itoa(d) + " days in stage"
}

// duration writes seconds spent in a stage for people.
func duration(sec int64) string {
	switch {
	case sec < 60:
		return "under a minute"
	case sec < 3600:
		return plural(int(sec/60), "minute")
	case sec < 86400:
		return plural(int(sec/3600), "hour")
	}
	return plural(int(sec/86400), "day")
}

func kindLabel(k string) string {
	return map[string]string{KindOpen: "Open", KindWon: "Won", KindLost: "Lost"}[k]
}

func kindBadge(k string) string {
	return map[string]string{KindOpen: "neutral", KindWon: "success", KindLost: "danger"}[k]
}

func sortLink(v boardView, field string) string {
	next := field
	if v.Sort == field {
		next = "-" + field
	}
	return v.link(map[string]string{"view": "table", "sort": next, "status": ""})
}

func sortMark(v boardView, field string) string {
	switch v.Sort {
	case field:
		return "ascending"
	case "-" + field:
		return "descending"
	}
	return "none"
}

func urlEscape(s string) string { return url.QueryEscape(s) }

func joinNonEmpty(parts ...string) string {
	var out []string
	for _, p := range parts {
		if p != "" {
			out = append(out, p)
		}
	}
	return strings.Join(out, " · ")
}

func orText(s, def string) string {
	if s == "" {
		return def
	}
	return s
}

func filteredSuffix(filtered bool) string {
	if filtered {
		return " match the filters"
	}
	return " yet"
}

// memberOptions are the org's members to choose from, after none.
func memberOptions(members []org.MemberView, none string) []web.Option {
	out := []web.Option{{Value: "", Label: none}}
	for _, m := range members {
		out = append(out, web.Option{Value: m.UserID, Label: m.Name})
	}
	return out
}

// stageOptions are the open stages of every pipeline, "Pipeline · Stage"
// when there are several pipelines; the chosen pipeline's come first.
func stageOptions(pipelines []Pipeline, first string) []web.Option {
	var head, tail []web.Option
	for _, p := range pipelines {
		for _, st := range p.Stages {
			if st.Kind != KindOpen {
				continue
			}
			label := st.Name
			if len(pipelines) > 1 {
				label = p.Name + " · " + st.Name
			}
			o := web.Option{Value: st.ID, Label: label}
			if p.ID == first || (first == "" && p.IsDefault) {
				head = append(head, o)
			} else {
				tail = append(tail, o)
			}
		}
	}
	return append(head, tail...)
}

func linkLabelIf(id, label string) string {
	if id == "" {
		return ""
	}
	return label
}
