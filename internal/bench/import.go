package bench

import (
	"bufio"
	"bytes"
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"mime/multipart"
	"net/http"
	"os"
	"strconv"
	"strings"
	"time"
)

// Import measures the CSV import of contacts end to end: it starts its own
// kite (-bin) on a fresh database (SQLite, or PostgreSQL with
// -database-url), uploads a generated CSV of -n rows (default
// 100,000) through POST /api/v1/contacts/import, and polls the import
// until it is done. It reports rows per second, the wall time from the
// upload's first byte to done, and the server's peak resident memory.
type Import struct {
	// Rows is the default number of rows when -n is not given.
	Rows         int
	StopGrace    time.Duration
	ReadyTimeout time.Duration
	// Timeout bounds the whole import.
	Timeout time.Duration
}

// NewImport returns the import scenario.
func NewImport() *Import {
	return &Import{Rows: 100_000, StopGrace: 10 * time.Second, ReadyTimeout: time.Minute, Timeout: 15 * time.Minute}
}

// Name returns "import".
func (*Import) Name() string { return "import" }

// Description says what import measures.
func (*Import) Description() string {
	return "start -bin on a fresh database, import a generated CSV of -n contacts (default 100,000) through the API: rows/s, wall time, peak RSS"
}

// Validate needs a kite binary to start.
func (*Import) Validate(env *Env) error { return (&ColdStart{}).Validate(env) }

// Run starts kite, imports the file and returns one result "import".
func (s *Import) Run(ctx context.Context, env *Env) (results []Result, err error) {
	rows := s.Rows
	if env.Count > 0 {
		rows = int(env.Count)
	}
	ws, err := newWorkspace("")
	if err != nil {
		return nil, err
	}
	defer func() { err = ws.finish(err) }()
	t := target{}
	if t.dataDir, err = ws.newDataDir("import"); err != nil {
		return nil, err
	}
	if env.DatabaseURL != "" {
		dbs := newScratchDatabases(env.DatabaseURL)
		defer func() { err = errors.Join(err, dbs.dropAll(ctx)) }()
		if t.database, t.databaseURL, err = dbs.create(ctx); err != nil {
			return nil, err
		}
	}
	addr, err := freeAddr()
	if err != nil {
		return nil, err
	}
	ws.note("=== import: %s serve on %s, database %s", env.Bin, addr, t.describe())
	c, err := startChild(ctx, env.Bin, childEnv(os.Environ(), nil, addr, t.dataDir, t.databaseURL), ws.log, s.StopGrace)
	if err != nil {
		return nil, err
	}
	defer c.stop()
	base := "http://" + addr
	if _, err := waitReady(ctx, c, base+"/readyz", 10*time.Millisecond, s.ReadyTimeout); err != nil {
		return nil, err
	}
	token, err := importAccount(ctx, env.Client, base)
	if err != nil {
		return nil, err
	}
	ctx, cancel := context.WithTimeout(ctx, s.Timeout)
	defer cancel()
	env.Logf("import: uploading %d generated rows to %s (%s)", rows, base, t.describe())
	cpuBefore, err := cpuSeconds(c.pid())
	if err != nil {
		return nil, err
	}
	started := time.Now()
	id, err := uploadGenerated(ctx, env.Client, base, token, rows)
	if err != nil {
		return nil, err
	}
	uploaded := time.Since(started)
	counts, err := waitImported(ctx, env, base, token, id)
	if err != nil {
		return nil, err
	}
	elapsed := time.Since(started)
	peak, err := peakResidentBytes(c.pid())
	if err != nil {
		return nil, err
	}
	cpuAfter, err := cpuSeconds(c.pid())
	if err != nil {
		return nil, err
	}
	res := Result{Scenario: "import/" + strings.ToLower(strings.Fields(t.describe())[0]), Clients: 1, Requests: int64(counts.Total),
		Elapsed: elapsed, Throughput: float64(counts.Total) / elapsed.Seconds()}
	res.Metrics = []Metric{
		{Name: "created", Value: float64(counts.Created), Unit: "rows"},
		{Name: "rejected", Value: float64(counts.Failed), Unit: "rows"},
		{Name: "upload", Value: uploaded.Seconds(), Unit: "s"},
		{Name: "peak_rss", Value: float64(peak) / (1 << 20), Unit: "MiB"},
		// The server's own CPU time tells the cost per row apart from a busy machine.
		{Name: "server_cpu", Value: cpuAfter - cpuBefore, Unit: "s"},
	}
	return []Result{res}, nil
}

// importAccount signs up a fresh user with an organization on base and
// returns its access token.
func importAccount(ctx context.Context, client *http.Client, base string) (string, error) {
	b, _ := json.Marshal(map[string]string{"email": "kitebench-import@example.com", "password": benchPassword,
		"name": "Kitebench", "organization_name": "Kitebench"})
	req, err := http.NewRequestWithContext(ctx, http.MethodPost, base+"/api/v1/auth/signup", bytes.NewReader(b))
	if err != nil {
		return "", err
	}
	req.Header.Set("Content-Type", "application/json")
	var out struct {
		AccessToken string `json:"access_token"`
	}
	return out.AccessToken, doJSON(client, req, http.StatusCreated, &out)
}

// uploadGenerated streams a generated CSV as a multipart upload, never
// holding the file, and returns the import's id.
func uploadGenerated(ctx context.Context, client *http.Client, base, token string, rows int) (string, error) {
	pr, pw := io.Pipe()
	form := multipart.NewWriter(pw)
	go func() {
		part, err := form.CreateFormFile("file", "contacts.csv")
		if err == nil {
			err = writeContactsCSV(part, rows)
		}
		if err == nil {
			err = form.Close()
		}
		pw.CloseWithError(err)
	}()
	req, err := http.NewRequestWithContext(ctx, http.MethodPost, base+"/api/v1/contacts/import", pr)
	if err != nil {
		return "", err
	}
	req.Header.Set("Content-Type", form.FormDataContentType())
	req.Header.Set("Authorization", "Bearer "+token)
	var out struct {
		ID string `json:"id"`
	}
	return out.ID, doJSON(client, req, http.StatusAccepted, &out)
}

// writeContactsCSV writes a realistic contacts file: names, unique emails,
// phones, a few thousand companies, titles and tags, and one duplicate or
// bad row in every thousand.
func writeContactsCSV(w io.Writer, rows int) error {
	out := bufio.NewWriterSize(w, 64<<10)
	out.WriteString("First Name,Last Name,Email,Phone,Company,Job Title,Tags\n")
	firsts := strings.Fields("Anna Ben Clara David Elena Felix Greta Hugo Ida Jonas Karin Leo Mia Noah Olga Paul Rosa Sven José Zoë")
	lasts := strings.Fields("Müller Smith Garcia Kowalski Nguyen Rossi Dubois Jensen Tanaka Silva Novak Fischer Ivanova Haddad")
	titles := []string{"CEO", "CTO", "Head of Sales", "Buyer", "Founder", "Account Manager", ""}
	tags := []string{"lead", "customer", `"lead,vip"`, "newsletter", "", ""}
	for i := range rows {
		first, last := firsts[i%len(firsts)], lasts[(i/len(firsts))%len(lasts)]
		email := "person" + strconv.Itoa(i) + "@mail.example"
		switch {
		case i%1000 == 999:
			email = "person" + strconv.Itoa(i/2) + "@mail.example" // a duplicate of an earlier row
		case i%1000 == 998:
			email = "not an email"
		}
		fmt.Fprintf(out, "%s,%s,%s,+1 415 %03d %04d,Company %d,%s,%s\n", first, last, email, i/10000%1000, i%10000,
			i%5000, titles[i%len(titles)], tags[i%len(tags)])
	}
	return out.Flush()
}

// importCounts are the fields of GET /imports/{id} the scenario reads.
type importCounts struct {
	Status  string `json:"status"`
	Total   int    `json:"total"`
	Created int    `json:"created"`
	Updated int    `json:"updated"`
	Skipped int    `json:"skipped"`
	Failed  int    `json:"failed"`
	Error   string `json:"error"`
}

// waitImported polls the import every 200 ms until it is done.
func waitImported(ctx context.Context, env *Env, base, token, id string) (importCounts, error) {
	last := time.Now()
	for {
		req, err := http.NewRequestWithContext(ctx, http.MethodGet, base+"/api/v1/imports/"+id, nil)
		if err != nil {
			return importCounts{}, err
		}
		req.Header.Set("Authorization", "Bearer "+token)
		var c importCounts
		if err := doJSON(env.Client, req, http.StatusOK, &c); err != nil {
			return c, err
		}
		switch c.Status {
		case "done":
			return c, nil
		case "failed":
			return c, fmt.Errorf("the import failed: %s", c.Error)
		}
		if time.Since(last) > 5*time.Second {
			env.Logf("import: %s, %d rows read", c.Status, c.Total)
			last = time.Now()
		}
		select {
		case <-ctx.Done():
			return c, ctx.Err()
		case <-time.After(200 * time.Millisecond):
		}
	}
}

// doJSON sends req and decodes the answer, which must have status want.
func doJSON(client *http.Client, req *http.Request, want int, out any) error {
	res, err := client.Do(req)
	if err != nil {
		return err
	}
	defer res.Body.Close()
	if err := CheckStatus(res, want); err != nil {
		return err
	}
	return json.NewDecoder(res.Body).Decode(out)
}

// peakResidentBytes returns the peak resident set size of process pid
// (VmHWM), read from /proc (Linux only).
func peakResidentBytes(pid int) (int64, error) {
	status, err := os.ReadFile("/proc/" + strconv.Itoa(pid) + "/status")
	if err != nil {
		return 0, fmt.Errorf("reading peak memory: %w", err)
	}
	// VmHWM comes before VmRSS in the file, so the renamed line is the one parsed.
	return parseVmRSS(bytes.ReplaceAll(status, []byte("VmHWM:"), []byte("VmRSS:")))
}

// clockTicks is the kernel's USER_HZ, the unit of CPU times in /proc/<pid>/stat.
const clockTicks = 100

// cpuSeconds returns the user and system CPU time process pid has used,
// read from /proc (Linux only).
func cpuSeconds(pid int) (float64, error) {
	stat, err := os.ReadFile("/proc/" + strconv.Itoa(pid) + "/stat")
	if err != nil {
		return 0, fmt.Errorf("reading CPU time: %w", err)
	}
	// Fields after the command name (which may hold spaces) start at state.
	fields := strings.Fields(string(stat[bytes.LastIndexByte(stat, ')')+1:]))
	if len(fields) < 13 {
		return 0, fmt.Errorf("unexpected /proc/%d/stat", pid)
	}
	user, err1 := strconv.ParseFloat(fields[11], 64)
	system, err2 := strconv.ParseFloat(fields[12], 64)
	if err := errors.Join(err1, err2); err != nil {
		return 0, fmt.Errorf("unexpected /proc/%d/stat: %w", pid, err)
	}
	return (user + system) / clockTicks, nil
}
