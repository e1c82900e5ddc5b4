package app

import (
	"bytes"
	"context"
	"encoding/csv"
	"encoding/json"
	"fmt"
	"io"
	"mime/multipart"
	"net/http"
	"net/http/httptest"
	"slices"
	"strings"
	"testing"
	"time"

	"github.com/kite-crm/kite/internal/crm"
	"github.com/kite-crm/kite/internal/platform/dbtest"
)

// upload posts a CSV file (and form fields) to path as multipart/form-data.
func (c *client) upload(path, filename, content string, fields map[string]string) response {
	c.t.Helper()
	var body bytes.Buffer
	w := multipart.NewWriter(&body)
	for k, v := range fields {
		w.WriteField(k, v)
	}
	if filename != "" {
		part, _ := w.CreateFormFile("file", filename)
		io.WriteString(part, content)
	}
	w.Close()
	req, _ := http.NewRequest("POST", c.base+path, &body)
	req.Header.Set("Content-Type", w.FormDataContentType())
	req.Header.Set("Authorization", "Bearer "+c.token)
	req.Header.Set("X-Org-ID", c.org)
	res, err := http.DefaultClient.Do(req)
	if err != nil {
		c.t.Fatal(err)
	}
	defer res.Body.Close()
	raw, _ := io.ReadAll(res.Body)
	out := response{Status: res.StatusCode, Header: res.Header, Raw: string(raw)}
	json.Unmarshal(raw, &out.Body)
	if res.StatusCode >= 500 {
		c.t.Errorf("upload to %s answered %d: %s", path, res.StatusCode, raw)
	}
	return out
}

// importCSV uploads a file and waits until its import ends.
func (c *client) importCSV(content string, fields map[string]string) response {
	c.t.Helper()
	r := c.upload("/contacts/import", "people.csv", content, fields)
	if r.Status != http.StatusAccepted || r.Str("id") == "" {
		c.t.Fatalf("import: %d %s", r.Status, r.Raw)
	}
	return c.waitImport(r.Str("id"))
}

// waitImport polls an import until it is done or failed.
func (c *client) waitImport(id string) response {
	c.t.Helper()
	deadline := time.Now().Add(60 * time.Second)
	for {
		r := c.must(http.StatusOK, "GET", "/imports/"+id, nil)
		if s := r.Str("status"); s == crm.ImportDone || s == crm.ImportFailed {
			return r
		}
		if time.Now().After(deadline) {
			c.t.Fatalf("import %s still %s: %s", id, r.Str("status"), r.Raw)
		}
		time.Sleep(50 * time.Millisecond)
	}
}

// counts reads an import's counters as "total created updated skipped failed".
func counts(r response) string {
	n := func(k string) int { v, _ := r.Body[k].(float64); return int(v) }
	return fmt.Sprintf("total=%d created=%d updated=%d skipped=%d failed=%d", n("total"), n("created"), n("updated"), n("skipped"), n("failed"))
}

// importErrors reads an import's errors as "row: message" lines.
func importErrors(r response) []string {
	var out []string
	list, _ := r.Body["errors"].([]any)
	for _, e := range list {
		m := e.(map[string]any)
		out = append(out, fmt.Sprintf("%v: %v", m["row"], m["message"]))
	}
	return out
}

func TestImportCSVGuessesColumnsDedupsAndReportsBadRows(t *testing.T) {
	t.Parallel()
	dbtest.EachBackend(t, true, func(t *testing.T, b dbtest.Backend) {
		a := startApp(t, testConfig(t, b))
		api := newClient(t, a)
		acc := api.signUp("importer@example.com", "Importer")
		c := api.as(acc.Access, acc.OrgID)
		c.must(201, "POST", "/custom-fields", map[string]any{"object": "contact", "label": "Lead source", "type": "text"})
		c.must(201, "POST", "/custom-fields", map[string]any{"object": "contact", "label": "Budget", "type": "number"})
		old := c.must(201, "POST", "/contacts", map[string]any{"first_name": "Olga", "email": "olga@example.com"})

		// A BOM, ";" between fields, a quoted field holding a newline and a ";".
		file := "\uFEFFFirst Name;Last Name;E-mail;Mobile;Company name;Job Title;Tags;Lead source;Budget;Notes\n" +
			"Ann;Lee;Ann@Example.com;+1 (415) 555-2671;Acme;\"Head of\nSales; EMEA\";vip, lead;fair;1200;ignored\n" +
			"Bob;Stone;bob@example.com;;ACME;;;;;\n" +
			";;not-an-email;;;;;;;\n" +
			"Annie;Lee;ANN@example.com;;;;;;;\n" +
			"Olga;;olga@example.com;;;;;;;\n" +
			"too;few\n" +
			"Carl;;;415-555-2671;;;;;;\n" +
			"Dora;;dora@example.com;;;;;;lots;\n" +
			"Eve;;eve@example.com;;Initech;;;;;\n"
		done := c.importCSV(file, nil)
		if done.Str("status") != "done" || counts(done) != "total=9 created=3 updated=0 skipped=3 failed=3" {
			t.Fatalf("import = %s", done.Raw)
		}
		wantErrors := []string{"3: email: This is not a valid email address.", "6: wrong number of fields: 2, want 10",
			"8: custom_fields.budget: Expected a number."}
		if got := importErrors(done); !slices.Equal(got, wantErrors) {
			t.Fatalf("errors = %q, want %q", got, wantErrors)
		}
		if m := done.Body["mapping"].(map[string]any); m["E-mail"] != "email" || m["Mobile"] != "phone" || m["Notes"] != nil {
			t.Fatalf("guessed mapping = %v", m)
		}

		// Imported contacts are normal contacts: normalized, linked, tagged, searchable.
		list := c.must(200, "GET", "/contacts/search?q=acme", nil).Items()
		if len(list) != 2 {
			t.Fatalf("search acme = %v", list)
		}
		byEmail := map[string]map[string]any{}
		for _, it := range c.must(200, "GET", "/contacts?limit=50", nil).Items() {
			email, _ := it["email"].(string)
			byEmail[email] = it
		}
		ann, bob := byEmail["ann@example.com"], byEmail["bob@example.com"]
		if ann == nil || bob == nil || len(byEmail) != 4 {
			t.Fatalf("contacts = %v", byEmail)
		}
		if ann["phone"] != "+14155552671" || ann["title"] != "Head of\nSales; EMEA" || fmt.Sprint(ann["tags"]) != "[lead vip]" ||
			fmt.Sprint(ann["custom_fields"]) != "map[budget:1200 lead_source:fair]" {
			t.Fatalf("ann = %v", ann)
		}
		if ann["company_id"] == nil || ann["company_id"] != bob["company_id"] {
			t.Fatalf("Acme and ACME are one company: %v / %v", ann["company_id"], bob["company_id"])
		}
		if companies := c.must(200, "GET", "/companies", nil).Items(); len(companies) != 2 {
			t.Fatalf("companies = %v", companies)
		}
		if got := c.must(200, "GET", "/contacts/"+old.Str("id"), nil); got.Str("first_name") != "Olga" {
			t.Fatalf("skipped duplicate changed: %s", got.Raw)
		}

		// One started and one finished event for the import, none per contact.
		var types []string
		a.DB.NewSelect().TableExpr("events").Column("type").Where("org_id = ?", acc.OrgID).
			Where("type LIKE 'import.%' OR type = 'contact.created'").OrderExpr("id").Scan(context.Background(), &types)
		if strings.Join(types, " ") != "contact.created import.started import.finished" {
			t.Fatalf("events = %v", types)
		}

		// The rejected rows come back as CSV with their original fields.
		res, err := http.DefaultClient.Do(authGet(c, "/imports/"+done.Str("id")+"/rejected.csv"))
		if err != nil {
			t.Fatal(err)
		}
		defer res.Body.Close()
		rejected := csv.NewReader(res.Body)
		rejected.FieldsPerRecord = -1 // rows keep their own field count
		records, err := rejected.ReadAll()
		if err != nil || res.StatusCode != 200 || !strings.HasPrefix(res.Header.Get("Content-Type"), "text/csv") {
			t.Fatalf("rejected.csv: %d %v %v", res.StatusCode, err, records)
		}
		if len(records) != 4 || strings.Join(records[0][:4], ",") != "row,reason,First Name,Last Name" ||
			records[1][0] != "3" || records[1][4] != "not-an-email" || records[2][0] != "6" || strings.Join(records[2][2:], ",") != "too,few" ||
			records[3][0] != "8" || records[3][10] != "lots" {
			t.Fatalf("rejected.csv = %q", records)
		}
		if recent := c.must(200, "GET", "/imports", nil).Items(); len(recent) != 1 || recent[0]["id"] != done.Str("id") {
			t.Fatalf("recent imports = %v", recent)
		}
	})
}

// zeros reads as endless zero bytes.
type zeros struct{}

func (zeros) Read(p []byte) (int, error) { clear(p); return len(p), nil }

// authGet is a GET request of the API with c's credentials.
func authGet(c *client, path string) *http.Request {
	req, _ := http.NewRequest("GET", c.base+path, nil)
	req.Header.Set("Authorization", "Bearer "+c.token)
	req.Header.Set("X-Org-ID", c.org)
	return req
}

func TestImportCSVUpdatesDuplicatesWithAnExplicitMapping(t *testing.T) {
	t.Parallel()
	dbtest.EachBackend(t, true, func(t *testing.T, b dbtest.Backend) {
		a := startApp(t, testConfig(t, b))
		api := newClient(t, a)
		acc := api.signUp("updater@example.com", "Updater")
		c := api.as(acc.Access, acc.OrgID)
		ann := c.must(201, "POST", "/contacts", map[string]any{"first_name": "Ann", "last_name": "Lee", "email": "ann@example.com",
			"title": "CEO", "phone": "+4930123456", "tags": []string{"vip"}})

		file := "Mail,Who,Role,Labels,Owner,Tel\n" +
			"ANN@example.com,,CTO,partner,,\n" + // same email: updated
			",Neu Person,,,updater@example.com,+1 415 555 0100\n" + // new, owned by a member
			",,Boss,,,(415) 555-0100\n" + // same phone as the row before: updates it
			"nobody@example.com,No Owner,,,stranger@example.com,\n" + // unknown owner
			",,,,,+4930123456\n" // Ann's phone, nothing new: skipped
		mapping := `{"Mail":"email","Who":"name","Role":"title","Labels":"tags","Owner":"owner","Tel":"phone"}`
		done := c.importCSV(file, map[string]string{"mapping": mapping, "on_duplicate": "update"})
		if counts(done) != "total=5 created=1 updated=2 skipped=1 failed=1" {
			t.Fatalf("import = %s", done.Raw)
		}
		if got := importErrors(done); len(got) != 1 || got[0] != "4: owner: No member of this organization has the email stranger@example.com." {
			t.Fatalf("errors = %q", got)
		}
		got := c.must(200, "GET", "/contacts/"+ann.Str("id"), nil)
		if got.Str("title") != "CTO" || got.Str("first_name") != "Ann" || fmt.Sprint(got.Body["tags"]) != "[partner vip]" {
			t.Fatalf("updated ann = %s", got.Raw)
		}
		if hits := c.must(200, "GET", "/contacts/search?q=neu", nil).Items(); len(hits) != 1 ||
			hits[0]["last_name"] != "Person" || hits[0]["title"] != "Boss" || hits[0]["owner_id"] != acc.UserID || hits[0]["phone"] != "+14155550100" {
			t.Fatalf("new contact = %v", hits)
		}
		updatedEvents, _ := a.DB.NewSelect().TableExpr("events").Where("org_id = ?", acc.OrgID).Where("type = 'contact.updated'").Count(context.Background())
		if updatedEvents != 0 {
			t.Fatalf("%d contact.updated events, want none per imported row", updatedEvents)
		}
	})
}

func TestImportCSVRefusesBadUploads(t *testing.T) {
	t.Parallel()
	dbtest.EachBackend(t, true, func(t *testing.T, b dbtest.Backend) {
		a := startApp(t, testConfig(t, b))
		api := newClient(t, a)
		acc := api.signUp("refused@example.com", "Refused")
		c := api.as(acc.Access, acc.OrgID)
		good := "Name,Email\nAnn,ann@example.com\n"
		for name, tc := range map[string]struct {
			filename, content string
			fields            map[string]string
			status            int
			want              string
		}{
			"no file":          {"", "", nil, 422, "file"},
			"empty file":       {"a.csv", "", nil, 422, "The file is empty."},
			"header only":      {"a.csv", "Name,Email\n", nil, 422, "no contacts below it"},
			"binary":           {"a.png", "\x89PNG\r\n\x1a\n\x00\x00\x00\rIHDR", nil, 422, "not a CSV file"},
			"duplicate column": {"a.csv", "Email,email\nx,y\n", nil, 422, "duplicate column name"},
			"unknown field":    {"a.csv", good, map[string]string{"mapping": `{"Name":"nickname"}`}, 422, `Unknown field \"nickname\"`},
			"unknown column":   {"a.csv", good, map[string]string{"mapping": `{"Phone":"phone"}`}, 422, `no column named \"Phone\"`},
			"broken mapping":   {"a.csv", good, map[string]string{"mapping": `{"Name":`}, 422, "JSON object"},
			"nothing to guess": {"a.csv", "Colour,Size\nred,XL\n", nil, 422, "No column looks like a name or an email"},
			"on_duplicate":     {"a.csv", good, map[string]string{"on_duplicate": "merge"}, 422, "on_duplicate"},
		} {
			r := c.upload("/contacts/import", tc.filename, tc.content, tc.fields)
			if r.Status != tc.status || !strings.Contains(r.Raw, tc.want) {
				t.Errorf("%s: %d %s, want %d with %q", name, r.Status, r.Raw, tc.status, tc.want)
			}
		}
		// Too large: refused before it is read.
		req, _ := http.NewRequest("POST", c.base+"/contacts/import", io.LimitReader(zeros{}, crm.MaxImportRequestBytes+1))
		req.ContentLength = crm.MaxImportRequestBytes + 1
		req.Header.Set("Authorization", "Bearer "+c.token)
		req.Header.Set("Content-Type", "multipart/form-data; boundary=x")
		if res, err := http.DefaultClient.Do(req); err != nil || res.StatusCode != http.StatusRequestEntityTooLarge {
			t.Errorf("too large: %v %v", res, err)
		}

		im := c.importCSV(good, nil)
		other := api.signUp("snoop@example.com", "Snoop")
		snoop := api.as(other.Access, other.OrgID)
		for _, path := range []string{"/imports/" + im.Str("id"), "/imports/" + im.Str("id") + "/rejected.csv", "/imports/not-an-id"} {
			if r := snoop.do("GET", path, nil); r.Status != 404 {
				t.Errorf("GET %s from another org: %d", path, r.Status)
			}
		}
		if list := snoop.must(200, "GET", "/imports", nil).Items(); len(list) != 0 {
			t.Errorf("another org lists %v", list)
		}
	})
}

func TestImportResumesAfterAStopWithoutDuplicates(t *testing.T) {
	t.Parallel()
	dbtest.EachBackend(t, true, func(t *testing.T, b dbtest.Backend) {
		ctx := context.Background()
		// Built but not started: no worker takes the job until Start.
		a, err := New(ctx, testConfig(t, b), Options{Version: "test"})
		if err != nil {
			t.Fatal(err)
		}
		t.Cleanup(func() {
			sctx, cancel := context.WithTimeout(ctx, 10*time.Second)
			defer cancel()
			a.Shutdown(sctx)
		})
		srv := httptest.NewServer(a.Handler())
		t.Cleanup(srv.Close)
		api := &client{t: t, base: srv.URL + "/api/v1"}
		acc := api.signUp("resume@example.com", "Resume")
		c := api.as(acc.Access, acc.OrgID)

		const rows = 2600 // three batches
		var file strings.Builder
		file.WriteString("email,name,company,tags\n")
		for i := range rows {
			fmt.Fprintf(&file, "p%d@example.com,Person %d,Company %d,t%d\n", i, i, i%7, i%3)
			if i%500 == 0 { // a duplicate of an earlier row in a later batch
				fmt.Fprintf(&file, "p%d@example.com,Again %d,,\n", i/2, i)
			}
		}
		up := c.upload("/contacts/import", "big.csv", file.String(), nil)
		if up.Status != http.StatusAccepted {
			t.Fatalf("upload: %d %s", up.Status, up.Raw)
		}
		id := up.Str("id")

		// Run the import and stop it right after its first batch commits.
		stopCtx, stop := context.WithCancel(ctx)
		a.CRM.OnImportProgress(func(context.Context, crm.Import) { stop() })
		if err := a.CRM.RunImport(stopCtx, id); err == nil {
			t.Fatal("the stopped run finished")
		}
		part := c.must(200, "GET", "/imports/"+id, nil)
		if part.Str("status") != "running" || counts(part) != "total=1000 created=998 updated=0 skipped=2 failed=0" {
			t.Fatalf("after the stop: %s", part.Raw)
		}

		// The queued job picks up from the checkpoint once workers run.
		a.CRM.OnImportProgress(nil)
		if err := a.Start(ctx); err != nil {
			t.Fatal(err)
		}
		done := c.waitImport(id)
		if counts(done) != fmt.Sprintf("total=%d created=%d updated=0 skipped=6 failed=0", rows+6, rows) {
			t.Fatalf("after resuming: %s", done.Raw)
		}
		var distinct int
		contacts, _ := a.DB.NewSelect().TableExpr("contacts").Where("org_id = ?", acc.OrgID).Count(ctx)
		a.DB.NewSelect().TableExpr("contacts").ColumnExpr("count(DISTINCT email)").Where("org_id = ?", acc.OrgID).Scan(ctx, &distinct)
		links, _ := a.DB.NewSelect().TableExpr("contact_tags").Count(ctx)
		if contacts != rows || distinct != rows || links != rows {
			t.Fatalf("%d contacts, %d distinct emails, %d tag links; want %d of each", contacts, distinct, links, rows)
		}
		companies, _ := a.DB.NewSelect().TableExpr("companies").Where("org_id = ?", acc.OrgID).Count(ctx)
		if companies != 7 {
			t.Fatalf("%d companies, want 7", companies)
		}
	})
}
