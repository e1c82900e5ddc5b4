package web

import (
	"fmt"
	"net/http"
	"net/url"
	"regexp"
	"strconv"
	"strings"
	"time"
)

// QueueCount is the number of background jobs in one state.
type QueueCount struct {
	State string
	Count int64
}

// StatusData is what the status page shows. The app fills it in.
type StatusData struct {
	Version       string
	DatabaseKind  string // "SQLite" or "PostgreSQL"
	DatabaseWhere string // path, or host:port/dbname; a password in it is not shown
	SchemaVersion int64  // the database's current schema version
	SchemaLatest  int64  // the newest schema version this binary knows
	Queue         []QueueCount
	StartedAt     time.Time
	Now           time.Time // zero means time.Now()
}

// queueStates are the job states in the order the page lists them, with what
// each means to a person reading the page.
var queueStates = []struct{ state, meaning string }{
	{"available", "Ready to run now"},
	{"scheduled", "Waiting for their run time"},
	{"running", "Being worked on"},
	{"retryable", "Failed, will be retried"},
	{"completed", "Finished"},
	{"cancelled", "Cancelled before finishing"},
	{"discarded", "Failed too often; given up"},
}

// statusView is StatusData formatted for the template.
type statusView struct {
	Version       string
	DatabaseKind  string
	DatabaseWhere string
	Schema        string // "14 of 14"
	SchemaBadge   string // "current", "behind" or "ahead"
	SchemaKind    string // badge kind
	SchemaNote    string
	StartedISO    string
	Started       string
	Uptime        string
	UpdatedISO    string
	Updated       string
	Queue         []queueRow
}

type queueRow struct {
	State   string
	Label   string
	Meaning string
	Count   string
	Kind    string // badge kind for the count; "" draws plain text
}

func (w *Web) statusPage(rw http.ResponseWriter, r *http.Request) {
	rw.Header().Set("Cache-Control", "no-store")
	if w.gate != nil && !w.gate(rw, r) {
		return
	}
	data, err := w.status(r.Context())
	if err != nil {
		w.log.ErrorContext(r.Context(), "read system status", "err", err)
		render(w.log, rw, r, http.StatusServiceUnavailable, statusErrorPage(w.version))
		return
	}
	if data.Version == "" {
		data.Version = w.version
	}
	render(w.log, rw, r, http.StatusOK, statusPageView(newStatusView(data)))
}

func newStatusView(d StatusData) statusView {
	now := d.Now
	if now.IsZero() {
		now = time.Now()
	}
	v := statusView{
		Version:       orUnknown(d.Version),
		DatabaseKind:  orUnknown(d.DatabaseKind),
		DatabaseWhere: orUnknown(redactWhere(d.DatabaseWhere)),
		Schema:        fmt.Sprintf("%d of %d", d.SchemaVersion, d.SchemaLatest),
		UpdatedISO:    now.UTC().Format(time.RFC3339),
		Updated:       now.UTC().Format("15:04:05") + " UTC",
		Queue:         queueRows(d.Queue),
	}
	switch {
	case d.SchemaVersion == d.SchemaLatest:
		v.SchemaBadge, v.SchemaKind = "current", "success"
		v.SchemaNote = "The database schema is the one this version of Kite expects."
	case d.SchemaVersion < d.SchemaLatest:
		v.SchemaBadge, v.SchemaKind = "behind", "warning"
		v.SchemaNote = "Migrations are pending: run “kite migrate” to apply them."
	default:
		v.SchemaBadge, v.SchemaKind = "ahead", "warning"
		v.SchemaNote = "The database was migrated by a newer version of Kite than this one."
	}
	if d.StartedAt.IsZero() {
		v.Started, v.Uptime = "unknown", "unknown"
	} else {
		v.StartedISO = d.StartedAt.UTC().Format(time.RFC3339)
		v.Started = d.StartedAt.UTC().Format("2006-01-02 15:04") + " UTC"
		v.Uptime = humanDuration(now.Sub(d.StartedAt))
	}
	return v
}

// queueRows lists every known state in a fixed order, with zero for a state
// the data leaves out, then any state Kite does not know, as given. No counts
// at all (the queue could not be read) gives no rows.
func queueRows(counts []QueueCount) []queueRow {
	if len(counts) == 0 {
		return nil
	}
	byState := map[string]int64{}
	var unknown []QueueCount
	known := map[string]bool{}
	for _, s := range queueStates {
		known[s.state] = true
	}
	for _, c := range counts {
		if known[c.State] {
			byState[c.State] += c.Count
		} else {
			unknown = append(unknown, c)
		}
	}
	rows := make([]queueRow, 0, len(queueStates)+len(unknown))
	for _, s := range queueStates {
		rows = append(rows, newQueueRow(s.state, s.meaning, byState[s.state]))
	}
	for _, c := range unknown {
		rows = append(rows, newQueueRow(c.State, "", c.Count))
	}
	return rows
}

func newQueueRow(state, meaning string, n int64) queueRow {
	row := queueRow{State: state, Label: capitalize(state), Meaning: meaning, Count: groupThousands(n)}
	if n > 0 {
		switch state {
		case "retryable":
			row.Kind = "warning"
		case "discarded":
			row.Kind = "danger"
		}
	}
	return row
}

// humanDuration writes d with its two largest units: "45s", "12m 5s",
// "3h 12m", "2d 4h".
func humanDuration(d time.Duration) string {
	if d < 0 {
		d = 0
	}
	s := int64(d / time.Second)
	days, s := s/86400, s%86400
	hours, s := s/3600, s%3600
	mins, secs := s/60, s%60
	switch {
	case days > 0:
		return fmt.Sprintf("%dd %dh", days, hours)
	case hours > 0:
		return fmt.Sprintf("%dh %dm", hours, mins)
	case mins > 0:
		return fmt.Sprintf("%dm %ds", mins, secs)
	default:
		return fmt.Sprintf("%ds", secs)
	}
}

// groupThousands writes n with comma separators: 1234567 -> "1,234,567".
func groupThousands(n int64) string {
	s := strconv.FormatInt(n, 10)
	sign := ""
	if strings.HasPrefix(s, "-") {
		sign, s = "-", s[1:]
	}
	var b strings.Builder
	for i, c := range s {
		if i > 0 && (len(s)-i)%3 == 0 {
			b.WriteByte(',')
		}
		b.WriteRune(c)
	}
	return sign + b.String()
}

var passwordParam = regexp.MustCompile(`(?i)(password\s*=\s*)('[^']*'|[^\s&]+)`)

// redactWhere removes a password the app may have left in a database
// location: from a URL's user info and from a key=value "password=" setting.
func redactWhere(where string) string {
	if strings.Contains(where, "://") {
		if u, err := url.Parse(where); err == nil && u.User != nil {
			if _, has := u.User.Password(); has {
				u.User = url.UserPassword(u.User.Username(), "redacted")
			}
			where = u.String()
		}
	}
	return passwordParam.ReplaceAllString(where, "${1}redacted")
}

func orUnknown(s string) string {
	if strings.TrimSpace(s) == "" {
		return "unknown"
	}
	return s
}

func capitalize(s string) string {
	if s == "" {
		return s
	}
	return strings.ToUpper(s[:1]) + s[1:]
}
